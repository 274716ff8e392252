/**
 * Address helpers for the user-mode stack. IPv4 addresses travel as unsigned
 * 32-bit numbers (cheap map keys), IPv6 addresses as 16-byte arrays with a
 * hex string key.
 */
import { Ipv4Address, Ipv6Address } from '../../wire/index.js';

export function ip4(a: Uint8Array, offset = 0): number {
  return Ipv4Address.toU32(a, offset);
}

export function ip4Bytes(v: number): Uint8Array {
  return Ipv4Address.fromU32(v >>> 0);
}

export function ip4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Parse a dotted quad into a number, or undefined. */
export function parseIp4(text: string): number | undefined {
  const b = Ipv4Address.parse(text);
  return b ? Ipv4Address.toU32(b) : undefined;
}

export function maskOf(prefixLen: number): number {
  return prefixLen <= 0 ? 0 : prefixLen >= 32 ? 0xffffffff : (~(0xffffffff >>> prefixLen)) >>> 0;
}

export function inNet4(a: number, net: number, mask: number): boolean {
  return ((a & mask) >>> 0) === ((net & mask) >>> 0);
}

/** 0.0.0.0/8 ("this network", RFC 1122 §3.2.1.3): never a valid source but for DHCP's 0.0.0.0. */
export function isThisNet4(a: number): boolean {
  return a >>> 24 === 0;
}

export function isLoopback4(a: number): boolean {
  return a >>> 24 === 127;
}

export function isMulticast4(a: number): boolean {
  return a >>> 28 === 0xe;
}

const HEX = '0123456789abcdef';

/** A map key for an IPv6 address (32 hex digits). */
export function ip6Key(a: Uint8Array, offset = 0): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    const v = a[offset + i]!;
    s += HEX[v >>> 4]! + HEX[v & 15]!;
  }
  return s;
}

export function ip6Text(a: Uint8Array): string {
  return Ipv6Address.format(a);
}

export function parseIp6(text: string): Uint8Array | undefined {
  return Ipv6Address.parse(text);
}

export function ip6Equal(a: Uint8Array, b: Uint8Array): boolean {
  return Ipv6Address.equals(a, b);
}

/** A copy of the 16 bytes at `offset`. */
export function ip6Copy(a: Uint8Array, offset = 0): Uint8Array {
  return a.slice(offset, offset + 16);
}

/** The address with its interface identifier (low 128-`prefixLen` bits) replaced by that of `iid`. */
export function ip6WithPrefix(prefix: Uint8Array, prefixLen: number, iid: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, prefixLen - i * 8));
    const m = bits === 0 ? 0 : (0xff00 >>> bits) & 0xff;
    out[i] = (prefix[i]! & m) | (iid[i]! & ~m & 0xff);
  }
  return out;
}

export const LINK_LOCAL_PREFIX = new Uint8Array([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** The link-local address with the same interface identifier as `a` (fe80::/64). */
export function ip6LinkLocalOf(a: Uint8Array): Uint8Array {
  return ip6WithPrefix(LINK_LOCAL_PREFIX, 64, a);
}

/** IPv4 or IPv6 address of an endpoint, as the host interface sees it (text). */
export type IpFamily = 4 | 6;
