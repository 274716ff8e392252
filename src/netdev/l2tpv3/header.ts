/**
 * L2TPv3 data-message encapsulation for Ethernet pseudowires (RFC 3931
 * §4.1.2 over UDP, §4.1.1 over IP; RFC 4719), laid out the way QEMU's
 * `-netdev l2tpv3` does it so the two interoperate:
 *
 *   [UDP only: 0x00030000]  session id (32)  [cookie 32 or 64]  [counter 32]  [offset bytes]  frame
 *
 * Receive checks the cookie (when configured) and the session id, as QEMU
 * does; the counter and the padding are not checked.
 */

export interface L2tpv3Params {
  /** UDP encapsulation (adds the 4-byte data-message word). */
  udp: boolean;
  txSession: number;
  rxSession: number;
  /** Cookie size in bytes: 0, 4 or 8. */
  cookieSize: 0 | 4 | 8;
  txCookie: bigint;
  rxCookie: bigint;
  /** Carry the 32-bit counter (default L2-specific sublayer position). */
  counter: boolean;
  /** Always send 0 in the counter. */
  pinCounter: boolean;
  /** Extra padding bytes after the header (0..256). */
  offset: number;
}

/** Data messages start with this word over UDP (T=0, version 3). */
export const L2TPV3_DATA_WORD = 0x00030000;

export interface HeaderLayout {
  sessionAt: number;
  cookieAt: number;
  counterAt: number;
  size: number;
}

export function headerLayout(p: L2tpv3Params): HeaderLayout {
  const sessionAt = p.udp ? 4 : 0;
  const cookieAt = sessionAt + 4;
  const counterAt = cookieAt + p.cookieSize;
  const size = counterAt + (p.counter || p.pinCounter ? 4 : 0) + p.offset;
  return { sessionAt, cookieAt, counterAt, size };
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export class L2tpv3Codec {
  readonly layout: HeaderLayout;
  private count = 0;
  /** Datagrams refused on receive: too short, wrong cookie, wrong session. */
  readonly rejected = { short: 0, cookie: 0, session: 0 };

  constructor(readonly p: L2tpv3Params) {
    this.layout = headerLayout(p);
  }

  /** Header + frame, ready to send. */
  encapsulate(frame: Uint8Array): Uint8Array {
    const l = this.layout;
    const out = new Uint8Array(l.size + frame.length);
    if (this.p.udp) put32(out, 0, L2TPV3_DATA_WORD);
    put32(out, l.sessionAt, this.p.txSession);
    if (this.p.cookieSize === 4) put32(out, l.cookieAt, Number(this.p.txCookie & 0xffffffffn));
    else if (this.p.cookieSize === 8) {
      put32(out, l.cookieAt, Number((this.p.txCookie >> 32n) & 0xffffffffn));
      put32(out, l.cookieAt + 4, Number(this.p.txCookie & 0xffffffffn));
    }
    if (this.p.counter || this.p.pinCounter) {
      this.count = (this.count + 1) >>> 0;
      put32(out, l.counterAt, this.p.pinCounter ? 0 : this.count);
    }
    out.set(frame, l.size);
    return out;
  }

  /** The frame inside a datagram, or undefined when the datagram is not for this session. */
  decapsulate(d: Uint8Array): Uint8Array | undefined {
    const l = this.layout;
    if (d.length <= l.size) {
      this.rejected.short++;
      return undefined;
    }
    if (this.p.cookieSize === 4 && BigInt(get32(d, l.cookieAt)) !== (this.p.rxCookie & 0xffffffffn)) {
      this.rejected.cookie++;
      return undefined;
    }
    if (this.p.cookieSize === 8 && ((BigInt(get32(d, l.cookieAt)) << 32n) | BigInt(get32(d, l.cookieAt + 4))) !== this.p.rxCookie) {
      this.rejected.cookie++;
      return undefined;
    }
    if (get32(d, l.sessionAt) !== this.p.rxSession >>> 0) {
      this.rejected.session++;
      return undefined;
    }
    return d.subarray(l.size);
  }
}
