/**
 * Layer 4 of the test plan: fast-check properties. Invariants: no parser or
 * offload helper throws on any input, none reads or writes outside the bytes
 * it was given (a guarding Proxy turns any such access into an exception),
 * and segmentation preserves the payload.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ArpPacket,
  ArpRepr,
  EthernetAddress,
  EthernetFrame,
  EthernetRepr,
  EtherType,
  Icmpv4Packet,
  Icmpv4Repr,
  Icmpv6Packet,
  Icmpv6Repr,
  Icmpv6Type,
  IpProtocol,
  Ipv4Address,
  Ipv4Packet,
  Ipv4Repr,
  Ipv6Address,
  Ipv6Packet,
  Ipv6Repr,
  TcpFlags,
  TcpPacket,
  TcpRepr,
  UdpPacket,
  UdpRepr,
  completeChecksum,
  insertChecksum,
  ipv4CopiedOptions,
  isWireError,
  parseNdpOptions,
  parseTcpOptions,
  segmentTcp,
  segmentUdp,
  validateRxChecksums,
  vlanInsert,
  vlanStrip,
  vlanStripInPlace,
  walkIpv6Extensions,
  type WireError,
} from '../../src/wire/index.js';
import { ARP_REQUEST, DHCP_DISCOVER, ICMPV6_ECHO, NDP_RA, TCP_SYN, VLAN_ICMP_TAGGED } from './golden.js';
import { guarded, naiveChecksum, pseudo4, pseudo6, touchGetters } from './helpers.js';

const RUNS = { numRuns: 300 };
const bytes = (max = 200): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max, size: 'max' });
const SRC4 = Uint8Array.of(10, 0, 2, 15);
const DST4 = Uint8Array.of(10, 0, 2, 2);
const SRC6 = Ipv6Address.parse('2001:db8::1')!;
const DST6 = Ipv6Address.parse('2001:db8::2')!;

/** Emit a parsed Repr back out: must not throw, and must fit the length bufferLen promises. */
function reemit(len: number, emit: (buf: Uint8Array) => void): void {
  emit(new Uint8Array(len));
}

function isView<T>(v: T | WireError): v is T {
  return !isWireError(v);
}

