/**
 * A small PC for NIC tests, shaped like QEMU's `pc` machine under qtest: RAM
 * at 0, the i440FX host bridge at 00:00.0 with configuration mechanism #1,
 * the PIIX3 at 00:01.0 (PIRQ routing at config 0x60..0x63, reset control at
 * port 0xcf9), PIIX3 IDE and ACPI functions (identity only) at 00:01.1 and
 * 00:01.3, and devices from slot 2 on. INTx goes through the PIRQ routes to
 * ISA IRQ numbers; qtest intercepts those inputs as QEMU's IOAPIC inputs.
 */
import { type GuestMemory, RegionMemory } from '../dma/memory.js';
import { PciFunction } from '../pci/index.js';
import type { IrqLine } from '../irq.js';
import { VirtualClock } from '../time/clock.js';
import { CryptoRandom, type RandomSource } from '../time/random.js';
import { IoSpace, MemorySpace } from './bus.js';
import type { DeviceContext, PciConfigTarget, PciDevice } from './device.js';
import { IrqRouter } from './irq-router.js';
import { PciHost } from './pci-host.js';
import type { QtestTarget } from './qtest.js';

export const RESET_CONTROL_PORT = 0xcf9;
const PIIX3_PIRQ_ROUTE = 0x60;
/** Device number the first -device gets, as on QEMU's pc with -nodefaults. */
export const FIRST_DEVICE_SLOT = 2;

export interface PcMachineOptions {
  /** RAM size in bytes (default 64 MiB). */
  ramSize?: number;
  clock?: VirtualClock;
  random?: RandomSource;
  /** `-machine none`: no chipset, no PCI (RAM only). */
  bare?: boolean;
  /**
   * The guest memory devices get for DMA (default: the RAM itself). Lets a
   * fuzzer or tracer interpose on every device access to RAM.
   */
  deviceMemory?: (ram: GuestMemory) => GuestMemory;
}

export type DeviceFactory<D extends PciDevice = PciDevice> = (ctx: DeviceContext) => D;

/** The PIIX3's config space: a plain function plus the PIRQ route bytes owned by the router. */
class Piix3Config implements PciConfigTarget {
  constructor(
    private readonly fn: PciFunction,
    private readonly router: IrqRouter,
  ) {}
  configRead(offset: number, size: 1 | 2 | 4): number {
    if (offset + size <= PIIX3_PIRQ_ROUTE || offset >= PIIX3_PIRQ_ROUTE + 4) return this.fn.configRead(offset, size);
    let v = 0;
    for (let i = 0; i < size; i++) {
      const o = offset + i;
      const b = o >= PIIX3_PIRQ_ROUTE && o < PIIX3_PIRQ_ROUTE + 4 ? this.router.routes[o - PIIX3_PIRQ_ROUTE]! : this.fn.configRead(o, 1);
      v |= b << (8 * i);
    }
    return v >>> 0;
  }
  configWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    for (let i = 0; i < size; i++) {
      const o = offset + i;
      const b = (value >>> (8 * i)) & 0xff;
      if (o >= PIIX3_PIRQ_ROUTE && o < PIIX3_PIRQ_ROUTE + 4) this.router.writeRoute(o - PIIX3_PIRQ_ROUTE, b);
      else this.fn.configWrite(o, 1, b);
    }
  }
  activeBars(): [] {
    return [];
  }
  onMappingChange(): void {}
  reset(): void {
    this.fn.reset();
    this.router.resetRoutes();
  }
}

export interface AttachedDevice<D extends PciDevice = PciDevice> {
  device: D;
  slot: number;
  fn: number;
}

export class PcMachine implements QtestTarget {
  readonly clock: VirtualClock;
  readonly random: RandomSource;
  readonly ram: RegionMemory;
  readonly io = new IoSpace();
  readonly mem: MemorySpace;
  readonly router = new IrqRouter();
  readonly pci: PciHost | undefined;
  readonly devices: AttachedDevice[] = [];
  /** What devices use for DMA. */
  readonly dma: GuestMemory;
  private readonly resetHooks: Array<() => void> = [];
  resets = 0;

