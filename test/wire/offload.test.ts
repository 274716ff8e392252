import { describe, expect, it } from 'vitest';
import {
  partialL4Checksum,
  EtherType,
  EthernetRepr,
  IpProtocol,
  Ipv4Address,
  Ipv4Repr,
  Ipv6Address,
  Ipv6Repr,
  TcpFlags,
  TcpRepr,
  UdpRepr,
  completeChecksum,
  forEachTcpSegment,
  insertChecksum,
  onesSum,
  planTso,
  pseudoHeaderSum,
  segmentTcp,
  segmentUdp,
  validateRxChecksums,
  vlanInsert,
  type SegmentOptions,
} from '../../src/wire/index.js';
import { DHCP_DISCOVER, TCP_SYN } from './golden.js';
import { err, naiveChecksum, ok, pseudo4, pseudo6, toHex } from './helpers.js';

const MAC_A = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);
const MAC_B = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const SRC4 = Ipv4Address.parse('10.0.2.15')!;
const DST4 = Ipv4Address.parse('93.184.216.34')!;
const SRC6 = Ipv6Address.parse('2001:db8::5054:ff:fe12:3456')!;
const DST6 = Ipv6Address.parse('2001:db8::1')!;

const be16 = (b: Uint8Array, o: number): number => b[o]! * 256 + b[o + 1]!;
const be32 = (b: Uint8Array, o: number): number => be16(b, o) * 65536 + be16(b, o + 2);
const put16 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = (v >>> 8) & 255;
  b[o + 1] = v & 255;
};
const put32 = (b: Uint8Array, o: number, v: number): void => {
  put16(b, o, Math.floor(v / 65536) % 65536);
  put16(b, o + 2, v % 65536);
};

function pattern(n: number, seed = 7): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (i * seed + (i >> 8)) & 255;
  return p;
}

/** TCP options of a typical established-connection segment: NOP NOP timestamps (12 bytes). */
const TS_OPTIONS = [{ type: 'nop' as const }, { type: 'nop' as const }, { type: 'timestamp' as const, tsVal: 0x01020304, tsEcr: 0x0a0b0c0d }];

/** A large IPv4 TCP frame as a driver hands it over for TSO. */
function bigTcp4(payload: Uint8Array, o: { seq?: number; ident?: number; totalLenZero?: boolean; flags?: number } = {}): Uint8Array {
  const tcp: TcpRepr = {
    srcPort: 45678,
    dstPort: 80,
    seq: o.seq ?? 0x1a2b3c4e,
    ack: 0x55667788,
    flags: o.flags ?? TcpFlags.ACK | TcpFlags.PSH | TcpFlags.FIN | TcpFlags.CWR,
    window: 502,
    options: TS_OPTIONS,
    payload,
  };
  const ip: Ipv4Repr = { src: SRC4, dst: DST4, protocol: IpProtocol.TCP, payloadLen: TcpRepr.bufferLen(tcp), ttl: 64, ident: o.ident ?? 0x1c47, dontFrag: true };
  const frame = new Uint8Array(14 + 20 + TcpRepr.bufferLen(tcp));
  EthernetRepr.emit({ dst: MAC_A, src: MAC_B, ethertype: EtherType.IPV4 }, frame);
  // A large datagram's total length does not fit 16 bits: write it via a small repr, then patch.
  Ipv4Repr.emit({ ...ip, payloadLen: 0 }, frame.subarray(14));
  put16(frame, 16, o.totalLenZero || frame.length - 14 > 0xffff ? 0 : frame.length - 14);
  TcpRepr.emit(tcp, frame.subarray(34));
  // e1000 drivers seed the TCP checksum with the pseudo-header sum; the device ignores it. Leave junk.
  put16(frame, 34 + 16, 0xbeef);
  return frame;
}

function bigTcp6(payload: Uint8Array, ext: Uint8Array[] = [], o: { payloadLenZero?: boolean } = {}): Uint8Array {
  const tcp: TcpRepr = { srcPort: 443, dstPort: 50000, seq: 0xfffff000, ack: 1, flags: TcpFlags.ACK | TcpFlags.PSH, window: 1000, options: TS_OPTIONS, payload };
  const extLen = ext.reduce((n, e) => n + e.length, 0);
  const frame = new Uint8Array(14 + 40 + extLen + TcpRepr.bufferLen(tcp));
  EthernetRepr.emit({ dst: MAC_A, src: MAC_B, ethertype: EtherType.IPV6 }, frame);
  Ipv6Repr.emit({ src: SRC6, dst: DST6, nextHeader: ext.length ? IpProtocol.IPV6_DEST_OPTS : IpProtocol.TCP, payloadLen: 0, hopLimit: 64, flowLabel: 0x12345 }, frame.subarray(14));
  put16(frame, 18, o.payloadLenZero || frame.length - 54 > 0xffff ? 0 : frame.length - 54);
  let off = 54;
  for (const e of ext) {
    frame.set(e, off);
    off += e.length;
  }
  TcpRepr.emit(tcp, frame.subarray(off));
  return frame;
}

/**
 * The segment TSO must produce, built by hand from the original frame with
 * plain byte writes and the independent checksum in helpers.ts.
 */
