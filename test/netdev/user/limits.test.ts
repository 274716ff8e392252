import { describe, expect, it } from 'vitest';
import { TcpFlags } from '../../../src/wire/index.js';
import { GUEST_IP, ethFrame, ip, ipv4Packet, setup, tcpFrame, udpBytes } from './guest.js';

const { SYN, RST } = TcpFlags;

describe('resource bounds', () => {
  it('TCP connections past maxTcpConnections are refused with RST and counted', async () => {
    const s = await setup({ limits: { maxTcpConnections: 3 } });
    s.guest.announce();
    for (let p = 0; p < 5; p++) {
      s.guest.send(tcpFrame({ dst: ip('93.184.216.34'), sport: 2000 + p, dport: 80, seq: 1, flags: SYN }));
      s.host.lastStream().connect();
    }
    expect(s.host.streams.length).toBe(3);
    expect(s.net.stats.tcpConnLimit).toBe(2);
    expect(s.guest.take().filter((f) => f.tcp && f.tcp.flags & RST).length).toBe(2);
    expect(s.net.usage().tcpConnections).toBe(3);
  });

  it('a SYN flood is bounded by maxEmbryonicTcp; memory stays small', async () => {
    const s = await setup({ limits: { maxEmbryonicTcp: 16 } });
    s.guest.announce();
    for (let p = 0; p < 5000; p++) s.guest.send(tcpFrame({ dst: ip('93.184.216.34'), sport: 1024 + p, dport: 80, seq: p, flags: SYN }));
    expect(s.host.streams.length).toBe(16);
    expect(s.net.stats.tcpEmbryonicLimit).toBe(5000 - 16);
    expect(s.net.usage().tcpEmbryonic).toBe(16);
    expect(s.net.usage().tcpBufferedBytes).toBe(0);
    // Once the host connects and the guest never completes the handshake, the SYN-ACKs time out.
    for (const st of s.host.streams) st.connect();
    s.clock.advance(600e9);
    expect(s.net.usage().tcpConnections).toBe(0);
  });

  it('1000 open NAT connections hold little memory (buffers grow only when used)', async () => {
    const s = await setup({ limits: { maxTcpConnections: 2000, maxEmbryonicTcp: 2000 } });
    s.guest.announce();
    for (let p = 0; p < 1000; p++) {
      s.guest.send(tcpFrame({ dst: ip('93.184.216.34'), sport: 10000 + p, dport: 80, seq: 1, flags: SYN }));
      s.host.lastStream().connect();
    }
    expect(s.net.usage().tcpConnections).toBe(1000);
    // 2 x 4 KiB initial ring storage per connection.
    expect(s.net.usage().tcpBufferedBytes).toBeLessThanOrEqual(1000 * 8 * 1024);
  });

  it('reassembly memory and datagram count are bounded; incomplete datagrams time out', async () => {
    const s = await setup({ limits: { reassemblyBytes: 64 * 1024, reassemblyDatagrams: 8 } });
    s.guest.announce();
    const data = new Uint8Array(1480);
    for (let id = 0; id < 100; id++) {
      const p = ipv4Packet(GUEST_IP, ip('1.2.3.4'), 17, data, { ident: id, moreFrags: true, fragOffset: 0 });
      s.guest.send(ethFrame(0x0800, p));
    }
    expect(s.net.usage().reassemblyDatagrams).toBeLessThanOrEqual(8);
    expect(s.net.usage().reassemblyBytes).toBeLessThanOrEqual(64 * 1024);
    expect(s.net.stats.fragMemoryLimit).toBeGreaterThan(0);
    s.clock.advance(31e9);
    expect(s.net.usage().reassemblyDatagrams).toBe(0);
    expect(s.net.stats.fragTimeout).toBe(8);
  });

  it('frames waiting for ARP are bounded', async () => {
    const s = await setup({ limits: { pendingResolution: 4 }, hostfwd: ['udp::5000-10.0.2.99:5000'] });
    for (let i = 0; i < 10; i++) s.host.boundUdp[0]!.deliver(new Uint8Array(10), { family: 4, address: '127.0.0.1', port: 6000 + i });
    expect(s.net.usage().pendingResolution).toBe(4);
    expect(s.net.stats.pendingResolutionDrops).toBe(6);
    void udpBytes;
  });

  it('one ARP request per waiting destination; waiting frames expire after 3 s', async () => {
    const s = await setup({ hostfwd: ['udp::5000-10.0.2.99:5000'] });
    const sock = s.host.boundUdp[0]!;
    for (let i = 0; i < 5; i++) sock.deliver(new Uint8Array(10), { family: 4, address: '127.0.0.1', port: 6000 });
    const arps = s.guest.take().filter((f) => f.arp);
    expect(arps.length).toBe(1);
    expect(arps[0]!.arp!.operation).toBe('request');
    expect(s.net.usage().pendingResolution).toBe(5);
    s.clock.advance(4e9);
    sock.deliver(new Uint8Array(10), { family: 4, address: '127.0.0.1', port: 6000 });
    expect(s.net.usage().pendingResolution).toBe(1);
    expect(s.guest.take().filter((f) => f.arp).length).toBe(1);
    // The guest answers: the waiting datagram goes out.
    const { ArpRepr, EtherType } = await import('../../../src/wire/index.js');
    const { ethFrame, GUEST_MAC } = await import('./guest.js');
    const b = new Uint8Array(28);
    ArpRepr.emit({ operation: 'reply', senderMac: GUEST_MAC, senderIp: ip('10.0.2.99'), targetMac: new Uint8Array(6), targetIp: ip('10.0.2.2') }, b);
    s.guest.send(ethFrame(EtherType.ARP, b));
    const out = s.guest.take();
    expect(out.length).toBe(1);
    expect(out[0]!.udp!.dport).toBe(5000);
  });

  it('ICMP echo forwarding is bounded by maxPings', async () => {
    const s = await setup({ limits: { maxPings: 0 } });
    s.guest.announce();
    const { icmp4EchoFrame } = await import('./guest.js');
    s.guest.send(icmp4EchoFrame(ip('1.1.1.1'), 1, 1, new Uint8Array(4)));
    expect(s.host.pings.length).toBe(0);
    expect(s.net.stats.icmpEchoRefused).toBe(1);
  });

  it('close() releases every host resource', async () => {
    const s = await setup({ hostfwd: ['tcp::22-:22', 'udp::53-:53'] });
    s.guest.announce();
    s.guest.send(tcpFrame({ dst: ip('93.184.216.34'), sport: 1, dport: 80, seq: 1, flags: SYN }));
    const { udpFrame, text } = await import('./guest.js');
    s.guest.send(udpFrame(GUEST_IP, 1, ip('8.8.8.8'), 53, text('x')));
    s.net.close();
    expect(s.host.streams[0]!.destroyed).toBe(true);
    expect(s.host.udp[0]!.closed).toBe(true);
    expect(s.host.listeners[0]!.closed).toBe(true);
    expect(s.host.boundUdp[0]!.closed).toBe(true);
    expect(s.clock.nextDeadline()).toBeNull();
  });
});
