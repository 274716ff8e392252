import { describe, expect, it } from 'vitest';
import {
  formatGuestFwd, formatHostFwd, parseGuestFwd, parseHostFwd, parseNetdev, type UserOptions,
} from '../../src/config/index.js';
import { err, ok } from './helpers.js';

function user(s: string): UserOptions {
  const n = ok(parseNetdev(`user,id=u${s ? `,${s}` : ''}`));
  if (n.type !== 'user') throw new Error('not user');
  return n;
}

describe('-netdev user: derived configuration (net/slirp.c net_slirp_init)', () => {
  it('defaults to 10.0.2.0/24 with host .2, DNS .3, DHCP from .15 and fec0::/64', () => {
    expect(user('').slirp).toEqual({
      restricted: false, ipv4: true, ipv6: true,
      network: '10.0.2.0', netmask: '255.255.255.0', host: '10.0.2.2', dhcpStart: '10.0.2.15', dns: '10.0.2.3',
      ipv6Prefix: 'fec0::', ipv6PrefixLen: 64, ipv6Host: 'fec0::2', ipv6Dns: 'fec0::3', smbServer: undefined,
    });
  });

  it('net=addr/bits moves host/DNS/DHCP into the new network', () => {
    expect(user('net=192.168.76.0/24').slirp).toMatchObject({
      network: '192.168.76.0', netmask: '255.255.255.0', host: '192.168.76.2', dns: '192.168.76.3', dhcpStart: '192.168.76.15',
    });
    expect(user('net=10.9.8.7/16').slirp).toMatchObject({ network: '10.9.0.0', host: '10.9.2.2', dhcpStart: '10.9.2.15' });
  });

  it('net=addr/dotted-mask works, and ip=ADDR means ADDR/24', () => {
    expect(user('net=172.20.0.0/255.255.0.0').slirp).toMatchObject({ network: '172.20.0.0', netmask: '255.255.0.0' });
    expect(user('ip=10.1.2.0').slirp).toMatchObject({ network: '10.1.2.0', netmask: '255.255.255.0' });
  });

  it('net without a mask gets the classful mask of net_slirp_init', () => {
    expect(user('net=10.0.0.0').slirp.netmask).toBe('255.0.0.0');
    // inet_aton reads 10.0.2 as 10.0.0.2; class A then gives 10.0.0.0/8.
    expect(user('net=10.0.2').slirp).toMatchObject({ network: '10.0.0.0', host: '10.0.2.2' });
    expect(user('net=172.16.0.0').slirp.netmask).toBe('255.240.0.0');
    expect(user('net=128.1.0.0').slirp.netmask).toBe('255.255.0.0');
    expect(user('net=192.168.0.0').slirp.netmask).toBe('255.255.0.0');
    expect(user('net=198.18.0.0').slirp.netmask).toBe('255.254.0.0');
    expect(user('net=192.0.2.0').slirp.netmask).toBe('255.255.255.240');
  });

  it('host=, dns=, dhcpstart= inside the network', () => {
    expect(user('host=10.0.2.1,dns=10.0.2.254,dhcpstart=10.0.2.100').slirp).toMatchObject({
      host: '10.0.2.1', dns: '10.0.2.254', dhcpStart: '10.0.2.100',
    });
  });

  it('dns= outside the network is fine unless restrict=on', () => {
    expect(user('dns=8.8.8.8').slirp.dns).toBe('8.8.8.8');
    expect(err(parseNetdev('user,id=u,dns=8.8.8.8,restrict=on'))).toBe("DNS doesn't belong to network");
  });

  it('ipv4=/ipv6=: turning one on alone turns the other off', () => {
    expect(user('ipv6=on').slirp).toMatchObject({ ipv4: false, ipv6: true });
    expect(user('ipv4=on').slirp).toMatchObject({ ipv4: true, ipv6: false });
    expect(user('ipv4=on,ipv6=on').slirp).toMatchObject({ ipv4: true, ipv6: true });
    expect(user('ipv6=off').slirp).toMatchObject({ ipv4: true, ipv6: false });
  });

  it('IPv6 prefix, host and DNS', () => {
    expect(user('ipv6-prefix=fd00:a::,ipv6-prefixlen=48,ipv6-host=fd00:a::1,ipv6-dns=fd00:a::53').slirp).toMatchObject({
      ipv6Prefix: 'fd00:a::', ipv6PrefixLen: 48, ipv6Host: 'fd00:a::1', ipv6Dns: 'fd00:a::53',
    });
    expect(user('ipv6-prefixlen=0').slirp.ipv6PrefixLen).toBe(64);
    expect(user('ipv6-prefixlen=126').slirp.ipv6PrefixLen).toBe(126);
    expect(user('ipv6-dns=2001:db8::1').slirp.ipv6Dns).toBe('2001:db8::1');
  });

  it('dnssearch and other strings are kept; dnssearch keeps every value in order', () => {
    const u = user('dnssearch=a.example,dnssearch=b.example,domainname=lan,tftp=/srv,bootfile=pxelinux.0,tftp-server-name=ts');
    expect(u).toMatchObject({
      dnssearch: ['a.example', 'b.example'], domainname: 'lan', tftp: '/srv', bootfile: 'pxelinux.0', tftpServerName: 'ts',
    });
  });

  it('smb= gets the server address, default network + .4', () => {
    expect(user('smb=/srv/share').slirp.smbServer).toBe('10.0.2.4');
    expect(user('smb=/srv/share,smbserver=10.0.2.9').slirp.smbServer).toBe('10.0.2.9');
    expect(user('smbserver=10.0.2.9').slirp.smbServer).toBeUndefined();
  });
});

