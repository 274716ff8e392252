/**
 * PCI identity and layout against QEMU 7.2 (values from the rig's traces):
 * transitional 1af4:1000 rev 0 subsystem 1, modern 1af4:1041 rev 1
 * subsystem 0x1100, BAR0 I/O 32 B, BAR1 MSI-X 4 KiB, BAR4 mem64 prefetchable
 * 16 KiB, vendor caps 0x40..0x84 and MSI-X at 0x98 listed newest first.
 */
import { describe, expect, it } from 'vitest';
import { RegionMemory } from '../../../src/dma/memory.js';
import { LevelIrq } from '../../../src/irq.js';
import type { DeviceContext } from '../../../src/machine/device.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { SeededRandom } from '../../../src/time/random.js';
import { createVirtioNet, offeredFeatures, resolveOptions, type VirtioNetOptions } from '../../../src/devices/virtio-net/index.js';
import { NIC_MODELS, findNicModel } from '../../../src/devices/models.js';
import { parseDeviceOrThrow } from '../../../src/config/index.js';
import type { DeviceOptions } from '../../../src/config/index.js';

function ctx(): DeviceContext {
  return { memory: RegionMemory.ofSize(1 << 20), clock: new VirtualClock(), random: new SeededRandom(3), intx: new LevelIrq(), msi: () => {} };
}
function make(o: Partial<VirtioNetOptions> = {}, dev?: string) {
  const options = dev ? (parseDeviceOrThrow(dev) as DeviceOptions) : undefined;
  return createVirtioNet(ctx(), { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56), name: 'v', ...(options ? { options } : {}) }, o);
}
function caps(fn: { configRead(o: number, s: 1 | 2 | 4): number }): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let p = fn.configRead(0x34, 1), n = 0; p !== 0 && n < 48; p = fn.configRead(p + 1, 1), n++) out.push([p, fn.configRead(p, 1)]);
  return out;
}
function probe(fn: { configRead(o: number, s: 1 | 2 | 4): number; configWrite(o: number, s: 1 | 2 | 4, v: number): void }, bar: number): number {
  const off = 0x10 + 4 * bar;
  const old = fn.configRead(off, 4);
  fn.configWrite(off, 4, 0xffffffff);
  const v = fn.configRead(off, 4);
  fn.configWrite(off, 4, old);
  return v >>> 0;
}

