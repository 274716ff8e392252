/**
 * Neighbor Discovery options (RFC 4861 §4.6) and Recursive DNS Server
 * options (RFC 8106 §5.1). The walk is bounded by the buffer and a count.
 */
import { be32, setBe16, setBe32 } from './bytes.js';
import { type WireError, malformed, tooMany, truncated } from './error.js';

export const NdpOptionType = {
  SOURCE_LL_ADDR: 1,
  TARGET_LL_ADDR: 2,
  PREFIX_INFO: 3,
  REDIRECTED_HEADER: 4,
  MTU: 5,
  RDNSS: 25,
  DNSSL: 31,
} as const;

/** Prefix Information flag bits (RFC 4861 §4.6.2). */
export const PREFIX_FLAG_ON_LINK = 0x80;
export const PREFIX_FLAG_AUTONOMOUS = 0x40;

/** Default bound on options in one message (each is at least 8 bytes, so a 1500-byte MTU holds < 190). */
export const NDP_MAX_OPTIONS = 64;

export type NdpOption =
  /** Link-layer address: 6 bytes for Ethernet; any padding to 8 bytes is not part of `addr`. */
  | { type: 'source-ll-addr'; addr: Uint8Array }
  | { type: 'target-ll-addr'; addr: Uint8Array }
  | {
      type: 'prefix-info';
      prefixLen: number;
      onLink: boolean;
      autonomous: boolean;
      /** Seconds; 0xffffffff is infinity. */
      validLifetime: number;
      preferredLifetime: number;
      prefix: Uint8Array;
    }
  | { type: 'mtu'; mtu: number }
  /** Recursive DNS servers (RFC 8106); lifetime in seconds, 0xffffffff is infinity. */
  | { type: 'rdnss'; lifetime: number; servers: Uint8Array[] }
  /** Anything else; `data` is the option after its type and length bytes. */
  | { type: 'unknown'; rawType: number; data: Uint8Array };

/**
 * Parse the options in buf[start..end). A length of 0, an option running
 * past `end`, a known option with an impossible length, or more than
 * `maxOptions` options is an error (RFC 4861 §4.6: such packets are
 * discarded). Addresses and data are subarrays of `buf`.
 */
export function parseNdpOptions(buf: Uint8Array, start = 0, end: number = buf.length, maxOptions: number = NDP_MAX_OPTIONS): NdpOption[] | WireError {
  if (!Number.isSafeInteger(start) || start < 0) return malformed('ndp-option', 'offset', start);
  if (!(end <= buf.length)) end = buf.length;
  const out: NdpOption[] = [];
  let off = start;
  while (off < end) {
    if (out.length >= maxOptions) return tooMany('ndp-option', 'options', maxOptions);
    if (off + 2 > end) return truncated('ndp-option', off + 2, end);
    const type = buf[off]!;
    const units = buf[off + 1]!;
    if (units === 0) return malformed('ndp-option', 'length', 0);
    const len = units * 8;
    if (off + len > end) return truncated('ndp-option', off + len, end);
    const opt = parseOne(buf, off, type, units, len);
    if ('layer' in opt) return opt;
    out.push(opt);
    off += len;
  }
  return out;
}