function expectedSegment(frame: Uint8Array, l3: number, l4: number, ipv6: boolean, mss: number, i: number, count: number): Uint8Array {
  const thl = (frame[l4 + 12]! >> 4) * 4;
  const hdrEnd = l4 + thl;
  const payloadLen = frame.length - hdrEnd;
  const segLen = Math.min(mss, payloadLen - i * mss);
  const seg = new Uint8Array(hdrEnd + segLen);
  seg.set(frame.subarray(0, hdrEnd));
  seg.set(frame.subarray(hdrEnd + i * mss, hdrEnd + i * mss + segLen), hdrEnd);
  if (!ipv6) {
    put16(seg, l3 + 2, seg.length - l3);
    put16(seg, l3 + 4, (be16(frame, l3 + 4) + i) % 65536);
    put16(seg, l3 + 10, 0);
    put16(seg, l3 + 10, naiveChecksum(seg.subarray(l3, l4)));
  } else {
    put16(seg, l3 + 4, seg.length - l3 - 40);
  }
  put32(seg, l4 + 4, (be32(frame, l4 + 4) + i * mss) % 2 ** 32);
  let flags = frame[l4 + 13]!;
  if (i < count - 1) flags &= ~(0x01 | 0x08);
  if (i > 0) flags &= ~0x80;
  seg[l4 + 13] = flags;
  put16(seg, l4 + 16, 0);
  const ph = ipv6
    ? pseudo6(seg.subarray(l3 + 8, l3 + 24), seg.subarray(l3 + 24, l3 + 40), 6, seg.length - l4)
    : pseudo4(seg.subarray(l3 + 12, l3 + 16), seg.subarray(l3 + 16, l3 + 20), 6, seg.length - l4);
  put16(seg, l4 + 16, naiveChecksum(ph, seg.subarray(l4)));
  return seg;
}

