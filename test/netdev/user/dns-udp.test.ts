import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { DNS_IP, DNS_IP6, GUEST_IP, GUEST_IP6, GuestTcp, HOST_IP, decode, ip, parseFrame, setup, text, udpFrame } from './guest.js';

function query(name: string, id = 0x4242, type: 'A' | 'AAAA' = 'A'): Uint8Array {
  return new Uint8Array(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }));
}

/** A host resolver that knows one name. */
function resolver(q: Uint8Array): { ok: true; value: Uint8Array } {
  const d = dnsPacket.decode(Buffer.from(q));
  const question = d.questions![0]!;
  const answers = question.name === 'example.com' ? [{ type: 'A' as const, name: 'example.com', ttl: 60, data: '93.184.216.34' }] : [];
  const resp = dnsPacket.encode({ type: 'response', id: d.id, flags: dnsPacket.RECURSION_DESIRED | (answers.length ? 0 : 3), questions: d.questions, answers });
  return { ok: true, value: new Uint8Array(resp) };
}

describe('DNS forwarding', () => {
  it('a query to 10.0.2.3:53 is answered through the host resolver, from 10.0.2.3:53', async () => {
    const { guest, host, net } = await setup();
    host.dnsResolver = resolver;
    guest.announce();
    guest.send(udpFrame(GUEST_IP, 33333, DNS_IP, 53, query('example.com')));
    expect(host.dnsQueries.length).toBe(1);
    const [f] = guest.take();
    expect([...f!.ip!.src]).toEqual([...DNS_IP]);
    expect(f!.udp!.sport).toBe(53);
    expect(f!.udp!.dport).toBe(33333);
    expect(f!.udp!.checksumOk).toBe(true);
    const a = dnsPacket.decode(Buffer.from(f!.udp!.payload));
    expect(a.id).toBe(0x4242);
    expect(a.answers![0]).toMatchObject({ type: 'A', name: 'example.com', data: '93.184.216.34' });
    expect(net.stats.dnsAnswers).toBe(1);
  });

  it('over IPv6 to ipv6-dns', async () => {
    const { guest, host } = await setup();
    host.dnsResolver = resolver;
    guest.send(udpFrame(GUEST_IP6, 5353, DNS_IP6, 53, query('example.com', 7)));
    const f = guest.take().find((x) => x.udp);
    expect(f?.udp?.sport).toBe(53);
    expect([...f!.ip!.src]).toEqual([...DNS_IP6]);
    expect(dnsPacket.decode(Buffer.from(f!.udp!.payload)).id).toBe(7);
  });

  it('malformed queries (short, responses, bad names) never reach the host', async () => {
    const { guest, host, net } = await setup();
    guest.announce();
    guest.send(udpFrame(GUEST_IP, 1, DNS_IP, 53, new Uint8Array(5)));
    const resp = query('x.org');
    resp[2]! |= 0x80;
    guest.send(udpFrame(GUEST_IP, 1, DNS_IP, 53, resp));
    const bad = query('x.org');
    bad[12] = 0x3f; // label runs past the end
    guest.send(udpFrame(GUEST_IP, 1, DNS_IP, 53, bad));
    expect(host.dnsQueries.length).toBe(0);
    expect(net.stats.dnsMalformed).toBe(3);
  });

  it('outstanding queries are bounded and time out', async () => {
    const { guest, host, net, clock } = await setup({ limits: { maxDnsQueries: 2 } });
    guest.announce();
    for (let i = 0; i < 4; i++) guest.send(udpFrame(GUEST_IP, 1000 + i, DNS_IP, 53, query('a.b', i)));
    expect(host.dnsQueries.length).toBe(2);
    expect(net.stats.dnsLimit).toBe(2);
    clock.advance(11e9);
    expect(net.usage().dnsOutstanding).toBe(0);
    // A late answer is ignored.
    host.pendingDns[0]!(resolver(host.dnsQueries[0]!));
    expect(guest.take()).toEqual([]);
  });

  it('DNS over TCP to 10.0.2.3:53 is relayed too', async () => {
    const s = await setup();
    s.host.dnsResolver = resolver;
    s.guest.announce();
    const conn = new GuestTcp(s.clock, (f) => s.guest.send(f), { addr: GUEST_IP, port: 40001 }, { addr: DNS_IP, port: 53 });
    s.guest.onFrame = (f) => conn.input(parseFrame(f));
    const q = query('example.com', 99);
    const framed = new Uint8Array(2 + q.length);
    framed[0] = q.length >> 8;
    framed[1] = q.length & 255;
    framed.set(q, 2);
    conn.write(framed);
    s.clock.advance(1e9);
    const got = conn.data();
    const len = (got[0]! << 8) | got[1]!;
    expect(got.length).toBe(2 + len);
    const a = dnsPacket.decode(Buffer.from(got.subarray(2)));
    expect(a.id).toBe(99);
    expect(a.answers![0]).toMatchObject({ data: '93.184.216.34' });
    expect(s.host.streams.length).toBe(0);
  });
});

