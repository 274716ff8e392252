import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/clock.js';
import { SeededRandom } from '../../src/time/random.js';

describe('VirtualClock', () => {
  it('fires timers in deadline order with now() at each deadline', () => {
    const c = new VirtualClock();
    const seen: Array<[string, number]> = [];
    const a = c.timer(() => seen.push(['a', c.now()]));
    const b = c.timer(() => seen.push(['b', c.now()]));
    b.arm(300);
    a.arm(100);
    expect(c.nextDeadline()).toBe(100);
    expect(c.advance(250)).toBe(250);
    expect(seen).toEqual([['a', 100]]);
    expect(c.advance(100)).toBe(350);
    expect(seen).toEqual([['a', 100], ['b', 300]]);
    expect(c.nextDeadline()).toBeNull();
  });

  it('step() jumps to the next deadline, or stays when nothing is armed', () => {
    const c = new VirtualClock(1000);
    let fired = 0;
    const t = c.timer(() => fired++);
    expect(c.step()).toBe(1000);
    t.armAfter(500);
    expect(c.step()).toBe(1500);
    expect(fired).toBe(1);
  });

  it('re-arming and cancelling work, and a periodic timer re-arms from its callback', () => {
    const c = new VirtualClock();
    let ticks = 0;
    const t = c.timer(() => {
      ticks++;
      t.armAfter(10);
    });
    t.arm(10);
    c.advance(55);
    expect(ticks).toBe(5);
    t.cancel();
    c.advance(100);
    expect(ticks).toBe(5);
    expect(t.armed).toBe(false);
    expect(t.deadline).toBe(-1);
  });

  it('equal deadlines fire in arming order; past deadlines fire at once', () => {
    const c = new VirtualClock(100);
    const order: string[] = [];
    const x = c.timer(() => order.push('x'));
    const y = c.timer(() => order.push('y'));
    y.arm(200);
    x.arm(200);
    const z = c.timer(() => order.push('z'));
    z.arm(50); // in the past: clamped to now
    expect(z.deadline).toBe(100);
    c.advance(100);
    expect(order).toEqual(['z', 'y', 'x']);
  });

  it('a timer that re-arms for "now" forever is bounded by the budget', () => {
    const c = new VirtualClock();
    let n = 0;
    const t = c.timer(() => {
      n++;
      t.arm(c.now());
    });
    t.arm(0);
    c.advanceTo(10, 1000);
    expect(n).toBe(1000);
  });

  it('never goes backwards', () => {
    const c = new VirtualClock(500);
    expect(c.advanceTo(100)).toBe(500);
  });
});

describe('SeededRandom', () => {
  it('is deterministic per seed and spreads values', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a.nextU32());
    expect(Array.from({ length: 1000 }, () => b.nextU32())).toEqual(xs);
    expect(c.nextU32()).not.toBe(xs[0]);
    expect(new Set(xs).size).toBeGreaterThan(990);
    const high = xs.filter((x) => x >= 0x80000000).length;
    expect(high).toBeGreaterThan(400);
    expect(high).toBeLessThan(600);
  });
});