describe('segmentTcp (software TSO)', () => {
  it('9000-byte IPv4 payload at MSS 1460: seven segments, each checked byte by byte', () => {
    const payload = pattern(9000);
    const frame = bigTcp4(payload);
    const opts: SegmentOptions = { l3Offset: 14, l4Offset: 34, mss: 1460, ipv6: false };
    const segs = ok(segmentTcp(frame, opts));
    expect(segs.length).toBe(7);
    expect(segs.map((s) => s.length)).toEqual([...Array(6).fill(66 + 1460), 66 + 240]);
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      expect(toHex(s), `segment ${i}`).toBe(toHex(expectedSegment(frame, 14, 34, false, 1460, i, 7)));
      // Spot checks, read straight from the bytes.
      expect(be16(s, 16)).toBe(20 + 32 + (i < 6 ? 1460 : 240)); // total length
      expect(be16(s, 18)).toBe(0x1c47 + i); // identification
      expect(be32(s, 38)).toBe(0x1a2b3c4e + i * 1460); // sequence number
      expect(be32(s, 42)).toBe(0x55667788); // ack unchanged
      const flags = s[47]!;
      expect(!!(flags & TcpFlags.FIN)).toBe(i === 6);
      expect(!!(flags & TcpFlags.PSH)).toBe(i === 6);
      expect(!!(flags & TcpFlags.CWR)).toBe(i === 0);
      expect(!!(flags & TcpFlags.ACK)).toBe(true);
      expect(naiveChecksum(s.subarray(14, 34))).toBe(0);
      expect(naiveChecksum(pseudo4(SRC4, DST4, 6, s.length - 34), s.subarray(34))).toBe(0);
      expect(validateRxChecksums(s)).toEqual({ l3: 'ipv4', ipv4: 'ok', l4: 'ok', proto: 6, l3Offset: 14, l4Offset: 34 });
    }
    expect(toHex(Uint8Array.from(segs.flatMap((s) => [...s.subarray(66)])))).toBe(toHex(payload));
  });

  it('total length 0 (as e1000 drivers send) and a sequence number that wraps past 2^32', () => {
    const frame = bigTcp4(pattern(5000), { seq: 0xfffffc00, ident: 0xfffe, totalLenZero: true });
    const segs = ok(segmentTcp(frame, { l3Offset: 14, l4Offset: 34, mss: 1448, ipv6: false }));
    expect(segs.length).toBe(4);
    expect(segs.map((s) => be32(s, 38))).toEqual([0xfffffc00, 0x000001a8, 0x00000750, 0x00000cf8]);
    expect(segs.map((s) => be16(s, 18))).toEqual([0xfffe, 0xffff, 0x0000, 0x0001]);
    segs.forEach((s, i) => expect(toHex(s)).toBe(toHex(expectedSegment(frame, 14, 34, false, 1448, i, 4))));
  });

  it('behind an 802.1Q tag (l3Offset 18)', () => {
    const frame = vlanInsert(bigTcp4(pattern(3000)), 0x0064);
    const segs = ok(segmentTcp(frame, { l3Offset: 18, l4Offset: 38, mss: 1000, ipv6: false }));
    expect(segs.length).toBe(3);
    segs.forEach((s, i) => {
      expect(toHex(s)).toBe(toHex(expectedSegment(frame, 18, 38, false, 1000, i, 3)));
      expect(validateRxChecksums(s)).toMatchObject({ ipv4: 'ok', l4: 'ok', l3Offset: 18 });
    });
  });

  it('a payload that fits one segment, and a header-only frame, come back as one segment', () => {
    const small = bigTcp4(pattern(100));
    const one = ok(segmentTcp(small, { l3Offset: 14, l4Offset: 34, mss: 1460, ipv6: false }));
    expect(one.length).toBe(1);
    expect(toHex(one[0]!)).toBe(toHex(expectedSegment(small, 14, 34, false, 1460, 0, 1)));
    const empty = bigTcp4(new Uint8Array(0));
    const e = ok(segmentTcp(empty, { l3Offset: 14, l4Offset: 34, mss: 1460, ipv6: false }));
    expect(e.length).toBe(1);
    expect(e[0]!.length).toBe(66);
    expect(e[0]![47]! & TcpFlags.FIN).toBe(TcpFlags.FIN);
  });

  it('IPv6: 9000 bytes at MSS 1440, payload length fixed per segment, checksums over the IPv6 pseudo-header', () => {
    const payload = pattern(9000, 13);
    const frame = bigTcp6(payload);
    const segs = ok(segmentTcp(frame, { l3Offset: 14, l4Offset: 54, mss: 1440, ipv6: true }));
    expect(segs.length).toBe(7);
    segs.forEach((s, i) => {
      expect(toHex(s), `segment ${i}`).toBe(toHex(expectedSegment(frame, 14, 54, true, 1440, i, 7)));
      expect(be16(s, 18)).toBe(32 + Math.min(1440, 9000 - i * 1440));
      expect(naiveChecksum(pseudo6(SRC6, DST6, 6, s.length - 54), s.subarray(54))).toBe(0);
      expect(validateRxChecksums(s)).toEqual({ l3: 'ipv6', l4: 'ok', proto: 6, l3Offset: 14, l4Offset: 54 });
    });
    // Sequence numbers wrap: 0xfffff000 + 3 * 1440 passes 2^32.
    expect(be32(segs[3]!, 58)).toBe((0xfffff000 + 3 * 1440) % 2 ** 32);
    expect(toHex(Uint8Array.from(segs.flatMap((s) => [...s.subarray(86)])))).toBe(toHex(payload));
  });

  it('IPv6 with a destination-options header: the extension header is copied into every segment', () => {
    const dest = Uint8Array.of(IpProtocol.TCP, 0, 1, 4, 0, 0, 0, 0);
    const frame = bigTcp6(pattern(4000), [dest], { payloadLenZero: true });
    const segs = ok(segmentTcp(frame, { l3Offset: 14, l4Offset: 62, mss: 1400, ipv6: true }));
    expect(segs.length).toBe(3);
    segs.forEach((s, i) => {
      expect(toHex(s)).toBe(toHex(expectedSegment(frame, 14, 62, true, 1400, i, 3)));
      expect(toHex(s.subarray(54, 62))).toBe(toHex(dest));
      expect(validateRxChecksums(s)).toMatchObject({ l4: 'ok', l4Offset: 62 });
    });
    // The walk must agree with the caller's l4Offset.
    expect(err(segmentTcp(frame, { l3Offset: 14, l4Offset: 54, mss: 1400, ipv6: true }))).toMatchObject({ field: 'l4-offset' });
  });

  it('useIpLength (rtl8139): the payload ends at the IP total length, trailing bytes dropped', () => {
    const frame = bigTcp4(pattern(3000));
    const padded = new Uint8Array(frame.length + 20).fill(0xee);
    padded.set(frame);
    const segs = ok(segmentTcp(padded, { l3Offset: 14, l4Offset: 34, mss: 1460, ipv6: false, useIpLength: true }));
    segs.forEach((s, i) => expect(toHex(s)).toBe(toHex(expectedSegment(frame, 14, 34, false, 1460, i, 3))));
    // Total length 0 cannot be used as the length.
    const zero = bigTcp4(pattern(3000), { totalLenZero: true });
    expect(err(segmentTcp(zero, { l3Offset: 14, l4Offset: 34, mss: 1460, ipv6: false, useIpLength: true }))).toMatchObject({ field: 'total-length', value: 0 });
  });

  it('forEachTcpSegment yields the same bytes through one reused buffer', () => {
    const frame = bigTcp4(pattern(9000));
    const opts: SegmentOptions = { l3Offset: 14, l4Offset: 34, mss: 1460, ipv6: false };
    const want = ok(segmentTcp(frame, opts)).map(toHex);
    const got: string[] = [];
    const buffers = new Set<ArrayBufferLike>();
    expect(forEachTcpSegment(frame, opts, (seg, i) => {
      expect(i).toBe(got.length);
      got.push(toHex(seg));
      buffers.add(seg.buffer);
    })).toBe(7);
    expect(got).toEqual(want);
    expect(buffers.size).toBe(1);
    expect(ok(planTso(frame, opts))).toMatchObject({ headerLen: 66, payloadLen: 9000, segments: 7 });
  });

  it('the input frame is not modified', () => {
    const frame = bigTcp4(pattern(4000));
    const copy = frame.slice();
    ok(segmentTcp(frame, { l3Offset: 14, l4Offset: 34, mss: 1000, ipv6: false }));
    expect(toHex(frame)).toBe(toHex(copy));
  });
});