describe('UDP NAT', () => {
  it('guest datagrams leave through one host socket per guest port; replies come back from the real source', async () => {
    const { guest, host, net } = await setup();
    guest.announce();
    guest.send(udpFrame(GUEST_IP, 4000, ip('8.8.8.8'), 123, text('ntp?')));
    guest.send(udpFrame(GUEST_IP, 4000, ip('9.9.9.9'), 123, text('again')));
    expect(host.udp.length).toBe(1);
    const sock = host.udp[0]!;
    expect(sock.sent.map((s) => [s.to.address, s.to.port, decode(s.data)])).toEqual([
      ['8.8.8.8', 123, 'ntp?'],
      ['9.9.9.9', 123, 'again'],
    ]);
    sock.deliver('tick', { family: 4, address: '8.8.8.8', port: 123 });
    const [f] = guest.take();
    expect([...f!.ip!.src]).toEqual([8, 8, 8, 8]);
    expect(f!.udp!.sport).toBe(123);
    expect(f!.udp!.dport).toBe(4000);
    expect(decode(f!.udp!.payload)).toBe('tick');
    expect(net.stats.udpNatFlows).toBe(1);
  });

  it('the virtual host address maps to host loopback, and loopback replies come from 10.0.2.2', async () => {
    const { guest, host } = await setup();
    guest.announce();
    guest.send(udpFrame(GUEST_IP, 4001, HOST_IP, 9999, text('hi')));
    expect(host.udp[0]!.sent[0]!.to).toEqual({ family: 4, address: '127.0.0.1', port: 9999 });
    host.udp[0]!.deliver('yo', { family: 4, address: '127.0.0.1', port: 9999 });
    expect([...guest.take()[0]!.ip!.src]).toEqual([...HOST_IP]);
  });

  it('idle flows expire on virtual time (240 s), traffic keeps them alive', async () => {
    const { guest, host, net, clock } = await setup();
    guest.announce();
    guest.send(udpFrame(GUEST_IP, 4002, ip('1.2.3.4'), 5, text('a')));
    clock.advance(200e9);
    host.udp[0]!.deliver('b', { family: 4, address: '1.2.3.4', port: 5 });
    clock.advance(200e9);
    expect(host.udp[0]!.closed).toBe(false);
    expect(net.usage().udpFlows).toBe(1);
    clock.advance(41e9);
    expect(host.udp[0]!.closed).toBe(true);
    expect(net.usage().udpFlows).toBe(0);
    expect(net.stats.udpExpired).toBe(1);
    // A new datagram opens a new flow.
    guest.send(udpFrame(GUEST_IP, 4002, ip('1.2.3.4'), 5, text('c')));
    expect(host.udp.length).toBe(2);
  });

  it('flows past the limit are refused with ICMP and counted', async () => {
    const { guest, host, net } = await setup({ limits: { maxUdpFlows: 2 } });
    guest.announce();
    for (let p = 1; p <= 3; p++) guest.send(udpFrame(GUEST_IP, 5000 + p, ip('1.2.3.4'), 5, text('x')));
    expect(host.udp.length).toBe(2);
    expect(net.stats.udpFlowLimit).toBe(1);
    const [f] = guest.take();
    expect(f?.icmp4?.type).toBe('dest-unreachable');
  });

  it('a bad UDP checksum is dropped and counted; a zero checksum over IPv4 is accepted', async () => {
    const { guest, host, net } = await setup();
    guest.announce();
    const f = udpFrame(GUEST_IP, 4003, ip('1.2.3.4'), 5, text('x'));
    f[14 + 20 + 6]! ^= 0x55;
    guest.send(f);
    expect(net.stats.udpBadChecksum).toBe(1);
    const g = udpFrame(GUEST_IP, 4003, ip('1.2.3.4'), 5, text('y'));
    g[14 + 20 + 6] = 0;
    g[14 + 20 + 7] = 0;
    guest.send(g);
    expect(host.udp[0]!.sent.length).toBe(1);
  });

  it('datagrams larger than the MTU from the host reach the guest as fragments that reassemble', async () => {
    const { guest, host } = await setup();
    guest.announce();
    guest.send(udpFrame(GUEST_IP, 4004, ip('1.2.3.4'), 5, text('big?')));
    const big = new Uint8Array(4000).map((_, i) => (i * 7) & 255);
    host.udp[0]!.deliver(big, { family: 4, address: '1.2.3.4', port: 5 });
    const frags = guest.take();
    expect(frags.length).toBe(3);
    expect(frags.every((f) => f.ip!.fragment && f.raw.length <= 1514)).toBe(true);
    // Reassemble by hand.
    const parts = frags.map((f) => {
      const ipb = f.raw.subarray(14);
      const off = (((ipb[6]! & 0x1f) << 8) | ipb[7]!) * 8;
      return { off, data: ipb.subarray(20, (ipb[2]! << 8) | ipb[3]!) };
    });
    const total = Math.max(...parts.map((p) => p.off + p.data.length));
    const dgram = new Uint8Array(total);
    for (const p of parts) dgram.set(p.data, p.off);
    expect(dgram.subarray(8)).toEqual(big);
  });
});
