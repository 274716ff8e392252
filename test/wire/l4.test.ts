import { describe, expect, it } from 'vitest';
import {
  Ipv4Address,
  Ipv6Address,
  TcpFlags,
  TcpPacket,
  TcpRepr,
  UdpPacket,
  UdpRepr,
  emitTcpOptions,
  parseTcpOptions,
  summarizeTcpOptions,
  tcpOptionsLen,
  type TcpOption,
} from '../../src/wire/index.js';
import { DHCP_DISCOVER, TCP_SYN } from './golden.js';
import { err, hex, naiveChecksum, ok, pseudo4, pseudo6, toHex } from './helpers.js';

const src4 = Ipv4Address.parse('10.0.2.15')!;
const dst4 = Ipv4Address.parse('10.0.2.2')!;
const src6 = Ipv6Address.parse('2001:db8::15')!;
const dst6 = Ipv6Address.parse('2001:db8::2')!;

describe('UDP', () => {
  it('checked(): header, length field below 8 or past the buffer (RFC 768)', () => {
    expect(err(UdpPacket.checked(new Uint8Array(7)))).toMatchObject({ kind: 'truncated', need: 8 });
    expect(err(UdpPacket.checked(hex('0044 0043 0007 0000')))).toEqual({ kind: 'malformed', layer: 'udp', field: 'length', value: 7 });
    expect(err(UdpPacket.checked(hex('0044 0043 0009 0000')))).toEqual({ kind: 'truncated', layer: 'udp', need: 9, have: 8 });
    const p = ok(UdpPacket.checked(hex('0044 0043 0009 0000 aa bbcc')));
    expect(toHex(p.payload)).toBe('aa');
  });

  it('checksum over IPv4 and IPv6 pseudo-headers matches an independent recompute', () => {
    const payload = hex('68656c6c6f2c20776f726c64');
    for (const [s, d, ph] of [
      [src4, dst4, pseudo4],
      [src6, dst6, pseudo6],
    ] as const) {
      const buf = new Uint8Array(8 + payload.length);
      UdpRepr.emit({ srcPort: 5353, dstPort: 53, payload }, buf, s, d);
      const z = buf.slice();
      z[6] = 0;
      z[7] = 0;
      expect((buf[6]! << 8) | buf[7]!).toBe(naiveChecksum(ph(s, d, 17, buf.length), z) || 0xffff);
      const p = ok(UdpPacket.checked(buf));
      expect(p.verifyChecksum(s, d)).toBe(true);
      expect(ok(UdpRepr.parse(p, s, d))).toEqual({ srcPort: 5353, dstPort: 53, payload });
      buf[9]! ^= 1;
      expect(err(UdpRepr.parse(p, s, d))).toMatchObject({ kind: 'bad-checksum', layer: 'udp' });
    }
  });

  it('zero checksum: "none" over IPv4, invalid over IPv6 (RFC 8200 §8.1); a computed 0 is sent as 0xffff', () => {
    const buf = new Uint8Array(10);
    UdpRepr.emit({ srcPort: 1, dstPort: 2, payload: hex('0000') }, buf);
    const p = ok(UdpPacket.checked(buf));
    expect(p.checksum).toBe(0);
    expect(p.verifyChecksum(src4, dst4)).toBe(true);
    expect(p.verifyChecksum(src6, dst6)).toBe(false);
    // Find a payload whose checksum computes to 0 and check it goes out as 0xffff.
    const z = new Uint8Array(10);
    UdpRepr.emit({ srcPort: 1, dstPort: 2, payload: hex('0000') }, z, src4, dst4);
    const c = (z[6]! << 8) | z[7]!;
    // Adding c to the payload word makes the sum all ones, so the checksum is 0.
    const zeroing = hex(`${(c >> 8).toString(16).padStart(2, '0')}${(c & 255).toString(16).padStart(2, '0')}`);
    UdpRepr.emit({ srcPort: 1, dstPort: 2, payload: zeroing }, z, src4, dst4);
    expect((z[6]! << 8) | z[7]!).toBe(0xffff);
    expect(ok(UdpPacket.checked(z)).verifyChecksum(src4, dst4)).toBe(true);
  });

  it('emit leaves a payload that is already in place alone', () => {
    const buf = DHCP_DISCOVER.slice(34);
    const r = ok(UdpRepr.parse(ok(UdpPacket.checked(buf))));
    UdpRepr.emit(r, buf, new Uint8Array(4), Ipv4Address.fromU32(0xffffffff));
    expect(toHex(buf)).toBe(toHex(DHCP_DISCOVER.subarray(34)));
  });
});