describe('segmentTcp refuses inconsistent requests (CVE-2015-5165: never trust header lengths)', () => {
  const base = (): Uint8Array => bigTcp4(pattern(3000));
  const o: SegmentOptions = { l3Offset: 14, l4Offset: 34, mss: 1460, ipv6: false };

  it('MSS 0, negative or fractional offsets', () => {
    expect(err(segmentTcp(base(), { ...o, mss: 0 }))).toEqual({ kind: 'malformed', layer: 'offload', field: 'mss', value: 0 });
    expect(err(segmentTcp(base(), { ...o, mss: 1.5 }))).toMatchObject({ field: 'mss' });
    expect(err(segmentTcp(base(), { ...o, l3Offset: -1 }))).toMatchObject({ field: 'l3-offset' });
    expect(err(segmentTcp(base(), { ...o, l4Offset: Number.NaN }))).toMatchObject({ field: 'l4-offset' });
  });

  it('IP header outside the frame, wrong version, IHL < 5, IHL past the frame', () => {
    expect(err(segmentTcp(base().subarray(0, 30), o))).toMatchObject({ kind: 'truncated', layer: 'ipv4', need: 34 });
    expect(err(segmentTcp(base(), { ...o, l3Offset: 5000, l4Offset: 5020 }))).toMatchObject({ kind: 'truncated', layer: 'ipv4' });
    const v = base();
    v[14] = 0x65;
    expect(err(segmentTcp(v, o))).toMatchObject({ field: 'version', value: 6 });
    const ihl = base();
    ihl[14] = 0x44;
    expect(err(segmentTcp(ihl, o))).toMatchObject({ field: 'ihl', value: 4 });
    const long = base().subarray(0, 60);
    long[14] = 0x4f;
    expect(err(segmentTcp(long, { ...o, l4Offset: 74 }))).toMatchObject({ kind: 'truncated', layer: 'ipv4', need: 74, have: 60 });
  });

  it('L4 offset that disagrees with IHL, and a protocol that is not TCP', () => {
    expect(err(segmentTcp(base(), { ...o, l4Offset: 38 }))).toEqual({ kind: 'malformed', layer: 'offload', field: 'l4-offset', value: 38 });
    const udp = base();
    udp[23] = IpProtocol.UDP;
    expect(err(segmentTcp(udp, o))).toMatchObject({ field: 'protocol', value: 17 });
  });

  it('total length below the headers (the rtl8139 underflow) or past the frame', () => {
    const under = base();
    put16(under, 16, 40);
    expect(err(segmentTcp(under, o))).toEqual({ kind: 'malformed', layer: 'ipv4', field: 'total-length', value: 40 });
    put16(under, 16, 19);
    expect(err(segmentTcp(under, { ...o, useIpLength: true }))).toMatchObject({ field: 'total-length' });
    const over = base();
    put16(over, 16, over.length - 14 + 1);
    expect(err(segmentTcp(over, o))).toMatchObject({ kind: 'truncated', layer: 'ipv4', need: over.length + 1, have: over.length });
  });

  it('TCP data offset below 5 or past the frame; frame ending inside the TCP header', () => {
    const d4 = base();
    d4[46] = 0x40;
    expect(err(segmentTcp(d4, o))).toMatchObject({ layer: 'tcp', field: 'data-offset', value: 4 });
    const d15 = base().slice(0, 80);
    d15[46] = 0xf0;
    put16(d15, 16, 0);
    expect(err(segmentTcp(d15, o))).toMatchObject({ kind: 'truncated', layer: 'tcp', need: 94, have: 80 });
    expect(err(segmentTcp(base().subarray(0, 50), o))).toMatchObject({ kind: 'truncated', layer: 'tcp', need: 54 });
  });

  it('segments that would not fit a 16-bit IP length, or more segments than allowed', () => {
    const huge = bigTcp4(pattern(70_000));
    expect(err(segmentTcp(huge, { ...o, mss: 65_535 }))).toMatchObject({ field: 'segment-length' });
    expect(ok(segmentTcp(huge, { ...o, mss: 65_000 })).length).toBe(2);
    expect(err(segmentTcp(base(), { ...o, mss: 1, maxSegments: 100 }))).toEqual({ kind: 'too-many', layer: 'offload', what: 'segments', limit: 100 });
  });

  it('IPv6: wrong version, extension chain not reaching TCP, an existing fragment header', () => {
    const v = bigTcp6(pattern(2000));
    v[14] = 0x45;
    expect(err(segmentTcp(v, { l3Offset: 14, l4Offset: 54, mss: 1000, ipv6: true }))).toMatchObject({ layer: 'ipv6', field: 'version' });
    const u = bigTcp6(pattern(2000));
    u[20] = IpProtocol.UDP;
    expect(err(segmentTcp(u, { l3Offset: 14, l4Offset: 54, mss: 1000, ipv6: true }))).toMatchObject({ field: 'protocol', value: 17 });
    const f = bigTcp6(pattern(2000), [Uint8Array.of(IpProtocol.TCP, 0, 0, 0, 0, 0, 0, 1)]);
    f[20] = IpProtocol.IPV6_FRAGMENT;
    expect(err(segmentTcp(f, { l3Offset: 14, l4Offset: 62, mss: 1000, ipv6: true }))).toMatchObject({ field: 'already-fragmented' });
    const pl = bigTcp6(pattern(2000));
    put16(pl, 18, 10);
    expect(err(segmentTcp(pl, { l3Offset: 14, l4Offset: 54, mss: 1000, ipv6: true }))).toEqual({ kind: 'malformed', layer: 'ipv6', field: 'payload-length', value: 10 });
    put16(pl, 18, 0xffff);
    expect(err(segmentTcp(pl, { l3Offset: 14, l4Offset: 54, mss: 1000, ipv6: true }))).toMatchObject({ kind: 'truncated', layer: 'ipv6' });
  });
});

