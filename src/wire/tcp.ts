/** TCP (RFC 9293) segments, options (RFC 9293 §3.2, RFC 7323, RFC 2018) and Repr. */
import { be16, be32, setBe16, setBe32 } from './bytes.js';
import { checksumFinish, onesSum, pseudoHeaderSum } from './checksum.js';
import { type WireError, badChecksum, malformed, tooMany, truncated } from './error.js';
import { IpProtocol } from './ip.js';

export const TcpField = {
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ_NUM: 4,
  ACK_NUM: 8,
  /** Data offset (high 4 bits) and the AE/NS flag (low bit). */
  DATA_OFF: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT: 18,
  OPTIONS: 20,
} as const;

export const TCP_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;

/** Flag bits as the 9-bit value `TcpPacket.flags` returns (NS/AE is bit 8, RFC 3540). */
export const TcpFlags = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  NS: 0x100,
} as const;

/**
 * A view of a TCP segment; `buffer` is exactly the segment (the IP payload).
 * `checked` validates a data offset of at least 5 whose header fits in the
 * buffer. Checksum methods take the IP source and destination (4 or 16 bytes).
 */
export class TcpPacket {
  private constructor(readonly buffer: Uint8Array) {}

  static unchecked(buffer: Uint8Array): TcpPacket {
    return new TcpPacket(buffer);
  }

  static checked(buffer: Uint8Array): TcpPacket | WireError {
    if (buffer.length < TCP_HEADER_LEN) return truncated('tcp', TCP_HEADER_LEN, buffer.length);
    const off = buffer[TcpField.DATA_OFF]! >>> 4;
    if (off < 5) return malformed('tcp', 'data-offset', off);
    if (off * 4 > buffer.length) return truncated('tcp', off * 4, buffer.length);
    return new TcpPacket(buffer);
  }

  get srcPort(): number {
    return be16(this.buffer, TcpField.SRC_PORT);
  }
  set srcPort(v: number) {
    setBe16(this.buffer, TcpField.SRC_PORT, v);
  }
  get dstPort(): number {
    return be16(this.buffer, TcpField.DST_PORT);
  }
  set dstPort(v: number) {
    setBe16(this.buffer, TcpField.DST_PORT, v);
  }
  get seq(): number {
    return be32(this.buffer, TcpField.SEQ_NUM);
  }
  set seq(v: number) {
    setBe32(this.buffer, TcpField.SEQ_NUM, v);
  }
  get ack(): number {
    return be32(this.buffer, TcpField.ACK_NUM);
  }
  set ack(v: number) {
    setBe32(this.buffer, TcpField.ACK_NUM, v);
  }
  /** Header length in bytes (data offset × 4). */
  get headerLen(): number {
    return (this.buffer[TcpField.DATA_OFF]! >>> 4) * 4;
  }
  /** Set the header length in bytes (a multiple of 4, 20..60). */
  set headerLen(bytes: number) {
    const b = this.buffer;
    b[TcpField.DATA_OFF] = (((bytes >>> 2) & 0x0f) << 4) | (b[TcpField.DATA_OFF]! & 0x0f);
  }
  /** All nine flag bits (see `TcpFlags`). */
  get flags(): number {
    return ((this.buffer[TcpField.DATA_OFF]! & 1) << 8) | this.buffer[TcpField.FLAGS]!;
  }
  set flags(v: number) {
    const b = this.buffer;
    b[TcpField.DATA_OFF] = (b[TcpField.DATA_OFF]! & 0xf0) | ((v >>> 8) & 1);
    b[TcpField.FLAGS] = v;
  }
  get fin(): boolean {
    return (this.buffer[TcpField.FLAGS]! & TcpFlags.FIN) !== 0;
  }
  get syn(): boolean {
    return (this.buffer[TcpField.FLAGS]! & TcpFlags.SYN) !== 0;
  }
  get rst(): boolean {
    return (this.buffer[TcpField.FLAGS]! & TcpFlags.RST) !== 0;
  }
  get psh(): boolean {
    return (this.buffer[TcpField.FLAGS]! & TcpFlags.PSH) !== 0;
  }
  get ackFlag(): boolean {
    return (this.buffer[TcpField.FLAGS]! & TcpFlags.ACK) !== 0;
  }
  get urg(): boolean {
    return (this.buffer[TcpField.FLAGS]! & TcpFlags.URG) !== 0;
  }
  get ece(): boolean {
    return (this.buffer[TcpField.FLAGS]! & TcpFlags.ECE) !== 0;
  }
  get cwr(): boolean {
    return (this.buffer[TcpField.FLAGS]! & TcpFlags.CWR) !== 0;
  }
  get window(): number {
    return be16(this.buffer, TcpField.WINDOW);
  }
  set window(v: number) {
    setBe16(this.buffer, TcpField.WINDOW, v);
  }
  get checksum(): number {
    return be16(this.buffer, TcpField.CHECKSUM);
  }
  set checksum(v: number) {
    setBe16(this.buffer, TcpField.CHECKSUM, v);
  }
  get urgent(): number {
    return be16(this.buffer, TcpField.URGENT);
  }
  set urgent(v: number) {
    setBe16(this.buffer, TcpField.URGENT, v);
  }
  /** Option bytes (header length − 20), possibly empty. */
  get options(): Uint8Array {
    return this.buffer.subarray(TcpField.OPTIONS, this.headerLen);
  }
  get payload(): Uint8Array {
    return this.buffer.subarray(this.headerLen);
  }
  /** Sequence space the segment takes: payload bytes, plus one each for SYN and FIN. */
  get segmentLen(): number {
    const f = this.buffer[TcpField.FLAGS]!;
    return this.buffer.length - this.headerLen + (f & TcpFlags.SYN ? 1 : 0) + (f & TcpFlags.FIN ? 1 : 0);
  }

