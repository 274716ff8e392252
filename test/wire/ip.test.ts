import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  IpProtocol,
  Ipv4Address,
  Ipv4Packet,
  Ipv4Repr,
  Ipv6Address,
  Ipv6Packet,
  Ipv6Repr,
  ipv4CopiedOptions,
  walkIpv6Extensions,
} from '../../src/wire/index.js';
import { DHCP_DISCOVER, ICMPV6_ECHO, TCP_SYN } from './golden.js';
import { err, hex, naiveChecksum, ok, toHex } from './helpers.js';

const v4 = (s: string): Uint8Array => Ipv4Address.parse(s)!;
const v6 = (s: string): Uint8Array => Ipv6Address.parse(s)!;

describe('Ipv4Packet.checked', () => {
  const good = (): Uint8Array => TCP_SYN.slice(14);

  it('accepts a good header and keeps trailing padding out of the payload', () => {
    const padded = new Uint8Array(80);
    padded.set(good());
    const p = ok(Ipv4Packet.checked(padded));
    expect(p.totalLen).toBe(60);
    expect(p.payload.length).toBe(40);
    expect(p.options.length).toBe(0);
  });

  it('refuses (RFC 791 §3.1): short buffer, version != 4, IHL < 5, header past buffer, total length < header or > buffer', () => {
    expect(err(Ipv4Packet.checked(good().subarray(0, 19)))).toEqual({ kind: 'truncated', layer: 'ipv4', need: 20, have: 19 });
    const b = good();
    b[0] = 0x65;
    expect(err(Ipv4Packet.checked(b))).toEqual({ kind: 'malformed', layer: 'ipv4', field: 'version', value: 6 });
    b[0] = 0x44;
    expect(err(Ipv4Packet.checked(b))).toEqual({ kind: 'malformed', layer: 'ipv4', field: 'ihl', value: 4 });
    b[0] = 0x4f;
    expect(err(Ipv4Packet.checked(b.subarray(0, 40)))).toEqual({ kind: 'truncated', layer: 'ipv4', need: 60, have: 40 });
    const c = good();
    c[2] = 0;
    c[3] = 19;
    expect(err(Ipv4Packet.checked(c))).toEqual({ kind: 'malformed', layer: 'ipv4', field: 'total-length', value: 19 });
    c[3] = 61;
    expect(err(Ipv4Packet.checked(c))).toEqual({ kind: 'truncated', layer: 'ipv4', need: 61, have: 60 });
  });

  it('flags and fragment offset', () => {
    const p = ok(Ipv4Packet.checked(good()));
    expect(p.dontFrag && !p.moreFrags && !p.isFragment).toBe(true);
    p.dontFrag = false;
    p.moreFrags = true;
    p.fragOffset = 1480;
    expect(toHex(p.buffer.subarray(6, 8))).toBe('20b9');
    expect([p.dontFrag, p.moreFrags, p.fragOffset, p.isFragment]).toEqual([false, true, 1480, true]);
    p.moreFrags = false;
    expect(p.isFragment).toBe(true);
    p.fragOffset = 0;
    expect(p.isFragment).toBe(false);
  });

  it('checksum compute/verify/fill agree with an independent recompute', () => {
    const p = ok(Ipv4Packet.checked(good()));
    expect(p.verifyChecksum()).toBe(true);
    p.ttl = 63;
    expect(p.verifyChecksum()).toBe(false);
    const h = p.buffer.slice(0, 20);
    h[10] = 0;
    h[11] = 0;
    expect(p.computeChecksum()).toBe(naiveChecksum(h));
    p.fillChecksum();
    expect(p.verifyChecksum()).toBe(true);
    const corrupt = p.buffer.slice();
    corrupt[10] = 1;
    corrupt[11] = 2;
    expect(err(Ipv4Repr.parse(ok(Ipv4Packet.checked(corrupt))))).toMatchObject({
      kind: 'bad-checksum',
      layer: 'ipv4',
      got: 0x0102,
    });
  });

  it('DSCP/ECN', () => {
    const p = ok(Ipv4Packet.checked(DHCP_DISCOVER.slice(14)));
    expect([p.dscp, p.ecn]).toEqual([4, 0]);
    p.ecn = 3;
    p.dscp = 46;
    expect(p.buffer[1]).toBe(0xbb);
  });

  it('Repr with options: emits padded options, parses them back, checksum valid', () => {
    const repr: Ipv4Repr = { src: v4('10.0.2.15'), dst: v4('224.0.0.22'), protocol: 2, payloadLen: 8, ttl: 1, options: hex('94040000') };
    expect(Ipv4Repr.headerLen(repr)).toBe(24);
    const buf = new Uint8Array(Ipv4Repr.bufferLen(repr));
    Ipv4Repr.emit(repr, buf);
    const p = ok(Ipv4Packet.checked(buf));
    expect(p.headerLen).toBe(24);
    expect(toHex(p.options)).toBe('94040000');
    expect(p.verifyChecksum()).toBe(true);
    const back = ok(Ipv4Repr.parse(p));
    expect(toHex(back.options!)).toBe('94040000');
    expect(() => Ipv4Repr.emit({ ...repr, options: new Uint8Array(41) }, new Uint8Array(100))).toThrow(RangeError);
  });

  it('ipv4CopiedOptions keeps only options with the copied flag, bounded', () => {
    // NOP, Record Route (7, not copied, len 7), Router Alert (0x94, copied), EOL
    const opts = hex('01 07 07 04 00000000 94 04 0000 00 000000');
    expect(toHex(ok(ipv4CopiedOptions(opts)))).toBe('94040000');
    expect(err(ipv4CopiedOptions(hex('07 01 0000')))).toMatchObject({ kind: 'malformed', field: 'length', value: 1 });
    expect(err(ipv4CopiedOptions(hex('07 08 0000')))).toMatchObject({ kind: 'truncated' });
    expect(err(ipv4CopiedOptions(hex('94')))).toMatchObject({ kind: 'truncated' });
    expect(ok(ipv4CopiedOptions(new Uint8Array(0))).length).toBe(0);
  });
});

