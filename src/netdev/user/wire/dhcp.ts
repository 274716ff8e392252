/**
 * BOOTP (RFC 951, RFC 1542) and DHCP (RFC 2131, options RFC 2132) messages.
 * The option walk is bounded by the packet: an option whose length runs
 * past the end stops the walk (CVE-2017-11434), and what came before it is
 * kept.
 */
import { be16, be32, setBe16, setBe32 } from '../../../wire/bytes.js';
import { type AppWireError, appTruncated } from './error.js';

export const DhcpField = {
  OP: 0,
  HTYPE: 1,
  HLEN: 2,
  HOPS: 3,
  XID: 4,
  SECS: 8,
  FLAGS: 10,
  CIADDR: 12,
  YIADDR: 16,
  SIADDR: 20,
  GIADDR: 24,
  CHADDR: 28,
  SNAME: 44,
  FILE: 108,
  /** Magic cookie 99.130.83.99 (RFC 2131 §3). */
  MAGIC: 236,
  OPTIONS: 240,
} as const;

/** The fixed BOOTP part, without the vendor area. */
export const BOOTP_FIXED_LEN = 236;
export const DHCP_MAGIC = 0x63825363;
/** Option bytes after the cookie in a 548-byte message (a 576-byte IP datagram, RFC 2131 §2). */
export const DHCP_OPTIONS_SPACE = 308;
/** Length of every reply we send: fixed part + cookie + options area. */
export const DHCP_REPLY_LEN = DhcpField.OPTIONS + DHCP_OPTIONS_SPACE;
export const BOOTP_BROADCAST_FLAG = 0x8000;

export const BootpOp = { REQUEST: 1, REPLY: 2 } as const;
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

export const DhcpMessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;

export const DhcpOptionCode = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  HOSTNAME: 12,
  DOMAIN_NAME: 15,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAM_REQUEST_LIST: 55,
  MESSAGE: 56,
  MAX_MESSAGE_SIZE: 57,
  CLIENT_ID: 61,
  TFTP_SERVER_NAME: 66,
  BOOTFILE_NAME: 67,
  DOMAIN_SEARCH: 119,
  END: 255,
} as const;

export interface DhcpOption {
  code: number;
  data: Uint8Array;
}

/** Options read from a packet. `stopped` says the walk ended at an option running past the end. */
export interface DhcpOptionsParse {
  options: DhcpOption[];
  stopped: boolean;
}

/** A view of a BOOTP/DHCP message; `checked` guarantees the 236-byte fixed part. */
export class DhcpPacket {
  private constructor(readonly buffer: Uint8Array) {}

  static checked(buffer: Uint8Array): DhcpPacket | AppWireError {
    if (buffer.length < BOOTP_FIXED_LEN) return appTruncated('dhcp', BOOTP_FIXED_LEN, buffer.length);
    return new DhcpPacket(buffer);
  }

  get op(): number {
    return this.buffer[DhcpField.OP]!;
  }
  get htype(): number {
    return this.buffer[DhcpField.HTYPE]!;
  }
  get hlen(): number {
    return this.buffer[DhcpField.HLEN]!;
  }
  get xid(): number {
    return be32(this.buffer, DhcpField.XID);
  }
  get secs(): number {
    return be16(this.buffer, DhcpField.SECS);
  }
  get flags(): number {
    return be16(this.buffer, DhcpField.FLAGS);
  }
  get ciaddr(): number {
    return be32(this.buffer, DhcpField.CIADDR);
  }
  get yiaddr(): number {
    return be32(this.buffer, DhcpField.YIADDR);
  }
  get siaddr(): number {
    return be32(this.buffer, DhcpField.SIADDR);
  }
  get giaddr(): number {
    return be32(this.buffer, DhcpField.GIADDR);
  }
  /** The first 6 bytes of chaddr (an Ethernet address). */
  get chaddr(): Uint8Array {
    return this.buffer.subarray(DhcpField.CHADDR, DhcpField.CHADDR + 6);
  }
  get sname(): string {
    return cString(this.buffer.subarray(DhcpField.SNAME, DhcpField.FILE));
  }
  get file(): string {
    return cString(this.buffer.subarray(DhcpField.FILE, DhcpField.MAGIC));
  }
  /** True when the magic cookie is present (a DHCP message, or BOOTP with RFC 1497 vendor options). */
  get hasMagic(): boolean {
    return this.buffer.length >= DhcpField.OPTIONS && be32(this.buffer, DhcpField.MAGIC) === DHCP_MAGIC;
  }
  options(): DhcpOptionsParse {
    if (!this.hasMagic) return { options: [], stopped: false };
    return parseDhcpOptions(this.buffer, DhcpField.OPTIONS, this.buffer.length);
  }
}