describe('views and parsers never throw and never read out of range', () => {
  it('Ethernet and ARP', () => {
    fc.assert(
      fc.property(bytes(), (raw) => {
        const b = guarded(raw);
        const f = EthernetFrame.checked(b);
        if (isView(f)) {
          touchGetters(f);
          EthernetRepr.parse(f);
        }
        const a = ArpPacket.checked(b);
        if (isView(a)) {
          touchGetters(a);
          const r = ArpRepr.parse(a);
          if (!isWireError(r)) reemit(ArpRepr.bufferLen(r), (o) => ArpRepr.emit(r, o));
        }
        vlanStrip(b);
        vlanInsert(b, 0x123);
        vlanStripInPlace(guarded(raw.slice()));
      }),
      RUNS,
    );
  });

  it('IPv4 and ICMPv4 (the IPv4 version/IHL byte biased to 0x45..0x4f)', () => {
    fc.assert(
      fc.property(bytes(120), fc.integer({ min: 0x40, max: 0x4f }), fc.boolean(), fc.nat(130), (raw, vihl, bias, total) => {
        if (bias && raw.length >= 4) {
          raw[0] = vihl;
          raw[2] = 0;
          raw[3] = Math.min(total, raw.length);
        }
        const b = guarded(raw);
        const p = Ipv4Packet.checked(b);
        if (isView(p)) {
          touchGetters(p);
          p.verifyChecksum();
          p.computeChecksum();
          const r = Ipv4Repr.parse(p, false);
          if (!isWireError(r) && (r.options?.length ?? 0) <= 40) reemit(Ipv4Repr.bufferLen(r), (o) => Ipv4Repr.emit(r, o));
          ipv4CopiedOptions(p.options);
        }
        const i = Icmpv4Packet.checked(b);
        if (isView(i)) {
          touchGetters(i);
          const r = Icmpv4Repr.parse(i, false);
          if (!isWireError(r)) reemit(Icmpv4Repr.bufferLen(r), (o) => Icmpv4Repr.emit(r, o));
        }
      }),
      RUNS,
    );
  });

  it('IPv6 and the extension-header walk (next header biased to extension headers)', () => {
    const ext = fc.constantFrom(0, 43, 44, 60, 6, 17, 58, 59);
    fc.assert(
      fc.property(bytes(160), ext, fc.array(fc.tuple(fc.nat(159), ext), { maxLength: 6 }), fc.nat(255), (raw, first, plants, lenHi) => {
        if (raw.length >= 40) {
          raw[0] = 0x60;
          raw[4] = lenHi & 1 ? 0 : lenHi;
          raw[5] = Math.max(0, raw.length - 40) & 0xff;
          raw[6] = first;
          for (const [pos, v] of plants) if (pos < raw.length) raw[pos] = v;
        }
        const b = guarded(raw);
        const p = Ipv6Packet.checked(b);
        if (isView(p)) {
          touchGetters(p);
          Ipv6Repr.parse(p);
          p.upperLayer();
          p.upperLayer(1000);
        }
        walkIpv6Extensions(b);
        walkIpv6Extensions(b, 3, raw.length + 10);
        walkIpv6Extensions(b, 1e9);
        walkIpv6Extensions(b, 1.5, Number.NaN);
      }),
      RUNS,
    );
  });

  it('ICMPv6 and NDP options (type biased to NDP)', () => {
    const types = fc.constantFrom(1, 2, 3, 4, 128, 129, 133, 134, 135, 136, 137, 200);
    fc.assert(
      fc.property(bytes(120), types, fc.boolean(), (raw, type, zeroCode) => {
        if (raw.length) raw[0] = type;
        if (raw.length > 1 && zeroCode) raw[1] = 0;
        const b = guarded(raw);
        const p = Icmpv6Packet.checked(b);
        if (isView(p)) {
          touchGetters(p, ['reachableTime', 'retransTimer', 'target', 'redirectDest']);
          if (p.type === Icmpv6Type.ROUTER_ADVERT) void [p.reachableTime, p.retransTimer];
          if (p.type >= Icmpv6Type.NEIGHBOR_SOLICIT && p.type <= Icmpv6Type.REDIRECT) void p.target;
          if (p.type === Icmpv6Type.REDIRECT) void p.redirectDest;
          p.verifyChecksum(SRC6, DST6);
          p.ndpOptions();
          const r = Icmpv6Repr.parse(p, SRC6, DST6, false);
          if (!isWireError(r)) reemit(Icmpv6Repr.bufferLen(r), (o) => Icmpv6Repr.emit(r, o, SRC6, DST6));
        }
        parseNdpOptions(b);
        parseNdpOptions(b, 5, raw.length + 7);
        parseNdpOptions(b, 0.5);
      }),
      RUNS,
    );
  });

  it('UDP, TCP and TCP options', () => {
    fc.assert(
      fc.property(bytes(100), fc.integer({ min: 0, max: 15 }), fc.nat(110), (raw, doff, ulen) => {
        if (raw.length > 12) raw[12] = (doff << 4) | (raw[12]! & 15);
        if (raw.length > 5) {
          raw[4] = 0;
          raw[5] = Math.min(ulen, raw.length);
        }
        const b = guarded(raw);
        const u = UdpPacket.checked(b);
        if (isView(u)) {
          touchGetters(u);
          u.verifyChecksum(SRC4, DST4);
          u.verifyChecksum(SRC6, DST6);
          const r = UdpRepr.parse(u, SRC4, DST4);
          if (!isWireError(r)) reemit(UdpRepr.bufferLen(r), (o) => UdpRepr.emit(r, o, SRC4, DST4));
        }
        const t = TcpPacket.checked(b);
        if (isView(t)) {
          touchGetters(t);
          t.verifyChecksum(SRC6, DST6);
          const r = TcpRepr.parse(t);
          if (!isWireError(r)) reemit(TcpRepr.bufferLen(r), (o) => TcpRepr.emit(r, o, SRC4, DST4));
        }
        parseTcpOptions(b);
      }),
      RUNS,
    );
  });

  it('address parsers on arbitrary strings', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:.-%g '.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 50 })), (s) => {
        EthernetAddress.parse(s);
        Ipv4Address.parse(s);
        const a = Ipv6Address.parse(s);
        if (a) expect(Ipv6Address.parse(Ipv6Address.format(a))).toEqual(a);
      }),
      { numRuns: 1000 },
    );
  });
});

