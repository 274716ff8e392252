import { describe, expect, it } from 'vitest';
import {
  EthernetAddress,
  Icmpv4Packet,
  Icmpv4Repr,
  Icmpv4Unreachable,
  Icmpv6Packet,
  Icmpv6Repr,
  Icmpv6Type,
  Ipv6Address,
  NdpOptionType,
  emitNdpOptions,
  ndpOptionsLen,
  parseNdpOptions,
  type NdpOption,
} from '../../src/wire/index.js';
import { NDP_RA, TCP_SYN, VLAN_ICMP_UNTAGGED } from './golden.js';
import { err, hex, naiveChecksum, ok, pseudo6, toHex } from './helpers.js';

const v6 = (s: string): Uint8Array => Ipv6Address.parse(s)!;

describe('ICMPv4', () => {
  it('checked() needs 8 bytes', () => {
    expect(err(Icmpv4Packet.checked(new Uint8Array(7)))).toEqual({ kind: 'truncated', layer: 'icmpv4', need: 8, have: 7 });
  });

  it('echo checksum verify/compute against an independent recompute', () => {
    const msg = VLAN_ICMP_UNTAGGED.slice(34);
    const p = ok(Icmpv4Packet.checked(msg));
    expect(p.verifyChecksum()).toBe(true);
    p.seqNo = 8;
    expect(p.verifyChecksum()).toBe(false);
    const z = msg.slice();
    z[2] = 0;
    z[3] = 0;
    expect(p.computeChecksum()).toBe(naiveChecksum(z));
    p.fillChecksum();
    expect(p.verifyChecksum()).toBe(true);
    p.seqNo = 9;
    expect(err(Icmpv4Repr.parse(p))).toMatchObject({ kind: 'bad-checksum', layer: 'icmpv4' });
    expect(ok(Icmpv4Repr.parse(p, false))).toMatchObject({ type: 'echo-request', seqNo: 9 });
  });

  it('port unreachable quoting the invoking datagram, and fragmentation needed with a next-hop MTU (RFC 1191)', () => {
    const invoking = TCP_SYN.subarray(14, 14 + 28);
    for (const repr of [
      { type: 'dest-unreachable', code: Icmpv4Unreachable.PORT, nextHopMtu: 0, data: invoking },
      { type: 'dest-unreachable', code: Icmpv4Unreachable.FRAG_NEEDED, nextHopMtu: 1400, data: invoking },
      { type: 'time-exceeded', code: 0, data: invoking },
      { type: 'param-problem', code: 0, pointer: 9, data: invoking },
      { type: 'echo-reply', ident: 1, seqNo: 2, data: new Uint8Array(0) },
      { type: 'unknown', rawType: 13, code: 0, rest: 0x01020304, data: new Uint8Array(12) },
    ] satisfies Icmpv4Repr[]) {
      const buf = new Uint8Array(Icmpv4Repr.bufferLen(repr));
      Icmpv4Repr.emit(repr, buf);
      expect(naiveChecksum(buf)).toBe(0);
      expect(ok(Icmpv4Repr.parse(ok(Icmpv4Packet.checked(buf))))).toEqual(repr);
    }
    const frag = new Uint8Array(36);
    Icmpv4Repr.emit({ type: 'dest-unreachable', code: 4, nextHopMtu: 1400, data: invoking }, frag);
    expect(toHex(frag.subarray(0, 8)).replace(/^(....)..../, '$1xxxx')).toBe('0304xxxx00000578');
  });

  it('an echo with a non-zero code is kept as unknown', () => {
    const buf = new Uint8Array(8);
    Icmpv4Repr.emit({ type: 'unknown', rawType: 8, code: 1, rest: 0x00010002, data: new Uint8Array(0) }, buf);
    expect(ok(Icmpv4Repr.parse(ok(Icmpv4Packet.checked(buf))))).toMatchObject({ type: 'unknown', rawType: 8, code: 1 });
  });
});