describe("-netdev user: consistency errors with QEMU's wording", () => {
  const cases: [string, string][] = [
    ['ipv4=off,net=10.0.0.0/8', 'IPv4 disabled but netmask/host/dns provided'],
    ['ipv6=on,host=10.0.2.2', 'IPv4 disabled but netmask/host/dns provided'],
    ['ipv4=off,ip=10.0.0.0', 'IPv4 disabled but netmask/host/dns provided'],
    ['ipv6=off,ipv6-dns=fec0::3', 'IPv6 disabled but prefix/host6/dns6 provided'],
    ['ipv4=off,ipv6=off', 'IPv4 and IPv6 disabled'],
    ['net=foo', 'Failed to parse netmask'],
    ['net=', 'Failed to parse netmask'],
    ['net=10.0.2.300/24', 'Failed to parse netmask'],
    ['net=10.0.2.0/24x', 'Failed to parse netmask (trailing chars)'],
    ['net=10.0.2.0/3', 'Invalid netmask provided (must be in range 4-32)'],
    ['net=10.0.2.0/33', 'Invalid netmask provided (must be in range 4-32)'],
    ['net=10.0.2.0/', 'Invalid netmask provided (must be in range 4-32)'],
    ['net=10.0.2.0/32', 'DNS must be different from host'],
    ['host=x', 'Failed to parse host'],
    ['host=10.0.3.2', "Host doesn't belong to network"],
    ['dns=x', 'Failed to parse DNS'],
    ['dns=10.0.2.2', 'DNS must be different from host'],
    ['dhcpstart=x', 'Failed to parse DHCP start address'],
    ['dhcpstart=10.0.3.15', "DHCP doesn't belong to network"],
    ['dhcpstart=10.0.2.2', 'DHCP must be different from host and DNS'],
    ['dhcpstart=10.0.2.3', 'DHCP must be different from host and DNS'],
    ['smbserver=x', 'Failed to parse SMB address'],
    ['ipv6-prefix=zz::', 'Failed to parse IPv6 prefix'],
    ['ipv6-prefixlen=127', 'Invalid IPv6 prefix provided (IPv6 prefix length must be between 0 and 126)'],
    ['ipv6-prefixlen=-1', 'Invalid IPv6 prefix provided (IPv6 prefix length must be between 0 and 126)'],
    ['ipv6-host=zz', 'Failed to parse IPv6 host'],
    ['ipv6-host=fec1::2', "IPv6 Host doesn't belong to network"],
    ['ipv6-dns=zz', 'Failed to parse IPv6 DNS'],
    ['ipv6-dns=2001:db8::1,restrict=on', "IPv6 DNS doesn't belong to network"],
    ['domainname=', "'domainname' parameter cannot be empty"],
    [`domainname=${'d'.repeat(256)}`, "'domainname' parameter cannot exceed 255 bytes"],
    [`hostname=${'h'.repeat(256)}`, "'vhostname' parameter cannot exceed 255 bytes"],
    [`hostname=${'é'.repeat(128)}`, "'vhostname' parameter cannot exceed 255 bytes"],
    [`tftp-server-name=${'t'.repeat(256)}`, "'tftp-server-name' parameter cannot exceed 255 bytes"],
    ['smb=/srv,smbserver=10.0.2.2', 'Conflicting/invalid smbserver address'],
    ['smb=/srv,smbserver=192.168.1.1', 'Conflicting/invalid smbserver address'],
  ];
  it.each(cases)('%s', (opts, message) => {
    expect(err(parseNetdev(`user,id=u,${opts}`))).toBe(message);
  });

  it('checks in net_slirp_init order (host before dns before dhcp)', () => {
    expect(err(parseNetdev('user,id=u,dhcpstart=x,dns=x,host=x'))).toBe('Failed to parse host');
    expect(err(parseNetdev('user,id=u,dhcpstart=x,dns=x'))).toBe('Failed to parse DNS');
  });
});

