/**
 * Save/restore of a PCI function as a plain object with named fields.
 * Restore validates everything before anything changes and reports the first
 * problem as a value.
 */
import { PCI_CONFIG_SPACE_SIZE, PCI_MSIX_ENTRY_SIZE, PCI_NUM_BARS } from './regs.js';
import { MSIX_ENTRY_WMASK } from './msix.js';

export type PciFunctionState = {
  /** The 256 configuration bytes as lowercase hex. */
  config: string;
  /** BAR slots (0..5) whose dword holds the sizing pattern a guest wrote. */
  barSizing: number[];
  /** The level the device drives on its INTx pin. */
  intxLevel: boolean;
  /** MSI-X table and pending bits as hex, when the function has MSI-X. */
  msixTable?: string;
  msixPba?: string;
};

export type PciStateError = { kind: 'bad-state'; field: string; why: string };

export interface DecodedState {
  config: Uint8Array;
  barSizing: boolean[];
  intxLevel: boolean;
  msixTable?: Uint8Array;
  msixPba?: Uint8Array;
}

/** What a saved state must agree with. */
export interface StateRules {
  readonly powerOn: Uint8Array;
  readonly wmask: Uint8Array;
  readonly w1cmask: Uint8Array;
  /** Read-only bits the function itself changes (INTx status, MSI pending): not compared. */
  readonly dynamicRo: Uint8Array;
  /** BAR slots that hold a BAR dword. */
  readonly barSlots: readonly boolean[];
  readonly hasIntx: boolean;
  readonly msixVectors: number | undefined;
  /** Further checks of the configuration bytes (power state, MSI vector count). */
  readonly checkConfig: (config: Uint8Array) => string | undefined;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(s: unknown, len: number): Uint8Array | string {
  if (typeof s !== 'string') return 'not a string';
  if (s.length !== len * 2) return `expected ${len * 2} hex digits, got ${s.length}`;
  if (!/^[0-9a-fA-F]*$/.test(s)) return 'not hex';
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function bad(field: string, why: string): PciStateError {
  return { kind: 'bad-state', field, why };
}

export function decodeState(obj: unknown, rules: StateRules): DecodedState | PciStateError {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return bad('(root)', 'not an object');
  const o = obj as Record<string, unknown>;

  const config = fromHex(o['config'], PCI_CONFIG_SPACE_SIZE);
  if (typeof config === 'string') return bad('config', config);
  for (let i = 0; i < PCI_CONFIG_SPACE_SIZE; i++) {
    const fixed = ~((rules.wmask[i] ?? 0) | (rules.w1cmask[i] ?? 0) | (rules.dynamicRo[i] ?? 0)) & 0xff;
    if (((config[i]! ^ rules.powerOn[i]!) & fixed) !== 0) {
      return bad('config', `read-only byte 0x${i.toString(16)} is 0x${config[i]!.toString(16)}, this function has 0x${rules.powerOn[i]!.toString(16)}`);
    }
  }
  const why = rules.checkConfig(config);
  if (why !== undefined) return bad('config', why);

  const sizingRaw = o['barSizing'];
  if (!Array.isArray(sizingRaw)) return bad('barSizing', 'not an array');
  const barSizing = new Array<boolean>(PCI_NUM_BARS).fill(false);
  for (const v of sizingRaw) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= PCI_NUM_BARS || !rules.barSlots[v]) {
      return bad('barSizing', `${String(v)} is not a BAR slot of this function`);
    }
    barSizing[v] = true;
  }

  const intxLevel = o['intxLevel'];
  if (typeof intxLevel !== 'boolean') return bad('intxLevel', 'not a boolean');
  if (intxLevel && !rules.hasIntx) return bad('intxLevel', 'function has no interrupt pin');

  const out: DecodedState = { config, barSizing, intxLevel };
  if (rules.msixVectors === undefined) {
    if (o['msixTable'] !== undefined || o['msixPba'] !== undefined) return bad('msixTable', 'function has no MSI-X');
    return out;
  }
  const vectors = rules.msixVectors;
  const table = fromHex(o['msixTable'], vectors * PCI_MSIX_ENTRY_SIZE);
  if (typeof table === 'string') return bad('msixTable', table);
  for (let i = 0; i < table.length; i++) {
    if ((table[i]! & ~(MSIX_ENTRY_WMASK[i % PCI_MSIX_ENTRY_SIZE] ?? 0)) !== 0) {
      return bad('msixTable', `reserved bits set at byte 0x${i.toString(16)}`);
    }
  }
  const pba = fromHex(o['msixPba'], Math.ceil(vectors / 64) * 8);
  if (typeof pba === 'string') return bad('msixPba', pba);
  for (let v = vectors; v < pba.length * 8; v++) {
    if ((pba[v >> 3]! & (1 << (v & 7))) !== 0) return bad('msixPba', `pending bit ${v} beyond the table`);
  }
  out.msixTable = table;
  out.msixPba = pba;
  return out;
}
