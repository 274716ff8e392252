import { describe, expect, it } from 'vitest';
import { TcpFlags } from '../../../src/wire/index.js';
import { DNS_IP, GUEST_IP, GUEST_IP6, GuestTcp, HOST_IP, type ParsedFrame, type Setup, icmp4EchoFrame, ip, ip6, parseFrame, setup, tcpFrame, text, udpFrame, decode } from './guest.js';
import { userWire } from '../../../src/netdev/user/index.js';

const { SYN, ACK, RST } = TcpFlags;

/** Accept the stack's SYN with a guest TCP listening on `port`. */
function guestServer(s: Setup, port: number): { conn: () => GuestTcp | undefined } {
  let conn: GuestTcp | undefined;
  s.guest.deferred = true;
  s.guest.onFrame = (raw) => {
    const f: ParsedFrame = parseFrame(raw);
    if (!f.tcp || f.tcp.dstPort !== port) return;
    if (!conn) {
      if (f.tcp.flags !== SYN) return;
      conn = new GuestTcp(s.clock, (x) => s.guest.send(x), { addr: f.ip!.dst.slice(), port }, { addr: f.ip!.src.slice(), port: f.tcp.srcPort }, {}, 5000, {
        seq: f.tcp.seq,
        ack: 0,
        flags: SYN,
        window: f.tcp.window,
        payload: new Uint8Array(0),
        mss: 1460,
        wscale: 3,
      });
      return;
    }
    conn.input(f);
  };
  return { conn: () => conn };
}

describe('hostfwd', () => {
  it('tcp: an inbound host connection opens TCP to the guest (default guest address .15), spliced both ways', async () => {
    const s = await setup({ hostfwd: ['tcp:127.0.0.1:2222-:22'] });
    expect(s.host.calls).toEqual(['tcpListen 127.0.0.1:2222']);
    expect(s.net.hostfwd[0]).toMatchObject({ address: '127.0.0.1', port: 2222 });
    s.guest.announce();
    const srv = guestServer(s, 22);
    const client = s.host.listeners[0]!.connect({ family: 4, address: '127.0.0.1', port: 40100 });
    expect(client.paused).toBe(true);
    s.clock.advance(10e6);
    const g = srv.conn()!;
    expect(g.tcb.state).toBe('established');
    // The guest sees the connection coming from the virtual host.
    expect([...g.remote.addr]).toEqual([...HOST_IP]);
    expect(g.remote.port).toBe(40100);
    expect(client.paused).toBe(false);
    g.write(text('SSH-2.0-guest\r\n'));
    expect(client.text()).toBe('SSH-2.0-guest\r\n');
    client.send('SSH-2.0-client\r\n');
    s.clock.advance(10e6);
    expect(decode(g.data())).toBe('SSH-2.0-client\r\n');
    expect(s.net.stats.hostfwdAccepted).toBe(1);
  });

  it('tcp: host data that arrives before the guest accepted waits; a guest RST closes the host side', async () => {
    const s = await setup({ hostfwd: ['tcp::8080-10.0.2.20:80'] });
    s.guest.announce(ip('10.0.2.20'));
    const client = s.host.listeners[0]!.connect();
    const syn = s.guest.take()[0]!;
    expect([...syn.ip!.dst]).toEqual([10, 0, 2, 20]);
    expect(syn.tcp!.flags).toBe(SYN);
    s.guest.send(tcpFrame({ src: ip('10.0.2.20'), dst: HOST_IP, sport: 80, dport: syn.tcp!.srcPort, seq: 0, ack: syn.tcp!.seq + 1, flags: RST | ACK }));
    expect(client.destroyed).toBe(true);
    expect(s.net.usage().tcpConnections).toBe(0);
  });

  it('tcp: the guest never answering makes the host side give up', async () => {
    const s = await setup({ hostfwd: ['tcp::8080-:80'] });
    s.guest.announce();
    const client = s.host.listeners[0]!.connect();
    s.clock.advance(600e9);
    expect(client.destroyed).toBe(true);
    expect(s.net.stats.tcpTimeouts).toBe(1);
  });

  it('udp: host datagrams reach the guest port; guest answers go back to the host peer', async () => {
    const s = await setup({ hostfwd: ['udp:127.0.0.1:5353-:53'] });
    s.guest.announce();
    const sock = s.host.boundUdp[0]!;
    sock.deliver('query', { family: 4, address: '127.0.0.1', port: 41000 });
    const [f] = s.guest.take();
    expect([...f!.ip!.src]).toEqual([...HOST_IP]);
    expect([f!.udp!.sport, f!.udp!.dport]).toEqual([41000, 53]);
    s.guest.send(udpFrame(GUEST_IP, 53, HOST_IP, 41000, text('answer')));
    expect(sock.sent.map((x) => [decode(x.data), x.to.port])).toEqual([['answer', 41000]]);
  });

  it('port 0 reports the port the host picked; a failed bind is a clear error', async () => {
    const s = await setup({ hostfwd: ['tcp::0-:22'] });
    expect(s.net.hostfwd[0]!.port).toBeGreaterThan(0);
    const { FakeHost } = await import('./fake-host.js');
    const { createUserNet } = await import('../../../src/netdev/user/index.js');
    const { VirtualClock } = await import('../../../src/time/clock.js');
    const { SeededRandom } = await import('../../../src/time/random.js');
    const host = new FakeHost();
    host.failListen = true;
    await expect(createUserNet({ hostfwd: ['tcp::22-:22'] }, { timers: new VirtualClock(), random: new SeededRandom(1), host })).rejects.toThrow(/could not set up host forwarding rule/);
  });

  it('IPv6 guest address: the stack solicits the guest (NDP) before the SYN goes out', async () => {
    const s = await setup({ hostfwd: ['tcp::2222-[fec0::15]:22'] });
    s.host.listeners[0]!.connect();
    const [ns] = s.guest.take();
    expect(ns!.icmp6?.type).toBe('neighbor-solicit');
    const na = new Uint8Array(32);
    // Answer with a Neighbor Advertisement carrying our MAC.
    const { icmp6Frame, GUEST_MAC } = await import('./guest.js');
    void na;
    s.guest.send(icmp6Frame({ type: 'neighbor-advert', router: false, solicited: true, override: true, target: ip6('fec0::15'), options: [{ type: 'target-ll-addr', addr: GUEST_MAC }] }, ip6('fec0::15'), ip6('fe80::2')));
    const [syn] = s.guest.take();
    expect(syn!.tcp!.flags).toBe(SYN);
    expect([...syn!.ip!.dst]).toEqual([...ip6('fec0::15')]);
    void GUEST_IP6;
  });
});

