/**
 * Records a trace in the qtest rig's format while driving a target, so a
 * scenario run on nicemu can be replayed against QEMU (and the other way
 * round). Each method executes the access and appends the entry with the
 * value the target returned; IRQ events land before the entry of the command
 * that caused them, as in QEMU's stream.
 */
import type { TraceEntry } from './format.js';
import { bytesToHex, hexToBytes } from './format.js';
import type { ReplayTarget } from './replay.js';

const h = (v: number | bigint): string => '0x' + v.toString(16);

export class TraceRecorder {
  readonly trace: TraceEntry[] = [];
  private seq = 0;
  /** Inside `poll()`: entries are marked `poll: true`. */
  private polling = 0;

  constructor(private readonly target: ReplayTarget) {}

  private run(line: string): string {
    const reply = this.target.command(line);
    for (const ev of this.target.takeIrqEvents()) {
      const [what, n] = ev.split(' ');
      this.trace.push({ seq: this.seq++, irq: what === 'raise' ? 'raise' : 'lower', line: Number(n) });
    }
    if (!reply.startsWith('OK')) throw new Error(`${line} -> ${reply}`);
    return reply.length > 3 ? reply.slice(3) : '';
  }

  private push(e: TraceEntry): void {
    const withSeq = { ...e, seq: this.seq++ } as TraceEntry & { poll?: boolean };
    if (this.polling) withSeq.poll = true;
    this.trace.push(withSeq);
  }

  note(note: string): void {
    this.push({ note });
  }

  out(size: 1 | 2 | 4, port: number, value: number): void {
    const op = size === 1 ? 'outb' : size === 2 ? 'outw' : 'outl';
    this.run(`${op} ${h(port)} ${h(value >>> 0)}`);
    this.push({ op, port: h(port), data: h(value >>> 0) });
  }

  in(size: 1 | 2 | 4, port: number): number {
    const op = size === 1 ? 'inb' : size === 2 ? 'inw' : 'inl';
    const v = Number(BigInt(this.run(`${op} ${h(port)}`)));
    this.push({ op, port: h(port), val: h(v) });
    return v;
  }

  writeMem(size: 1 | 2 | 4, addr: number, value: number): void {
    const op = size === 1 ? 'writeb' : size === 2 ? 'writew' : 'writel';
    this.run(`${op} ${h(addr)} ${h(value >>> 0)}`);
    this.push({ op, addr: h(addr), data: h(value >>> 0) });
  }

  readMem(size: 1 | 2 | 4, addr: number): number {
    const op = size === 1 ? 'readb' : size === 2 ? 'readw' : 'readl';
    const v = Number(BigInt(this.run(`${op} ${h(addr)}`)));
    this.push({ op, addr: h(addr), val: h(v) });
    return v;
  }

  write(addr: number, bytes: Uint8Array): void {
    const data = bytesToHex(bytes);
    this.run(`write ${h(addr)} ${bytes.length} 0x${data}`);
    this.push({ op: 'write', addr: h(addr), len: bytes.length, data });
  }

  read(addr: number, len: number): Uint8Array {
    const v = this.run(`read ${h(addr)} ${len}`).slice(2);
    this.push({ op: 'read', addr: h(addr), len, val: v });
    return hexToBytes(v);
  }

  clockStep(ns?: number): bigint {
    const v = BigInt(this.run(ns === undefined ? 'clock_step' : `clock_step ${ns}`));
    this.push({ op: 'clock_step', ...(ns === undefined ? {} : { ns: String(ns) }), val: h(v) });
    return v;
  }

  irqInterceptIn(path = 'ioapic'): void {
    this.run(`irq_intercept_in ${path}`);
    this.push({ op: 'irq_intercept_in', path });
  }

  inject(frame: Uint8Array): void {
    this.push({ net: 'inject', len: frame.length, data: bytesToHex(frame) });
    this.target.inject(frame);
    for (const ev of this.target.takeIrqEvents()) {
      const [what, n] = ev.split(' ');
      this.trace.push({ seq: this.seq++, irq: what === 'raise' ? 'raise' : 'lower', line: Number(n) });
    }
  }

  takeTx(): Uint8Array | undefined {
    const f = this.target.takeTx();
    this.push(f ? { net: 'tx', len: f.length, data: bytesToHex(f) } : { net: 'tx', none: true });
    return f;
  }

  qmp(command: string, args?: Record<string, unknown>): void {
    const err = this.target.qmp(command, args);
    if (err) throw new Error(`qmp ${command}: ${err}`);
    this.push({ qmp: command, ...(args ? { args } : {}) });
  }

  /** Repeat `fn` until it returns true (bounded); accesses inside are marked as polls. */
  poll(fn: () => boolean, maxRounds = 1000): boolean {
    this.polling++;
    try {
      for (let i = 0; i < maxRounds; i++) if (fn()) return true;
      return false;
    } finally {
      this.polling--;
    }
  }
}