  constructor(opts: PcMachineOptions = {}) {
    this.clock = opts.clock ?? new VirtualClock();
    this.random = opts.random ?? new CryptoRandom();
    this.ram = RegionMemory.ofSize(opts.ramSize ?? 64 * 1024 * 1024);
    this.mem = new MemorySpace(this.ram);
    this.dma = opts.deviceMemory ? opts.deviceMemory(this.ram) : this.ram;
    if (opts.bare) return;
    this.pci = new PciHost(this.io, this.mem);
    const host = new PciFunction({ vendorId: 0x8086, deviceId: 0x1237, revision: 0x02, classCode: 0x060000 });
    this.pci.attach({ slot: 0, fn: 0, config: host, bar: () => undefined });
    const isa = new PciFunction({ vendorId: 0x8086, deviceId: 0x7000, classCode: 0x060100, multiFunction: true });
    this.pci.attach({ slot: 1, fn: 0, config: new Piix3Config(isa, this.router), bar: () => undefined });
    const ide = new PciFunction({ vendorId: 0x8086, deviceId: 0x7010, classCode: 0x010180 });
    this.pci.attach({ slot: 1, fn: 1, config: ide, bar: () => undefined });
    const acpi = new PciFunction({ vendorId: 0x8086, deviceId: 0x7113, revision: 0x03, classCode: 0x068000, interruptPin: 1 });
    this.pci.attach({ slot: 1, fn: 3, config: acpi, bar: () => undefined });
    this.io.register(this, RESET_CONTROL_PORT, 1, {
      read: () => this.resetControl,
      write: (_off, _size, v) => {
        // PIIX3 RCR: bit 2 starts the reset, bit 1 (SYS_RST) is kept.
        this.resetControl = v & 0x02;
        if (v & 0x04) this.reset();
      },
    });
  }

  private resetControl = 0;

  /** Place a PCI device: `slot` as given (or the next free one from 2), function 0 unless given. */
  addPciDevice<D extends PciDevice>(factory: DeviceFactory<D>, where: { slot?: number; fn?: number } = {}): AttachedDevice<D> {
    const pci = this.pci;
    if (!pci) throw new Error('this machine has no PCI bus (-machine none)');
    const fn = where.fn ?? 0;
    const slot = where.slot ?? pci.freeSlot(FIRST_DEVICE_SLOT);
    if (slot === undefined) throw new Error('no free PCI slot');
    if (slot < 0 || slot > 31 || fn < 0 || fn > 7) throw new Error(`PCI address ${slot}.${fn} is out of range`);
    if (pci.has(slot, fn)) throw new Error(`PCI: slot ${slot} function ${fn} not available for device, in use by another device`);
    const intxFor = (pin: number): IrqLine => this.router.intxLine(slot, fn, pin);
    const ctx: DeviceContext = {
      memory: this.dma,
      clock: this.clock,
      random: this.random,
      intx: intxFor(1),
      // The pc machine has no MSI target modelled: writes go nowhere, as with no APIC listening.
      msi: () => {},
    };
    const device = factory(ctx);
    pci.attach({ slot, fn, config: device.pci, bar: (i) => device.bar(i) });
    const attached = { device, slot, fn };
    this.devices.push(attached);
    return attached;
  }

  onReset(fn: () => void): void {
    this.resetHooks.push(fn);
  }

  /**
   * System reset (port 0xcf9, QMP system_reset): chipset first (routes
   * disabled, so interrupt inputs keep their level), then every PCI function
   * and device. RAM and the clock are kept.
   */
  reset(): void {
    this.resets++;
    this.resetControl = 0;
    this.router.resetRoutes();
    this.pci?.reset();
    for (const d of this.devices) d.device.reset();
    this.router.resetSources();
    for (const h of this.resetHooks) h();
  }

  interceptIrq(path: string, report: (line: number, level: boolean) => void): 'ok' | 'unknown-device' | 'already-other' {
    if (!this.pci) return 'unknown-device';
    if (path !== 'ioapic' && path !== '/machine/ioapic' && path !== '/machine/i440fx/ioapic') return 'unknown-device';
    this.router.setListener(report);
    return 'ok';
  }
}