  verifyChecksum(src: Uint8Array, dst: Uint8Array): boolean {
    const b = this.buffer;
    return onesSum(b, 0, b.length, pseudoHeaderSum(src, dst, IpProtocol.TCP, b.length)) === 0xffff;
  }
  computeChecksum(src: Uint8Array, dst: Uint8Array): number {
    const b = this.buffer;
    const ph = pseudoHeaderSum(src, dst, IpProtocol.TCP, b.length);
    return checksumFinish(onesSum(b, TcpField.URGENT, b.length, onesSum(b, 0, TcpField.CHECKSUM, ph)));
  }
  fillChecksum(src: Uint8Array, dst: Uint8Array): void {
    setBe16(this.buffer, TcpField.CHECKSUM, this.computeChecksum(src, dst));
  }
}

// ---------------------------------------------------------------------------
// Options.

export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMP: 8,
} as const;

export type TcpOption =
  | { type: 'eol' }
  | { type: 'nop' }
  | { type: 'mss'; mss: number }
  | { type: 'window-scale'; shift: number }
  | { type: 'sack-permitted' }
  /** Up to four [left, right) edges (RFC 2018 §3). */
  | { type: 'sack'; blocks: Array<[left: number, right: number]> }
  | { type: 'timestamp'; tsVal: number; tsEcr: number }
  /** Any other kind; `data` is the option after its kind and length bytes. */
  | { type: 'unknown'; rawKind: number; data: Uint8Array };

/**
 * Parse option bytes in order, NOPs included. Parsing stops at EOL (which is
 * returned; what follows is padding). A length below 2, an option running
 * past the end, or a known option with the wrong length is an error. The walk
 * takes at most `bytes.length` steps.
 */