describe('Ipv4Address', () => {
  it('parse/format', () => {
    expect(toHex(v4('10.0.2.15'))).toBe('0a00020f');
    expect(Ipv4Address.format(hex('c0a80001'))).toBe('192.168.0.1');
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', '1.2.3.4 ', 'a.b.c.d', '1..3.4']) {
      expect(Ipv4Address.parse(bad)).toBeUndefined();
    }
  });

  it('classes, subnets, u32, multicast MAC (RFC 1112 §6.4)', () => {
    expect(Ipv4Address.isMulticast(v4('239.255.255.250'))).toBe(true);
    expect(Ipv4Address.isLoopback(v4('127.0.0.1'))).toBe(true);
    expect(Ipv4Address.isLinkLocal(v4('169.254.1.1'))).toBe(true);
    expect(Ipv4Address.inSubnet(v4('10.0.2.15'), v4('10.0.2.0'), 24)).toBe(true);
    expect(Ipv4Address.inSubnet(v4('10.0.3.15'), v4('10.0.2.0'), 24)).toBe(false);
    expect(Ipv4Address.inSubnet(v4('1.2.3.4'), v4('10.0.2.0'), 0)).toBe(true);
    expect(Ipv4Address.toU32(v4('255.255.255.254'))).toBe(0xfffffffe);
    expect(Ipv4Address.format(Ipv4Address.fromU32(0x0a00020f))).toBe('10.0.2.15');
    expect(toHex(Ipv4Address.multicastMac(v4('239.129.2.3')))).toBe('01005e010203');
  });
});

describe('Ipv6Packet', () => {
  it('checked(): short, version, payload length past buffer', () => {
    const b = ICMPV6_ECHO.slice(14);
    expect(ok(Ipv6Packet.checked(b)).payload.length).toBe(64);
    expect(err(Ipv6Packet.checked(b.subarray(0, 39)))).toMatchObject({ kind: 'truncated', need: 40 });
    expect(err(Ipv6Packet.checked(b.subarray(0, 103)))).toEqual({ kind: 'truncated', layer: 'ipv6', need: 104, have: 103 });
    const c = b.slice();
    c[0] = 0x40;
    expect(err(Ipv6Packet.checked(c))).toMatchObject({ kind: 'malformed', field: 'version', value: 4 });
  });

  it('traffic class and flow label', () => {
    const p = ok(Ipv6Packet.checked(ICMPV6_ECHO.slice(14)));
    p.trafficClass = 0xb8;
    p.flowLabel = 0xabcde;
    expect(toHex(p.buffer.subarray(0, 4))).toBe('6b8abcde');
    expect([p.version, p.trafficClass, p.flowLabel]).toEqual([6, 0xb8, 0xabcde]);
    const r = Ipv6Repr.parse(p);
    const out = new Uint8Array(40);
    Ipv6Repr.emit(r, out);
    expect(toHex(out)).toBe(toHex(p.buffer.subarray(0, 40)));
  });
});

/** A packet: IPv6 header with `chain` (pairs of next-header value and header bytes) then `tail`. */
function ipv6With(first: number, headers: Uint8Array[], tail: Uint8Array): Uint8Array {
  const body = Uint8Array.from([...headers.flatMap((h) => [...h]), ...tail]);
  const out = new Uint8Array(40 + body.length);
  Ipv6Repr.emit({ src: v6('2001:db8::1'), dst: v6('2001:db8::2'), nextHeader: first, payloadLen: body.length, hopLimit: 64 }, out);
  out.set(body, 40);
  return out;
}