describe('TCP', () => {
  it('checked(): header, data offset < 5, data offset past the buffer', () => {
    const seg = TCP_SYN.slice(34);
    expect(err(TcpPacket.checked(seg.subarray(0, 19)))).toMatchObject({ kind: 'truncated', need: 20 });
    expect(err(TcpPacket.checked(seg.subarray(0, 39)))).toEqual({ kind: 'truncated', layer: 'tcp', need: 40, have: 39 });
    seg[12] = 0x40;
    expect(err(TcpPacket.checked(seg))).toEqual({ kind: 'malformed', layer: 'tcp', field: 'data-offset', value: 4 });
  });

  it('flags, including NS/AE in the data-offset byte', () => {
    const p = ok(TcpPacket.checked(TCP_SYN.slice(34)));
    p.flags = TcpFlags.ACK | TcpFlags.PSH | TcpFlags.FIN | TcpFlags.NS | TcpFlags.ECE | TcpFlags.CWR | TcpFlags.URG | TcpFlags.RST;
    expect(toHex(p.buffer.subarray(12, 14))).toBe('a1fd');
    expect([p.fin, p.syn, p.rst, p.psh, p.ackFlag, p.urg, p.ece, p.cwr]).toEqual([true, false, true, true, true, true, true, true]);
    expect(p.headerLen).toBe(40);
    p.headerLen = 20;
    expect(p.flags & TcpFlags.NS).toBe(TcpFlags.NS);
    expect(p.buffer[12]).toBe(0x51);
  });

  it('checksum over IPv4 and IPv6 pseudo-headers matches an independent recompute', () => {
    const repr: TcpRepr = { srcPort: 80, dstPort: 45678, seq: 1, ack: 0x1a2b3c4e, flags: TcpFlags.SYN | TcpFlags.ACK, window: 65535, options: [{ type: 'mss', mss: 1460 }], payload: hex('0102 03') };
    for (const [s, d, ph] of [
      [src4, dst4, pseudo4],
      [src6, dst6, pseudo6],
    ] as const) {
      const buf = new Uint8Array(TcpRepr.bufferLen(repr));
      TcpRepr.emit(repr, buf, s, d);
      const z = buf.slice();
      z[16] = 0;
      z[17] = 0;
      expect((buf[16]! << 8) | buf[17]!).toBe(naiveChecksum(ph(s, d, 6, buf.length), z));
      const p = ok(TcpPacket.checked(buf));
      expect(p.verifyChecksum(s, d)).toBe(true);
      expect(p.computeChecksum(s, d)).toBe(p.checksum);
      expect(ok(TcpRepr.parse(p, s, d))).toEqual({ ...repr, urgent: 0 });
      p.seq = 2;
      expect(err(TcpRepr.parse(p, s, d))).toMatchObject({ kind: 'bad-checksum', layer: 'tcp' });
      p.fillChecksum(s, d);
      expect(p.verifyChecksum(s, d)).toBe(true);
    }
  });

  it('options: every kind round-trips; padding to 4 with EOL', () => {
    const opts: TcpOption[] = [
      { type: 'mss', mss: 536 },
      { type: 'nop' },
      { type: 'window-scale', shift: 14 },
      { type: 'sack-permitted' },
      { type: 'sack', blocks: [[1, 2], [0xfffffff0, 0x10]] },
      { type: 'timestamp', tsVal: 0xdeadbeef, tsEcr: 1 },
      { type: 'unknown', rawKind: 30, data: new Uint8Array(0) },
    ];
    const n = tcpOptionsLen(opts);
    expect(n).toBe(40);
    const buf = new Uint8Array(n);
    expect(emitTcpOptions(opts, buf, 0)).toBe(40);
    expect(ok(parseTcpOptions(buf))).toEqual(opts);
    const two: TcpOption[] = [{ type: 'mss', mss: 1460 }, { type: 'window-scale', shift: 7 }];
    const b2 = new Uint8Array(tcpOptionsLen(two));
    emitTcpOptions(two, b2, 0);
    expect(toHex(b2)).toBe('020405b4' + '03030700');
    expect(ok(parseTcpOptions(b2))).toEqual([...two, { type: 'eol' }]);
    expect(summarizeTcpOptions(opts)).toEqual({ mss: 536, windowScale: 14, sackPermitted: true, timestamp: { tsVal: 0xdeadbeef, tsEcr: 1 }, sackBlocks: [[1, 2], [0xfffffff0, 0x10]] });
  });

  it('option walk refuses bad lengths and overruns (RFC 9293 §3.1: kind, length, data)', () => {
    expect(err(parseTcpOptions(hex('0201')))).toMatchObject({ kind: 'malformed', field: 'length', value: 1 });
    expect(err(parseTcpOptions(hex('02')))).toMatchObject({ kind: 'truncated', need: 2, have: 1 });
    expect(err(parseTcpOptions(hex('0204 05')))).toMatchObject({ kind: 'truncated', need: 4, have: 3 });
    expect(err(parseTcpOptions(hex('0203 05 00')))).toMatchObject({ field: 'mss-length' });
    expect(err(parseTcpOptions(hex('0304 0700')))).toMatchObject({ field: 'window-scale-length' });
    expect(err(parseTcpOptions(hex('0403 00 00')))).toMatchObject({ field: 'sack-permitted-length' });
    expect(err(parseTcpOptions(hex('0506 0000 0000')))).toMatchObject({ field: 'sack-length' });
    expect(err(parseTcpOptions(hex('0809 0000 0000 0000 00')))).toMatchObject({ field: 'timestamp-length' });
    // Anything after EOL is padding.
    expect(ok(parseTcpOptions(hex('0000 0201')))).toEqual([{ type: 'eol' }]);
    expect(ok(parseTcpOptions(new Uint8Array(40).fill(1))).length).toBe(40);
    // A TCP Repr with bad options is an error.
    const seg = TCP_SYN.slice(34);
    seg[21] = 0;
    expect(err(TcpRepr.parse(ok(TcpPacket.checked(seg))))).toMatchObject({ layer: 'tcp-option' });
  });

  it('emit throws on options over 40 bytes (a caller bug)', () => {
    const repr: TcpRepr = { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: 0, window: 0, options: Array.from({ length: 41 }, () => ({ type: 'nop' as const })), payload: new Uint8Array(0) };
    expect(() => TcpRepr.emit(repr, new Uint8Array(100))).toThrow(RangeError);
  });
});
