/**
 * DHCPv6 messages (RFC 8415 §8, §21) as the stateless server needs them:
 * Information-request in, Reply out, with DNS servers (RFC 3646), the
 * domain list and the boot file URL (RFC 5970).
 */
import { be16, setBe16 } from '../../../wire/bytes.js';
import { type AppWireError, appTooMany, appTruncated } from './error.js';

export const DHCPV6_CLIENT_PORT = 546;
export const DHCPV6_SERVER_PORT = 547;
/** All_DHCP_Relay_Agents_and_Servers. */
export const DHCPV6_ALL_AGENTS = new Uint8Array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]);

export const Dhcpv6MessageType = {
  SOLICIT: 1,
  ADVERTISE: 2,
  REQUEST: 3,
  CONFIRM: 4,
  RENEW: 5,
  REBIND: 6,
  REPLY: 7,
  RELEASE: 8,
  DECLINE: 9,
  RECONFIGURE: 10,
  INFORMATION_REQUEST: 11,
} as const;

export const Dhcpv6OptionCode = {
  CLIENTID: 1,
  SERVERID: 2,
  IA_NA: 3,
  ORO: 6,
  ELAPSED_TIME: 8,
  STATUS_CODE: 13,
  DNS_SERVERS: 23,
  DOMAIN_LIST: 24,
  BOOTFILE_URL: 59,
} as const;

/** Options walked in one message at most. */
export const DHCPV6_MAX_OPTIONS = 64;

export interface Dhcpv6Option {
  code: number;
  data: Uint8Array;
}

export interface Dhcpv6Repr {
  msgType: number;
  /** 24-bit transaction id. */
  transactionId: number;
  options: Dhcpv6Option[];
}

export const Dhcpv6Repr = {
  /** Options must each fit; a short header or an option running past the end is an error. */
  parse(buf: Uint8Array): Dhcpv6Repr | AppWireError {
    if (buf.length < 4) return appTruncated('dhcpv6', 4, buf.length);
    const options: Dhcpv6Option[] = [];
    let off = 4;
    while (off < buf.length) {
      if (options.length >= DHCPV6_MAX_OPTIONS) return appTooMany('dhcpv6', 'options', DHCPV6_MAX_OPTIONS);
      if (off + 4 > buf.length) return appTruncated('dhcpv6', off + 4, buf.length);
      const code = be16(buf, off);
      const len = be16(buf, off + 2);
      if (off + 4 + len > buf.length) return appTruncated('dhcpv6', off + 4 + len, buf.length);
      options.push({ code, data: buf.subarray(off + 4, off + 4 + len) });
      off += 4 + len;
    }
    return { msgType: buf[0]!, transactionId: (buf[1]! << 16) | (buf[2]! << 8) | buf[3]!, options };
  },
  bufferLen(repr: Dhcpv6Repr): number {
    let n = 4;
    for (const o of repr.options) n += 4 + o.data.length;
    return n;
  },
  emit(repr: Dhcpv6Repr, buf: Uint8Array): void {
    buf[0] = repr.msgType;
    buf[1] = repr.transactionId >>> 16;
    buf[2] = repr.transactionId >>> 8;
    buf[3] = repr.transactionId;
    let off = 4;
    for (const o of repr.options) {
      setBe16(buf, off, o.code);
      setBe16(buf, off + 2, o.data.length);
      buf.set(o.data, off + 4);
      off += 4 + o.data.length;
    }
  },
};

export function dhcpv6Option(opts: readonly Dhcpv6Option[], code: number): Uint8Array | undefined {
  for (const o of opts) if (o.code === code) return o.data;
  return undefined;
}

/** Requested option codes from an Option Request option (pairs of bytes). */
export function parseOro(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) out.push(be16(data, i));
  return out;
}

/** DUID-LL (RFC 8415 §11.4): type 3, hardware type 1 (Ethernet), then the MAC. */
export function duidLl(mac: Uint8Array): Uint8Array {
  const b = new Uint8Array(10);
  setBe16(b, 0, 3);
  setBe16(b, 2, 1);
  b.set(mac.subarray(0, 6), 4);
  return b;
}
