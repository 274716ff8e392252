/**
 * Test packets built byte by byte, and an independent Internet checksum
 * (RFC 1071, written here, not taken from src/wire) to verify what the NIC
 * produced.
 */

export function sum16(b: Uint8Array, start = 0, end = b.length, init = 0): number {
  let s = init;
  for (let i = start; i < end; i += 2) s += (b[i]! << 8) + (i + 1 < end ? b[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}
export const cks = (b: Uint8Array, start = 0, end = b.length, init = 0): number => ~sum16(b, start, end, init) & 0xffff;

export const be16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
export const be32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
export function put32(b: Uint8Array, o: number, v: number): void {
  put16(b, o, v >>> 16);
  put16(b, o + 2, v & 0xffff);
}

export function mac(s: string): Uint8Array {
  return Uint8Array.from(s.split(':').map((x) => parseInt(x, 16)));
}

export function pattern(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + seed) & 0xff;
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A plain Ethernet frame with ethertype 0x88b5. */
export function eth(dst: string, len = 60, seed = 0, src = '02:00:00:00:00:01'): Uint8Array {
  const f = pattern(len, seed);
  f.set(mac(dst), 0);
  f.set(mac(src), 6);
  put16(f, 12, 0x88b5);
  return f;
}

export const IP4_SRC = Uint8Array.from([10, 0, 2, 15]);
export const IP4_DST = Uint8Array.from([10, 0, 2, 2]);
export const IP6_SRC = Uint8Array.from([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
export const IP6_DST = Uint8Array.from([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

export function pseudo4(proto: number, len: number, src: Uint8Array = IP4_SRC, dst: Uint8Array = IP4_DST): number {
  return sum16(concat(src, dst, Uint8Array.from([0, proto, len >> 8, len & 0xff])));
}
export function pseudo6(proto: number, len: number, src: Uint8Array = IP6_SRC, dst: Uint8Array = IP6_DST): number {
  const b = new Uint8Array(40);
  b.set(src, 0);
  b.set(dst, 16);
  put32(b, 32, len);
  b[39] = proto;
  return sum16(b);
}

export type Mode = 'wire' | 'tso' | 'csum';

export interface Ip4Opts {
  dst?: string;
  proto?: 'tcp' | 'udp';
  data?: Uint8Array;
  seq?: number;
  flags?: number;
  ident?: number;
  mode?: Mode;
  vlan?: number;
}

/** A TCP (20-byte header) or UDP (5353 -> 53) segment with `data`, checksum field left 0; `co` is the checksum's offset. */
function l4Segment(proto: 'tcp' | 'udp', data: Uint8Array, tcp: { sport: number; dport: number; seq: number; ack: number; flags: number }): { seg: Uint8Array; co: number } {
  const l4 = new Uint8Array(proto === 'tcp' ? 20 : 8);
  if (proto === 'tcp') {
    put16(l4, 0, tcp.sport);
    put16(l4, 2, tcp.dport);
    put32(l4, 4, tcp.seq);
    put32(l4, 8, tcp.ack);
    l4[12] = 0x50;
    l4[13] = tcp.flags;
    put16(l4, 14, 0xffff);
  } else {
    put16(l4, 0, 5353);
    put16(l4, 2, 53);
    put16(l4, 4, l4.length + data.length);
  }
  return { seg: concat(l4, data), co: proto === 'tcp' ? 16 : 6 };
}

/**
 * IPv4 + TCP/UDP. mode 'wire': correct lengths and checksums; 'tso': what
 * Linux hands a TSO NIC (IP length 0, IP checksum 0, TCP checksum = pseudo
 * header without length); 'csum': L4 checksum = pseudo header with length,
 * IP checksum 0 (both left to the NIC).
 */
export function ipv4(o: Ip4Opts = {}): Uint8Array {
  const proto = o.proto ?? 'tcp';
  const data = o.data ?? pattern(100);
  const mode = o.mode ?? 'wire';
  const l4len = (proto === 'tcp' ? 20 : 8) + data.length;
  const e = new Uint8Array(o.vlan === undefined ? 14 : 18);
  e.set(mac(o.dst ?? '52:54:00:12:34:56'), 0);
  e.set(mac('02:00:00:00:00:01'), 6);
  if (o.vlan === undefined) put16(e, 12, 0x0800);
  else {
    put16(e, 12, 0x8100);
    put16(e, 14, o.vlan);
    put16(e, 16, 0x0800);
  }
  const ip = new Uint8Array(20);
  ip[0] = 0x45;
  put16(ip, 2, mode === 'tso' ? 0 : 20 + l4len);
  put16(ip, 4, o.ident ?? 0x4242);
  put16(ip, 6, 0x4000);
  ip[8] = 64;
  ip[9] = proto === 'tcp' ? 6 : 17;
  ip.set(IP4_SRC, 12);
  ip.set(IP4_DST, 16);
  if (mode === 'wire') put16(ip, 10, cks(ip));
  const { seg, co } = l4Segment(proto, data, { sport: 40000, dport: 80, seq: o.seq ?? 1000, ack: 1, flags: o.flags ?? 0x18 });
  if (mode === 'wire') put16(seg, co, cks(seg, 0, seg.length, pseudo4(ip[9], l4len)) || (proto === 'udp' ? 0xffff : 0));
  else put16(seg, co, pseudo4(ip[9], mode === 'tso' ? 0 : l4len));
  return concat(e, ip, seg);
}

export function ipv6(o: Omit<Ip4Opts, 'ident' | 'vlan'> = {}): Uint8Array {
  const proto = o.proto ?? 'tcp';
  const data = o.data ?? pattern(100);
  const mode = o.mode ?? 'wire';
  const l4len = (proto === 'tcp' ? 20 : 8) + data.length;
  const e = new Uint8Array(14);
  e.set(mac(o.dst ?? '52:54:00:12:34:56'), 0);
  e.set(mac('02:00:00:00:00:01'), 6);
  put16(e, 12, 0x86dd);
  const ip = new Uint8Array(40);
  put32(ip, 0, 0x60000000);
  put16(ip, 4, mode === 'tso' ? 0 : l4len);
  ip[6] = proto === 'tcp' ? 6 : 17;
  ip[7] = 64;
  ip.set(IP6_SRC, 8);
  ip.set(IP6_DST, 24);
  const { seg, co } = l4Segment(proto, data, { sport: 40001, dport: 443, seq: o.seq ?? 5000, ack: 7, flags: o.flags ?? 0x18 });
  if (mode === 'wire') put16(seg, co, cks(seg, 0, seg.length, pseudo6(ip[6], l4len)) || 0xffff);
  else put16(seg, co, pseudo6(ip[6], mode === 'tso' ? 0 : l4len));
  return concat(e, ip, seg);
}

/** Verify an IPv4 frame's header checksum and TCP/UDP checksum independently. */
export function ipv4ChecksumsOk(f: Uint8Array, l3 = 14): { ip: boolean; l4: boolean } {
  const ihl = (f[l3]! & 0xf) * 4;
  const tl = be16(f, l3 + 2);
  const proto = f[l3 + 9]!;
  const ip = sum16(f, l3, l3 + ihl) === 0xffff;
  const l4len = tl - ihl;
  const ph = sum16(concat(f.subarray(l3 + 12, l3 + 20), Uint8Array.from([0, proto, l4len >> 8, l4len & 0xff])));
  const l4 = sum16(f, l3 + ihl, l3 + tl, ph) === 0xffff;
  return { ip, l4 };
}

export function ipv6ChecksumOk(f: Uint8Array, l3 = 14): boolean {
  const pl = be16(f, l3 + 4);
  const ph = pseudo6(f[l3 + 6]!, pl, f.subarray(l3 + 8, l3 + 24), f.subarray(l3 + 24, l3 + 40));
  return sum16(f, l3 + 40, l3 + 40 + pl, ph) === 0xffff;
}

export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
