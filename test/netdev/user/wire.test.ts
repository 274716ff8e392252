/**
 * Golden bytes for the formats of src/netdev/user/wire, generated once with
 * an independent Python script (struct), and parse/emit round trips.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { userWire } from '../../../src/netdev/user/index.js';
import { DHCP_DISCOVER } from '../../wire/golden.js';

const {
  DhcpPacket,
  DhcpRepr,
  DhcpValue,
  DhcpOptionCode,
  dhcpOption,
  parseDhcpOptions,
  DnsMessage,
  encodeDomainSearch,
  decodeDomainSearch,
  encodeDnsName,
  parseDnsName,
  parseTftp,
  emitTftp,
  Dhcpv6Repr,
  duidLl,
  parseOro,
  isAppWireError,
} = userWire;

function hex(s: string): Uint8Array {
  const t = s.replace(/\s+/g, '');
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const z = (n: number): string => '00'.repeat(n);

/** DHCPOFFER for xid 3903f326: yiaddr 10.0.2.15, siaddr 10.0.2.2, file "boot.bin", options 53/54/51/1/3/6/END, 548 bytes. */
const OFFER = hex(
  '0201 0600 3903 f326 0000 8000 0000 0000 0a00 020f 0a00 0202 0000 0000 5254 0012 3456' +
    z(10) +
    z(64) +
    '626f 6f74 2e62 696e' +
    z(120) +
    '6382 5363 3501 0236 040a 0002 0233 0400 0151 8001 04ff ffff 0003 040a 0002 0206 040a 0002 03ff' +
    z(548 - 236 - 38),
);

describe('DHCP/BOOTP view (RFC 2131, RFC 2132)', () => {
  it('parses a captured DHCPDISCOVER', () => {
    const payload = DHCP_DISCOVER.subarray(14 + 20 + 8);
    const p = DhcpPacket.checked(payload);
    if (isAppWireError(p)) throw new Error('parse');
    expect(p.op).toBe(1);
    expect(p.xid).toBe(0x3903f326);
    expect(p.flags).toBe(0x8000);
    expect([...p.chaddr]).toEqual([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    expect(p.hasMagic).toBe(true);
    const { options, stopped } = p.options();
    expect(stopped).toBe(false);
    expect(options.map((o) => o.code)).toEqual([53, 61, 55]);
    expect([...dhcpOption(options, 53)!]).toEqual([1]);
    expect([...dhcpOption(options, 55)!]).toEqual([1, 3, 6, 15]);
  });

  it('emits a DHCPOFFER byte for byte', () => {
    const repr = {
      op: 2,
      xid: 0x3903f326,
      flags: 0x8000,
      yiaddr: 0x0a00020f,
      siaddr: 0x0a000202,
      chaddr: hex('525400123456'),
      file: 'boot.bin',
      options: [
        { code: 53, data: DhcpValue.u8(2) },
        { code: 54, data: DhcpValue.ip(0x0a000202) },
        { code: 51, data: DhcpValue.u32(86400) },
        { code: 1, data: DhcpValue.ip(0xffffff00) },
        { code: 3, data: DhcpValue.ip(0x0a000202) },
        { code: 6, data: DhcpValue.ip(0x0a000203) },
      ],
    };
    expect(DhcpRepr.bufferLen(repr)).toBe(548);
    const b = new Uint8Array(548);
    DhcpRepr.emit(repr, b);
    expect(b).toEqual(OFFER);
    const back = DhcpPacket.checked(b);
    if (isAppWireError(back)) throw new Error('parse');
    expect(back.file).toBe('boot.bin');
    expect(back.yiaddr).toBe(0x0a00020f);
    expect(back.options().options).toEqual(repr.options);
  });

  it('splits option values over 255 bytes and concatenates them back (RFC 3396)', () => {
    const long = new Uint8Array(300).map((_, i) => i & 0xff);
    const repr = { op: 2, xid: 1, chaddr: new Uint8Array(6), options: [{ code: 119, data: long }] };
    const b = new Uint8Array(DhcpRepr.bufferLen(repr));
    DhcpRepr.emit(repr, b);
    expect(b[240]).toBe(119);
    expect(b[241]).toBe(255);
    expect(b[240 + 257]).toBe(119);
    expect(b[240 + 258]).toBe(45);
    const p = DhcpPacket.checked(b);
    if (isAppWireError(p)) throw new Error('parse');
    expect(dhcpOption(p.options().options, 119)).toEqual(long);
  });

  it('CVE-2017-11434: an option whose length runs past the packet stops the walk, earlier options kept', () => {
    const b = hex('3501 01 0c 40 6162');
    const r = parseDhcpOptions(b, 0, b.length);
    expect(r.stopped).toBe(true);
    expect(r.options).toEqual([{ code: 53, data: hex('01') }]);
    // A lone code byte at the end: same.
    expect(parseDhcpOptions(hex('3501 0133'), 0, 4).stopped).toBe(true);
  });

  it('a message shorter than the 236-byte BOOTP header is refused (CVE-2021-3592..3595)', () => {
    expect(isAppWireError(DhcpPacket.checked(new Uint8Array(235)))).toBe(true);
    const p = DhcpPacket.checked(new Uint8Array(236));
    expect(isAppWireError(p)).toBe(false);
    if (!isAppWireError(p)) expect(p.hasMagic).toBe(false);
  });

  it('option walks never read past the end on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        const r = parseDhcpOptions(b, 0, b.length);
        for (const o of r.options) expect(o.data.byteOffset + o.data.length).toBeLessThanOrEqual(b.byteOffset + b.length);
      }),
      { numRuns: 500 },
    );
    expect(DhcpOptionCode.DOMAIN_SEARCH).toBe(119);
  });
});