/** Reassemble IPv4 fragments (sorted by offset) into the datagram's payload. */
function reassemble4(frags: Uint8Array[], l3: number): Uint8Array {
  const parts: Array<[number, Uint8Array]> = frags.map((f) => {
    const hl = (f[l3]! & 15) * 4;
    return [(be16(f, l3 + 6) & 0x1fff) * 8, f.subarray(l3 + hl, l3 + be16(f, l3 + 2))];
  });
  const total = Math.max(...parts.map(([o, d]) => o + d.length));
  const out = new Uint8Array(total);
  for (const [o, d] of parts) out.set(d, o);
  return out;
}

describe('segmentUdp (software UFO)', () => {
  function bigUdp4(payload: Uint8Array, options?: Uint8Array, df = false): Uint8Array {
    const ip: Ipv4Repr = { src: SRC4, dst: DST4, protocol: IpProtocol.UDP, payloadLen: 8 + payload.length, ttl: 64, ident: 0x4242, dontFrag: df, ...(options ? { options } : {}) };
    const hl = Ipv4Repr.headerLen(ip);
    const frame = new Uint8Array(14 + hl + 8 + payload.length);
    EthernetRepr.emit({ dst: MAC_A, src: MAC_B, ethertype: EtherType.IPV4 }, frame);
    Ipv4Repr.emit(ip, frame.subarray(14));
    UdpRepr.emit({ srcPort: 5000, dstPort: 6000, payload }, frame.subarray(14 + hl));
    put16(frame, 14 + hl + 4, 0); // length and checksum left for the device
    return frame;
  }

  it('IPv4: 4000 bytes at MSS 1480 → three fragments; reassembly gives the datagram with length and checksum filled', () => {
    const payload = pattern(4000);
    const frame = bigUdp4(payload);
    const frags = ok(segmentUdp(frame, { l3Offset: 14, l4Offset: 34, mss: 1480, ipv6: false }));
    expect(frags.map((f) => f.length)).toEqual([14 + 20 + 1480, 14 + 20 + 1480, 14 + 20 + 1048]);
    frags.forEach((f, i) => {
      expect(toHex(f.subarray(0, 14))).toBe(toHex(frame.subarray(0, 14)));
      expect(be16(f, 18)).toBe(0x4242); // same identification
      expect(be16(f, 20)).toBe((i < 2 ? 0x2000 : 0) | ((i * 1480) / 8)); // MF and offset
      expect(naiveChecksum(f.subarray(14, 34))).toBe(0);
      expect(validateRxChecksums(f)).toEqual({ l3: 'ipv4', ipv4: 'ok', proto: 17, l3Offset: 14 });
    });
    const dgram = reassemble4(frags, 14);
    expect(dgram.length).toBe(4008);
    expect(be16(dgram, 4)).toBe(4008);
    expect(naiveChecksum(pseudo4(SRC4, DST4, 17, 4008), dgram)).toBe(0);
    expect(toHex(dgram.subarray(8))).toBe(toHex(payload));
  });

  it('IPv4 MSS is rounded down to a multiple of 8; a datagram that fits goes whole', () => {
    const frags = ok(segmentUdp(bigUdp4(pattern(3000)), { l3Offset: 14, l4Offset: 34, mss: 1477, ipv6: false }));
    expect(frags.map((f) => f.length - 34)).toEqual([1472, 1472, 64]);
    const whole = ok(segmentUdp(bigUdp4(pattern(500)), { l3Offset: 14, l4Offset: 34, mss: 1480, ipv6: false }));
    expect(whole.length).toBe(1);
    expect(be16(whole[0]!, 20)).toBe(0);
    expect(validateRxChecksums(whole[0]!)).toMatchObject({ ipv4: 'ok', l4: 'ok' });
  });

  it('IPv4 options: later fragments carry only the copied ones (RFC 791 §3.2)', () => {
    // Router Alert (copied) + NOP + Record Route-ish option 7 (not copied) padded.
    const options = Uint8Array.of(0x94, 4, 0, 0, 7, 3, 4, 0);
    const frags = ok(segmentUdp(bigUdp4(pattern(2000), options), { l3Offset: 14, l4Offset: 42, mss: 1000, ipv6: false }));
    expect(frags.length).toBe(3);
    expect(frags[0]![14]).toBe(0x47);
    expect(toHex(frags[0]!.subarray(34, 42))).toBe(toHex(options));
    for (const f of frags.slice(1)) {
      expect(f[14]).toBe(0x46);
      expect(toHex(f.subarray(34, 38))).toBe('94040000');
      expect(naiveChecksum(f.subarray(14, 38))).toBe(0);
    }
    const dgram = reassemble4(frags, 14);
    expect(naiveChecksum(pseudo4(SRC4, DST4, 17, dgram.length), dgram)).toBe(0);
  });

  it('IPv4 refusals: DF set, already a fragment, MSS below 8, not UDP', () => {
    const o = { l3Offset: 14, l4Offset: 34, mss: 1480, ipv6: false };
    expect(err(segmentUdp(bigUdp4(pattern(3000), undefined, true), o))).toMatchObject({ field: 'dont-fragment' });
    const mf = bigUdp4(pattern(3000));
    put16(mf, 20, 0x2000);
    expect(err(segmentUdp(mf, o))).toMatchObject({ field: 'already-fragmented' });
    expect(err(segmentUdp(bigUdp4(pattern(3000)), { ...o, mss: 7 }))).toMatchObject({ field: 'mss' });
    expect(err(segmentTcp(bigUdp4(pattern(3000)), o))).toMatchObject({ field: 'protocol', value: 17 });
    expect(err(segmentUdp(bigUdp4(pattern(3000)).subarray(0, 40), o))).toMatchObject({ kind: 'truncated', layer: 'udp', need: 42 });
  });

  function bigUdp6(payload: Uint8Array, hopByHop: boolean, destOpts: boolean): { frame: Uint8Array; l4: number } {
    const hbh = Uint8Array.of(destOpts ? IpProtocol.IPV6_DEST_OPTS : IpProtocol.UDP, 0, 5, 2, 0, 0, 1, 0); // Router Alert
    const dst = Uint8Array.of(IpProtocol.UDP, 0, 1, 4, 0, 0, 0, 0);
    const ext = [...(hopByHop ? [hbh] : []), ...(destOpts ? [dst] : [])];
    const extLen = ext.length * 8;
    const frame = new Uint8Array(54 + extLen + 8 + payload.length);
    EthernetRepr.emit({ dst: MAC_A, src: MAC_B, ethertype: EtherType.IPV6 }, frame);
    const first = hopByHop ? IpProtocol.HOP_BY_HOP : destOpts ? IpProtocol.IPV6_DEST_OPTS : IpProtocol.UDP;
    Ipv6Repr.emit({ src: SRC6, dst: DST6, nextHeader: first, payloadLen: extLen + 8 + payload.length, hopLimit: 64 }, frame.subarray(14));
    ext.forEach((e, i) => frame.set(e, 54 + i * 8));
    const l4 = 54 + extLen;
    UdpRepr.emit({ srcPort: 5000, dstPort: 6000, payload }, frame.subarray(l4));
    return { frame, l4 };
  }

  /** Check IPv6 fragments and return the reassembled fragmentable part. */
  function reassemble6(frags: Uint8Array[], unfragEnd: number, ident: number): Uint8Array {
    const parts: Array<[number, Uint8Array]> = [];
    frags.forEach((f, i) => {
      expect(be16(f, 18)).toBe(f.length - 54);
      const fh = f.subarray(unfragEnd, unfragEnd + 8);
      expect(be16(fh, 2) & 1).toBe(i < frags.length - 1 ? 1 : 0);
      expect(be32(fh, 4)).toBe(ident);
      parts.push([be16(fh, 2) & 0xfff8, f.subarray(unfragEnd + 8)]);
    });
    const total = Math.max(...parts.map(([o, d]) => o + d.length));
    const out = new Uint8Array(total);
    for (const [o, d] of parts) out.set(d, o);
    return out;
  }

  it('IPv6: a Fragment header after the fixed header; reassembly gives the datagram with its checksum', () => {
    const payload = pattern(3000, 3);
    const { frame, l4 } = bigUdp6(payload, false, false);
    const frags = ok(segmentUdp(frame, { l3Offset: 14, l4Offset: l4, mss: 1232, ipv6: true, fragmentId: 0xcafef00d }));
    expect(frags.length).toBe(3);
    for (const f of frags) {
      expect(f[20]).toBe(IpProtocol.IPV6_FRAGMENT);
      expect(f[54]).toBe(IpProtocol.UDP);
      expect(validateRxChecksums(f)).toEqual({ l3: 'ipv6', proto: 17, l3Offset: 14 });
    }
    const dgram = reassemble6(frags, 54, 0xcafef00d);
    expect(dgram.length).toBe(3008);
    expect(be16(dgram, 4)).toBe(3008);
    expect(naiveChecksum(pseudo6(SRC6, DST6, 17, 3008), dgram)).toBe(0);
    expect(toHex(dgram.subarray(8))).toBe(toHex(payload));
  });

  it('IPv6: hop-by-hop stays unfragmentable, destination options travel in the first fragment (RFC 8200 §4.5)', () => {
    const payload = pattern(2500, 5);
    const { frame, l4 } = bigUdp6(payload, true, true);
    const frags = ok(segmentUdp(frame, { l3Offset: 14, l4Offset: l4, mss: 1000, ipv6: true, fragmentId: 9 }));
    expect(frags.length).toBe(3);
    for (const f of frags) {
      expect(f[20]).toBe(IpProtocol.HOP_BY_HOP);
      expect(f[54]).toBe(IpProtocol.IPV6_FRAGMENT); // HBH's next header now names the Fragment header
      expect(f[62]).toBe(IpProtocol.IPV6_DEST_OPTS);
    }
    const frag = reassemble6(frags, 62, 9);
    expect(frag.length).toBe(8 + 8 + 2500);
    expect(frag[0]).toBe(IpProtocol.UDP); // the destination options header
    const dgram = frag.subarray(8);
    expect(naiveChecksum(pseudo6(SRC6, DST6, 17, dgram.length), dgram)).toBe(0);
  });

  it('IPv6 refusals: first fragment too small for the header chain (RFC 7112), existing fragment header', () => {
    const { frame, l4 } = bigUdp6(pattern(2000), true, true);
    expect(err(segmentUdp(frame, { l3Offset: 14, l4Offset: l4, mss: 8, ipv6: true }))).toMatchObject({ field: 'mss' });
    expect(ok(segmentUdp(frame, { l3Offset: 14, l4Offset: l4, mss: 16, ipv6: true })).length).toBe(Math.ceil(2016 / 16));
    const { frame: whole, l4: l4w } = bigUdp6(pattern(100), false, false);
    const one = ok(segmentUdp(whole, { l3Offset: 14, l4Offset: l4w, mss: 1232, ipv6: true }));
    expect(one.length).toBe(1);
    expect(validateRxChecksums(one[0]!)).toMatchObject({ l4: 'ok' });
  });
});

