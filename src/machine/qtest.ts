/**
 * QEMU's qtest text protocol (QEMU 7.2 softmmu/qtest.c, as documented in the
 * qtest rig): one command per line, one reply per command (`OK`, `OK value`,
 * `FAIL reason`, `ERR reason`), and asynchronous `IRQ raise N` / `IRQ lower N`
 * lines. Transport-agnostic: feed it text, it calls `out` with reply text.
 *
 * Where QEMU aborts on malformed input (missing or non-numeric arguments, a
 * port above 0xffff, `read A 0`), this session answers `FAIL` with a reason
 * and keeps running.
 */
import type { IoSpace, MemorySpace } from './bus.js';
import type { VirtualClock } from '../time/clock.js';
import { bytesToHex } from '../wire/bytes.js';
import { decodeBase64, encodeBase64 } from '../state/base64.js';

/** What a qtest session drives. */
export interface QtestTarget {
  readonly io: IoSpace;
  readonly mem: MemorySpace;
  readonly clock: VirtualClock;
  /** Start reporting IRQ input changes of the named interrupt controller. */
  interceptIrq(path: string, report: (line: number, level: boolean) => void): 'ok' | 'unknown-device' | 'already-other';
}

export type QtestLogger = (direction: 'recv' | 'send', line: string, clockNs: number) => void;

class QtestFail extends Error {}

function parseNum(word: string | undefined, what: string): bigint {
  if (word === undefined || word === '') throw new QtestFail(`missing ${what}`);
  // strtoul(…, 0): 0x hex, leading-0 octal, decimal.
  let s = word;
  let neg = false;
  if (s.startsWith('-')) {
    neg = true;
    s = s.slice(1);
  } else if (s.startsWith('+')) s = s.slice(1);
  let v: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) v = BigInt(s);
  else if (/^0[0-7]*$/.test(s)) v = s.length > 1 ? BigInt('0o' + s.slice(1)) : 0n;
  else if (/^[1-9][0-9]*$/.test(s)) v = BigInt(s);
  else throw new QtestFail(`invalid ${what} '${word}'`);
  if (v > 0xffffffffffffffffn) throw new QtestFail(`${what} '${word}' out of range`);
  return neg ? (-v) & 0xffffffffffffffffn : v;
}

function addrOf(word: string | undefined): number {
  const a = parseNum(word, 'address');
  if (a > BigInt(Number.MAX_SAFE_INTEGER)) throw new QtestFail(`address '${word}' out of range`);
  return Number(a);
}

function hex(v: number | bigint, width: number): string {
  return '0x' + v.toString(16).padStart(width, '0');
}


/** Largest bulk transfer one command may move (keeps a hostile client from exhausting memory). */
export const QTEST_MAX_BULK = 64 * 1024 * 1024;

export class QtestSession {
  private inbuf = '';
  private intercepting: string | null = null;
  private readonly irqLevels = new Map<number, boolean>();

  constructor(
    private readonly target: QtestTarget,
    private readonly out: (text: string) => void,
    private readonly log?: QtestLogger,
  ) {}

  /** Feed raw text from the transport; complete lines are executed in order. */
  feed(chunk: string): void {
    this.inbuf += chunk;
    let i: number;
    while ((i = this.inbuf.indexOf('\n')) >= 0) {
      const line = this.inbuf.slice(0, i).replace(/\r$/, '');
      this.inbuf = this.inbuf.slice(i + 1);
      this.handleLine(line);
    }
  }

  private send(line: string): void {
    this.log?.('send', line, this.target.clock.now());
    this.out(line + '\n');
  }

  /** Execute one command line and send its reply. */
  handleLine(line: string): void {
    this.log?.('recv', line, this.target.clock.now());
    const words = line.split(' ');
    const cmd = words[0] ?? '';
    if (cmd === '') {
      // QEMU ignores empty lines.
      return;
    }
    let reply: string;
    try {
      reply = this.execute(cmd, words);
    } catch (e) {
      if (e instanceof QtestFail) reply = `FAIL ${e.message}`;
      else reply = `FAIL internal error: ${e instanceof Error ? e.message : String(e)}`;
    }
    this.send(reply);
  }

  private irqChanged(line: number, level: boolean): void {
    if ((this.irqLevels.get(line) ?? false) === level) return;
    this.irqLevels.set(line, level);
    this.send(`IRQ ${level ? 'raise' : 'lower'} ${line}`);
  }