describe('IPv6 extension-header walk (RFC 8200 §4)', () => {
  const hbh = (next: number): Uint8Array => hex(`${next.toString(16).padStart(2, '0')} 00 0104 00000000`); // PadN
  const dest = (next: number, units = 0): Uint8Array => Uint8Array.from([next, units, ...new Uint8Array(6 + units * 8)]);
  const routing = (next: number): Uint8Array => Uint8Array.from([next, 2, 0, 0, 0, 0, 0, 0, ...v6('2001:db8::9')]);
  const frag = (next: number, offset: number, more: boolean, id: number): Uint8Array =>
    Uint8Array.from([next, 0, offset >> 8, (offset & 0xf8) | (more ? 1 : 0), id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]);

  it('no extension headers', () => {
    const p = ipv6With(IpProtocol.UDP, [], new Uint8Array(8));
    expect(ok(walkIpv6Extensions(p))).toEqual({ protocol: 17, offset: 40, nextHeaderOffset: 6, unfragmentableEnd: 40, unfragmentableNextHeaderOffset: 6 });
  });

  it('hop-by-hop, destination options, routing, destination options, then TCP', () => {
    const p = ipv6With(IpProtocol.HOP_BY_HOP, [hbh(60), dest(43, 1), routing(60), dest(6)], new Uint8Array(20));
    const w = ok(walkIpv6Extensions(p));
    // 40 + 8 (HBH) + 16 (dest) + 24 (routing) + 8 (dest)
    expect(w).toEqual({ protocol: 6, offset: 96, nextHeaderOffset: 88, unfragmentableEnd: 88, unfragmentableNextHeaderOffset: 64 });
  });

  it('reports a fragment header; a non-first fragment ends the walk at its data', () => {
    const first = ipv6With(IpProtocol.IPV6_FRAGMENT, [frag(17, 0, true, 0xdeadbeef)], new Uint8Array(16));
    expect(ok(walkIpv6Extensions(first))).toMatchObject({ protocol: 17, offset: 48, fragment: { headerOffset: 40, offset: 0, more: true, ident: 0xdeadbeef } });
    const later = ipv6With(IpProtocol.IPV6_FRAGMENT, [frag(IpProtocol.HOP_BY_HOP, 1448, false, 7)], new Uint8Array(16));
    // Its "next header" names what the reassembled packet would hold; the data is not walked.
    expect(ok(walkIpv6Extensions(later))).toMatchObject({ protocol: 0, offset: 48, fragment: { offset: 1448, more: false } });
  });

  it('an offset: the IPv6 header behind Ethernet', () => {
    expect(ok(walkIpv6Extensions(ICMPV6_ECHO, 14))).toMatchObject({ protocol: 58, offset: 54, nextHeaderOffset: 20 });
  });

  it('refuses: hop-by-hop not first (RFC 8200 §4.1), truncated header, past end, too many headers, two fragment headers', () => {
    expect(err(walkIpv6Extensions(ipv6With(60, [dest(0), hbh(17)], new Uint8Array(8))))).toEqual({
      kind: 'malformed',
      layer: 'ipv6-ext',
      field: 'hop-by-hop-position',
      value: 48,
    });
    expect(err(walkIpv6Extensions(ipv6With(60, [], new Uint8Array(1))))).toMatchObject({ kind: 'truncated', need: 42 });
    expect(err(walkIpv6Extensions(ipv6With(60, [dest(17, 3).subarray(0, 16)], new Uint8Array(0))))).toMatchObject({ kind: 'truncated', need: 72, have: 56 });
    expect(err(walkIpv6Extensions(ipv6With(44, [hex('11000000')], new Uint8Array(0))))).toMatchObject({ kind: 'truncated', need: 48, have: 44 });
    const many = ipv6With(60, [...Array.from({ length: 8 }, () => dest(60)), dest(17)], new Uint8Array(0));
    expect(err(walkIpv6Extensions(many))).toEqual({ kind: 'too-many', layer: 'ipv6-ext', what: 'extension headers', limit: 8 });
    expect(ok(walkIpv6Extensions(many, 0, many.length, 100))).toMatchObject({ protocol: 17, offset: 112 });
    expect(err(walkIpv6Extensions(ipv6With(44, [frag(44, 0, true, 1), frag(17, 0, false, 1)], new Uint8Array(0))))).toMatchObject({
      field: 'second-fragment-header',
    });
    // `end` below the fixed header.
    expect(err(walkIpv6Extensions(new Uint8Array(30)))).toMatchObject({ kind: 'truncated', layer: 'ipv6' });
  });

  it('only reads inside [ipOffset, end)', () => {
    const p = ipv6With(60, [dest(17, 1)], new Uint8Array(8));
    expect(err(walkIpv6Extensions(p, 0, 50))).toMatchObject({ kind: 'truncated', need: 56, have: 50 });
  });
});