describe('insertChecksum (e1000 CSS/CSO/CSE)', () => {
  it('IP header checksum with CSE inclusive (IPCSS 14, IPCSO 24, IPCSE 33)', () => {
    const f = TCP_SYN.slice();
    put16(f, 24, 0);
    expect(insertChecksum(f, 14, 24, 33)).toBe(true);
    expect(toHex(f)).toBe(toHex(TCP_SYN));
  });

  it('TCP checksum seeded with the pseudo-header sum (TUCSS 34, TUCSO 50, TUCSE 0 = to the end)', () => {
    const f = TCP_SYN.slice();
    put16(f, 50, pseudoHeaderSum(SRC4, DST4, 6, f.length - 34));
    expect(insertChecksum(f, 34, 50)).toBe(true);
    expect(toHex(f)).toBe(toHex(TCP_SYN));
    // CSE past the end also means "to the end".
    put16(f, 50, pseudoHeaderSum(SRC4, DST4, 6, f.length - 34));
    expect(insertChecksum(f, 34, 50, 10_000)).toBe(true);
    expect(toHex(f)).toBe(toHex(TCP_SYN));
  });

  it('out-of-range offsets do nothing and return false', () => {
    const f = TCP_SYN.slice();
    for (const [css, cso, cse] of [
      [74, 50, 0],
      [80, 50, 0],
      [34, 73, 0],
      [34, 74, 0],
      [34, 1e9, 0],
      [20, 24, 19],
      [-1, 24, 0],
      [14, -2, 0],
      [14, 24, -1],
      [14.5, 24, 0],
      [Number.NaN, 24, 0],
    ]) {
      expect(insertChecksum(f, css!, cso!, cse!), `${css} ${cso} ${cse}`).toBe(false);
    }
    expect(toHex(f)).toBe(toHex(TCP_SYN));
    expect(insertChecksum(new Uint8Array(0), 0, 0)).toBe(false);
  });

  it('a UDP checksum that computes to 0 is stored as 0xffff', () => {
    const f = Uint8Array.of(0, 0, 0xff, 0xff);
    expect(insertChecksum(f, 0, 0)).toBe(true);
    expect(toHex(f)).toBe('ffffffff');
  });
});