  private execute(cmd: string, w: string[]): string {
    const t = this.target;
    switch (cmd) {
      case 'outb':
      case 'outw':
      case 'outl': {
        const port = this.port(w[1]);
        const v = Number(parseNum(w[2], 'value') & 0xffffffffn);
        t.io.write(port, cmd === 'outb' ? 1 : cmd === 'outw' ? 2 : 4, v);
        return 'OK';
      }
      case 'inb':
      case 'inw':
      case 'inl': {
        const port = this.port(w[1]);
        const v = t.io.read(port, cmd === 'inb' ? 1 : cmd === 'inw' ? 2 : 4);
        return `OK ${hex(v >>> 0, 4)}`;
      }
      case 'writeb':
      case 'writew':
      case 'writel':
      case 'writeq': {
        const a = addrOf(w[1]);
        const v = parseNum(w[2], 'value');
        if (cmd === 'writeq') t.mem.write64(a, v);
        else t.mem.write(a, cmd === 'writeb' ? 1 : cmd === 'writew' ? 2 : 4, Number(v & 0xffffffffn));
        return 'OK';
      }
      case 'readb':
      case 'readw':
      case 'readl':
      case 'readq': {
        const a = addrOf(w[1]);
        const v = cmd === 'readq' ? t.mem.read64(a) : BigInt(t.mem.read(a, cmd === 'readb' ? 1 : cmd === 'readw' ? 2 : 4) >>> 0);
        return `OK ${hex(v, 16)}`;
      }
      case 'read':
      case 'b64read': {
        const a = addrOf(w[1]);
        const len = this.len(w[2]);
        const bytes = t.mem.readBytes(a, len);
        return cmd === 'read' ? `OK 0x${bytesToHex(bytes)}` : `OK ${encodeBase64(bytes)}`;
      }
      case 'write': {
        const a = addrOf(w[1]);
        const len = this.len(w[2]);
        const data = w[3];
        if (data === undefined) throw new QtestFail('missing data');
        if (data.length < 3) return 'ERR invalid argument size';
        if (!/^0[xX][0-9a-fA-F]*$/.test(data)) throw new QtestFail('data must be 0x followed by hex digits');
        const bytes = new Uint8Array(len);
        const digits = data.slice(2);
        // QEMU reads pairs of digits until the data runs out; the rest stays zero.
        for (let i = 0; i < len && 2 * i + 1 < digits.length; i++) bytes[i] = parseInt(digits.substr(2 * i, 2), 16);
        t.mem.writeBytes(a, bytes);
        return 'OK';
      }
      case 'b64write': {
        const a = addrOf(w[1]);
        const len = this.len(w[2]);
        if (w[3] === undefined) throw new QtestFail('missing data');
        const decoded = decodeBase64(w[3]);
        if (!decoded) throw new QtestFail('invalid base64 data');
        const bytes = new Uint8Array(len);
        bytes.set(decoded.subarray(0, len));
        t.mem.writeBytes(a, bytes);
        return 'OK';
      }
      case 'memset': {
        const a = addrOf(w[1]);
        const len = this.len(w[2]);
        const v = Number(parseNum(w[3], 'pattern') & 0xffn);
        if (t.mem.ram.fill(a, len, v) !== undefined) t.mem.writeBytes(a, new Uint8Array(len).fill(v));
        return 'OK';
      }
      case 'clock_step': {
        if (w[1] === undefined) return `OK ${t.clock.step()}`;
        const ns = parseNum(w[1], 'ns');
        if (ns > BigInt(Number.MAX_SAFE_INTEGER)) throw new QtestFail(`ns '${w[1]}' out of range`);
        return `OK ${t.clock.advance(Number(ns))}`;
      }
      case 'clock_set': {
        const ns = parseNum(w[1], 'ns');
        if (ns > BigInt(Number.MAX_SAFE_INTEGER)) throw new QtestFail(`ns '${w[1]}' out of range`);
        return `OK ${t.clock.advanceTo(Number(ns))}`;
      }
      case 'irq_intercept_in':
      case 'irq_intercept_out': {
        const path = w[1];
        if (!path) throw new QtestFail('missing device path');
        if (this.intercepting !== null) {
          return this.intercepting === path ? 'OK' : 'FAIL Interception already enabled';
        }
        const r = t.interceptIrq(path, (line, level) => this.irqChanged(line, level));
        if (r === 'unknown-device') return 'FAIL Unknown device';
        if (r === 'already-other') return 'FAIL Interception already enabled';
        this.intercepting = path;
        return 'OK';
      }
      case 'endianness':
        return 'OK little';
      default:
        return `FAIL Unknown command '${cmd}'`;
    }
  }

  private port(word: string | undefined): number {
    const p = parseNum(word, 'port');
    if (p > 0xffffn) throw new QtestFail(`port '${word}' out of range (0..0xffff)`);
    return Number(p);
  }

  private len(word: string | undefined): number {
    const l = parseNum(word, 'size');
    if (l === 0n) throw new QtestFail('size must be greater than 0');
    if (l > BigInt(QTEST_MAX_BULK)) throw new QtestFail(`size '${word}' exceeds ${QTEST_MAX_BULK} bytes`);
    return Number(l);
  }
}
