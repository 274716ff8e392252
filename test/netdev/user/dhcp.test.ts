import { describe, expect, it } from 'vitest';
import { userWire } from '../../../src/netdev/user/index.js';
import { BROADCAST_MAC, GUEST_MAC, ROUTER_MAC, type ParsedFrame, ip, setup, udpFrame } from './guest.js';

const { DhcpPacket, DhcpRepr, DhcpValue, dhcpOption, decodeDomainSearch, isAppWireError } = userWire;

const ZERO = new Uint8Array(4);
const BCAST = new Uint8Array([255, 255, 255, 255]);

function dhcpFrame(type: number, extra: Array<{ code: number; data: Uint8Array }> = [], fields: { ciaddr?: number; mac?: Uint8Array; xid?: number } = {}): Uint8Array {
  const repr = {
    op: 1,
    xid: fields.xid ?? 0x11223344,
    flags: 0x8000,
    ciaddr: fields.ciaddr ?? 0,
    chaddr: fields.mac ?? GUEST_MAC,
    options: [{ code: 53, data: DhcpValue.u8(type) }, ...extra],
  };
  const b = new Uint8Array(DhcpRepr.bufferLen(repr));
  DhcpRepr.emit(repr, b);
  const src = fields.ciaddr ? DhcpValue.ip(fields.ciaddr) : ZERO;
  return udpFrame(src, 68, BCAST, 67, b, BROADCAST_MAC);
}

function reply(f: ParsedFrame | undefined): { type: number; yiaddr: number; siaddr: number; file: string; opts: Map<number, Uint8Array>; codes: number[]; xid: number } {
  if (!f?.udp) throw new Error('no UDP reply');
  expect(f.udp.sport).toBe(67);
  expect(f.udp.dport).toBe(68);
  expect(f.udp.checksumOk).toBe(true);
  const p = DhcpPacket.checked(f.udp.payload);
  if (isAppWireError(p)) throw new Error('bad DHCP reply');
  const { options } = p.options();
  const opts = new Map(options.map((o) => [o.code, o.data] as const));
  return { type: opts.get(53)?.[0] ?? 0, yiaddr: p.yiaddr, siaddr: p.siaddr, file: p.file, opts, codes: options.map((o) => o.code), xid: p.xid };
}

const u32 = (b: Uint8Array | undefined): number => (b ? ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 : -1);
const str = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