describe('completeChecksum (virtio NEEDS_CSUM)', () => {
  it('completes a partial TCP checksum and a partial UDP checksum', () => {
    const f = TCP_SYN.slice();
    put16(f, 50, pseudoHeaderSum(SRC4, DST4, 6, f.length - 34));
    expect(completeChecksum(f, 34, 16)).toBe(true);
    expect(toHex(f)).toBe(toHex(TCP_SYN));
    const d = DHCP_DISCOVER.slice();
    put16(d, 40, pseudoHeaderSum(new Uint8Array(4), Uint8Array.of(255, 255, 255, 255), 17, d.length - 34));
    expect(completeChecksum(d, 34, 6)).toBe(true);
    expect(toHex(d)).toBe(toHex(DHCP_DISCOVER));
  });

  it('a field outside the frame does nothing', () => {
    const f = TCP_SYN.slice();
    expect(completeChecksum(f, 74, 0)).toBe(false);
    expect(completeChecksum(f, 34, 39)).toBe(false);
    expect(completeChecksum(f, 34, 2 ** 53)).toBe(false);
    expect(completeChecksum(f, -34, 16)).toBe(false);
    expect(toHex(f)).toBe(toHex(TCP_SYN));
    expect(completeChecksum(f, 72, 0)).toBe(true);
  });
});