describe('guestfwd', () => {
  it('tcp chardev: a guest connection to server:port opens a host connection to the chardev address', async () => {
    const s = await setup({ guestfwd: ['tcp:10.0.2.100:1234-tcp:127.0.0.1:4321'] });
    s.guest.announce();
    s.guest.deferred = true;
    const c = new GuestTcp(s.clock, (f) => s.guest.send(f), { addr: GUEST_IP, port: 3333 }, { addr: ip('10.0.2.100'), port: 1234 });
    s.guest.onFrame = (f) => c.input(parseFrame(f));
    expect(s.host.calls).toEqual(['tcpConnect 127.0.0.1:4321']);
    s.host.lastStream().connect();
    s.clock.advance(10e6);
    c.write(text('to chardev'));
    expect(s.host.lastStream().text()).toBe('to chardev');
    expect(s.net.stats.guestfwdConnections).toBe(1);
  });

  it('cmd: each guest connection spawns the command with the stream on stdin/stdout', async () => {
    const s = await setup({ guestfwd: ['tcp:10.0.2.100:80-cmd:/usr/bin/printf hello'], restrict: true });
    s.guest.announce();
    s.guest.deferred = true;
    const c = new GuestTcp(s.clock, (f) => s.guest.send(f), { addr: GUEST_IP, port: 3334 }, { addr: ip('10.0.2.100'), port: 80 });
    s.guest.onFrame = (f) => c.input(parseFrame(f));
    const proc = s.host.lastStream();
    expect(proc.kind).toBe('spawn');
    expect(proc.target).toEqual({ command: '/usr/bin/printf hello', shell: true });
    proc.connect();
    proc.send('hello');
    proc.hostEnd();
    s.clock.advance(50e6);
    expect(decode(c.data())).toBe('hello');
    expect(c.tcb.state).toBe('close-wait');
  });

  it('rejects server addresses outside the network or equal to host/dns', async () => {
    await expect(setup({ guestfwd: ['tcp:192.168.0.1:80-cmd:x'] })).rejects.toThrow(/guestfwd/);
    await expect(setup({ guestfwd: ['tcp:10.0.2.2:80-cmd:x'] })).rejects.toThrow(/guestfwd/);
  });
});

