import { describe, expect, it } from 'vitest';
import { OptionError } from '../../../src/errors.js';
import { DEFAULT_USER_NET_LIMITS, parseUserGuestFwd as parseGuestFwd, parseUserHostFwd as parseHostFwd, resolveUserNetOptions } from '../../../src/netdev/user/index.js';
import { Ipv6Address } from '../../../src/wire/index.js';

const v6 = (a: Uint8Array): string => Ipv6Address.format(a);

describe('-netdev user options', () => {
  it("QEMU's defaults", () => {
    const c = resolveUserNetOptions();
    expect(c).toMatchObject({ ipv4: true, ipv6: true, net: 0x0a000200, prefixLen: 24, mask: 0xffffff00, host: 0x0a000202, dns: 0x0a000203, dhcpStart: 0x0a00020f, dhcpCount: 16, restrict: false, mtu: 1500 });
    expect(v6(c.ipv6Prefix)).toBe('fec0::');
    expect(c.ipv6PrefixLen).toBe(64);
    expect(v6(c.ipv6Host)).toBe('fec0::2');
    expect(v6(c.ipv6Dns)).toBe('fec0::3');
    expect(c.limits).toEqual(DEFAULT_USER_NET_LIMITS);
  });

  it('net= with a prefix length, a dotted mask, or none (classful)', () => {
    expect(resolveUserNetOptions({ net: '192.168.76.0/24' })).toMatchObject({ net: 0xc0a84c00, host: 0xc0a84c02, dns: 0xc0a84c03, dhcpStart: 0xc0a84c0f });
    expect(resolveUserNetOptions({ net: '10.1.0.0/255.255.0.0' })).toMatchObject({ prefixLen: 16, host: 0x0a010002 });
    expect(resolveUserNetOptions({ net: '10.0.0.0' }).prefixLen).toBe(8);
    expect(resolveUserNetOptions({ net: '172.16.5.0' }).prefixLen).toBe(12);
    expect(resolveUserNetOptions({ net: '192.168.5.0' }).prefixLen).toBe(16);
    expect(resolveUserNetOptions({ net: '10.0.2.77/24' }).net).toBe(0x0a000200);
    expect(() => resolveUserNetOptions({ net: '10.0.2.0/33' })).toThrow(OptionError);
    expect(() => resolveUserNetOptions({ net: '10.0.2.0/3' })).toThrow(/4-32/);
    expect(() => resolveUserNetOptions({ net: '10.0.2.0/255.0.255.0' })).toThrow(/contiguous/);
    expect(() => resolveUserNetOptions({ net: 'banana' })).toThrow(OptionError);
  });

  it('host, dns and dhcpstart must lie in the network and differ', () => {
    expect(resolveUserNetOptions({ host: '10.0.2.1', dns: '10.0.2.53', dhcpstart: '10.0.2.100' })).toMatchObject({ host: 0x0a000201, dns: 0x0a000235, dhcpStart: 0x0a000264 });
    expect(() => resolveUserNetOptions({ host: '10.0.3.2' })).toThrow(/host/);
    expect(() => resolveUserNetOptions({ dns: '10.0.2.2' })).toThrow(/dns/);
    expect(() => resolveUserNetOptions({ dhcpstart: '10.0.2.3' })).toThrow(/dhcpstart/);
    expect(() => resolveUserNetOptions({ ipv4: false, ipv6: false })).toThrow(OptionError);
  });

  it('ipv6-net, the older ipv6-prefix/ipv6-prefixlen, ipv6-host and ipv6-dns', () => {
    const c = resolveUserNetOptions({ ipv6Net: 'fd00:aa::/48', ipv6Host: 'fd00:aa::1' });
    expect(v6(c.ipv6Prefix)).toBe('fd00:aa::');
    expect(c.ipv6PrefixLen).toBe(48);
    expect(v6(c.ipv6Host)).toBe('fd00:aa::1');
    expect(v6(c.ipv6Dns)).toBe('fd00:aa::3');
    expect(resolveUserNetOptions({ ipv6Prefix: 'fd01::', ipv6Prefixlen: 56 }).ipv6PrefixLen).toBe(56);
    expect(() => resolveUserNetOptions({ ipv6Net: 'fec0::/127' })).toThrow(OptionError);
    expect(() => resolveUserNetOptions({ ipv6Host: '2001:db8::2' })).toThrow(/ipv6-host/);
  });

  it('hostfwd rules as QEMU writes them', () => {
    expect(parseHostFwd('tcp::5555-:22')).toEqual({ proto: 'tcp', hostAddr: '', hostPort: 5555, guestPort: 22 });
    expect(parseHostFwd('udp:127.0.0.1:5353-10.0.2.20:53')).toEqual({ proto: 'udp', hostAddr: '127.0.0.1', hostPort: 5353, guestAddr: '10.0.2.20', guestPort: 53 });
    expect(parseHostFwd('::8080-:80')).toEqual({ proto: 'tcp', hostAddr: '', hostPort: 8080, guestPort: 80 });
    // As in QEMU, the host address field cannot be left out, only emptied.
    expect(() => parseHostFwd(':8080-:80')).toThrow(OptionError);
    expect(parseHostFwd('tcp:[::1]:2222-[fec0::15]:22')).toEqual({ proto: 'tcp', hostAddr: '::1', hostPort: 2222, guestAddr: 'fec0::15', guestPort: 22 });
    expect(() => parseHostFwd('tcp::5555')).toThrow(OptionError);
    expect(() => parseHostFwd('sctp::1-:2')).toThrow(OptionError);
    expect(() => parseHostFwd('tcp::1-:0')).toThrow(OptionError);
    expect(() => parseHostFwd('tcp::99999-:22')).toThrow(OptionError);
    const c = resolveUserNetOptions({ hostfwd: ['tcp::5555-:22'], dhcpstart: '10.0.2.50' });
    expect(c.hostfwd[0]).toMatchObject({ proto: 'tcp', hostPort: 5555, guestFamily: 4, guestAddr4: 0x0a000232, guestPort: 22 });
    expect(() => resolveUserNetOptions({ hostfwd: ['tcp::1-192.168.0.1:2'] })).toThrow(/not in the network/);
  });

  it('guestfwd rules: chardev and cmd', () => {
    expect(parseGuestFwd('tcp:10.0.2.100:1234-tcp:127.0.0.1:4321')).toEqual({ server: '10.0.2.100', port: 1234, target: { kind: 'tcp', host: '127.0.0.1', port: 4321 } });
    expect(parseGuestFwd('tcp:10.0.2.100:80-cmd:netcat 10.10.1.1 4321')).toEqual({ server: '10.0.2.100', port: 80, target: { kind: 'cmd', command: 'netcat 10.10.1.1 4321' } });
    expect(parseGuestFwd(':10.0.2.100:80-cmd:cat')).toMatchObject({ port: 80 });
    const c = resolveUserNetOptions({ guestfwd: ['tcp::80-cmd:cat'] });
    expect(c.guestfwd[0]!.server).toBe(0x0a000204);
    expect(() => parseGuestFwd('udp:10.0.2.100:53-cmd:x')).toThrow(/tcp only/);
    expect(() => parseGuestFwd('tcp:10.0.2.100:80-file:/x')).toThrow(OptionError);
    expect(() => resolveUserNetOptions({ guestfwd: ['tcp:10.0.2.100:80-cmd:a', 'tcp:10.0.2.100:80-cmd:b'] })).toThrow(/duplicate/);
  });

  it('smb server address, limits', () => {
    expect(resolveUserNetOptions({ smb: '/srv' }).smb).toEqual({ dir: '/srv', server: 0x0a000204 });
    expect(resolveUserNetOptions({ smb: '/srv', smbserver: '10.0.2.9' }).smb!.server).toBe(0x0a000209);
    expect(() => resolveUserNetOptions({ smb: '/srv', smbserver: '10.0.2.3' })).toThrow(/smbserver/);
    expect(resolveUserNetOptions({ limits: { maxTcpConnections: 5 } }).limits.maxTcpConnections).toBe(5);
    expect(() => resolveUserNetOptions({ limits: { maxTcpConnections: -1 } })).toThrow(OptionError);
  });
});
