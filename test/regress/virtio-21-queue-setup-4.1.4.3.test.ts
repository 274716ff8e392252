/**
 * bad-input.md item 21 — virtio 1.2 §2.6/§2.7 (sizes, alignment) and
 * §4.1.4.3.2 (queue_enable): a queue size of 0, not a power of 2 (split),
 * or above the maximum; misaligned descriptor/driver/device areas; rings
 * outside RAM; enabling before FEATURES_OK — activation is refused
 * (queue_enable reads back 0) and counted. Notifying a queue that is not
 * ready does nothing. A naive device takes any size and address and later
 * indexes out of range.
 */
import { describe, expect, it } from 'vitest';
import { COMMON, LEGACY } from '../../src/virtio/pci/regs.js';
import { combo, counted, LEGACY_PLAIN, MODERN, RAM_END, STATUS } from './virtio-helpers.js';

type Setup = { size?: number; desc?: number; driver?: number; device?: number };

function tryEnable(packed: boolean, s: Setup): { enabled: number; refused: number; calls: number } {
  const { d, mem } = counted({ combo: packed ? combo('modern packed') : MODERN, noInit: true });
  expect(d.negotiate() & STATUS.FEATURES_OK).toBe(STATUS.FEATURES_OK);
  const base = d.alloc.take(0x10000, 4096);
  d.wr(COMMON.Q_SELECT, 2, 0);
  if (s.size !== undefined) d.wr(COMMON.Q_SIZE, 2, s.size);
  d.wr(COMMON.Q_DESCLO, 4, s.desc ?? base);
  d.wr(COMMON.Q_AVAILLO, 4, s.driver ?? base + 0x1000);
  d.wr(COMMON.Q_USEDLO, 4, s.device ?? base + 0x2000);
  d.wr(COMMON.Q_ENABLE, 2, 1);
  const calls = mem.calls;
  return { enabled: d.rd(COMMON.Q_ENABLE, 2), refused: d.counters()['queueSetupRefused']!, calls };
}

describe('virtio 1.2 §4.1.4.3: queue setup is validated before the queue goes live', () => {
  const bad: Array<[string, boolean, Setup]> = [
    ['size 0', false, { size: 0 }],
    ['size not a power of 2 (split)', false, { size: 100 }],
    ['size above the maximum', false, { size: 512 }],
    ['size above the maximum (packed)', true, { size: 257 }],
    ['descriptor table misaligned (16)', false, { desc: 0x100008 }],
    ['available ring misaligned (2)', false, { driver: 0x101001 }],
    ['used ring misaligned (4)', false, { device: 0x102002 }],
    ['packed driver area misaligned (4)', true, { driver: 0x101002 }],
    ['descriptor table outside RAM', false, { desc: RAM_END }],
    ['used ring straddling the end of RAM', false, { device: RAM_END - 0x100 }],
  ];
  for (const [name, packed, setup] of bad) {
    it(`${name}: refused`, () => {
      const r = tryEnable(packed, setup);
      expect(r.enabled).toBe(0);
      expect(r.refused).toBe(1);
    });
  }

  it('a packed ring of 100 entries (no power of 2 needed, §2.8) is accepted', () => {
    expect(tryEnable(true, { size: 100 }).enabled).toBe(1);
  });

  it('queue_enable before FEATURES_OK is refused', () => {
    const { d } = counted({ combo: MODERN, noInit: true });
    d.status = STATUS.ACKNOWLEDGE;
    d.status = STATUS.ACKNOWLEDGE | STATUS.DRIVER;
    const base = d.alloc.take(0x4000, 4096);
    d.wr(COMMON.Q_SELECT, 2, 1);
    d.wr(COMMON.Q_DESCLO, 4, base);
    d.wr(COMMON.Q_AVAILLO, 4, base + 0x1000);
    d.wr(COMMON.Q_USEDLO, 4, base + 0x2000);
    d.wr(COMMON.Q_ENABLE, 2, 1);
    expect(d.rd(COMMON.Q_ENABLE, 2)).toBe(0);
  });

  it('writing 0 to queue_enable does not disable a live queue (use queue_reset)', () => {
    const { d } = counted({ combo: MODERN });
    d.wr(COMMON.Q_SELECT, 2, 1);
    d.wr(COMMON.Q_ENABLE, 2, 0);
    expect(d.rd(COMMON.Q_ENABLE, 2)).toBe(1);
    expect(d.counters()['queueWritesIgnored']).toBe(1);
  });

  it('queue registers do not change while the queue is enabled', () => {
    const { d } = counted({ combo: MODERN });
    d.wr(COMMON.Q_SELECT, 2, 1);
    const lo = d.rd(COMMON.Q_DESCLO, 4);
    d.wr(COMMON.Q_DESCLO, 4, 0x10);
    d.wr(COMMON.Q_SIZE, 2, 2);
    expect(d.rd(COMMON.Q_DESCLO, 4)).toBe(lo);
    expect(d.rd(COMMON.Q_SIZE, 2)).toBe(256);
  });

  it('a notification for a queue that is not ready, or does not exist, does nothing', () => {
    const { d, mem } = counted({ combo: MODERN, noInit: true });
    d.negotiate();
    const before = mem.calls;
    d.kick(1);
    d.wr(0x3000 + 4 * 500, 2, 500);
    expect(mem.calls).toBe(before);
    expect(d.counters()['notifyNotReady']).toBe(1);
    expect(d.counters()['notifyBadQueue']).toBe(1);
  });

  it('legacy QUEUE_PFN pointing outside RAM is refused (PFN reads back as written, the queue is not live)', () => {
    const { d } = counted({ combo: LEGACY_PLAIN, noInit: true });
    d.negotiate();
    d.wr(LEGACY.QUEUE_SEL, 2, 0);
    d.wr(LEGACY.QUEUE_PFN, 4, RAM_END / 4096);
    expect(d.counters()['queueSetupRefused']).toBe(1);
    expect(d.dev.core.queue(0)!.enabled).toBe(false);
  });
});