export function parseTcpOptions(bytes: Uint8Array): TcpOption[] | WireError {
  const out: TcpOption[] = [];
  const end = bytes.length;
  let i = 0;
  for (let steps = 0; i < end; steps++) {
    if (steps >= end) return tooMany('tcp-option', 'options', end);
    const kind = bytes[i]!;
    if (kind === TcpOptionKind.EOL) {
      out.push({ type: 'eol' });
      break;
    }
    if (kind === TcpOptionKind.NOP) {
      out.push({ type: 'nop' });
      i++;
      continue;
    }
    if (i + 2 > end) return truncated('tcp-option', i + 2, end);
    const len = bytes[i + 1]!;
    if (len < 2) return malformed('tcp-option', 'length', len);
    if (i + len > end) return truncated('tcp-option', i + len, end);
    switch (kind) {
      case TcpOptionKind.MSS:
        if (len !== 4) return malformed('tcp-option', 'mss-length', len);
        out.push({ type: 'mss', mss: be16(bytes, i + 2) });
        break;
      case TcpOptionKind.WINDOW_SCALE:
        if (len !== 3) return malformed('tcp-option', 'window-scale-length', len);
        out.push({ type: 'window-scale', shift: bytes[i + 2]! });
        break;
      case TcpOptionKind.SACK_PERMITTED:
        if (len !== 2) return malformed('tcp-option', 'sack-permitted-length', len);
        out.push({ type: 'sack-permitted' });
        break;
      case TcpOptionKind.SACK: {
        if (len < 10 || (len - 2) % 8 !== 0) return malformed('tcp-option', 'sack-length', len);
        const blocks: Array<[number, number]> = [];
        for (let b = i + 2; b < i + len; b += 8) blocks.push([be32(bytes, b), be32(bytes, b + 4)]);
        out.push({ type: 'sack', blocks });
        break;
      }
      case TcpOptionKind.TIMESTAMP:
        if (len !== 10) return malformed('tcp-option', 'timestamp-length', len);
        out.push({ type: 'timestamp', tsVal: be32(bytes, i + 2), tsEcr: be32(bytes, i + 6) });
        break;
      default:
        out.push({ type: 'unknown', rawKind: kind, data: bytes.subarray(i + 2, i + len) });
    }
    i += len;
  }
  return out;
}

/** Bytes one option takes. */
export function tcpOptionLen(opt: TcpOption): number {
  switch (opt.type) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'window-scale':
      return 3;
    case 'sack-permitted':
      return 2;
    case 'sack':
      return 2 + 8 * opt.blocks.length;
    case 'timestamp':
      return 10;
    case 'unknown':
      return 2 + opt.data.length;
    default: {
      const never: never = opt;
      throw new Error(`unhandled TCP option ${String(never)}`);
    }
  }
}

/** Bytes the options take once padded to a multiple of 4. */
export function tcpOptionsLen(opts: readonly TcpOption[]): number {
  let n = 0;
  for (const o of opts) n += tcpOptionLen(o);
  return (n + 3) & ~3;
}

/** Write options in order from `offset`, then zero (EOL) padding to a multiple of 4; returns bytes written. */
export function emitTcpOptions(opts: readonly TcpOption[], buf: Uint8Array, offset: number): number {
  let o = offset;
  for (const opt of opts) {
    switch (opt.type) {
      case 'eol':
        buf[o] = TcpOptionKind.EOL;
        break;
      case 'nop':
        buf[o] = TcpOptionKind.NOP;
        break;
      case 'mss':
        buf[o] = TcpOptionKind.MSS;
        buf[o + 1] = 4;
        setBe16(buf, o + 2, opt.mss);
        break;
      case 'window-scale':
        buf[o] = TcpOptionKind.WINDOW_SCALE;
        buf[o + 1] = 3;
        buf[o + 2] = opt.shift;
        break;
      case 'sack-permitted':
        buf[o] = TcpOptionKind.SACK_PERMITTED;
        buf[o + 1] = 2;
        break;
      case 'sack':
        buf[o] = TcpOptionKind.SACK;
        buf[o + 1] = 2 + 8 * opt.blocks.length;
        for (let k = 0; k < opt.blocks.length; k++) {
          const [l, r] = opt.blocks[k]!;
          setBe32(buf, o + 2 + 8 * k, l);
          setBe32(buf, o + 6 + 8 * k, r);
        }
        break;
      case 'timestamp':
        buf[o] = TcpOptionKind.TIMESTAMP;
        buf[o + 1] = 10;
        setBe32(buf, o + 2, opt.tsVal);
        setBe32(buf, o + 6, opt.tsEcr);
        break;
      case 'unknown':
        buf[o] = opt.rawKind;
        buf[o + 1] = 2 + opt.data.length;
        buf.set(opt.data, o + 2);
        break;
    }
    o += tcpOptionLen(opt);
  }
  const end = offset + ((o - offset + 3) & ~3);
  buf.fill(0, o, end);
  return end - offset;
}

