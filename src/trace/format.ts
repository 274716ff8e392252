/**
 * The JSON trace format shared with QEMU's qtest rig (shared/rigs/qtest
 * README, "Trace format"): register/port/config accesses with their values,
 * guest-memory reads and writes, frames in and out, IRQ level changes, clock
 * steps and QMP commands. All numbers are hex strings; bulk data is hex bytes
 * in memory order. Traces recorded on QEMU replay against nicemu and the
 * other way round.
 */
import { bytesToHex, hexToBytes } from '../wire/bytes.js';
import { decodeBase64, encodeBase64 } from '../state/base64.js';

type Hex = string;
interface Common {
  seq?: number;
  /** Part of a polling loop: replay repeats it until the recorded value appears. */
  poll?: boolean;
}

export type PortWrite = Common & { op: 'outb' | 'outw' | 'outl'; port: Hex; data: Hex };
export type PortRead = Common & { op: 'inb' | 'inw' | 'inl'; port: Hex; val?: Hex };
export type MemWrite = Common & { op: 'writeb' | 'writew' | 'writel' | 'writeq'; addr: Hex; data: Hex };
export type MemRead = Common & { op: 'readb' | 'readw' | 'readl' | 'readq'; addr: Hex; val?: Hex };
export type BulkWrite = Common & { op: 'write' | 'b64write'; addr: Hex; len: number; data: string };
export type BulkRead = Common & { op: 'read' | 'b64read'; addr: Hex; len: number; val?: string };
export type MemsetOp = Common & { op: 'memset'; addr: Hex; len: number; data: Hex };
export type ClockStep = Common & { op: 'clock_step'; ns?: string | null; val?: Hex; emulated?: boolean };
export type ClockSet = Common & { op: 'clock_set'; ns: string; val?: Hex };
export type IrqIntercept = Common & { op: 'irq_intercept_in' | 'irq_intercept_out'; path: string };
export type Endianness = Common & { op: 'endianness'; val?: string };

export type AccessEntry =
  | PortWrite
  | PortRead
  | MemWrite
  | MemRead
  | BulkWrite
  | BulkRead
  | MemsetOp
  | ClockStep
  | ClockSet
  | IrqIntercept
  | Endianness;

export type IrqEntry = { seq?: number; irq: 'raise' | 'lower'; line: number };
export type NetEntry = { seq?: number; net: 'inject' | 'tx'; data?: string; len?: number; none?: boolean };
export type QmpEntry = { seq?: number; qmp: string; args?: Record<string, unknown> };
export type InfoEntry = { seq?: number; note?: string; check?: unknown; launch?: unknown; [k: string]: unknown };

export type TraceEntry = AccessEntry | IrqEntry | NetEntry | QmpEntry | InfoEntry;

export interface TraceDoc {
  scenario?: string;
  /** The -device argument without `netdev=` (e.g. `e1000,mac=52:54:00:12:34:56`). */
  device: string;
  /** The -machine argument (default `pc,pit=off`). */
  machine?: string;
  qemu?: unknown;
  config?: unknown;
  checks?: unknown[];
  trace: TraceEntry[];
}

export function isAccess(e: TraceEntry): e is AccessEntry {
  return typeof (e as { op?: unknown }).op === 'string';
}
export function isIrq(e: TraceEntry): e is IrqEntry {
  return typeof (e as { irq?: unknown }).irq === 'string';
}
export function isNet(e: TraceEntry): e is NetEntry {
  return typeof (e as { net?: unknown }).net === 'string';
}
export function isQmp(e: TraceEntry): e is QmpEntry {
  return typeof (e as { qmp?: unknown }).qmp === 'string';
}

/** The qtest command line for an access entry. */
export function commandLine(e: AccessEntry): string {
  switch (e.op) {
    case 'outb':
    case 'outw':
    case 'outl':
      return `${e.op} ${e.port} ${e.data}`;
    case 'inb':
    case 'inw':
    case 'inl':
      return `${e.op} ${e.port}`;
    case 'writeb':
    case 'writew':
    case 'writel':
    case 'writeq':
      return `${e.op} ${e.addr} ${e.data}`;
    case 'readb':
    case 'readw':
    case 'readl':
    case 'readq':
      return `${e.op} ${e.addr}`;
    case 'write':
      return `write ${e.addr} ${e.len} 0x${e.data}`;
    case 'b64write':
      return `b64write ${e.addr} ${e.len} ${hexToBase64(e.data)}`;
    case 'read':
    case 'b64read':
      return `${e.op} ${e.addr} ${e.len}`;
    case 'memset':
      return `memset ${e.addr} ${e.len} ${e.data}`;
    case 'clock_step':
      return e.ns === undefined || e.ns === null ? 'clock_step' : `clock_step ${e.ns}`;
    case 'clock_set':
      return `clock_set ${e.ns}`;
    case 'irq_intercept_in':
    case 'irq_intercept_out':
      return `${e.op} ${e.path}`;
    case 'endianness':
      return 'endianness';
  }
}

/** The value a reply carries, normalised the way traces store it (hex string, or hex bytes for bulk reads). */
export function replyValue(e: AccessEntry, reply: string): string | undefined {
  if (!reply.startsWith('OK')) return undefined;
  const v = reply.length > 3 ? reply.slice(3) : '';
  switch (e.op) {
    case 'inb':
    case 'inw':
    case 'inl':
    case 'readb':
    case 'readw':
    case 'readl':
    case 'readq':
      return '0x' + BigInt(v).toString(16);
    case 'read':
      return v.slice(2);
    case 'b64read':
      return base64ToHex(v);
    case 'clock_step':
    case 'clock_set':
      return '0x' + BigInt(v).toString(16);
    case 'endianness':
      return v;
    default:
      return undefined;
  }
}

export { bytesToHex, hexToBytes };

function hexToBase64(hex: string): string {
  return encodeBase64(hexToBytes(hex));
}

function base64ToHex(s: string): string {
  return bytesToHex(decodeBase64(s) ?? new Uint8Array(0));
}
