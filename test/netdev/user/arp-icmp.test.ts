import { describe, expect, it } from 'vitest';
import { ArpRepr, EtherType } from '../../../src/wire/index.js';
import { BROADCAST_MAC, DNS_IP, GUEST_IP, GUEST_MAC, HOST_IP, ROUTER_MAC, ethFrame, icmp4EchoFrame, ip, setup } from './guest.js';

function arpRequest(target: Uint8Array, sender = GUEST_IP): Uint8Array {
  const b = new Uint8Array(28);
  ArpRepr.emit({ operation: 'request', senderMac: GUEST_MAC, senderIp: sender, targetMac: new Uint8Array(6), targetIp: target }, b);
  return ethFrame(EtherType.ARP, b, BROADCAST_MAC);
}

describe('ARP (RFC 826)', () => {
  it('answers for the virtual host and DNS addresses with 52:55:<ip> MACs', async () => {
    const { guest } = await setup();
    for (const target of [HOST_IP, DNS_IP]) {
      guest.send(arpRequest(target));
      const [f] = guest.take();
      expect(f?.arp?.operation).toBe('reply');
      expect([...f!.arp!.senderIp]).toEqual([...target]);
      expect([...f!.arp!.senderMac]).toEqual([0x52, 0x55, ...target]);
      expect([...f!.arp!.targetMac]).toEqual([...GUEST_MAC]);
      expect([...f!.dst]).toEqual([...GUEST_MAC]);
    }
  });

  it('stays silent for other addresses in and out of the network', async () => {
    const { guest } = await setup();
    guest.send(arpRequest(ip('10.0.2.77')));
    guest.send(arpRequest(ip('192.168.1.1')));
    // Gratuitous ARP (DAD probe for its own address) gets no answer either.
    guest.send(arpRequest(GUEST_IP));
    expect(guest.take()).toEqual([]);
  });

  it('answers for guestfwd servers', async () => {
    const { guest } = await setup({ guestfwd: ['tcp:10.0.2.100:80-cmd:cat'] });
    guest.send(arpRequest(ip('10.0.2.100')));
    expect(guest.take()[0]?.arp?.operation).toBe('reply');
  });
});

describe('ICMP echo (RFC 792)', () => {
  it('the gateway and the DNS address answer pings locally, payload echoed', async () => {
    const { guest, host } = await setup();
    guest.announce();
    const data = new Uint8Array(56).map((_, i) => i);
    for (const dst of [HOST_IP, DNS_IP]) {
      guest.send(icmp4EchoFrame(dst, 0x1234, 7, data));
      const [f] = guest.take();
      expect(f?.icmp4).toEqual({ type: 'echo-reply', ident: 0x1234, seqNo: 7, data });
      expect([...f!.ip!.src]).toEqual([...dst]);
      expect([...f!.ip!.dst]).toEqual([...GUEST_IP]);
      expect([...f!.src]).toEqual([...ROUTER_MAC]);
    }
    expect(host.calls).toEqual([]);
  });

  it('outside addresses go to the host ping facility; without one the guest hears "host unreachable"', async () => {
    const { guest, host, net } = await setup();
    guest.announce();
    guest.send(icmp4EchoFrame(ip('93.184.216.34'), 1, 1, new Uint8Array(8)));
    expect(host.pings[0]?.address).toBe('93.184.216.34');
    const [f] = guest.take();
    expect(f?.icmp4?.type).toBe('dest-unreachable');
    expect(f?.icmp4 && 'code' in f.icmp4 ? f.icmp4.code : -1).toBe(1);
    expect(net.stats.icmpEchoForwarded).toBe(1);
  });

  it('outside addresses get an echo reply when the host can ping', async () => {
    const { guest, host } = await setup();
    host.pingResult = { ok: true, value: { rttMs: 3 } };
    guest.announce();
    const data = new Uint8Array([1, 2, 3, 4]);
    guest.send(icmp4EchoFrame(ip('1.1.1.1'), 9, 2, data));
    const [f] = guest.take();
    expect(f?.icmp4).toEqual({ type: 'echo-reply', ident: 9, seqNo: 2, data });
    expect([...f!.ip!.src]).toEqual([1, 1, 1, 1]);
  });

  it('a bad ICMP checksum is dropped and counted', async () => {
    const { guest, net } = await setup();
    const f = icmp4EchoFrame(HOST_IP, 1, 1, new Uint8Array(4));
    f[14 + 20 + 2]! ^= 0xff;
    guest.send(f);
    expect(guest.take()).toEqual([]);
    expect(net.stats.icmpMalformed).toBe(1);
  });
});
