import { describe, expect, it } from 'vitest';
import { Ipv6Address, type NdpOption } from '../../../src/wire/index.js';
import { userWire } from '../../../src/netdev/user/index.js';
import { DNS_IP6, GUEST_IP6, GUEST_MAC, GuestTcp, HOST_IP6, ROUTER_MAC, decode, icmp6Frame, ip6, parseFrame, setup, text, udpFrame } from './guest.js';

const LL_GUEST = ip6('fe80::5054:ff:fe12:3456');
const ALL_ROUTERS = Ipv6Address.allRouters();
const ROUTER_LL = ip6('fe80::2');

describe('IPv6: NDP, RA, ICMPv6', () => {
  it('a Router Solicitation gets an RA with prefix (L+A), MTU, RDNSS and the router MAC, from fe80::2 with hop limit 255', async () => {
    const s = await setup();
    s.guest.send(icmp6Frame({ type: 'router-solicit', options: [{ type: 'source-ll-addr', addr: GUEST_MAC }] }, LL_GUEST, ALL_ROUTERS, 255, new Uint8Array([0x33, 0x33, 0, 0, 0, 2])));
    const [f] = s.guest.take();
    expect(f!.ip!.ttl).toBe(255);
    expect([...f!.ip!.src]).toEqual([...ROUTER_LL]);
    expect([...f!.dst]).toEqual([0x33, 0x33, 0, 0, 0, 1]);
    const ra = f!.icmp6!;
    if (ra.type !== 'router-advert') throw new Error('not an RA');
    expect(ra.routerLifetime).toBe(1800);
    expect(ra.flags & 0x40).toBe(0x40);
    const opts = ra.options as NdpOption[];
    expect(opts).toContainEqual({ type: 'source-ll-addr', addr: ROUTER_MAC });
    expect(opts).toContainEqual({ type: 'mtu', mtu: 1500 });
    const pi = opts.find((o) => o.type === 'prefix-info');
    expect(pi).toMatchObject({ prefixLen: 64, onLink: true, autonomous: true, validLifetime: 86400, preferredLifetime: 14400 });
    expect(pi && pi.type === 'prefix-info' && Ipv6Address.format(pi.prefix)).toBe('fec0::');
    const rdnss = opts.find((o) => o.type === 'rdnss');
    expect(rdnss && rdnss.type === 'rdnss' && rdnss.servers.map((x) => Ipv6Address.format(x))).toEqual(['fec0::3']);
  });

  it('a custom ipv6-net is advertised', async () => {
    const s = await setup({ ipv6Net: 'fd00:1234::/64' });
    s.guest.send(icmp6Frame({ type: 'router-solicit', options: [] }, LL_GUEST, ALL_ROUTERS));
    const ra = s.guest.take()[0]!.icmp6!;
    const pi = ra.type === 'router-advert' ? ra.options.find((o) => o.type === 'prefix-info') : undefined;
    expect(pi && pi.type === 'prefix-info' && Ipv6Address.format(pi.prefix)).toBe('fd00:1234::');
  });

  it('unsolicited RAs go out every 200-600 s once the guest speaks IPv6', async () => {
    const s = await setup();
    s.clock.advance(3600e9);
    expect(s.guest.take()).toEqual([]);
    s.guest.send(icmp6Frame({ type: 'router-solicit', options: [] }, LL_GUEST, ALL_ROUTERS));
    s.guest.take();
    s.clock.advance(1200e9);
    const ras = s.guest.take().filter((f) => f.icmp6?.type === 'router-advert');
    expect(ras.length).toBeGreaterThanOrEqual(2);
    expect(ras.length).toBeLessThanOrEqual(6);
  });

  it('Neighbor Solicitation for the host and DNS addresses gets a solicited NA; DAD probes for the guest get nothing', async () => {
    const s = await setup();
    for (const target of [HOST_IP6, DNS_IP6, ROUTER_LL]) {
      s.guest.send(icmp6Frame({ type: 'neighbor-solicit', target, options: [{ type: 'source-ll-addr', addr: GUEST_MAC }] }, GUEST_IP6, Ipv6Address.solicitedNode(target), 255, Ipv6Address.multicastMac(Ipv6Address.solicitedNode(target))));
      const [f] = s.guest.take();
      const na = f!.icmp6!;
      if (na.type !== 'neighbor-advert') throw new Error('no NA');
      expect(na).toMatchObject({ router: true, solicited: true, override: true });
      expect(Ipv6Address.equals(na.target, target)).toBe(true);
      expect(na.options).toContainEqual({ type: 'target-ll-addr', addr: ROUTER_MAC });
      expect([...f!.dst]).toEqual([...GUEST_MAC]);
    }
    s.guest.send(icmp6Frame({ type: 'neighbor-solicit', target: GUEST_IP6, options: [] }, Ipv6Address.unspecified(), Ipv6Address.solicitedNode(GUEST_IP6)));
    expect(s.guest.take()).toEqual([]);
  });

  it('NDP with a hop limit other than 255 is dropped (RFC 4861 §7.1.1)', async () => {
    const s = await setup();
    s.guest.send(icmp6Frame({ type: 'neighbor-solicit', target: HOST_IP6, options: [] }, GUEST_IP6, Ipv6Address.solicitedNode(HOST_IP6), 64));
    expect(s.guest.take()).toEqual([]);
    expect(s.net.stats.ndpHopLimit).toBe(1);
  });

  it('ICMPv6 echo to the host address is answered; outside addresses without ping get unreachable', async () => {
    const s = await setup();
    const data = text('ping6');
    s.guest.send(icmp6Frame({ type: 'echo-request', ident: 5, seqNo: 9, data }, GUEST_IP6, HOST_IP6, 64));
    const [r] = s.guest.take();
    expect(r!.icmp6).toEqual({ type: 'echo-reply', ident: 5, seqNo: 9, data });
    expect([...r!.ip!.src]).toEqual([...HOST_IP6]);
    s.guest.send(icmp6Frame({ type: 'echo-request', ident: 5, seqNo: 10, data }, GUEST_IP6, ip6('2001:db8::1'), 64));
    expect(s.host.pings[0]).toMatchObject({ family: 6, address: '2001:db8::1' });
    expect(s.guest.take()[0]!.icmp6!.type).toBe('dest-unreachable');
  });

  it('DHCPv6 Information-request gets the DNS server and search list', async () => {
    const s = await setup({ dnssearch: ['example.org'] });
    const cid = userWire.duidLl(GUEST_MAC);
    const ir = { msgType: 11, transactionId: 0xabcdef, options: [{ code: 1, data: cid }, { code: 6, data: new Uint8Array([0, 23, 0, 24]) }] };
    const b = new Uint8Array(userWire.Dhcpv6Repr.bufferLen(ir));
    userWire.Dhcpv6Repr.emit(ir, b);
    s.guest.send(udpFrame(LL_GUEST, 546, ip6('ff02::1:2'), 547, b, new Uint8Array([0x33, 0x33, 0, 1, 0, 2])));
    const [f] = s.guest.take();
    expect([f!.udp!.sport, f!.udp!.dport]).toEqual([547, 546]);
    expect([...f!.ip!.src]).toEqual([...ROUTER_LL]);
    const rep = userWire.Dhcpv6Repr.parse(f!.udp!.payload);
    if ('kind' in rep) throw new Error('bad reply');
    expect(rep.msgType).toBe(7);
    expect(rep.transactionId).toBe(0xabcdef);
    expect(userWire.dhcpv6Option(rep.options, 1)).toEqual(cid);
    expect(userWire.dhcpv6Option(rep.options, 2)).toEqual(userWire.duidLl(ROUTER_MAC));
    expect(userWire.dhcpv6Option(rep.options, 23)).toEqual(DNS_IP6);
    expect(userWire.dhcpv6Option(rep.options, 24)).toEqual(userWire.encodeDnsName('example.org'));
  });
});