/** The options a TCP stack negotiates, pulled out of a list (the first of each kind wins). */
export interface TcpOptionSummary {
  mss?: number;
  windowScale?: number;
  sackPermitted: boolean;
  timestamp?: { tsVal: number; tsEcr: number };
  sackBlocks?: Array<[number, number]>;
}

export function summarizeTcpOptions(opts: readonly TcpOption[]): TcpOptionSummary {
  const s: TcpOptionSummary = { sackPermitted: false };
  for (const o of opts) {
    switch (o.type) {
      case 'mss':
        s.mss ??= o.mss;
        break;
      case 'window-scale':
        s.windowScale ??= o.shift;
        break;
      case 'sack-permitted':
        s.sackPermitted = true;
        break;
      case 'timestamp':
        s.timestamp ??= { tsVal: o.tsVal, tsEcr: o.tsEcr };
        break;
      case 'sack':
        s.sackBlocks ??= o.blocks;
        break;
      default:
        break;
    }
  }
  return s;
}

// ---------------------------------------------------------------------------

/** A TCP segment; options are kept in order so a parsed segment re-emits byte for byte. */
export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Nine flag bits (`TcpFlags`). */
  flags: number;
  window: number;
  urgent?: number;
  options?: TcpOption[];
  payload: Uint8Array;
}

export const TcpRepr = {
  /** When `src`/`dst` are given the checksum is verified against them. Bad options are an error. */
  parse(packet: TcpPacket, src?: Uint8Array, dst?: Uint8Array): TcpRepr | WireError {
    if (src && dst && !packet.verifyChecksum(src, dst)) return badChecksum('tcp', packet.checksum, packet.computeChecksum(src, dst));
    const options = parseTcpOptions(packet.options);
    if (!Array.isArray(options)) return options;
    return {
      srcPort: packet.srcPort,
      dstPort: packet.dstPort,
      seq: packet.seq,
      ack: packet.ack,
      flags: packet.flags,
      window: packet.window,
      urgent: packet.urgent,
      options,
      payload: packet.payload,
    };
  },
  headerLen(repr: TcpRepr): number {
    return TCP_HEADER_LEN + (repr.options ? tcpOptionsLen(repr.options) : 0);
  },
  bufferLen(repr: TcpRepr): number {
    return TcpRepr.headerLen(repr) + repr.payload.length;
  },
  /**
   * Write the segment into `buf`. With `src`/`dst` the checksum is filled in;
   * without, it is left 0 (for checksum offload). Throws RangeError when the
   * options exceed 40 bytes (a caller bug).
   */
  emit(repr: TcpRepr, buf: Uint8Array, src?: Uint8Array, dst?: Uint8Array): void {
    const hl = TcpRepr.headerLen(repr);
    if (hl > TCP_MAX_HEADER_LEN) throw new RangeError(`TCP options of ${hl - TCP_HEADER_LEN} bytes exceed 40`);
    setBe16(buf, TcpField.SRC_PORT, repr.srcPort);
    setBe16(buf, TcpField.DST_PORT, repr.dstPort);
    setBe32(buf, TcpField.SEQ_NUM, repr.seq);
    setBe32(buf, TcpField.ACK_NUM, repr.ack);
    buf[TcpField.DATA_OFF] = ((hl >>> 2) << 4) | ((repr.flags >>> 8) & 1);
    buf[TcpField.FLAGS] = repr.flags;
    setBe16(buf, TcpField.WINDOW, repr.window);
    setBe16(buf, TcpField.CHECKSUM, 0);
    setBe16(buf, TcpField.URGENT, repr.urgent ?? 0);
    if (repr.options) emitTcpOptions(repr.options, buf, TCP_HEADER_LEN);
    buf.set(repr.payload, hl);
    if (src && dst) {
      const len = hl + repr.payload.length;
      setBe16(buf, TcpField.CHECKSUM, checksumFinish(onesSum(buf, 0, len, pseudoHeaderSum(src, dst, IpProtocol.TCP, len))));
    }
  },
};