describe('virtio-net-pci identity (QEMU 7.2 layout)', () => {
  it('is registered as a NIC model', () => {
    expect(NIC_MODELS.map((m) => m.driver)).toContain('virtio-net-pci');
    expect(findNicModel('virtio-net-pci')?.create).toBeTypeOf('function');
  });

  it('transitional (default): 1af4:1000 rev 0, subsystem 1af4:0001, class 0x020000, INTA', () => {
    const p = make().pci;
    expect(p.configRead(0, 4)).toBe(0x10001af4);
    expect(p.configRead(0x08, 4)).toBe(0x02000000);
    expect(p.configRead(0x2c, 4)).toBe(0x00011af4);
    expect(p.configRead(0x06, 2)).toBe(0x0010);
    expect(p.configRead(0x3d, 1)).toBe(1);
    expect(caps(p)).toEqual([[0x98, 0x11], [0x84, 0x09], [0x70, 0x09], [0x60, 0x09], [0x50, 0x09], [0x40, 0x09]]);
    expect([0, 1, 2, 3, 4, 5].map((b) => probe(p, b))).toEqual([0xffffffe1, 0xfffff000, 0, 0, 0xffffc00c, 0xffffffff]);
  });

  it('modern only (disable-legacy=on): 1af4:1041 rev 1, subsystem 0x1100, no I/O BAR', () => {
    const p = make({}, 'virtio-net-pci,disable-legacy=on').pci;
    expect(p.configRead(0, 4)).toBe(0x10411af4);
    expect(p.configRead(0x08, 1)).toBe(1);
    expect(p.configRead(0x2c, 4)).toBe(0x11001af4);
    expect(probe(p, 0)).toBe(0);
  });

  it('legacy only (disable-modern=on): no modern BAR or vendor capabilities, MSI-X at 0x40', () => {
    const p = make({}, 'virtio-net-pci,disable-modern=on').pci;
    expect(p.configRead(0, 4)).toBe(0x10001af4);
    expect(caps(p)).toEqual([[0x40, 0x11]]);
    expect(probe(p, 4)).toBe(0);
    expect(offeredFeatures(resolveOptions(parseDeviceOrThrow('virtio-net-pci,disable-modern=on') as DeviceOptions)) >> 32n).toBe(0n);
  });

  it('vectors=0: no MSI-X capability or BAR', () => {
    const p = make({}, 'virtio-net-pci,vectors=0').pci;
    expect(caps(p).map(([, id]) => id)).not.toContain(0x11);
    expect(probe(p, 1)).toBe(0);
    // Without MSI-X the legacy header is 20 bytes: 20 + 8 config bytes still fit 32.
    expect(probe(p, 0)).toBe(0xffffffe1);
  });

  it('MSI-X table size: 2 vectors per queue pair + config + control (4 by default, 10 with 4 pairs)', () => {
    expect(make().pci.configRead(0x98 + 2, 2) & 0x7ff).toBe(3);
    expect(make({ mq: true, queuePairs: 4 }).pci.configRead(0x98 + 2, 2) & 0x7ff).toBe(9);
  });

  it('a bigger config space (MQ, MTU, SPEED_DUPLEX) grows the legacy BAR to 64 bytes', () => {
    const d = make({ mq: true, hostMtu: 9000, speed: 10000, duplex: 'full' });
    expect(d.configSize()).toBe(17);
    expect(probe(d.pci, 0)).toBe(0xffffffc1);
  });

  it('MTU and SPEED_DUPLEX: offered when configured, in the config space (§5.1.4)', () => {
    const d = make({ hostMtu: 9000, speed: 10000, duplex: 'full' });
    const f = d.offeredFeatures();
    expect((f >> 3n) & 1n).toBe(1n);
    expect((f >> 63n) & 1n).toBe(1n);
    expect(d.transport.configRead(10, 2)).toBe(9000);
    expect(d.transport.configRead(12, 4)).toBe(10000);
    expect(d.transport.configRead(16, 1)).toBe(1);
    const plain = make();
    expect((plain.offeredFeatures() >> 63n) & 1n).toBe(0n);
    // Past the end of the config space: all ones (QEMU virtio_config_readb).
    expect(plain.transport.configRead(8, 2)).toBe(0xffff);
    const unknown = make({ speed: -1, duplex: undefined, mq: true });
    expect(unknown.transport.configRead(8, 2)).toBe(1);
  });

  it('features: QEMU 7.2 plus the offloads it hides behind a socket backend', () => {
    const f = offeredFeatures(resolveOptions(undefined));
    expect(Number(f & 0xffffffffn) >>> 0).toBe(0x79bfffe7);
    // modern view: no GSO/NOTIFY_ON_EMPTY/ANY_LAYOUT/BAD_FEATURE, VERSION_1 and RING_RESET
    const d = make({}, 'virtio-net-pci,disable-legacy=on');
    expect(d.core.deviceFeatureWord(0)).toBe(0x30bfffa7);
    expect(d.core.deviceFeatureWord(1)).toBe(0x101);
  });

  it('switching off CTRL_VQ also stops offering the features that need it', () => {
    const f = offeredFeatures(resolveOptions(parseDeviceOrThrow('virtio-net-pci,ctrl_vq=off') as DeviceOptions));
    for (const b of [17, 18, 19, 20, 21, 22, 23, 2]) expect((f >> BigInt(b)) & 1n).toBe(0n);
  });

  it('refuses property combinations QEMU refuses, and properties it does not implement', () => {
    expect(() => make({ legacy: false, modern: false })).toThrow(/neither modern nor legacy/);
    expect(() => make({}, 'virtio-net-pci,hash=on')).toThrow(/not supported/);
    expect(() => make({ queuePairs: 2 })).toThrow(/mq=on/);
  });
});