/** Parse a frame through every layer the way a receiver would; returns how deep it got. */
function parseStack(frame: Uint8Array): number {
  const eth = EthernetFrame.checked(frame);
  if (!isView(eth)) return 0;
  let l3 = eth.payload;
  let type = eth.ethertype;
  const s = vlanStrip(frame);
  if (s) {
    const inner = EthernetFrame.checked(s.frame);
    if (!isView(inner)) return 1;
    l3 = inner.payload;
    type = inner.ethertype;
  }
  if (type === EtherType.ARP) {
    const a = ArpPacket.checked(l3);
    return isView(a) && !isWireError(ArpRepr.parse(a)) ? 3 : 2;
  }
  let src: Uint8Array;
  let dst: Uint8Array;
  let proto: number;
  let l4: Uint8Array;
  if (type === EtherType.IPV4) {
    const ip = Ipv4Packet.checked(l3);
    if (!isView(ip)) return 1;
    const r = Ipv4Repr.parse(ip);
    if (isWireError(r)) return 2;
    [src, dst, proto, l4] = [r.src, r.dst, r.protocol, ip.payload];
  } else if (type === EtherType.IPV6) {
    const ip = Ipv6Packet.checked(l3);
    if (!isView(ip)) return 1;
    const w = ip.upperLayer();
    if (isWireError(w)) return 2;
    [src, dst, proto, l4] = [ip.src, ip.dst, w.protocol, ip.buffer.subarray(w.offset, ip.totalLen)];
  } else return 1;
  switch (proto) {
    case IpProtocol.TCP: {
      const t = TcpPacket.checked(l4);
      return isView(t) && !isWireError(TcpRepr.parse(t, src, dst)) ? 4 : 3;
    }
    case IpProtocol.UDP: {
      const u = UdpPacket.checked(l4);
      return isView(u) && !isWireError(UdpRepr.parse(u, src, dst)) ? 4 : 3;
    }
    case IpProtocol.ICMP: {
      const i = Icmpv4Packet.checked(l4);
      return isView(i) && !isWireError(Icmpv4Repr.parse(i)) ? 4 : 3;
    }
    case IpProtocol.ICMPV6: {
      const i = Icmpv6Packet.checked(l4);
      return isView(i) && !isWireError(Icmpv6Repr.parse(i, src, dst)) ? 4 : 3;
    }
    default:
      return 3;
  }
}

