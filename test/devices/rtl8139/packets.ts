/**
 * Packet builders for the rtl8139 tests, written independently of
 * src/wire so the device's offload results can be checked byte by byte.
 */
export function sum16(b: Uint8Array, start: number, end: number, init = 0): number {
  let s = init;
  for (let i = start; i < end; i += 2) s += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}
export const finish = (s: number): number => ~s & 0xffff;

export function payload(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

export function ethFrame(dst: Uint8Array | number[], len = 46, seed = 0, type = 0x88b5, src: number[] = [2, 0, 0, 0, 0, 1]): Uint8Array {
  const b = new Uint8Array(14 + len);
  b.set(dst, 0);
  b.set(src, 6);
  b[12] = type >>> 8;
  b[13] = type & 0xff;
  for (let i = 0; i < len; i++) b[14 + i] = (i + seed) & 0xff;
  return b;
}

export interface Ipv4Opts {
  dst?: number[];
  src?: number[];
  proto?: 'tcp' | 'udp';
  data?: Uint8Array;
  seq?: number;
  flags?: number;
  ident?: number;
  /** 'wire': correct checksums; 'zero': checksum fields 0; 'bad': both wrong. */
  mode?: 'wire' | 'zero' | 'bad';
  ihl?: number;
  totalLen?: number;
  doff?: number;
}

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

/** Ethernet + IPv4 (20-byte header) + TCP (20) or UDP (8) + data. */
export function ipv4Frame(o: Ipv4Opts = {}): Uint8Array {
  const data = o.data ?? payload(100);
  const proto = o.proto ?? 'tcp';
  const l4len = (proto === 'tcp' ? 20 : 8) + data.length;
  const f = new Uint8Array(14 + 20 + l4len);
  f.set(o.dst ?? [0x02, 0, 0, 0, 0, 2], 0);
  f.set(o.src ?? [0x52, 0x54, 0x00, 0x12, 0x34, 0x57], 6);
  put16(f, 12, 0x0800);
  const ip = 14;
  f[ip] = 0x40 | (o.ihl ?? 5);
  put16(f, ip + 2, o.totalLen ?? 20 + l4len);
  put16(f, ip + 4, o.ident ?? 0x1234);
  put16(f, ip + 6, 0x4000);
  f[ip + 8] = 64;
  f[ip + 9] = proto === 'tcp' ? 6 : 17;
  f.set([10, 0, 2, 15], ip + 12);
  f.set([10, 0, 2, 2], ip + 16);
  const l4 = ip + 20;
  if (proto === 'tcp') {
    put16(f, l4, 40000);
    put16(f, l4 + 2, 80);
    put32(f, l4 + 4, o.seq ?? 1000);
    put32(f, l4 + 8, 1);
    f[l4 + 12] = (o.doff ?? 5) << 4;
    f[l4 + 13] = o.flags ?? 0x18;
    put16(f, l4 + 14, 0xffff);
  } else {
    put16(f, l4, 5353);
    put16(f, l4 + 2, 53);
    put16(f, l4 + 4, l4len);
  }
  f.set(data, l4 + (proto === 'tcp' ? 20 : 8));
  const mode = o.mode ?? 'wire';
  if (mode !== 'zero') fixChecksums(f, mode === 'bad');
  return f;
}

/** Recompute the IPv4 header checksum and the TCP/UDP checksum over the IP total length. */
export function fixChecksums(f: Uint8Array, corrupt = false): void {
  const ip = 14;
  const hl = (f[ip]! & 15) * 4;
  put16(f, ip + 10, 0);
  put16(f, ip + 10, finish(sum16(f, ip, ip + hl)) ^ (corrupt ? 0x0101 : 0));
  const end = ip + be16(f, ip + 2);
  const l4 = ip + hl;
  const proto = f[ip + 9]!;
  const co = proto === 6 ? 16 : 6;
  put16(f, l4 + co, 0);
  const ph = sum16(f, ip + 12, ip + 20) + proto + (end - l4);
  let c = finish(sum16(f, l4, end, ph));
  if (proto === 17 && c === 0) c = 0xffff;
  put16(f, l4 + co, c ^ (corrupt ? 0x0202 : 0));
}

/** True when the IPv4 header and TCP/UDP checksums of `f` verify. */
export function checksumsOk(f: Uint8Array, l3 = 14): boolean {
  const hl = (f[l3]! & 15) * 4;
  if (sum16(f, l3, l3 + hl) !== 0xffff) return false;
  const end = l3 + be16(f, l3 + 2);
  const l4 = l3 + hl;
  const proto = f[l3 + 9]!;
  const ph = sum16(f, l3 + 12, l3 + 20) + proto + (end - l4);
  return sum16(f, l4, end, ph) === 0xffff;
}

/** The standard CRC-32 (Ethernet FCS), bitwise. */
export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

export function tagged(frame: Uint8Array, tci: number): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12), 0);
  out.set([0x81, 0x00, tci >>> 8, tci & 0xff], 12);
  out.set(frame.subarray(12), 16);
  return out;
}

/**
 * What each TSO segment must be, built independently: headers copied, IP
 * total length / id + i / checksum, TCP seq + offset, FIN/PSH only on the
 * last segment, CWR only on the first, checksums fresh.
 */
export function expectedSegments(frame: Uint8Array, mss: number): Uint8Array[] {
  const ip = 14;
  const hl = (frame[ip]! & 15) * 4;
  const l4 = ip + hl;
  const thl = (frame[l4 + 12]! >>> 4) * 4;
  const hdr = l4 + thl;
  const end = ip + be16(frame, ip + 2);
  const data = end - hdr;
  const n = Math.max(1, Math.ceil(data / mss));
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = Math.min(mss, data - i * mss);
    const s = new Uint8Array(hdr + len);
    s.set(frame.subarray(0, hdr));
    s.set(frame.subarray(hdr + i * mss, hdr + i * mss + len), hdr);
    put16(s, ip + 2, hl + thl + len);
    put16(s, ip + 4, (be16(frame, ip + 4) + i) & 0xffff);
    put32(s, l4 + 4, (be32(frame, l4 + 4) + i * mss) >>> 0);
    let flags = frame[l4 + 13]!;
    if (i !== n - 1) flags &= ~0x09;
    if (i !== 0) flags &= ~0x80;
    s[l4 + 13] = flags;
    fixChecksums(s);
    out.push(s);
  }
  return out;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
