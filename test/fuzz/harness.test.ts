import { describe, expect, it } from 'vitest';
import { type FuzzSubject, TESTDEV_SUBJECT, minimize, opStreamOps, replayOps, runFuzz } from '../../src/fuzz/index.js';
import { TestDevice } from '../../src/devices/testdev/device.js';
import type { DeviceContext } from '../../src/machine/device.js';

/** A test device with a planted bug, to show each invariant catches what it should. */
function buggy(kind: 'throw' | 'loop' | 'state'): FuzzSubject {
  return {
    ...TESTDEV_SUBJECT,
    name: `buggy-${kind}`,
    create: (ctx: DeviceContext) => {
      const d = new TestDevice(ctx, 'buggy');
      const origBar = d.bar.bind(d);
      const bar0 = origBar(0)!;
      let saved = 0;
      const handler = {
        impl: { min: 4 as const, max: 4 as const },
        read: (off: number, size: 1 | 2 | 4 | 8) => bar0.read(off, size),
        write: (off: number, size: 1 | 2 | 4 | 8, v: number) => {
          if (off === 0x04 && (v & 0xff) === 0x42) {
            if (kind === 'throw') throw new TypeError('planted bug');
            if (kind === 'loop') for (;;) ctx.memory.readU32(0x1000);
          }
          if (off === 0x04) saved = v;
          bar0.write(off, size, v);
        },
      };
      return Object.assign(d, {
        bar: (i: number) => (i === 0 ? handler : origBar(i)),
        saveState: () => ({ scratch: saved }),
        restoreState: (s: unknown) => {
          saved = kind === 'state' ? 0 : (s as { scratch: number }).scratch;
          return undefined;
        },
      });
    },
  };
}

describe('fuzz harness', () => {
  it('runs the test device for 50k operations with every invariant holding', () => {
    const r = runFuzz(TESTDEV_SUBJECT, { opSeed: 1, ops: 50_000 });
    expect(r.failure).toBeUndefined();
    expect(r.stats.ops).toBe(50_000);
    expect(r.stats.framesOut).toBeGreaterThan(0);
    expect(r.stats.accesses).toBeGreaterThan(0);
  });

  it('is reproducible per seed', () => {
    const a = opStreamOps(TESTDEV_SUBJECT, 9, 500);
    const b = opStreamOps(TESTDEV_SUBJECT, 9, 500);
    expect(b).toEqual(a);
    expect(opStreamOps(TESTDEV_SUBJECT, 10, 500)).not.toEqual(a);
  });

  it('catches an exception escaping a register write, and minimises the case', () => {
    const s = buggy('throw');
    const ops = [...opStreamOps(s, 3, 300), { op: 'write' as const, bar: 0, offset: 4, size: 4 as const, value: 0x42 }];
    const f = replayOps(s, ops);
    expect(f?.kind).toBe('exception');
    expect(f?.message).toMatch(/planted bug/);
    const small = minimize(s, ops, 'exception');
    expect(small).toEqual([{ op: 'write', bar: 0, offset: 4, size: 4, value: 0x42 }]);
  });

  it('catches unbounded work in one operation through the DMA budget', () => {
    const s = buggy('loop');
    const f = replayOps(s, [{ op: 'write', bar: 0, offset: 4, size: 4, value: 0x42 }], { budget: { accesses: 10_000, bytes: 1 << 20 } });
    expect(f?.kind).toBe('budget');
  });

  it('catches state that does not survive save and restore', () => {
    const s = buggy('state');
    const f = replayOps(s, [
      { op: 'write', bar: 0, offset: 4, size: 4, value: 7 },
      { op: 'save-restore' },
    ]);
    expect(f?.kind).toBe('state');
  });
});
