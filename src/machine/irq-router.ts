/**
 * PCI INTx routing of a PIIX3-based PC: pin P of slot S drives PIRQ
 * ((P-1) + (S-1)) & 3 (slot 2 INTA -> PIRQB), and the PIIX3's route registers
 * (config 0x60..0x63, bit 7 = disabled) steer each PIRQ to an ISA IRQ. Lines
 * are wired-OR: an ISA IRQ is high while any PIRQ routed to it is high.
 *
 * The interrupt controller input keeps its last level when routing is
 * disabled (as on QEMU's pc machine after a reset); rewriting a route
 * recomputes it.
 */
import type { IrqLine } from '../irq.js';

export const PIRQ_COUNT = 4;
export const ISA_IRQ_COUNT = 16;
export const PIRQ_DISABLED = 0x80;

export class IrqRouter {
  /** PIIX3 PIRQ route registers. */
  readonly routes = new Uint8Array(PIRQ_COUNT).fill(PIRQ_DISABLED);
  /** Asserted INTx sources per PIRQ (device key -> level). */
  private readonly sources: Array<Set<string>> = Array.from({ length: PIRQ_COUNT }, () => new Set());
  /** Level of each interrupt-controller input as last driven. */
  readonly inputLevels = new Array<boolean>(ISA_IRQ_COUNT).fill(false);
  private listener: ((line: number, level: boolean) => void) | undefined;

  /** Receive every change of an interrupt-controller input (qtest's irq_intercept_in). */
  setListener(fn: ((line: number, level: boolean) => void) | undefined): void {
    this.listener = fn;
  }

  static pirqOf(slot: number, pin: number): number {
    return (pin - 1 + slot - 1) & 3;
  }

  /** An IrqLine for INTx `pin` (1..4) of the device in `slot`. */
  intxLine(slot: number, fn: number, pin: number): IrqLine {
    const pirq = IrqRouter.pirqOf(slot, pin);
    const key = `${slot}.${fn}.${pin}`;
    return {
      set: (level: boolean) => {
        const s = this.sources[pirq]!;
        const before = s.size > 0;
        if (level) s.add(key);
        else s.delete(key);
        if (before !== s.size > 0) this.pirqChanged(pirq);
      },
    };
  }

  /** ISA IRQ currently routed from a PIRQ, or undefined when disabled. */
  routeOf(pirq: number): number | undefined {
    const r = this.routes[pirq]!;
    return r & PIRQ_DISABLED || r >= ISA_IRQ_COUNT ? undefined : r;
  }

  /** PIIX3 config write to 0x60..0x63: store, then recompute every routed input. */
  writeRoute(pirq: number, value: number): void {
    this.routes[pirq] = value & 0xff;
    for (let p = 0; p < PIRQ_COUNT; p++) this.pirqChanged(p);
  }

  /** PIIX3 reset: routes disabled; inputs keep their level until rerouted. */
  resetRoutes(): void {
    this.routes.fill(PIRQ_DISABLED);
  }

  /** Forget every asserted source (PCI bus reset). Does not drive the inputs. */
  resetSources(): void {
    for (const s of this.sources) s.clear();
  }

  private pirqChanged(pirq: number): void {
    const irq = this.routeOf(pirq);
    if (irq === undefined) return;
    let level = false;
    for (let p = 0; p < PIRQ_COUNT; p++) {
      if (this.routeOf(p) === irq && this.sources[p]!.size > 0) level = true;
    }
    this.drive(irq, level);
  }

  private drive(irq: number, level: boolean): void {
    if (this.inputLevels[irq] === level) return;
    this.inputLevels[irq] = level;
    this.listener?.(irq, level);
  }
}
