/**
 * Injected time. Devices never read a wall clock: they ask a `Clock` for the
 * current virtual time (ns) and arm `Timer`s on a `TimerHost`. Tests and the
 * qtest machine drive a `VirtualClock` by hand; an emulator adapter drives it
 * from the emulator's own notion of time.
 */
export interface Clock {
  /** Current time in nanoseconds (an integer, exact up to 2^53 ns ≈ 104 days). */
  now(): number;
}

export interface Timer {
  /** True while a deadline is pending. */
  readonly armed: boolean;
  /** The pending deadline (ns), or -1 when not armed. */
  readonly deadline: number;
  /** Arm (or re-arm) for an absolute deadline in ns. */
  arm(deadlineNs: number): void;
  /** Arm for `now() + delayNs`. */
  armAfter(delayNs: number): void;
  cancel(): void;
}

export interface TimerHost extends Clock {
  /** A new, unarmed timer; `callback` runs when virtual time reaches its deadline. */
  timer(callback: () => void, name?: string): Timer;
}

class VirtualTimer implements Timer {
  deadline = -1;
  /** Order of arming, so timers with equal deadlines fire first-armed first. */
  seq = 0;
  constructor(
    private readonly host: VirtualClock,
    readonly callback: () => void,
    readonly name: string,
  ) {}
  get armed(): boolean {
    return this.deadline >= 0;
  }
  arm(deadlineNs: number): void {
    this.host.arm(this, Math.max(Math.floor(deadlineNs), this.host.now()));
  }
  armAfter(delayNs: number): void {
    this.arm(this.host.now() + Math.max(0, delayNs));
  }
  cancel(): void {
    this.host.disarm(this);
  }
}

/**
 * A clock that moves only when told to. Timers fire in deadline order; while
 * a callback runs, `now()` equals its deadline, as with QEMU's virtual clock
 * under qtest.
 */
export class VirtualClock implements TimerHost {
  private current: number;
  private readonly pending = new Set<VirtualTimer>();
  private armSeq = 0;

  constructor(startNs = 0) {
    this.current = startNs;
  }

  now(): number {
    return this.current;
  }

  timer(callback: () => void, name = 'timer'): Timer {
    return new VirtualTimer(this, callback, name);
  }

  /** @internal */
  arm(t: VirtualTimer, deadline: number): void {
    t.deadline = deadline;
    t.seq = this.armSeq++;
    this.pending.add(t);
  }

  /** @internal */
  disarm(t: VirtualTimer): void {
    t.deadline = -1;
    this.pending.delete(t);
  }

  /** Earliest pending deadline, or null when no timer is armed. */
  nextDeadline(): number | null {
    const t = this.earliest();
    return t ? t.deadline : null;
  }

  /** Advance by `ns`, firing every timer that expires on the way. Returns the new time. */
  advance(ns: number): number {
    return this.advanceTo(this.current + Math.max(0, Math.floor(ns)));
  }

  /**
   * Advance to `target` (never backwards), firing expired timers in order.
   * Timers re-armed by callbacks for a deadline <= target fire in the same call;
   * a budget bounds a timer that keeps re-arming itself for "now".
   */
  advanceTo(target: number, budget = 1_000_000): number {
    let fired = 0;
    for (;;) {
      const t = this.earliest();
      if (!t || t.deadline > target || fired >= budget) break;
      this.current = Math.max(this.current, t.deadline);
      this.disarm(t);
      fired++;
      t.callback();
    }
    if (target > this.current) this.current = target;
    return this.current;
  }

  /** Advance to the next deadline and fire it (qtest's bare `clock_step`). Returns the new time. */
  step(): number {
    const d = this.nextDeadline();
    return d === null ? this.current : this.advanceTo(d);
  }

  private earliest(): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const t of this.pending) {
      if (!best || t.deadline < best.deadline || (t.deadline === best.deadline && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
