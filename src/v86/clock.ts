/**
 * Device time inside v86: a VirtualClock that follows v86's own clock.
 *
 * v86 has no virtual time: its PIT, RTC and APIC timers read `microtick()`
 * (performance.now() in ms) from `cpu.run_hardware_timers(acpi, now)`, which
 * the main loop calls between instruction batches and whose result (ms to the
 * next event) bounds how long the loop sleeps when the guest halts. The
 * adapter wraps that method on the CPU instance: each call advances our
 * clock to `now` (firing device timers there, inside the emulator's loop,
 * like v86's own timers) and shortens the sleep to our next deadline.
 *
 * A timer armed while the loop sleeps (a device register write that the
 * guest follows with HLT) would otherwise wait for the end of that sleep: a
 * host timeout at the earliest deadline calls `cpu.stop_idling()`, which
 * makes v86 run its loop (and so our hook) at once.
 *
 * While the emulator is stopped the clock does not move; afterwards it jumps
 * to the current time and fires what expired, as v86's own timers do.
 */
import { VirtualClock, type Timer, type TimerHost } from '../time/clock.js';
import type { V86Cpu } from './internals.js';
import { shadowMethod } from './shadow.js';

type HostTimeout = ReturnType<typeof setTimeout>;

export class V86Clock implements TimerHost {
  private readonly virtual = new VirtualClock();
  private originMs: number | undefined;
  private hostTimeout: HostTimeout | undefined;
  private hostDeadline = Infinity;
  private readonly original: V86Cpu['run_hardware_timers'];
  private undo: (() => void) | undefined;
  /** Calls of the hook (for tests and stats). */
  polls = 0;
  /** Host timeouts that woke the emulator for a device timer. */
  wakeups = 0;
  /** Exceptions thrown by device timer callbacks (our bugs): kept out of v86's loop, counted. */
  errors = 0;
  lastError: unknown;

  constructor(
    private readonly cpu: V86Cpu,
    private readonly isRunning: () => boolean,
    /** Called at every hook call, after the timers: an instruction boundary inside v86's loop. */
    private readonly safePoint: () => void = () => {},
  ) {
    this.original = cpu.run_hardware_timers;
  }

  /** Wrap `cpu.run_hardware_timers` (an own property shadowing the prototype's). */
  install(): void {
    if (this.undo) return;
    const original = this.original;
    const clock = this;
    this.undo = shadowMethod(this.cpu, 'run_hardware_timers', function (this: V86Cpu, acpiEnabled: boolean, now: number): number {
      const theirs = original.call(this, acpiEnabled, now);
      const ours = clock.poll(now);
      clock.safePoint();
      return ours < theirs ? ours : theirs;
    });
  }

  /** Put v86's own method back and stop the host timeout. */
  uninstall(): void {
    if (!this.undo) return;
    this.undo();
    this.undo = undefined;
    this.clearHostTimeout();
  }

  private get installed(): boolean {
    return this.undo !== undefined;
  }

  now(): number {
    return this.virtual.now();
  }

  timer(callback: () => void, name?: string): Timer {
    const inner = this.virtual.timer(callback, name);
    const clock = this;
    return {
      get armed(): boolean {
        return inner.armed;
      },
      get deadline(): number {
        return inner.deadline;
      },
      arm(deadlineNs: number): void {
        inner.arm(deadlineNs);
        clock.schedule();
      },
      armAfter(delayNs: number): void {
        inner.armAfter(delayNs);
        clock.schedule();
      },
      cancel(): void {
        inner.cancel();
      },
    };
  }

  /**
   * Advance to v86's time `nowMs` (performance.now() ms), firing expired
   * timers. Returns the ms until our next deadline (Infinity: none).
   */
  poll(nowMs: number): number {
    this.polls++;
    if (this.originMs === undefined) this.originMs = nowMs - this.virtual.now() / 1e6;
    const target = Math.round((nowMs - this.originMs) * 1e6);
    // An exception escaping into v86's main loop would stop the emulator for good.
    for (let guard = 0; target > this.virtual.now() && guard < 1000; guard++) {
      try {
        this.virtual.advanceTo(target);
      } catch (e) {
        this.errors++;
        this.lastError = e;
      }
    }
    const next = this.virtual.nextDeadline();
    if (next === null) return Infinity;
    return Math.max(0, (next - this.virtual.now()) / 1e6);
  }

  /** Make sure the emulator's loop runs by the earliest deadline. */
  private schedule(): void {
    const next = this.virtual.nextDeadline();
    if (next === null || this.originMs === undefined) return;
    const atMs = this.originMs + next / 1e6;
    if (this.hostTimeout !== undefined && this.hostDeadline <= atMs) return;
    this.clearHostTimeout();
    const delay = Math.max(0, atMs - nowMs());
    this.hostDeadline = atMs;
    const h = setTimeout(() => {
      this.hostTimeout = undefined;
      this.hostDeadline = Infinity;
      if (!this.installed || !this.isRunning()) return;
      this.wakeups++;
      // Runs the main loop now if it sleeps; when it is busy our hook runs soon anyway.
      // From then on the hook's return value bounds v86's sleep by our next deadline.
      this.cpu.stop_idling();
    }, delay);
    (h as { unref?: () => void }).unref?.();
    this.hostTimeout = h;
  }

  private clearHostTimeout(): void {
    if (this.hostTimeout !== undefined) clearTimeout(this.hostTimeout);
    this.hostTimeout = undefined;
    this.hostDeadline = Infinity;
  }
}

function nowMs(): number {
  return globalThis.performance.now();
}
