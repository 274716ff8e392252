/**
 * The parts of v86's internals the adapter uses, typed as narrowly as we use
 * them, and the attach-time check that they are there.
 *
 * None of this is in v86's `v86.d.ts`. The release build (closure SIMPLE
 * mode) keeps these property names; they are internal and may change
 * between v86 versions, so the adapter checks each one before touching
 * anything and names what is missing. Tested with npm v86 0.5.462
 * (copy/v86 5f9a90f). Source references are copy/v86 src/ file:line.
 */
import { NicemuError } from '../errors.js';

/** v86 versions whose internals this adapter was tested against (npm version, build suffix ignored). */
export const TESTED_V86_VERSIONS: readonly string[] = ['0.5.462'];

/** The emulator does not look like a supported v86 (internals missing, untested version, not loaded yet). */
export class V86CompatError extends NicemuError {
  override readonly name = 'V86CompatError';
}

/** One entry of `io.ports` (src/io.js create_empty_entry). */
export interface V86PortEntry {
  read8: (this: unknown, port: number) => number;
  read16: (this: unknown, port: number) => number;
  read32: (this: unknown, port: number) => number;
  write8: (this: unknown, value: number) => void;
  write16: (this: unknown, value: number) => void;
  write32: (this: unknown, value: number) => void;
  device: unknown;
}

/** src/io.js */
export interface V86Io {
  ports: V86PortEntry[];
  create_empty_entry(): V86PortEntry;
  /** Handlers for one port; read functions get the port, write functions only the value. */
  register_read(port: number, device: object, r8?: (port: number) => number, r16?: (port: number) => number, r32?: (port: number) => number): void;
  register_write(port: number, device: object, w8?: (value: number) => void, w16?: (value: number) => void, w32?: (value: number) => void): void;
  /** addr and size multiples of 128 KiB; handlers get the physical address as a signed int32. */
  mmap_register(
    addr: number,
    size: number,
    r8: (addr: number) => number,
    w8: (addr: number, value: number) => void,
    r32: (addr: number) => number,
    w32: (addr: number, value: number) => void,
  ): void;
}

/** A device registered with v86's PCI bus (src/pci.js register_device). */
export interface V86PciDeviceRecord {
  name: string;
  pci_id: number;
  pci_space: number[];
  pci_bars: Array<{ size: number } | undefined>;
}

/** src/pci.js */
export interface V86Pci {
  pci_addr: Uint8Array;
  pci_addr32: Int32Array;
  pci_response32: Int32Array;
  pci_status32: Int32Array;
  device_spaces: Array<Int32Array | undefined>;
  devices: Array<V86PciDeviceRecord | undefined>;
  /** PIIX3 config space as bytes; 0x60..0x63 are the PIRQ routes. */
  isa_bridge_space8: Uint8Array;
  register_device(dev: V86PciDeviceRecord): Int32Array;
  raise_irq(pciId: number): void;
  lower_irq(pciId: number): void;
  pci_query(): void;
  pci_write8(address: number, value: number): void;
  pci_write16(address: number, value: number): void;
  pci_write32(address: number, value: number): void;
}

/** src/cpu.js */
/**
 * v86's views on wasm memory (`mem8`, `memory_size`) are Proxies that build a
 * fresh typed array on every property access (src/lib.js view()): take
 * `subarray()` once and keep the real array until the buffer detaches.
 */
export interface V86MemView {
  readonly length: number;
  subarray(begin: number, end?: number): Uint8Array;
}

export interface V86Cpu {
  mem8: V86MemView;
  memory_size: { readonly [index: number]: number | undefined };
  io: V86Io;
  devices: { pci: V86Pci };
  /** Drop translated code for guest-physical [start, end) (what write_blob does before a write). */
  jit_dirty_cache(start: number, end: number): void;
  /** Called by the main loop with the time in ms; returns ms until the next timer event. */
  run_hardware_timers(acpiEnabled: boolean, now: number): number;
  /** Wake the main loop when it sleeps (v86 passes it to the CPU; PIC raises call it). */
  stop_idling(): void;
  /** 16-bit MMIO writes (two 8-bit handler calls by default). */
  mmap_write16(addr: number, value: number): void;
  /**
   * The 8259 pair's state in wasm memory (src/rust/cpu/pic.rs, 13-byte
   * packed structs: irq_mask, irq_map, isr, irr, ...), whether the CPU sits
   * in HLT, and EFLAGS: read by the stuck-cascade repair (V86Host). Optional:
   * without them the repair is off.
   */
  get_pic_addr_master?(): number;
  get_pic_addr_slave?(): number;
  wasm_memory?: { readonly buffer: ArrayBufferLike };
  in_hlt?: Uint8Array;
  get_eflags?(): number;
}

/** src/main.js `v86` (emulator.v86). */
export interface V86Main {
  cpu: V86Cpu;
  running: boolean;
}

/**
 * What the adapter needs from a v86 `V86` instance (src/browser/starter.js).
 * A structural type, so this package does not depend on v86's typings.
 */
export interface V86Like {
  add_listener(event: string, listener: (value: unknown) => void): void;
  remove_listener(event: string, listener: (value: unknown) => void): void;
  is_running(): boolean;
}