describe('DNS glue (RFC 1035, RFC 3397)', () => {
  const QUERY = hex('beef 0100 0001 0000 0000 0000 0765 7861 6d70 6c65 0363 6f6d 0000 0100 01');

  it('parses a query header and question', () => {
    const m = DnsMessage.checked(QUERY);
    if (isAppWireError(m)) throw new Error('parse');
    expect(m.id).toBe(0xbeef);
    expect(m.isResponse).toBe(false);
    expect(m.opcode).toBe(0);
    expect(m.qdcount).toBe(1);
    expect(m.firstQuestion()).toEqual({ name: 'example.com', type: 1, class: 1, end: QUERY.length });
  });

  it('encodes the RFC 3397 §4 example search list with a compression pointer', () => {
    const e = encodeDomainSearch(['eng.apple.com', 'marketing.apple.com']);
    expect(e).toEqual(hex('0365 6e67 0561 7070 6c65 0363 6f6d 0009 6d61 726b 6574 696e 67c0 04'));
    expect(decodeDomainSearch(e as Uint8Array)).toEqual(['eng.apple.com', 'marketing.apple.com']);
  });

  it('refuses names it cannot encode', () => {
    expect(encodeDnsName('a'.repeat(64) + '.com')).toHaveProperty('reason');
    expect(encodeDnsName('a..b')).toHaveProperty('reason');
    expect(encodeDnsName(Array(60).fill('abcd').join('.'))).toHaveProperty('reason');
    expect(encodeDnsName('example.com.')).toEqual(hex('0765 7861 6d70 6c65 0363 6f6d 00'));
  });

  it('compression loops and truncation are errors, not hangs', () => {
    expect(isAppWireError(parseDnsName(hex('c000'), 0))).toBe(true);
    expect(isAppWireError(parseDnsName(hex('05 6162'), 0))).toBe(true);
    expect(isAppWireError(DnsMessage.checked(new Uint8Array(11)))).toBe(true);
  });
});

