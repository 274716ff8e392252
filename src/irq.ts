/** An interrupt line a device drives (INTx pin, ISA IRQ, IOAPIC input). */
export interface IrqLine {
  set(level: boolean): void;
}

/** Message-signalled interrupt delivery: a 32-bit write of `data` to `address`. */
export type MsiSink = (address: bigint, data: number) => void;

/** An IrqLine that remembers its level; handy for tests and for wiring. */
export class LevelIrq implements IrqLine {
  level = false;
  changes = 0;
  constructor(private readonly onChange?: (level: boolean) => void) {}
  set(level: boolean): void {
    if (level === this.level) return;
    this.level = level;
    this.changes++;
    this.onChange?.(level);
  }
}
