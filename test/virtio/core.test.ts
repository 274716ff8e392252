/**
 * The virtio core and PCI transport are device-independent: a tiny entropy
 * device (virtio 1.2 §5.4, one request queue, no configuration) built on
 * them here, plus feature negotiation rules (§2.2, §3.1.1).
 */
import { describe, expect, it } from 'vitest';
import { RegionMemory } from '../../src/dma/memory.js';
import { LevelIrq } from '../../src/irq.js';
import type { DeviceContext } from '../../src/machine/device.js';
import { VirtualClock } from '../../src/time/clock.js';
import { SeededRandom } from '../../src/time/random.js';
import { Chain, Pop } from '../../src/virtio/queue/chain.js';
import { bit, featureSet, VIRTIO_F } from '../../src/virtio/features.js';
import type { VirtioDeviceModel } from '../../src/virtio/device.js';
import { VirtioPciTransport } from '../../src/virtio/pci/transport.js';
import { COMMON } from '../../src/virtio/pci/regs.js';
import { STATUS } from '../../src/virtio/status.js';

/** virtio-rng: fills every device-writable buffer with bytes from the random source. */
class Entropy implements VirtioDeviceModel {
  readonly deviceType = 4;
  readonly queueMaxSizes = [64];
  readonly legacyOnlyFeatures = 0n;
  readonly featureDependencies = [{ feature: 31, needs: [30] }];
  transport!: VirtioPciTransport;
  private readonly chain = new Chain();
  resets = 0;
  constructor(private readonly random: SeededRandom) {}
  offeredFeatures(): bigint {
    return featureSet([VIRTIO_F.VERSION_1, VIRTIO_F.EVENT_IDX, VIRTIO_F.INDIRECT_DESC]);
  }
  configSize(): number {
    return 0;
  }
  configReadByte(): number {
    return 0xff;
  }
  configWriteByte(): void {}
  featuresChanged(): void {}
  driverOk(): void {}
  deviceReset(): void {
    this.resets++;
  }
  queueNotify(q: number): void {
    const core = this.transport.core;
    for (let p = core.pop(q, this.chain); p !== Pop.Empty; p = core.pop(q, this.chain)) {
      if (p === Pop.Ok) {
        const bytes = new Uint8Array(this.chain.writableBytes);
        for (let i = 0; i < bytes.length; i++) bytes[i] = this.random.nextU32() & 0xff;
        core.push(q, this.chain, this.chain.write(core.mem, 0, bytes));
      } else core.push(q, this.chain, 0);
    }
    core.publish(q);
  }
}

function rig(): { t: VirtioPciTransport; m: Entropy; mem: RegionMemory; irq: LevelIrq } {
  const mem = RegionMemory.ofSize(1 << 20);
  const irq = new LevelIrq();
  const ctx: DeviceContext = { memory: mem, clock: new VirtualClock(), random: new SeededRandom(1), intx: irq, msi: () => {} };
  const m = new Entropy(new SeededRandom(9));
  const t = new VirtioPciTransport(ctx, m, { legacy: false, modern: true, vectors: 0, classCode: 0xff0000 });
  m.transport = t;
  t.pci.configWrite(4, 2, 6);
  return { t, m, mem, irq };
}

describe('virtio core with another device type', () => {
  it('a modern entropy device: 1af4:1044, one queue, buffers filled, INTx', () => {
    const { t, m, mem, irq } = rig();
    expect(t.pci.configRead(0, 4)).toBe(0x10441af4);
    const bar = t.bar(4)!;
    bar.write(COMMON.STATUS, 1, 1);
    bar.write(COMMON.STATUS, 1, 3);
    bar.write(COMMON.GFSELECT, 4, 1);
    bar.write(COMMON.GF, 4, 1);
    bar.write(COMMON.STATUS, 1, 0xb);
    expect(bar.read(COMMON.STATUS, 1)).toBe(0xb);
    expect(bar.read(COMMON.NUMQ, 2)).toBe(1);
    bar.write(COMMON.Q_SELECT, 2, 0);
    bar.write(COMMON.Q_SIZE, 2, 8);
    bar.write(COMMON.Q_DESCLO, 4, 0x1000);
    bar.write(COMMON.Q_AVAILLO, 4, 0x2000);
    bar.write(COMMON.Q_USEDLO, 4, 0x3000);
    bar.write(COMMON.Q_ENABLE, 2, 1);
    bar.write(COMMON.STATUS, 1, 0xf);
    mem.writeU32(0x1000, 0x8000);
    mem.writeU32(0x1008, 32);
    mem.writeU16(0x100c, 2);
    mem.writeU16(0x2004, 0);
    mem.writeU16(0x2002, 1);
    bar.write(0x3000, 2, 0);
    expect(mem.readU16(0x3002)).toBe(1);
    expect(mem.readU32(0x3008)).toBe(32);
    expect(irq.level).toBe(true);
    expect(bar.read(0x1000, 1)).toBe(1);
    bar.write(COMMON.STATUS, 1, 0);
    expect(m.resets).toBe(1);
    expect(bar.read(COMMON.Q_ENABLE, 2)).toBe(0);
  });

  it('FEATURES_OK is refused for bits not offered, without VERSION_1, or with a broken dependency', () => {
    const { t } = rig();
    const bar = t.bar(4)!;
    const attempt = (lo: number, hi: number): number => {
      bar.write(COMMON.STATUS, 1, 0);
      bar.write(COMMON.STATUS, 1, 1);
      bar.write(COMMON.STATUS, 1, 3);
      bar.write(COMMON.GFSELECT, 4, 0);
      bar.write(COMMON.GF, 4, lo);
      bar.write(COMMON.GFSELECT, 4, 1);
      bar.write(COMMON.GF, 4, hi);
      bar.write(COMMON.STATUS, 1, 0xb);
      return bar.read(COMMON.STATUS, 1);
    };
    expect(attempt(1 << 5, 1)).toBe(3);
    expect(attempt(0, 0)).toBe(3);
    expect(attempt(1 << VIRTIO_F.EVENT_IDX, 1)).toBe(0xb);
    expect(t.core.counters.featuresRefused).toBe(2);
    expect(t.core.negotiated).toBe(bit(VIRTIO_F.EVENT_IDX) | bit(VIRTIO_F.VERSION_1));
    // After FEATURES_OK the driver's feature words are fixed.
    bar.write(COMMON.GFSELECT, 4, 0);
    bar.write(COMMON.GF, 4, 0);
    expect(bar.read(COMMON.GF, 4)).toBe(1 << VIRTIO_F.EVENT_IDX);
    expect(STATUS.FEATURES_OK).toBe(8);
  });

  it('register reads at non-field offsets: 0 (modern common), all ones (legacy header)', () => {
    const { t } = rig();
    expect(t.bar(4)!.read(COMMON.DF + 2, 2)).toBe(0);
    expect(t.bar(0)).toBeUndefined();
  });
});