describe('DHCP server (RFC 2131)', () => {
  it('DISCOVER -> OFFER -> REQUEST -> ACK with every configured option', async () => {
    const { guest, net, host } = await setup({
      hostname: 'guest1',
      domainname: 'example.org',
      dnssearch: ['example.org', 'corp.example.org'],
      tftpServerName: 'tftp.example.org',
      bootfile: 'pxelinux.0',
    });
    guest.send(dhcpFrame(1));
    const [of] = guest.take();
    expect([...of!.dst]).toEqual([...GUEST_MAC]);
    expect([...of!.src]).toEqual([...ROUTER_MAC]);
    expect([...of!.ip!.dst]).toEqual([255, 255, 255, 255]);
    const offer = reply(of);
    expect(offer.type).toBe(2);
    expect(offer.xid).toBe(0x11223344);
    expect(offer.yiaddr).toBe(0x0a00020f);
    expect(offer.siaddr).toBe(0x0a000202);
    expect(offer.file).toBe('pxelinux.0');
    expect(offer.codes).toEqual([53, 54, 51, 1, 3, 6, 12, 15, 66, 67, 119]);
    expect(u32(offer.opts.get(54))).toBe(0x0a000202);
    expect(u32(offer.opts.get(51))).toBe(86400);
    expect(u32(offer.opts.get(1))).toBe(0xffffff00);
    expect(u32(offer.opts.get(3))).toBe(0x0a000202);
    expect(u32(offer.opts.get(6))).toBe(0x0a000203);
    expect(str(offer.opts.get(12))).toBe('guest1');
    expect(str(offer.opts.get(15))).toBe('example.org');
    expect(str(offer.opts.get(66))).toBe('tftp.example.org');
    expect(str(offer.opts.get(67))).toBe('pxelinux.0');
    expect(decodeDomainSearch(offer.opts.get(119)!)).toEqual(['example.org', 'corp.example.org']);

    guest.send(dhcpFrame(3, [{ code: 50, data: DhcpValue.ip(offer.yiaddr) }, { code: 54, data: DhcpValue.ip(0x0a000202) }]));
    const ack = reply(guest.take()[0]);
    expect(ack.type).toBe(5);
    expect(ack.yiaddr).toBe(0x0a00020f);
    expect(net.stats.dhcpOffers).toBe(1);
    expect(net.stats.dhcpAcks).toBe(1);
    expect(host.calls).toEqual([]);
  });

  it('a second client gets the next address; the first keeps its own on renewal', async () => {
    const { guest } = await setup();
    const other = new Uint8Array([0x52, 0x54, 0, 0, 0, 2]);
    guest.send(dhcpFrame(3, [{ code: 50, data: DhcpValue.ip(0x0a00020f) }]));
    expect(reply(guest.take()[0]).yiaddr).toBe(0x0a00020f);
    guest.send(dhcpFrame(1, [], { mac: other }));
    expect(reply(guest.take()[0]).yiaddr).toBe(0x0a000210);
    // The second asks for the first one's address: NAK.
    guest.send(dhcpFrame(3, [{ code: 50, data: DhcpValue.ip(0x0a00020f) }], { mac: other }));
    expect(reply(guest.take()[0]).type).toBe(6);
    guest.send(dhcpFrame(1));
    expect(reply(guest.take()[0]).yiaddr).toBe(0x0a00020f);
  });

  it('NAK for addresses outside the pool; RELEASE frees the lease', async () => {
    const { guest, net } = await setup();
    guest.send(dhcpFrame(3, [{ code: 50, data: DhcpValue.ip(0xc0a80105) }]));
    const nak = reply(guest.take()[0]);
    expect(nak.type).toBe(6);
    expect(nak.codes).toEqual([53, 54]);
    expect(nak.yiaddr).toBe(0);
    guest.send(dhcpFrame(3, [{ code: 50, data: DhcpValue.ip(0x0a00020f) }]));
    expect(reply(guest.take()[0]).type).toBe(5);
    guest.send(dhcpFrame(7, [], { ciaddr: 0x0a00020f }));
    expect(guest.take()).toEqual([]);
    expect(net.stats.dhcpReleases).toBe(1);
    // Released: another client may take it now.
    guest.send(dhcpFrame(1, [], { mac: new Uint8Array([2, 0, 0, 0, 0, 9]) }));
    expect(reply(guest.take()[0]).yiaddr).toBe(0x0a00020f);
  });

  it('INFORM gets an ACK without a lease or address, sent to ciaddr', async () => {
    const { guest } = await setup();
    guest.announce(ip('10.0.2.50'));
    guest.send(dhcpFrame(8, [], { ciaddr: 0x0a000232 }));
    const [f] = guest.take();
    const r = reply(f);
    expect(r.type).toBe(5);
    expect(r.yiaddr).toBe(0);
    expect(r.opts.has(51)).toBe(false);
    expect([...f!.ip!.dst]).toEqual([10, 0, 2, 50]);
  });

  it('requests naming another server are ignored', async () => {
    const { guest, net } = await setup();
    guest.send(dhcpFrame(3, [{ code: 50, data: DhcpValue.ip(0x0a00020f) }, { code: 54, data: DhcpValue.ip(0x0a0002fe) }]));
    expect(guest.take()).toEqual([]);
    expect(net.stats.dhcpIgnored).toBe(1);
  });

  it('restrict=on leaves router and DNS out (as QEMU)', async () => {
    const { guest } = await setup({ restrict: true });
    guest.send(dhcpFrame(1));
    const r = reply(guest.take()[0]);
    expect(r.codes).toEqual([53, 54, 51, 1]);
  });

  it('the pool has 16 leases from dhcpstart; the 17th client gets nothing', async () => {
    const { guest, net } = await setup({ dhcpstart: '10.0.2.100' });
    for (let i = 0; i < 16; i++) {
      guest.send(dhcpFrame(1, [], { mac: new Uint8Array([2, 0, 0, 0, 1, i]) }));
      expect(reply(guest.take()[0]).yiaddr).toBe(0x0a000264 + i);
    }
    guest.send(dhcpFrame(1, [], { mac: new Uint8Array([2, 0, 0, 0, 2, 0]) }));
    expect(guest.take()).toEqual([]);
    expect(net.stats.dhcpNoLease).toBe(1);
  });

  it('an old BOOTP request (no cookie, no options) gets an address', async () => {
    const { guest } = await setup();
    const b = new Uint8Array(300);
    b[0] = 1;
    b[1] = 1;
    b[2] = 6;
    b.set(GUEST_MAC, 28);
    guest.send(udpFrame(ZERO, 68, BCAST, 67, b, BROADCAST_MAC));
    const r = reply(guest.take()[0]);
    expect(r.yiaddr).toBe(0x0a00020f);
  });

  it('a search list too long for the reply is refused at configuration time', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `domain-number-${i}.example${i}.org`);
    await expect(setup({ dnssearch: names })).rejects.toThrow(/dnssearch/);
  });

  it('leases expire after 24 hours', async () => {
    const { guest, clock } = await setup();
    guest.send(dhcpFrame(3, [{ code: 50, data: DhcpValue.ip(0x0a00020f) }]));
    guest.take();
    const other = new Uint8Array([2, 0, 0, 0, 0, 7]);
    guest.send(dhcpFrame(3, [{ code: 50, data: DhcpValue.ip(0x0a00020f) }], { mac: other }));
    expect(reply(guest.take()[0]).type).toBe(6);
    clock.advance(24 * 3600 * 1e9 + 1);
    guest.send(dhcpFrame(3, [{ code: 50, data: DhcpValue.ip(0x0a00020f) }], { mac: other }));
    expect(reply(guest.take()[0]).type).toBe(5);
    void dhcpOption;
  });
});