describe('golden frames with random mutations', () => {
  const goldens = [ARP_REQUEST, DHCP_DISCOVER, TCP_SYN, ICMPV6_ECHO, NDP_RA, VLAN_ICMP_TAGGED];

  it('every golden frame parses through all layers', () => {
    for (const g of goldens) expect(parseStack(guarded(g))).toBe(g === ARP_REQUEST ? 3 : 4);
  });

  it('byte flips and truncations never make the parsing stack throw or read out of range', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...goldens),
        fc.array(fc.tuple(fc.nat(200), fc.nat(255)), { maxLength: 4 }),
        fc.nat(200),
        (g, hits, cut) => {
          const raw = g.slice(0, Math.max(0, g.length - (cut % 3 === 0 ? cut : 0)));
          for (const [pos, v] of hits) if (pos < raw.length) raw[pos] = v;
          parseStack(guarded(raw));
          validateRxChecksums(guarded(raw));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------
// Frames built to be valid, for segmentation properties and header-corruption fuzzing.

interface Built {
  frame: Uint8Array;
  l3: number;
  l4: number;
  hdrEnd: number;
  payload: Uint8Array;
}

function buildTcp(payloadLen: number, ipv6: boolean, seq: number, vlan: boolean): Built {
  const payload = new Uint8Array(payloadLen);
  for (let i = 0; i < payloadLen; i++) payload[i] = (i * 31 + 7) & 255;
  const tcp: TcpRepr = {
    srcPort: 1234,
    dstPort: 80,
    seq,
    ack: 99,
    flags: TcpFlags.ACK | TcpFlags.PSH | TcpFlags.FIN,
    window: 100,
    options: [{ type: 'nop' }, { type: 'nop' }, { type: 'timestamp', tsVal: 1, tsEcr: 2 }],
    payload,
  };
  const ipLen = ipv6 ? 40 : 20;
  const frame = new Uint8Array(14 + ipLen + TcpRepr.bufferLen(tcp));
  EthernetRepr.emit({ dst: new Uint8Array(6), src: new Uint8Array(6), ethertype: ipv6 ? EtherType.IPV6 : EtherType.IPV4 }, frame);
  const l4Len = TcpRepr.bufferLen(tcp);
  if (ipv6) Ipv6Repr.emit({ src: SRC6, dst: DST6, nextHeader: IpProtocol.TCP, payloadLen: l4Len, hopLimit: 64 }, frame.subarray(14));
  else Ipv4Repr.emit({ src: SRC4, dst: DST4, protocol: IpProtocol.TCP, payloadLen: Math.min(l4Len, 0xffff - 20), ttl: 64, ident: 5 }, frame.subarray(14));
  TcpRepr.emit(tcp, frame.subarray(14 + ipLen));
  const f = vlan ? vlanInsert(frame, 7) : frame;
  const l3 = vlan ? 18 : 14;
  return { frame: f, l3, l4: l3 + ipLen, hdrEnd: l3 + ipLen + 32, payload };
}

function buildUdp(payloadLen: number, ipv6: boolean): Built {
  const payload = new Uint8Array(payloadLen);
  for (let i = 0; i < payloadLen; i++) payload[i] = (i * 17 + 3) & 255;
  const ipLen = ipv6 ? 40 : 20;
  const frame = new Uint8Array(14 + ipLen + 8 + payloadLen);
  EthernetRepr.emit({ dst: new Uint8Array(6), src: new Uint8Array(6), ethertype: ipv6 ? EtherType.IPV6 : EtherType.IPV4 }, frame);
  if (ipv6) Ipv6Repr.emit({ src: SRC6, dst: DST6, nextHeader: IpProtocol.UDP, payloadLen: 8 + payloadLen, hopLimit: 64 }, frame.subarray(14));
  else Ipv4Repr.emit({ src: SRC4, dst: DST4, protocol: IpProtocol.UDP, payloadLen: 8 + payloadLen, ttl: 64, ident: 77 }, frame.subarray(14));
  UdpRepr.emit({ srcPort: 1, dstPort: 2, payload }, frame.subarray(14 + ipLen));
  return { frame, l3: 14, l4: 14 + ipLen, hdrEnd: 14 + ipLen + 8, payload };
}

const be16 = (b: Uint8Array, o: number): number => b[o]! * 256 + b[o + 1]!;
const be32 = (b: Uint8Array, o: number): number => be16(b, o) * 65536 + be16(b, o + 2);

describe('segmentation properties', () => {
  it('TSO: segment payloads concatenate to the original; every segment is consistent', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.boolean(),
        fc.boolean(),
        fc.nat(0xffffffff),
        (payloadLen, mss, ipv6, vlan, seq) => {
          const { frame, l3, l4, hdrEnd, payload } = buildTcp(payloadLen, ipv6, seq, vlan);
          const segs = segmentTcp(frame, { l3Offset: l3, l4Offset: l4, mss, ipv6 });
          if (isWireError(segs)) throw new Error(JSON.stringify(segs));
          expect(segs.length).toBe(Math.max(1, Math.ceil(payloadLen / mss)));
          const joined = new Uint8Array(payloadLen);
          let at = 0;
          segs.forEach((s, i) => {
            const data = s.subarray(hdrEnd);
            expect(data.length).toBeLessThanOrEqual(mss);
            expect(be32(s, l4 + 4)).toBe((seq + at) % 2 ** 32);
            joined.set(data, at);
            at += data.length;
            const last = i === segs.length - 1;
            expect((s[l4 + 13]! & TcpFlags.FIN) !== 0).toBe(last);
            const ph = ipv6 ? pseudo6(SRC6, DST6, 6, s.length - l4) : pseudo4(SRC4, DST4, 6, s.length - l4);
            expect(naiveChecksum(ph, s.subarray(l4))).toBe(0);
            if (!ipv6) expect(naiveChecksum(s.subarray(l3, l4))).toBe(0);
          });
          expect(at).toBe(payloadLen);
          expect(Buffer.from(joined).equals(Buffer.from(payload))).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('UFO: fragments reassemble to the datagram (IPv4 and IPv6)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9000 }), fc.integer({ min: 8, max: 3000 }), fc.boolean(), fc.nat(0xffffffff), (payloadLen, mss, ipv6, id) => {
        const { frame, l3, l4, payload } = buildUdp(payloadLen, ipv6);
        const frags = segmentUdp(frame, { l3Offset: l3, l4Offset: l4, mss, ipv6, fragmentId: id });
        if (isWireError(frags)) throw new Error(JSON.stringify(frags));
        const dgram = new Uint8Array(8 + payloadLen);
        let covered = 0;
        for (const f of frags) {
          if (frags.length === 1) {
            dgram.set(f.subarray(l4));
            covered = f.length - l4;
            continue;
          }
          let off: number;
          let data: Uint8Array;
          if (ipv6) {
            expect(be32(f, l3 + 44)).toBe(id);
            off = be16(f, l3 + 42) & 0xfff8;
            data = f.subarray(l3 + 48);
          } else {
            off = (be16(f, l3 + 6) & 0x1fff) * 8;
            data = f.subarray(l3 + 20, l3 + be16(f, l3 + 2));
            expect(naiveChecksum(f.subarray(l3, l3 + 20))).toBe(0);
          }
          expect(data.length).toBeLessThanOrEqual(mss);
          dgram.set(data, off);
          covered += data.length;
        }
        expect(covered).toBe(8 + payloadLen);
        expect(be16(dgram, 4)).toBe(8 + payloadLen);
        const ph = ipv6 ? pseudo6(SRC6, DST6, 17, dgram.length) : pseudo4(SRC4, DST4, 17, dgram.length);
        expect(naiveChecksum(ph, dgram)).toBe(0);
        expect(Buffer.from(dgram.subarray(8)).equals(Buffer.from(payload))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

describe('offload helpers on corrupted headers never throw or overrun (CVE-2015-5165 class)', () => {
  const corruption = fc.array(fc.tuple(fc.nat(120), fc.nat(255)), { minLength: 1, maxLength: 6 });

  it('segmentTcp / segmentUdp / validateRxChecksums with header bytes overwritten and random offsets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        fc.boolean(),
        fc.boolean(),
        corruption,
        fc.integer({ min: -2, max: 130 }),
        fc.integer({ min: -2, max: 130 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.boolean(),
        (payloadLen, ipv6, udp, hits, l3d, l4d, mss, useIpLength) => {
          const built = udp ? buildUdp(payloadLen, ipv6) : buildTcp(payloadLen, ipv6, 1, false);
          const raw = built.frame.slice();
          for (const [pos, v] of hits) if (pos < raw.length) raw[pos] = v;
          const frame = guarded(raw);
          const l3 = l3d % 3 === 0 ? built.l3 : l3d;
          const l4 = l4d % 3 === 0 ? built.l4 : l4d;
          const o = { l3Offset: l3, l4Offset: l4, mss, ipv6, useIpLength, maxSegments: 4000 };
          for (const r of [segmentTcp(frame, o), segmentUdp(frame, o)]) {
            if (isWireError(r)) continue;
            for (const s of r) expect(s.length).toBeLessThanOrEqual(raw.length + 8 + 40);
          }
          validateRxChecksums(frame);
          validateRxChecksums(guarded(vlanInsert(raw, 5)));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('insertChecksum / completeChecksum with arbitrary offsets stay inside the frame', () => {
    const off = fc.oneof(fc.integer({ min: -5, max: 80 }), fc.constantFrom(2 ** 32, 2 ** 53, Number.NaN, 1.5, -0));
    fc.assert(
      fc.property(bytes(70), off, off, off, (raw, a, b, c) => {
        const f = guarded(raw.slice());
        const r1 = insertChecksum(f, a, b, c);
        const r2 = completeChecksum(f, a, b);
        if (r1) expect(b + 2).toBeLessThanOrEqual(raw.length);
        if (r2) expect(a + b + 2).toBeLessThanOrEqual(raw.length);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('validateRxChecksums on random frames', () => {
  it('never throws, whatever the ethertype and IP bytes', () => {
    const type = fc.constantFrom(0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806);
    fc.assert(
      fc.property(bytes(200), type, type, fc.integer({ min: 0x40, max: 0x6f }), (raw, t1, t2, vihl) => {
        if (raw.length >= 14) {
          raw[12] = t1 >> 8;
          raw[13] = t1 & 255;
        }
        if (raw.length >= 18) {
          raw[16] = t2 >> 8;
          raw[17] = t2 & 255;
        }
        if (raw.length > 18) raw[t1 === 0x8100 || t1 === 0x88a8 ? 18 : 14] = vihl;
        validateRxChecksums(guarded(raw));
      }),
      { numRuns: 1000 },
    );
  });
});