describe('smb=', () => {
  it('without smbd: a clear error at creation', async () => {
    await expect(setup({ smb: '/srv/share' })).rejects.toThrow(/smbd/);
  });

  it('with smbd: a guest connection to 10.0.2.4:445 spawns it inetd-style', async () => {
    const { FakeHost } = await import('./fake-host.js');
    const { createUserNet } = await import('../../../src/netdev/user/index.js');
    const { VirtualClock } = await import('../../../src/time/clock.js');
    const { SeededRandom } = await import('../../../src/time/random.js');
    const { Guest } = await import('./guest.js');
    const host = new FakeHost();
    host.smbResult = { command: '/usr/sbin/smbd', args: ['-l', '/tmp/x', '-s', '/tmp/x/smb.conf'] };
    const clock = new VirtualClock();
    const net = await createUserNet({ smb: '/srv/share' }, { timers: clock, random: new SeededRandom(1), host });
    const guest = new Guest(net, clock);
    guest.announce();
    guest.send(tcpFrame({ dst: ip('10.0.2.4'), sport: 5000, dport: 445, seq: 1, flags: SYN }));
    expect(host.calls).toEqual(['prepareSmb /srv/share', 'spawn /usr/sbin/smbd']);
    expect(host.lastStream().target).toMatchObject({ socketStdio: true, args: ['-l', '/tmp/x', '-s', '/tmp/x/smb.conf'] });
    const { smbConfig } = await import('../../../src/netdev/user/index.js');
    expect(smbConfig({ dir: '/p', share: '/srv/share', user: 'u' })).toContain('path=/srv/share');
  });
});

describe('restrict=on', () => {
  it('not one call reaches the host network, whatever the guest tries', async () => {
    const s = await setup({ restrict: true, tftp: '/srv' });
    s.guest.announce();
    s.guest.send(tcpFrame({ dst: ip('93.184.216.34'), sport: 1000, dport: 80, seq: 1, flags: SYN }));
    s.guest.send(tcpFrame({ dst: HOST_IP, sport: 1001, dport: 22, seq: 1, flags: SYN }));
    s.guest.send(tcpFrame({ dst: DNS_IP, sport: 1002, dport: 53, seq: 1, flags: SYN }));
    s.guest.send(udpFrame(GUEST_IP, 2000, ip('8.8.8.8'), 53, text('x')));
    s.guest.send(udpFrame(GUEST_IP, 2001, HOST_IP, 5000, text('x')));
    s.guest.send(udpFrame(GUEST_IP, 2002, DNS_IP, 53, new Uint8Array(30)));
    s.guest.send(icmp4EchoFrame(ip('1.1.1.1'), 1, 1, new Uint8Array(8)));
    s.guest.send(tcpFrame({ dst: ip6('2001:db8::1'), sport: 1003, dport: 80, seq: 1, flags: SYN }));
    s.guest.send(udpFrame(GUEST_IP6, 2003, ip6('2001:db8::1'), 53, text('x')));
    s.clock.advance(300e9);
    expect(s.host.calls).toEqual([]);
    // Refused TCP gets RSTs; the virtual services still answer.
    const rsts = s.guest.take().filter((f) => f.tcp && f.tcp.flags & RST);
    expect(rsts.length).toBe(4);
    s.guest.send(icmp4EchoFrame(HOST_IP, 1, 2, new Uint8Array(4)));
    expect(s.guest.take()[0]?.icmp4?.type).toBe('echo-reply');
    s.host.files.set('f', new Uint8Array(3));
    s.guest.send(udpFrame(GUEST_IP, 2004, HOST_IP, 69, userWire.emitTftp({ op: 'rrq', filename: 'f', mode: 'octet', options: [] })));
    expect(s.guest.take()[0]?.udp?.sport).toBe(69);
    expect(s.net.stats.restrictedDrops).toBeGreaterThan(5);
    expect(s.host.calls).toEqual(['readFile f']);
  });

  it('hostfwd still works under restrict (the only host calls are the listener and its connection)', async () => {
    const s = await setup({ restrict: true, hostfwd: ['tcp::2222-:22'] });
    s.guest.announce();
    guestServer(s, 22);
    const c = s.host.listeners[0]!.connect();
    s.clock.advance(10e6);
    expect(c.paused).toBe(false);
    expect(s.host.calls).toEqual(['tcpListen :2222']);
    void ACK;
  });
});