export interface V86Internals {
  main: V86Main;
  cpu: V86Cpu;
  pci: V86Pci;
  io: V86Io;
}

type Check = [path: string, ok: boolean];

function isFn(v: unknown): boolean {
  return typeof v === 'function';
}

function get(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Strip build metadata: `0.5.462+g5f9a90f` → `0.5.462`. */
export function baseVersion(v: string): string {
  return v.split('+')[0]!.trim();
}

export interface CompatOptions {
  /** The v86 package version (its package.json `version`), when the caller knows it. */
  v86Version?: string;
  /** Accept a v86 version outside TESTED_V86_VERSIONS (the internals are still checked). */
  allowUntestedV86?: boolean;
}

/**
 * Reach v86's internals, or throw a V86CompatError naming every missing
 * piece. Call after `emulator-loaded`.
 */
export function v86Internals(emulator: unknown, opts: CompatOptions = {}): V86Internals {
  if (opts.v86Version !== undefined && !opts.allowUntestedV86 && !TESTED_V86_VERSIONS.includes(baseVersion(opts.v86Version))) {
    throw new V86CompatError(
      `v86 ${opts.v86Version} is not a version nicemu was tested with (${TESTED_V86_VERSIONS.join(', ')}); ` +
        `install v86@${TESTED_V86_VERSIONS[TESTED_V86_VERSIONS.length - 1]!} or pass allowUntestedV86: true`,
    );
  }
  const main = get(emulator, 'v86');
  const cpu = get(main, 'cpu');
  if (typeof emulator !== 'object' || emulator === null || !isFn(get(emulator, 'add_listener'))) {
    throw new V86CompatError('attachToV86: the first argument is not a V86 emulator instance');
  }
  if (!cpu) {
    throw new V86CompatError('attachToV86: emulator.v86.cpu is missing: attach after the "emulator-loaded" event (and before emulator.run()), with a supported v86 build');
  }
  const io = get(cpu, 'io');
  const pci = get(get(cpu, 'devices'), 'pci');
  const checks: Check[] = [
    ['v86.cpu.mem8 (guest RAM view)', isFn(get(get(cpu, 'mem8'), 'subarray')) && typeof get(get(cpu, 'mem8'), 'length') === 'number'],
    ['v86.cpu.memory_size[0]', typeof get(get(cpu, 'memory_size'), '0') === 'number'],
    ['v86.cpu.jit_dirty_cache()', isFn(get(cpu, 'jit_dirty_cache'))],
    ['v86.cpu.run_hardware_timers()', isFn(get(cpu, 'run_hardware_timers'))],
    ['v86.cpu.stop_idling()', isFn(get(cpu, 'stop_idling'))],
    ['v86.cpu.mmap_write16()', isFn(get(cpu, 'mmap_write16'))],
    ['v86.cpu.io.ports[65536]', Array.isArray(get(io, 'ports')) && (get(io, 'ports') as unknown[]).length === 0x10000],
    ['v86.cpu.io.create_empty_entry()', isFn(get(io, 'create_empty_entry'))],
    ['v86.cpu.io.register_read()', isFn(get(io, 'register_read'))],
    ['v86.cpu.io.register_write()', isFn(get(io, 'register_write'))],
    ['v86.cpu.io.mmap_register()', isFn(get(io, 'mmap_register'))],
    ['v86.cpu.devices.pci.device_spaces[256]', Array.isArray(get(pci, 'device_spaces')) && (get(pci, 'device_spaces') as unknown[]).length === 256],
    ['v86.cpu.devices.pci.devices[256]', Array.isArray(get(pci, 'devices'))],
    ['v86.cpu.devices.pci.pci_addr (Uint8Array)', get(pci, 'pci_addr') instanceof Uint8Array],
    ['v86.cpu.devices.pci.pci_addr32 (Int32Array)', get(pci, 'pci_addr32') instanceof Int32Array],
    ['v86.cpu.devices.pci.pci_response32 (Int32Array)', get(pci, 'pci_response32') instanceof Int32Array],
    ['v86.cpu.devices.pci.pci_status32 (Int32Array)', get(pci, 'pci_status32') instanceof Int32Array],
    ['v86.cpu.devices.pci.isa_bridge_space8 (Uint8Array)', get(pci, 'isa_bridge_space8') instanceof Uint8Array],
    ...(['register_device', 'raise_irq', 'lower_irq', 'pci_query', 'pci_write8', 'pci_write16', 'pci_write32'] as const).map(
      (m): Check => [`v86.cpu.devices.pci.${m}()`, isFn(get(pci, m))],
    ),
  ];
  const missing = checks.filter(([, ok]) => !ok).map(([p]) => p);
  if (missing.length > 0) {
    throw new V86CompatError(
      `attachToV86: this v86 build lacks internals nicemu needs (tested with v86 ${TESTED_V86_VERSIONS.join(', ')}): ${missing.join(', ')}`,
    );
  }
  return { main: main as V86Main, cpu: cpu as V86Cpu, pci: pci as V86Pci, io: io as V86Io };
}