function parseOne(buf: Uint8Array, off: number, type: number, units: number, len: number): NdpOption | WireError {
  switch (type) {
    case NdpOptionType.SOURCE_LL_ADDR:
    case NdpOptionType.TARGET_LL_ADDR: {
      // Ethernet (RFC 2464 §8): six bytes; the padding to 8 is not part of the address.
      const addrLen = units === 1 ? 6 : len - 2;
      const addr = buf.subarray(off + 2, off + 2 + addrLen);
      return type === NdpOptionType.SOURCE_LL_ADDR ? { type: 'source-ll-addr', addr } : { type: 'target-ll-addr', addr };
    }
    case NdpOptionType.PREFIX_INFO: {
      if (units !== 4) return malformed('ndp-option', 'prefix-info-length', units);
      const flags = buf[off + 3]!;
      return {
        type: 'prefix-info',
        prefixLen: buf[off + 2]!,
        onLink: (flags & PREFIX_FLAG_ON_LINK) !== 0,
        autonomous: (flags & PREFIX_FLAG_AUTONOMOUS) !== 0,
        validLifetime: be32(buf, off + 4),
        preferredLifetime: be32(buf, off + 8),
        prefix: buf.subarray(off + 16, off + 32),
      };
    }
    case NdpOptionType.MTU:
      if (units !== 1) return malformed('ndp-option', 'mtu-length', units);
      return { type: 'mtu', mtu: be32(buf, off + 4) };
    case NdpOptionType.RDNSS: {
      // Length is 1 + 2 × (number of addresses), at least 3 (RFC 8106 §5.1).
      if (units < 3 || (units & 1) === 0) return malformed('ndp-option', 'rdnss-length', units);
      const servers: Uint8Array[] = [];
      for (let a = off + 8; a < off + len; a += 16) servers.push(buf.subarray(a, a + 16));
      return { type: 'rdnss', lifetime: be32(buf, off + 4), servers };
    }
    default:
      return { type: 'unknown', rawType: type, data: buf.subarray(off + 2, off + len) };
  }
}

/** Bytes an option takes on the wire (a multiple of 8). */
export function ndpOptionLen(opt: NdpOption): number {
  switch (opt.type) {
    case 'source-ll-addr':
    case 'target-ll-addr':
      return (2 + opt.addr.length + 7) & ~7;
    case 'prefix-info':
      return 32;
    case 'mtu':
      return 8;
    case 'rdnss':
      return 8 + 16 * opt.servers.length;
    case 'unknown':
      return (2 + opt.data.length + 7) & ~7;
    default: {
      const never: never = opt;
      throw new Error(`unhandled NDP option ${String(never)}`);
    }
  }
}

export function ndpOptionsLen(opts: readonly NdpOption[]): number {
  let n = 0;
  for (const o of opts) n += ndpOptionLen(o);
  return n;
}

/** Write one option at `offset` (padding zeroed); returns its length. */
export function emitNdpOption(opt: NdpOption, buf: Uint8Array, offset: number): number {
  const len = ndpOptionLen(opt);
  buf.fill(0, offset, offset + len);
  buf[offset + 1] = len >>> 3;
  switch (opt.type) {
    case 'source-ll-addr':
    case 'target-ll-addr':
      buf[offset] = opt.type === 'source-ll-addr' ? NdpOptionType.SOURCE_LL_ADDR : NdpOptionType.TARGET_LL_ADDR;
      buf.set(opt.addr, offset + 2);
      break;
    case 'prefix-info':
      buf[offset] = NdpOptionType.PREFIX_INFO;
      buf[offset + 2] = opt.prefixLen;
      buf[offset + 3] = (opt.onLink ? PREFIX_FLAG_ON_LINK : 0) | (opt.autonomous ? PREFIX_FLAG_AUTONOMOUS : 0);
      setBe32(buf, offset + 4, opt.validLifetime);
      setBe32(buf, offset + 8, opt.preferredLifetime);
      buf.set(opt.prefix.subarray(0, 16), offset + 16);
      break;
    case 'mtu':
      buf[offset] = NdpOptionType.MTU;
      setBe32(buf, offset + 4, opt.mtu);
      break;
    case 'rdnss':
      buf[offset] = NdpOptionType.RDNSS;
      setBe16(buf, offset + 2, 0);
      setBe32(buf, offset + 4, opt.lifetime);
      for (let i = 0; i < opt.servers.length; i++) buf.set(opt.servers[i]!.subarray(0, 16), offset + 8 + 16 * i);
      break;
    case 'unknown':
      buf[offset] = opt.rawType;
      buf.set(opt.data, offset + 2);
      break;
  }
  return len;
}

/** Write options back to back from `offset`; returns the bytes written. */
export function emitNdpOptions(opts: readonly NdpOption[], buf: Uint8Array, offset: number): number {
  let o = offset;
  for (const opt of opts) o += emitNdpOption(opt, buf, o);
  return o - offset;
}