describe('Ipv6Address', () => {
  it('formats per RFC 5952', () => {
    const cases: Array<[string, string]> = [
      ['20010db8000000000000000000000001', '2001:db8::1'],
      ['00000000000000000000000000000000', '::'],
      ['00000000000000000000000000000001', '::1'],
      ['fe80000000000000505400fffe123456', 'fe80::5054:ff:fe12:3456'],
      // A single zero group is not compressed (§4.2.2).
      ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
      // Longest run wins (§4.2.3), first on a tie.
      ['20010000000000010000000000000001', '2001:0:0:1::1'],
      ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
      ['ff020000000000000000000000000001', 'ff02::1'],
      ['00000000000000000000ffffc0000280', '::ffff:192.0.2.128'],
      ['00010000000000000000000000000000', '1::'],
    ];
    for (const [h, text] of cases) {
      expect(Ipv6Address.format(hex(h))).toBe(text);
      expect(toHex(Ipv6Address.parse(text)!)).toBe(h);
    }
  });

  it('parses other spellings and refuses bad ones', () => {
    expect(toHex(v6('2001:DB8:0:0:0:0:0:1'))).toBe('20010db8000000000000000000000001');
    expect(toHex(v6('::ffff:0a00:020f'))).toBe('00000000000000000000ffff0a00020f');
    expect(toHex(v6('64:ff9b::10.0.2.15'))).toBe('0064ff9b0000000000000000' + '0a00020f');
    expect(toHex(v6('1:2:3:4:5:6:7::'))).toBe('00010002000300040005000600070000');
    for (const bad of [
      '',
      ':',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8::',
      '12345::',
      ':1::',
      '1::2:',
      'g::',
      'fe80::1%eth0',
      '::1.2.3',
      '::1.2.3.4:5',
      '1:2:3:4:5:6:7:1.2.3.4',
    ]) {
      expect(Ipv6Address.parse(bad), bad).toBeUndefined();
    }
  });

  it('format and parse round-trip on random addresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(8), (a, zeros) => {
        a.fill(0, 16 - zeros * 2); // make "::" runs likely
        const text = Ipv6Address.format(a);
        expect(toHex(Ipv6Address.parse(text)!)).toBe(toHex(a));
      }),
    );
  });

  it('link-local, solicited-node, multicast MAC, EUI-64 (RFC 4291 §2.7.1, App. A; RFC 2464 §7)', () => {
    const mac = hex('525400123456');
    const ll = Ipv6Address.linkLocalFromMac(mac);
    expect(Ipv6Address.format(ll)).toBe('fe80::5054:ff:fe12:3456');
    expect(Ipv6Address.isLinkLocal(ll)).toBe(true);
    expect(Ipv6Address.isLinkLocal(v6('fec0::1'))).toBe(false);
    expect(toHex(Ipv6Address.eui64(mac))).toBe('505400fffe123456');
    expect(Ipv6Address.format(Ipv6Address.fromPrefixAndMac(v6('2001:db8:1:2::'), mac))).toBe('2001:db8:1:2:5054:ff:fe12:3456');
    const sn = Ipv6Address.solicitedNode(ll);
    expect(Ipv6Address.format(sn)).toBe('ff02::1:ff12:3456');
    expect(Ipv6Address.isSolicitedNodeMulticast(sn) && Ipv6Address.isMulticast(sn)).toBe(true);
    expect(toHex(Ipv6Address.multicastMac(sn))).toBe('3333ff123456');
    expect(Ipv6Address.format(Ipv6Address.allRouters())).toBe('ff02::2');
    expect(Ipv6Address.isLoopback(v6('::1')) && Ipv6Address.isUnspecified(Ipv6Address.unspecified())).toBe(true);
    expect(Ipv6Address.isUniqueLocal(v6('fd00::1'))).toBe(true);
    expect(Ipv6Address.inSubnet(v6('2001:db8:1:2::5'), v6('2001:db8:1::'), 48)).toBe(true);
    expect(Ipv6Address.inSubnet(v6('2001:db8:1:2::5'), v6('2001:db8:1::'), 63)).toBe(false);
    expect(Ipv6Address.inSubnet(v6('fe80::1'), v6('fe80::'), 10)).toBe(true);
    expect(Ipv6Address.inSubnet(v6('febf::1'), v6('fe80::'), 10)).toBe(true);
    expect(Ipv6Address.inSubnet(v6('fec0::1'), v6('fe80::'), 10)).toBe(false);
  });
});
