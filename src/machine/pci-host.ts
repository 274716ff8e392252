/**
 * The host side of PCI on a PC: configuration mechanism #1 (address latch at
 * 0xcf8, data window at 0xcfc..0xcff) over bus 0, and the BAR windows each
 * function currently decodes, kept in sync with the machine's address spaces.
 */
import type { IoSpace, MemorySpace } from './bus.js';
import type { BarHandler, PciConfigTarget } from './device.js';

export const CONFIG_ADDRESS_PORT = 0xcf8;
export const CONFIG_DATA_PORT = 0xcfc;

export interface PciSlotEntry {
  slot: number;
  fn: number;
  config: PciConfigTarget;
  bar(index: number): BarHandler | undefined;
}

export class PciHost {
  private configAddress = 0;
  private readonly functions = new Map<number, PciSlotEntry>();

  constructor(
    private readonly io: IoSpace,
    private readonly mem: MemorySpace,
  ) {
    io.register(this, CONFIG_ADDRESS_PORT, 4, {
      // Only 32-bit accesses reach the address latch (QEMU pci_host_conf ops).
      read: (off, size) => (off === 0 && size === 4 ? this.configAddress : 0xffffffff),
      write: (off, size, v) => {
        if (off === 0 && size === 4) this.configAddress = v >>> 0;
      },
    });
    io.register(this, CONFIG_DATA_PORT, 4, {
      read: (off, size) => this.dataRead(off, size as 1 | 2 | 4),
      write: (off, size, v) => this.dataWrite(off, size as 1 | 2 | 4, v),
    });
  }

  static devfn(slot: number, fn: number): number {
    return (slot << 3) | fn;
  }

  /** Free slot numbers from `first`, in order. */
  freeSlot(first: number): number | undefined {
    for (let s = first; s < 32; s++) if (!this.functions.has(PciHost.devfn(s, 0))) return s;
    return undefined;
  }

  has(slot: number, fn: number): boolean {
    return this.functions.has(PciHost.devfn(slot, fn));
  }

  attach(entry: PciSlotEntry): void {
    const key = PciHost.devfn(entry.slot, entry.fn);
    if (this.functions.has(key)) throw new Error(`PCI slot ${entry.slot} function ${entry.fn} is in use`);
    this.functions.set(key, entry);
    entry.config.onMappingChange(() => this.remap(entry));
    this.remap(entry);
  }

  entries(): PciSlotEntry[] {
    return [...this.functions.values()];
  }

  /** Config-space access by bus/device/function (bus 0 only). */
  configRead(devfn: number, offset: number, size: 1 | 2 | 4): number {
    const e = this.functions.get(devfn);
    if (!e) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    return e.config.configRead(offset, size);
  }

  configWrite(devfn: number, offset: number, size: 1 | 2 | 4, value: number): void {
    this.functions.get(devfn)?.config.configWrite(offset, size, value);
  }

  /** Machine reset: the latch clears, every function returns to power-on values. */
  reset(): void {
    this.configAddress = 0;
    for (const e of this.functions.values()) {
      e.config.reset();
      this.remap(e);
    }
  }

  private target(): { devfn: number; reg: number } | undefined {
    const a = this.configAddress;
    if (!(a & 0x80000000)) return undefined;
    if (((a >>> 16) & 0xff) !== 0) return { devfn: -1, reg: 0 };
    return { devfn: (a >>> 8) & 0xff, reg: a & 0xfc };
  }

  private dataRead(off: number, size: 1 | 2 | 4): number {
    const t = this.target();
    const none = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    if (!t || t.devfn < 0) return none;
    const reg = t.reg + off;
    if (reg + size > t.reg + 4) return none;
    return this.configRead(t.devfn, reg, size);
  }

  private dataWrite(off: number, size: 1 | 2 | 4, value: number): void {
    const t = this.target();
    if (!t || t.devfn < 0) return;
    const reg = t.reg + off;
    if (reg + size > t.reg + 4) return;
    this.configWrite(t.devfn, reg, size, value);
  }

  private remap(e: PciSlotEntry): void {
    this.io.unregister(e);
    this.mem.unregister(e);
    for (const b of e.config.activeBars()) {
      const h = e.bar(b.index);
      if (!h) continue;
      if (b.kind === 'io') this.io.register(e, b.addr, b.size, h);
      else this.mem.register(e, b.addr, b.size, h);
    }
  }
}