describe('TFTP (RFC 1350, RFC 2347-2349)', () => {
  const RRQ = hex('0001 7078 656c 696e 7578 2e30 006f 6374 6574 0062 6c6b 7369 7a65 0031 3432 3800 7473 697a 6500 3000');
  const OACK = hex('0006 626c 6b73 697a 6500 3134 3238 0074 7369 7a65 0031 3233 3435 00');
  const ERR = hex('0005 0002 4163 6365 7373 2076 696f 6c61 7469 6f6e 00');
  const DATA = hex('0003 1234 6162 63');

  it('parses and re-emits an RRQ with options', () => {
    const p = parseTftp(RRQ);
    expect(p).toEqual({ op: 'rrq', filename: 'pxelinux.0', mode: 'octet', options: [['blksize', '1428'], ['tsize', '0']] });
    expect(emitTftp(p as Parameters<typeof emitTftp>[0])).toEqual(RRQ);
  });

  it('emits OACK, ERROR and DATA', () => {
    expect(emitTftp({ op: 'oack', options: [['blksize', '1428'], ['tsize', '12345']] })).toEqual(OACK);
    expect(emitTftp({ op: 'error', code: 2, message: 'Access violation' })).toEqual(ERR);
    expect(emitTftp({ op: 'data', block: 0x1234, data: new TextEncoder().encode('abc') })).toEqual(DATA);
    expect(emitTftp({ op: 'ack', block: 7 })).toEqual(hex('0004 0007'));
    expect(parseTftp(ERR)).toEqual({ op: 'error', code: 2, message: 'Access violation' });
    expect(parseTftp(DATA)).toEqual({ op: 'data', block: 0x1234, data: hex('616263') });
  });

  it('short packets, unterminated strings, odd options and unknown opcodes are errors (CVE-2021-3595)', () => {
    expect(isAppWireError(parseTftp(hex('0001')))).toBe(true);
    expect(isAppWireError(parseTftp(hex('0001 6162 6300 6f63')))).toBe(true);
    expect(isAppWireError(parseTftp(hex('0001 6100 6f00 7800')))).toBe(true);
    expect(isAppWireError(parseTftp(hex('0009 0000')))).toBe(true);
    expect(isAppWireError(parseTftp(hex('0001 6100')))).toBe(true);
  });
});

describe('DHCPv6 (RFC 8415)', () => {
  const IR = hex('0b12 3456 0001 000a 0003 0001 5254 0012 3456 0008 0002 0000 0006 0004 0017 0018');
  const REPLY = hex('0712 3456 0002 000a 0003 0001 5255 0a00 0202 0001 000a 0003 0001 5254 0012 3456 0017 0010 fec0 0000 0000 0000 0000 0000 0000 0003');

  it('parses an Information-request', () => {
    const m = Dhcpv6Repr.parse(IR);
    if (isAppWireError(m)) throw new Error('parse');
    expect(m.msgType).toBe(11);
    expect(m.transactionId).toBe(0x123456);
    expect(m.options.map((o) => o.code)).toEqual([1, 8, 6]);
    expect(parseOro(m.options[2]!.data)).toEqual([23, 24]);
    expect(m.options[0]!.data).toEqual(duidLl(hex('525400123456')));
  });

  it('emits a Reply byte for byte', () => {
    const repr = {
      msgType: 7,
      transactionId: 0x123456,
      options: [
        { code: 2, data: duidLl(hex('52550a000202')) },
        { code: 1, data: duidLl(hex('525400123456')) },
        { code: 23, data: hex('fec0 0000 0000 0000 0000 0000 0000 0003') },
      ],
    };
    const b = new Uint8Array(Dhcpv6Repr.bufferLen(repr));
    Dhcpv6Repr.emit(repr, b);
    expect(b).toEqual(REPLY);
    expect(Dhcpv6Repr.parse(b)).toEqual(repr);
  });

  it('options running past the end are an error', () => {
    expect(isAppWireError(Dhcpv6Repr.parse(hex('0b12 3456 0001 0010 0003')))).toBe(true);
    expect(isAppWireError(Dhcpv6Repr.parse(hex('0b12')))).toBe(true);
  });
});
