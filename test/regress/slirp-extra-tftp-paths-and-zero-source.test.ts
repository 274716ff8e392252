/** bad-input.md "Extra": TFTP names with ../ or a trailing / get "Access violation"; sources in 0.0.0.0/8 are ignored. */
import { describe, expect, it } from 'vitest';
import { TcpFlags } from '../../src/wire/index.js';
import { userWire } from '../../src/netdev/user/index.js';
import { GUEST_IP, HOST_IP, icmp4EchoFrame, ip, setup, tcpFrame, udpFrame } from '../netdev/user/guest.js';

describe('TFTP path checks and 0.0.0.0/8 sources', () => {
  it('../ anywhere, absolute names and a trailing / are refused before the host is asked', async () => {
    const { guest, host } = await setup({ tftp: '/srv/tftp' });
    guest.announce();
    const names = ['../x', 'a/../../x', 'a/..', '/etc/shadow', 'pxelinux.cfg/', '..\\x', 'a\\b'];
    for (const name of names) {
      guest.send(udpFrame(GUEST_IP, 4000, HOST_IP, 69, userWire.emitTftp({ op: 'rrq', filename: name, mode: 'octet', options: [] })));
      const [f] = guest.take();
      expect(userWire.parseTftp(f!.udp!.payload)).toEqual({ op: 'error', code: 2, message: 'Access violation' });
    }
    expect(host.calls).toEqual([]);
    expect(userWire.isAppWireError(userWire.parseTftp(new Uint8Array(0)))).toBe(true);
  });

  it('names that merely contain dots are fine', async () => {
    const { tftpPathProblem } = await import('../../src/netdev/user/tftp.js');
    expect(tftpPathProblem('a..b/file.0')).toBeUndefined();
    expect(tftpPathProblem('.hidden')).toBeUndefined();
    expect(tftpPathProblem('x/../y')).toBe('dot-dot');
  });

  it('packets from 0.0.0.0/8 (other than DHCP from 0.0.0.0) are ignored', async () => {
    const { guest, net, host } = await setup();
    guest.send(icmp4EchoFrame(HOST_IP, 1, 1, new Uint8Array(4), ip('0.1.2.3')));
    guest.send(tcpFrame({ src: ip('0.0.0.5'), dst: ip('93.184.216.34'), sport: 1, dport: 80, seq: 1, flags: TcpFlags.SYN }));
    guest.send(udpFrame(ip('0.0.0.0'), 1, ip('8.8.8.8'), 53, new Uint8Array(20)));
    guest.send(tcpFrame({ src: ip('0.0.0.0'), dst: ip('93.184.216.34'), sport: 1, dport: 80, seq: 1, flags: TcpFlags.SYN }));
    expect(guest.take()).toEqual([]);
    expect(host.calls).toEqual([]);
    expect(net.stats.ipv4BadSource).toBe(3);
  });
});