describe('validateRxChecksums', () => {
  it('reports bad IPv4 header and bad L4 checksums separately', () => {
    const f = TCP_SYN.slice();
    f[22]! ^= 1; // TTL: breaks the IP header checksum only
    expect(validateRxChecksums(f)).toMatchObject({ ipv4: 'bad', l4: 'ok' });
    const g = TCP_SYN.slice();
    g[73]! ^= 1; // last option byte
    expect(validateRxChecksums(g)).toMatchObject({ ipv4: 'ok', l4: 'bad' });
  });

  it('UDP with no checksum over IPv4 is not reported; over IPv6 it is bad (RFC 8200 §8.1)', () => {
    const d = DHCP_DISCOVER.slice();
    put16(d, 40, 0);
    expect(validateRxChecksums(d)).toEqual({ l3: 'ipv4', ipv4: 'ok', proto: 17, l3Offset: 14, l4Offset: 34 });
    const f = new Uint8Array(14 + 40 + 12);
    EthernetRepr.emit({ dst: MAC_A, src: MAC_B, ethertype: EtherType.IPV6 }, f);
    Ipv6Repr.emit({ src: SRC6, dst: DST6, nextHeader: IpProtocol.UDP, payloadLen: 12, hopLimit: 64 }, f.subarray(14));
    UdpRepr.emit({ srcPort: 1, dstPort: 2, payload: Uint8Array.of(1, 2, 3, 4) }, f.subarray(54), SRC6, DST6);
    expect(validateRxChecksums(f)).toEqual({ l3: 'ipv6', l4: 'ok', proto: 17, l3Offset: 14, l4Offset: 54 });
    put16(f, 60, 0);
    expect(validateRxChecksums(f)).toMatchObject({ l4: 'bad' });
  });

  it('truncated or malformed headers report what can be checked and never throw', () => {
    expect(validateRxChecksums(new Uint8Array(10))).toEqual({});
    expect(validateRxChecksums(TCP_SYN.subarray(0, 30))).toEqual({});
    expect(validateRxChecksums(TCP_SYN.subarray(0, 60))).toEqual({ l3: 'ipv4', ipv4: 'ok', proto: 6, l3Offset: 14 });
    const short = TCP_SYN.slice();
    short[46] = 0xf0; // data offset 60 > segment
    expect(validateRxChecksums(short)).toMatchObject({ l4: 'bad' });
    const arp = new Uint8Array(60);
    arp[12] = 0x08;
    arp[13] = 0x06;
    expect(validateRxChecksums(arp)).toEqual({});
    // Two VLAN tags (802.1ad outer, 802.1Q inner).
    const qinq = vlanInsert(vlanInsert(TCP_SYN, 1), 2, EtherType.QINQ);
    expect(validateRxChecksums(qinq)).toMatchObject({ ipv4: 'ok', l4: 'ok', l3Offset: 22 });
  });

  it('an ones-sum sanity check used by these tests', () => {
    expect(onesSum(TCP_SYN, 14, 34)).toBe(0xffff);
  });
});

describe('partialL4Checksum', () => {
  /** Ethernet + IP header (+ `ext` bytes of IPv6 extension header) + `l4Len` bytes; protocol `proto`. */
  function frame(v6: boolean, proto: number, l4Len: number, ext = 0): Uint8Array {
    const l3 = v6 ? 40 : 20;
    const f = new Uint8Array(14 + l3 + ext + l4Len);
    f[12] = v6 ? 0x86 : 0x08;
    f[13] = v6 ? 0xdd : 0x00;
    if (v6) {
      f[14] = 0x60;
      f[14 + 6] = ext ? 0 : proto; // hop-by-hop options first when `ext`
      if (ext) f[54] = proto;
    } else {
      f[14] = 0x45;
      f[14 + 9] = proto;
    }
    return f;
  }

  it('names TCP or UDP when the field is their checksum right after the IP header', () => {
    expect(partialL4Checksum(frame(false, 6, 20), 34, 16)).toBe(6);
    expect(partialL4Checksum(frame(false, 17, 8), 34, 6)).toBe(17);
    expect(partialL4Checksum(frame(true, 6, 20), 54, 16)).toBe(6);
    expect(partialL4Checksum(frame(true, 17, 8), 54, 6)).toBe(17);
  });

  it('is -1 for anything else, reading only inside the frame', () => {
    expect(partialL4Checksum(frame(false, 6, 20), 34, 6), 'UDP offset on TCP').toBe(-1);
    expect(partialL4Checksum(frame(false, 17, 8), 34, 16), 'TCP offset on UDP').toBe(-1);
    expect(partialL4Checksum(frame(false, 1, 20), 34, 2), 'ICMP').toBe(-1);
    expect(partialL4Checksum(frame(false, 6, 20), 14, 16), 'start at the IP header').toBe(-1);
    expect(partialL4Checksum(frame(true, 6, 20, 8), 62, 16), 'IPv6 extension header').toBe(-1);
    expect(partialL4Checksum(frame(false, 6, 17), 34, 16), 'field past the end').toBe(-1);
    const frag = frame(false, 6, 20);
    frag[14 + 7] = 8; // fragment offset 64
    expect(partialL4Checksum(frag, 34, 16), 'fragment').toBe(-1);
    const tagged = frame(false, 6, 20);
    tagged[12] = 0x81;
    expect(partialL4Checksum(tagged, 34, 16), 'VLAN tag').toBe(-1);
    const v5 = frame(false, 6, 20);
    v5[14] = 0x55;
    expect(partialL4Checksum(v5, 34, 16), 'version 5').toBe(-1);
    expect(partialL4Checksum(new Uint8Array(20), 34, 16), 'runt').toBe(-1);
    expect(partialL4Checksum(frame(true, 6, 20).subarray(0, 50), 54, 16), 'short IPv6 header').toBe(-1);
  });
});