describe('hostfwd grammar (slirp_hostfwd)', () => {
  it('parses [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport', () => {
    expect(parseHostFwd('tcp::2222-:22')).toEqual({
      ok: true, rule: { protocol: 'tcp', hostAddr: undefined, hostPort: 2222, guestAddr: undefined, guestPort: 22 },
    });
    expect(parseHostFwd(':127.0.0.1:8080-10.0.2.15:80')).toEqual({
      ok: true, rule: { protocol: 'tcp', hostAddr: '127.0.0.1', hostPort: 8080, guestAddr: '10.0.2.15', guestPort: 80 },
    });
    expect(parseHostFwd('udp:127.1:0x35-:053')).toEqual({
      ok: true, rule: { protocol: 'udp', hostAddr: '127.0.0.1', hostPort: 53, guestAddr: undefined, guestPort: 43 },
    });
    // qemu_strtoi with an end pointer: trailing text after the digits is ignored.
    expect(parseHostFwd('tcp::22x-:22y')).toMatchObject({ ok: true, rule: { hostPort: 22, guestPort: 22 } });
    expect(parseHostFwd('tcp::0-:1')).toMatchObject({ ok: true, rule: { hostPort: 0, guestPort: 1 } });
  });

  const bad: [string, string][] = [
    ['tcp', 'No : separators'],
    ['sctp::1-:2', 'Bad protocol name'],
    ['unix:/tmp/s-:22', 'Bad protocol name'],
    ['tcp:1', 'Missing : separator'],
    ['tcp:1.2.3.999:1-:2', 'Bad host address'],
    ['tcp::1', 'Bad host port separator'],
    ['tcp::x-:2', 'Bad host port'],
    ['tcp::65536-:2', 'Bad host port'],
    ['tcp::-1-:2', 'Bad host port'],
    ['tcp::1-2', 'Missing guest address'],
    ['tcp::1-x.y:2', 'Bad guest address'],
    ['tcp::1-:0', 'Bad guest port'],
    ['tcp::1-:65536', 'Bad guest port'],
    ['tcp::1-:', 'Bad guest port'],
  ];
  it.each(bad)('%s is refused (%s)', (rule, reason) => {
    expect(parseHostFwd(rule)).toEqual({ ok: false, error: `Invalid host forwarding rule '${rule}' (${reason})` });
    expect(err(parseNetdev(`user,id=u,hostfwd=${rule}`))).toBe(`Invalid host forwarding rule '${rule}' (${reason})`);
  });

  it('QEMU applies rules last-first, so the last bad rule is the one reported', () => {
    expect(err(parseNetdev('user,id=u,hostfwd=bad1,hostfwd=tcp::1-:2,hostfwd=bad2')))
      .toBe("Invalid host forwarding rule 'bad2' (No : separators)");
  });

  it('formatHostFwd writes a rule parseHostFwd reads back', () => {
    const r = parseHostFwd('udp:10.0.0.1:53-10.0.2.15:53');
    expect(r.ok && parseHostFwd(formatHostFwd(r.rule))).toEqual(r);
  });
});

describe('guestfwd grammar (slirp_guestfwd)', () => {
  it('parses [tcp]:[server]:port-dev and -cmd:command', () => {
    expect(parseGuestFwd('tcp:10.0.2.100:1234-cmd:netcat 10.10.10.10 22')).toEqual({
      ok: true, rule: { server: '10.0.2.100', port: 1234, target: { kind: 'cmd', command: 'netcat 10.10.10.10 22' } },
    });
    expect(parseGuestFwd('::4321-tcp:host:5555')).toEqual({
      ok: true, rule: { server: undefined, port: 4321, target: { kind: 'chardev', spec: 'tcp:host:5555' } },
    });
  });

  it.each(['udp:10.0.2.100:1-cmd:x', 'tcp:10.0.2.100', 'tcp:x:1-cmd:y', 'tcp:10.0.2.100:0-cmd:x',
    'tcp:10.0.2.100:65536-cmd:x', 'tcp:10.0.2.100:12a-cmd:x', 'tcp:10.0.2.100:1', 'tcp'])('%s is refused', (rule) => {
    expect(parseGuestFwd(rule)).toEqual({ ok: false, error: `Invalid guest forwarding rule '${rule}'` });
  });

  it('the server must be in the guest network and not the host or DNS (libslirp)', () => {
    expect(user('guestfwd=tcp::80-cmd:x').guestfwd).toEqual([
      { server: undefined, port: 80, target: { kind: 'cmd', command: 'x' } },
    ]);
    for (const server of ['10.0.2.2', '10.0.2.3', '192.168.0.1']) {
      const rule = `tcp:${server}:80-cmd:x`;
      expect(err(parseNetdev(`user,id=u,guestfwd=${rule}`)))
        .toBe(`Conflicting/invalid host:port in guest forwarding rule '${rule}'`);
    }
  });

  it('a command may contain commas with ",," escaping', () => {
    expect(user('guestfwd=tcp:10.0.2.100:1-cmd:a,,b').guestfwd[0]?.target).toEqual({ kind: 'cmd', command: 'a,b' });
  });

  it('guestfwd rules are checked before hostfwd rules', () => {
    expect(err(parseNetdev('user,id=u,hostfwd=bad,guestfwd=bad'))).toBe("Invalid guest forwarding rule 'bad'");
  });

  it('formatGuestFwd writes a rule parseGuestFwd reads back', () => {
    const r = parseGuestFwd(':10.0.2.100:1234-cmd:nc x');
    expect(r.ok && parseGuestFwd(formatGuestFwd(r.rule))).toEqual(r);
  });
});
