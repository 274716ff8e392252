import { LevelIrq } from '../../src/irq.js';
import { PciFunction, type CapabilitySpec, type CapWindow, type PciFunctionOptions } from '../../src/pci/index.js';

/** An e1000-like function: 8086:100e, BAR0 mem32 128 KiB, BAR1 I/O 64, 256 KiB ROM, INTA. */
export function e1000Like(extra: Partial<PciFunctionOptions> = {}): { fn: PciFunction; irq: LevelIrq; msgs: Array<[bigint, number]> } {
  const irq = new LevelIrq();
  const msgs: Array<[bigint, number]> = [];
  const fn = new PciFunction({
    vendorId: 0x8086,
    deviceId: 0x100e,
    revision: 0x03,
    classCode: 0x020000,
    subsystemVendorId: 0x8086,
    subsystemId: 0x001e,
    interruptPin: 1,
    bars: [{ kind: 'mem32', size: 0x20000 }, { kind: 'io', size: 64 }],
    romSize: 0x40000,
    irq,
    msiSink: (a, d) => msgs.push([a, d]),
    ...extra,
  });
  return { fn, irq, msgs };
}

/** A virtio 1.x PCI capability image (virtio 1.2 §4.1.4): cfg_type, bar, offset, length (+ extra bytes). */
export function virtioCap(cfgType: number, bar: number, offset: number, length: number, extra = 0): Uint8Array {
  const b = new Uint8Array(16 + extra);
  b[3] = cfgType;
  b[4] = bar;
  new DataView(b.buffer).setUint32(8, offset, true);
  new DataView(b.buffer).setUint32(12, length, true);
  return b;
}

/** Records PCI_CFG window accesses and answers reads with a fixed pattern. */
export class CfgWindowLog implements CapWindow {
  readonly start = 16;
  readonly length = 4;
  readonly reads: Array<{ offset: number; size: number; bar: number }> = [];
  readonly writes: Array<{ offset: number; size: number; value: number; bar: number }> = [];
  read(offset: number, size: 1 | 2 | 4, cap: Uint8Array): number {
    this.reads.push({ offset, size, bar: cap[4]! });
    return 0x44332211 >>> (8 * offset);
  }
  write(offset: number, size: 1 | 2 | 4, value: number, cap: Uint8Array): void {
    this.writes.push({ offset, size, value, bar: cap[4]! });
  }
}

/**
 * QEMU's virtio-net-pci layout: legacy I/O BAR0, MSI-X in BAR1, modern
 * registers in 64-bit prefetchable BAR4; vendor caps at 0x40..0x84, MSI-X at
 * 0x98, listed from 0x34 newest first as QEMU adds them.
 */
export function virtioNetLike(window = new CfgWindowLog()): { fn: PciFunction; window: CfgWindowLog; msgs: Array<[bigint, number]> } {
  const msgs: Array<[bigint, number]> = [];
  const cfgWmask = new Uint8Array(20);
  cfgWmask.fill(0xff, 4, 5); // bar
  cfgWmask.fill(0xff, 8, 16); // offset, length
  const notify = virtioCap(2, 4, 0x3000, 0x1000, 4);
  new DataView(notify.buffer).setUint32(16, 4, true); // notify_off_multiplier
  const caps: CapabilitySpec[] = [
    { kind: 'msix', offset: 0x98, vectors: 3, tableBar: 1, tableOffset: 0, pbaBar: 1, pbaOffset: 0x800 },
    { kind: 'vendor', offset: 0x84, bytes: virtioCap(5, 0, 0, 0, 4), wmask: cfgWmask, window },
    { kind: 'vendor', offset: 0x70, bytes: notify },
    { kind: 'vendor', offset: 0x60, bytes: virtioCap(4, 4, 0x2000, 0x1000) },
    { kind: 'vendor', offset: 0x50, bytes: virtioCap(3, 4, 0x1000, 0x1000) },
    { kind: 'vendor', offset: 0x40, bytes: virtioCap(1, 4, 0x0000, 0x1000) },
  ];
  const fn = new PciFunction({
    vendorId: 0x1af4,
    deviceId: 0x1000,
    classCode: 0x020000,
    subsystemVendorId: 0x1af4,
    subsystemId: 0x0001,
    interruptPin: 1,
    bars: [{ kind: 'io', size: 32 }, { kind: 'mem32', size: 0x1000 }, undefined, undefined, { kind: 'mem64', size: 0x4000, prefetchable: true }],
    capabilities: caps,
    msiSink: (a, d) => msgs.push([a, d]),
  });
  return { fn, window, msgs };
}

/** Walk the capability list from 0x34: [offset, id] pairs, bounded by 48 entries. */
export function walkCaps(fn: PciFunction): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let p = fn.configRead(0x34, 1) & 0xfc;
  for (let n = 0; p !== 0 && n < 48; n++) {
    out.push([p, fn.configRead(p, 1)]);
    p = fn.configRead(p + 1, 1) & 0xfc;
  }
  return out;
}