function cString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length && b[i] !== 0; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/**
 * Walk options in buf[start..end): PAD skipped, END stops, others are
 * (code, length, data). Each step consumes at least one byte, so the walk is
 * bounded by the length. Data are subarrays of `buf`.
 */
export function parseDhcpOptions(buf: Uint8Array, start: number, end: number): DhcpOptionsParse {
  const options: DhcpOption[] = [];
  let i = start;
  while (i < end) {
    const code = buf[i]!;
    if (code === DhcpOptionCode.PAD) {
      i++;
      continue;
    }
    if (code === DhcpOptionCode.END) return { options, stopped: false };
    if (i + 2 > end) return { options, stopped: true };
    const len = buf[i + 1]!;
    if (i + 2 + len > end) return { options, stopped: true };
    options.push({ code, data: buf.subarray(i + 2, i + 2 + len) });
    i += 2 + len;
  }
  return { options, stopped: false };
}

/** The value of option `code`; repeated instances are concatenated (RFC 3396). */
export function dhcpOption(opts: readonly DhcpOption[], code: number): Uint8Array | undefined {
  let parts: Uint8Array[] | undefined;
  for (const o of opts) if (o.code === code) (parts ??= []).push(o.data);
  if (!parts) return undefined;
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A BOOTP/DHCP message to build (addresses as 32-bit numbers). */
export interface DhcpRepr {
  op: number;
  xid: number;
  secs?: number;
  flags?: number;
  ciaddr?: number;
  yiaddr?: number;
  siaddr?: number;
  giaddr?: number;
  /** Client hardware address (6 bytes for Ethernet). */
  chaddr: Uint8Array;
  sname?: string;
  file?: string;
  /** Options in order, without END (written by emit). Values over 255 bytes are split (RFC 3396). */
  options: DhcpOption[];
}

/** Bytes the options take, END included. */
export function dhcpOptionsLen(opts: readonly DhcpOption[]): number {
  let n = 1;
  for (const o of opts) n += o.data.length + 2 * Math.max(1, Math.ceil(o.data.length / 255));
  return n;
}

export const DhcpRepr = {
  /** At least 548 bytes (RFC 2131 §2 minimum), more if the options need it. */
  bufferLen(repr: DhcpRepr): number {
    return Math.max(DHCP_REPLY_LEN, DhcpField.OPTIONS + dhcpOptionsLen(repr.options));
  },
  emit(repr: DhcpRepr, buf: Uint8Array): void {
    const len = DhcpRepr.bufferLen(repr);
    buf.fill(0, 0, len);
    buf[DhcpField.OP] = repr.op;
    buf[DhcpField.HTYPE] = 1;
    buf[DhcpField.HLEN] = 6;
    setBe32(buf, DhcpField.XID, repr.xid);
    setBe16(buf, DhcpField.SECS, repr.secs ?? 0);
    setBe16(buf, DhcpField.FLAGS, repr.flags ?? 0);
    setBe32(buf, DhcpField.CIADDR, repr.ciaddr ?? 0);
    setBe32(buf, DhcpField.YIADDR, repr.yiaddr ?? 0);
    setBe32(buf, DhcpField.SIADDR, repr.siaddr ?? 0);
    setBe32(buf, DhcpField.GIADDR, repr.giaddr ?? 0);
    buf.set(repr.chaddr.subarray(0, 16), DhcpField.CHADDR);
    writeCString(buf, DhcpField.SNAME, 64, repr.sname);
    writeCString(buf, DhcpField.FILE, 128, repr.file);
    setBe32(buf, DhcpField.MAGIC, DHCP_MAGIC);
    let o = DhcpField.OPTIONS;
    for (const opt of repr.options) {
      let off = 0;
      do {
        const n = Math.min(255, opt.data.length - off);
        buf[o] = opt.code;
        buf[o + 1] = n;
        buf.set(opt.data.subarray(off, off + n), o + 2);
        o += 2 + n;
        off += n;
      } while (off < opt.data.length);
    }
    buf[o] = DhcpOptionCode.END;
  },
};

function writeCString(buf: Uint8Array, at: number, size: number, s: string | undefined): void {
  if (!s) return;
  const n = Math.min(s.length, size - 1);
  for (let i = 0; i < n; i++) buf[at + i] = s.charCodeAt(i) & 0xff;
}

/** Helpers to build option values. */
export const DhcpValue = {
  u8(v: number): Uint8Array {
    return Uint8Array.of(v & 0xff);
  },
  u32(v: number): Uint8Array {
    const b = new Uint8Array(4);
    setBe32(b, 0, v);
    return b;
  },
  ip(v: number): Uint8Array {
    return DhcpValue.u32(v);
  },
  text(s: string): Uint8Array {
    return new TextEncoder().encode(s);
  },
};