describe('IPv6: NAT', () => {
  it('TCP over IPv6 to an outside address and to ipv6-host (-> ::1), data both ways', async () => {
    const s = await setup();
    s.guest.deferred = true;
    const c = new GuestTcp(s.clock, (f) => s.guest.send(f), { addr: GUEST_IP6, port: 50000 }, { addr: ip6('2001:db8::80'), port: 80 });
    s.guest.onFrame = (f) => c.input(parseFrame(f));
    expect(s.host.calls).toEqual(['tcpConnect 2001:db8::80:80']);
    const st = s.host.lastStream();
    st.connect();
    s.clock.advance(10e6);
    expect(c.tcb.state).toBe('established');
    expect(c.tcb.sndMss).toBe(1440);
    c.write(text('hello v6'));
    expect(st.text()).toBe('hello v6');
    st.send(new Uint8Array(20_000).fill(6));
    s.clock.advance(100e6);
    expect(c.receivedBytes).toBe(20_000);
    const c2 = new GuestTcp(s.clock, (f) => s.guest.send(f), { addr: GUEST_IP6, port: 50001 }, { addr: HOST_IP6, port: 8080 });
    void c2;
    expect(s.host.calls[1]).toBe('tcpConnect ::1:8080');
  });

  it('UDP over IPv6 NAT', async () => {
    const s = await setup();
    s.guest.send(udpFrame(GUEST_IP6, 6000, ip6('2001:db8::53'), 53, text('q6')));
    const u = s.host.udp[0]!;
    expect(u.family).toBe(6);
    expect(u.sent[0]!.to).toEqual({ family: 6, address: '2001:db8::53', port: 53 });
    u.deliver('a6', { family: 6, address: '2001:db8::53', port: 53 });
    const f = s.guest.take().find((x) => x.udp)!;
    expect(decode(f.udp!.payload)).toBe('a6');
    expect([...f.ip!.src]).toEqual([...ip6('2001:db8::53')]);
    expect(f.udp!.checksumOk).toBe(true);
  });

  it('IPv6 fragments are reassembled', async () => {
    const s = await setup();
    const payload = new Uint8Array(3000).map((_, i) => i & 0xff);
    const { udpBytes, ipv6Packet, ethFrame } = await import('./guest.js');
    const l4 = udpBytes(GUEST_IP6, ip6('2001:db8::9'), 7000, 9, payload);
    const pieces = [l4.subarray(0, 1456), l4.subarray(1456)];
    let off = 0;
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      const fh = new Uint8Array(8 + p.length);
      fh[0] = 17;
      const offMf = off | (i < pieces.length - 1 ? 1 : 0);
      fh[2] = offMf >> 8;
      fh[3] = offMf & 0xff;
      fh[7] = 42;
      fh.set(p, 8);
      s.guest.send(ethFrame(0x86dd, ipv6Packet(GUEST_IP6, ip6('2001:db8::9'), 44, fh)));
      off += p.length;
    }
    expect(s.host.udp[0]!.sent[0]!.data).toEqual(payload);
    expect(s.net.stats.fragReassembled).toBe(1);
  });

  it('ipv6=off ignores IPv6; ipv4=off ignores IPv4 and ARP', async () => {
    const s = await setup({ ipv6: false });
    s.guest.send(icmp6Frame({ type: 'router-solicit', options: [] }, LL_GUEST, ALL_ROUTERS));
    expect(s.guest.take()).toEqual([]);
    const t = await setup({ ipv4: false });
    t.guest.announce();
    expect(t.guest.take()).toEqual([]);
  });
});