describe('ICMPv6 and NDP', () => {
  const src = v6('fe80::5054:ff:fe12:3456');
  const router = v6('fe80::2');
  const mac = EthernetAddress.parse('52:54:00:12:34:56')!;

  it('checked() needs the fixed part of each message type', () => {
    expect(err(Icmpv6Packet.checked(new Uint8Array(7)))).toMatchObject({ need: 8 });
    expect(err(Icmpv6Packet.checked(Uint8Array.of(134, 0, 0, 0, 0, 0, 0, 0)))).toMatchObject({ need: 16, have: 8 });
    expect(err(Icmpv6Packet.checked(Uint8Array.of(135, ...new Uint8Array(22))))).toMatchObject({ need: 24, have: 23 });
    expect(err(Icmpv6Packet.checked(Uint8Array.of(137, ...new Uint8Array(38))))).toMatchObject({ need: 40, have: 39 });
  });

  it('the RA checksum matches an independent recompute over the pseudo-header', () => {
    const msg = NDP_RA.slice(54);
    const p = ok(Icmpv6Packet.checked(msg));
    const z = msg.slice();
    z[2] = 0;
    z[3] = 0;
    expect(p.computeChecksum(router, Ipv6Address.allNodes())).toBe(naiveChecksum(pseudo6(router, Ipv6Address.allNodes(), 58, msg.length), z));
    expect(p.verifyChecksum(router, v6('ff02::2'))).toBe(false);
    expect(err(Icmpv6Repr.parse(p, router, v6('ff02::2')))).toMatchObject({ kind: 'bad-checksum', layer: 'icmpv6' });
  });

  it('neighbor solicitation and advertisement round-trip with link-layer address options', () => {
    const target = v6('fe80::2');
    const ns: Icmpv6Repr = { type: 'neighbor-solicit', target, options: [{ type: 'source-ll-addr', addr: mac }] };
    const na: Icmpv6Repr = { type: 'neighbor-advert', router: true, solicited: true, override: false, target, options: [{ type: 'target-ll-addr', addr: hex('525600000002') }] };
    const dstNs = Ipv6Address.solicitedNode(target);
    for (const [repr, s, d] of [
      [ns, src, dstNs],
      [na, target, src],
    ] as const) {
      const buf = new Uint8Array(Icmpv6Repr.bufferLen(repr));
      expect(buf.length).toBe(32);
      Icmpv6Repr.emit(repr, buf, s, d);
      expect(naiveChecksum(pseudo6(s, d, 58, buf.length), buf)).toBe(0);
      expect(ok(Icmpv6Repr.parse(ok(Icmpv6Packet.checked(buf)), s, d))).toEqual(repr);
    }
    const buf = new Uint8Array(32);
    Icmpv6Repr.emit(na, buf, target, src);
    expect(toHex(buf.subarray(4, 8))).toBe('c0000000');
    expect(toHex(buf.subarray(24))).toBe('0201525600000002');
  });

  it('router solicitation, redirect, packet too big, errors, unknown types', () => {
    const reprs: Icmpv6Repr[] = [
      { type: 'router-solicit', options: [{ type: 'source-ll-addr', addr: mac }] },
      { type: 'router-solicit', options: [] },
      { type: 'redirect', target: v6('fe80::3'), dest: v6('2001:db8::7'), options: [] },
      { type: 'packet-too-big', mtu: 1280, data: new Uint8Array(48) },
      { type: 'dest-unreachable', code: 4, data: new Uint8Array(48) },
      { type: 'time-exceeded', code: 0, data: new Uint8Array(40) },
      { type: 'param-problem', code: 1, pointer: 40, data: new Uint8Array(40) },
      { type: 'echo-reply', ident: 7, seqNo: 9, data: hex('01020304') },
      { type: 'unknown', rawType: 143, code: 0, body: new Uint8Array(24) },
      // NDP with a non-zero code is not NDP (RFC 4861 §7.1.1).
      { type: 'unknown', rawType: Icmpv6Type.NEIGHBOR_SOLICIT, code: 1, body: new Uint8Array(20) },
    ];
    for (const repr of reprs) {
      const buf = new Uint8Array(Icmpv6Repr.bufferLen(repr));
      Icmpv6Repr.emit(repr, buf, src, router);
      expect(ok(Icmpv6Repr.parse(ok(Icmpv6Packet.checked(buf)), src, router)), repr.type).toEqual(repr);
    }
  });

  it('NDP options: emit/parse round trip including unknown and wider link-layer addresses', () => {
    const opts: NdpOption[] = [
      { type: 'source-ll-addr', addr: mac },
      { type: 'target-ll-addr', addr: new Uint8Array(14).fill(9) },
      { type: 'mtu', mtu: 9000 },
      { type: 'prefix-info', prefixLen: 48, onLink: false, autonomous: true, validLifetime: 0xffffffff, preferredLifetime: 0xffffffff, prefix: v6('2001:db8:5::') },
      { type: 'rdnss', lifetime: 600, servers: [v6('2001:db8::53'), v6('2001:db8::54')] },
      { type: 'unknown', rawType: NdpOptionType.DNSSL, data: new Uint8Array(14) },
    ];
    const buf = new Uint8Array(ndpOptionsLen(opts));
    expect(buf.length).toBe(8 + 16 + 8 + 32 + 40 + 16);
    expect(emitNdpOptions(opts, buf, 0)).toBe(buf.length);
    expect(ok(parseNdpOptions(buf))).toEqual(opts);
  });

  it('NDP option walk refuses length 0, overruns, bad known lengths, and too many options (RFC 4861 §4.6, RFC 8106 §5.1)', () => {
    expect(err(parseNdpOptions(hex('0100 525400123456')))).toEqual({ kind: 'malformed', layer: 'ndp-option', field: 'length', value: 0 });
    expect(err(parseNdpOptions(hex('0102 525400123456')))).toMatchObject({ kind: 'truncated', need: 16, have: 8 });
    expect(err(parseNdpOptions(hex('01')))).toMatchObject({ kind: 'truncated', need: 2 });
    expect(err(parseNdpOptions(hex('0301 0000 0000 0000')))).toMatchObject({ field: 'prefix-info-length', value: 1 });
    expect(err(parseNdpOptions(hex('0502 0000 0000 0000 0000 0000 0000 0000')))).toMatchObject({ field: 'mtu-length', value: 2 });
    expect(err(parseNdpOptions(new Uint8Array([25, 2, ...new Uint8Array(14)])))).toMatchObject({ field: 'rdnss-length', value: 2 });
    expect(err(parseNdpOptions(new Uint8Array([25, 4, ...new Uint8Array(30)])))).toMatchObject({ field: 'rdnss-length', value: 4 });
    const many = new Uint8Array(8 * 65);
    for (let i = 0; i < 65; i++) many.set([1, 1], i * 8);
    expect(err(parseNdpOptions(many))).toEqual({ kind: 'too-many', layer: 'ndp-option', what: 'options', limit: 64 });
    expect(ok(parseNdpOptions(many, 0, many.length, 65)).length).toBe(65);
    // An RA whose options are bad is an error, not a message without options.
    const ra = NDP_RA.slice(54);
    ra[17] = 0; // first option's length
    const p = ok(Icmpv6Packet.checked(ra));
    expect(err(Icmpv6Repr.parse(p, router, Ipv6Address.allNodes(), false))).toMatchObject({ layer: 'ndp-option', field: 'length' });
  });
});
