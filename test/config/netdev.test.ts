import { describe, expect, it } from 'vitest';
import { helpText, parseNetdev, parseNetdevOrThrow } from '../../src/config/index.js';
import { OptionError } from '../../src/errors.js';
import { err, helpOf, ok } from './helpers.js';

describe('-netdev: one golden case per type', () => {
  it('user', () => {
    const n = ok(parseNetdev('user,id=n0,hostname=guest,restrict=on,hostfwd=tcp::2222-:22'));
    expect(n).toMatchObject({
      type: 'user', id: 'n0', hostname: 'guest', restrict: true, dnssearch: [],
      hostfwd: [{ protocol: 'tcp', hostAddr: undefined, hostPort: 2222, guestAddr: undefined, guestPort: 22 }],
      guestfwd: [],
    });
  });

  it('tap', () => {
    expect(ok(parseNetdev('tap,id=t0,ifname=tap0,script=no,downscript=no,sndbuf=1M,vnet_hdr=on,vhost=off,queues=2,poll-us=50')))
      .toEqual({
        type: 'tap', id: 't0', ifname: 'tap0', script: 'no', downscript: 'no', sndbuf: 1048576n, vnetHdr: true,
        vhost: false, queues: 2, pollUs: 50,
      });
  });

  it('bridge', () => {
    expect(ok(parseNetdev('bridge,id=b0,br=virbr0,helper=/usr/libexec/qemu-bridge-helper'))).toEqual({
      type: 'bridge', id: 'b0', br: 'virbr0', helper: '/usr/libexec/qemu-bridge-helper',
    });
  });

  it('socket (udp)', () => {
    expect(ok(parseNetdev('socket,id=s0,udp=10.1.1.2:5000,localaddr=0.0.0.0:5001'))).toEqual({
      type: 'socket', id: 's0', udp: '10.1.1.2:5000', localaddr: '0.0.0.0:5001',
      mode: {
        kind: 'udp',
        remote: { host: '10.1.1.2', address: '10.1.1.2', port: 5000 },
        local: { host: '0.0.0.0', address: '0.0.0.0', port: 5001 },
      },
    });
  });

  it('stream (keyval, dotted addr.*)', () => {
    expect(ok(parseNetdev('stream,id=s0,server=on,addr.type=inet,addr.host=localhost,addr.port=1234,addr.to=1240')))
      .toEqual({
        type: 'stream', id: 's0', server: true, addr: { type: 'inet', host: 'localhost', port: '1234', to: 1240 },
      });
    expect(ok(parseNetdev('stream,id=s1,addr.type=unix,addr.path=/tmp/sock'))).toEqual({
      type: 'stream', id: 's1', addr: { type: 'unix', path: '/tmp/sock' },
    });
    expect(ok(parseNetdev('stream,id=s2,addr.type=fd,addr.str=4'))).toEqual({
      type: 'stream', id: 's2', addr: { type: 'fd', str: '4' },
    });
  });

  it('dgram (keyval, local.* / remote.*)', () => {
    expect(ok(parseNetdev(
      'dgram,id=d0,local.type=inet,local.host=127.0.0.1,local.port=1234,remote.type=inet,remote.host=127.0.0.1,remote.port=1235',
    ))).toEqual({
      type: 'dgram', id: 'd0',
      local: { type: 'inet', host: '127.0.0.1', port: '1234' },
      remote: { type: 'inet', host: '127.0.0.1', port: '1235' },
    });
    expect(ok(parseNetdev('dgram,id=d1,remote.type=inet,remote.host=224.0.0.1,remote.port=5000'))).toEqual({
      type: 'dgram', id: 'd1', remote: { type: 'inet', host: '224.0.0.1', port: '5000' },
    });
    expect(ok(parseNetdev('dgram,id=d2,local.type=fd,local.str=3'))).toEqual({
      type: 'dgram', id: 'd2', local: { type: 'fd', str: '3' },
    });
  });

  it('l2tpv3', () => {
    expect(ok(parseNetdev('l2tpv3,id=l0,src=1.2.3.4,dst=5.6.7.8,udp=on,srcport=16384,dstport=16384,txsession=0xffffffff,counter,cookie64,txcookie=0x0123456789abcdef')))
      .toEqual({
        type: 'l2tpv3', id: 'l0', src: '1.2.3.4', dst: '5.6.7.8', udp: true, srcport: '16384', dstport: '16384',
        txsession: 0xffffffff, counter: true, cookie64: true, txcookie: 0x0123456789abcdefn,
      });
  });

  it('vde', () => {
    expect(ok(parseNetdev('vde,id=v0,sock=/tmp/vde.ctl,port=3,group=users,mode=0700'))).toEqual({
      type: 'vde', id: 'v0', sock: '/tmp/vde.ctl', port: 3, group: 'users', mode: 0o700,
    });
  });

  it('vhost-user', () => {
    expect(ok(parseNetdev('vhost-user,id=u0,chardev=chr0,vhostforce=on,queues=4'))).toEqual({
      type: 'vhost-user', id: 'u0', chardev: 'chr0', vhostforce: true, queues: 4n,
    });
  });

  it('vhost-vdpa', () => {
    expect(ok(parseNetdev('vhost-vdpa,id=v0,vhostdev=/dev/vhost-vdpa-0,x-svq=on'))).toEqual({
      type: 'vhost-vdpa', id: 'v0', vhostdev: '/dev/vhost-vdpa-0', xSvq: true,
    });
  });

  it('hubport', () => {
    expect(ok(parseNetdev('hubport,id=h0,hubid=1,netdev=n0'))).toEqual({ type: 'hubport', id: 'h0', hubid: 1, netdev: 'n0' });
    expect(ok(parseNetdev('hubport,id=h1,hubid=-5'))).toEqual({ type: 'hubport', id: 'h1', hubid: -5 });
  });
});

describe('-netdev syntax', () => {
  it('type may be given explicitly, anywhere; the last one counts', () => {
    expect(ok(parseNetdev('id=h,hubid=2,type=hubport'))).toEqual({ type: 'hubport', id: 'h', hubid: 2 });
    expect(ok(parseNetdev('user,id=h,hubid=2,type=hubport'))).toEqual({ type: 'hubport', id: 'h', hubid: 2 });
  });

  it('",," escapes a comma in a value', () => {
    expect(ok(parseNetdev('tap,id=t,script=/a,,b,downscript=no'))).toMatchObject({ script: '/a,b', downscript: 'no' });
  });

  it('a bare boolean key means on (deprecated, with a warning)', () => {
    const r = parseNetdev('tap,id=t,vhost,novnet_hdr');
    expect(ok(r)).toMatchObject({ vhost: true, vnetHdr: false });
    expect(r.ok && r.kind === 'value' && r.warnings.map((w) => w.message)).toEqual([
      "short-form boolean option 'vhost' deprecated", "short-form boolean option 'novnet_hdr' deprecated",
    ]);
  });

  it('booleans accept on/off/yes/no/true/false/y/n', () => {
    for (const [text, v] of [['on', true], ['yes', true], ['true', true], ['y', true], ['off', false], ['no', false],
      ['false', false], ['n', false]] as const) {
      expect(ok(parseNetdev(`tap,id=t,vhost=${text}`))).toMatchObject({ vhost: v });
    }
  });

  it('numbers: base 0 for uint (hex, octal), strtoll for int', () => {
    expect(ok(parseNetdev('tap,id=t,queues=0x10'))).toMatchObject({ queues: 16 });
    expect(ok(parseNetdev('tap,id=t,queues=010'))).toMatchObject({ queues: 8 });
    expect(ok(parseNetdev('hubport,id=h,hubid=0x7fffffff'))).toMatchObject({ hubid: 0x7fffffff });
  });

  it('sizes take suffixes', () => {
    expect(ok(parseNetdev('tap,id=t,sndbuf=64k'))).toMatchObject({ sndbuf: 65536n });
    expect(ok(parseNetdev('tap,id=t,sndbuf=0x10'))).toMatchObject({ sndbuf: 16n });
  });

  it('help and ? list the backend types', () => {
    for (const s of ['help', '?', 'type=help']) {
      expect(helpOf(parseNetdev(s))).toEqual({
        kind: 'help', topic: 'netdev-types',
        netdevTypes: ['socket', 'stream', 'dgram', 'hubport', 'tap', 'user', 'l2tpv3', 'vde', 'bridge', 'vhost-user', 'vhost-vdpa'],
      });
    }
    expect(helpText(helpOf(parseNetdev('help')))).toBe(
      'Available netdev backend types:\nsocket\nstream\ndgram\nhubport\ntap\nuser\nl2tpv3\nvde\nbridge\nvhost-user\nvhost-vdpa\n',
    );
  });

  it('ipv6-net=PREFIX/LEN is rewritten into ipv6-prefix/ipv6-prefixlen', () => {
    expect(ok(parseNetdev('user,id=u,ipv6-net=fd00:1::/48'))).toMatchObject({ ipv6Prefix: 'fd00:1::', ipv6Prefixlen: 48n });
    expect(ok(parseNetdev('user,id=u,ipv6-net=fd00:1::'))).toMatchObject({ ipv6Prefix: 'fd00:1::', ipv6Prefixlen: 64n });
    expect(err(parseNetdev('user,id=u,ipv6-net='))).toBe("Parameter 'ipv6-net' expects a valid IPv6 prefix");
    expect(err(parseNetdev('user,id=u,ipv6-net=fd00::/x'))).toBe("Parameter 'ipv6-prefixlen' expects a number");
  });
});

describe("-netdev errors, with QEMU 7.2's messages", () => {
  const cases: [string, string][] = [
    ['user', "Parameter 'id' is missing"],
    ['id=n0', "Parameter 'type' is missing"],
    ['id=n0,user', "Parameter 'type' is missing"],
    ['user,id=n0,foo=1', "Invalid parameter 'foo'"],
    ['user,id=n0,vlan=0', "Invalid parameter 'vlan'"],
    ['xyz,id=n0', "Parameter 'type' does not accept value 'xyz'"],
    ['vmnet-host,id=n0', "Parameter 'type' does not accept value 'vmnet-host'"],
    ['netmap,id=n0,ifname=vale0:1', "network backend 'netmap' is not compiled into this binary"],
    ['nic,id=n0', "network backend 'nic' is not compiled into this binary"],
    ['none,id=n0', "network backend 'none' is not compiled into this binary"],
    ['user,id=n0,restrict=maybe', "Parameter 'restrict' expects 'on' or 'off'"],
    ['tap,id=t,queues=x', "Parameter 'queues' expects a uint64 value"],
    ['tap,id=t,queues=-1', "Parameter 'queues' expects a uint64 value"],
    ['tap,id=t,queues=4294967296', "Parameter 'queues' expects uint32_t"],
    ['vde,id=v,port=65536', "Parameter 'port' expects uint16_t"],
    ['hubport,id=h,hubid=x', "Parameter 'hubid' expects an int64 value"],
    ['hubport,id=h,hubid=2147483648', "Parameter 'hubid' expects int32_t"],
    ['hubport,id=h', "Parameter 'hubid' is missing"],
    ['user,id=u,ipv6-prefixlen=1k', "Parameter 'ipv6-prefixlen' expects an int64 value"],
    ['tap,id=t,sndbuf=1x', "Parameter 'sndbuf' expects a size value"],
    ['tap,id=t,sndbuf=-1', "Parameter 'sndbuf' expects a size value"],
    ['l2tpv3,id=l,dst=1.2.3.4,txsession=1', "Parameter 'src' is missing"],
    ['l2tpv3,id=l,src=1.2.3.4,dst=1.2.3.4', "Parameter 'txsession' is missing"],
    ['vhost-user,id=v', "Parameter 'chardev' is missing"],
    ['vhost-user,id=v,chardev=c,queues=0', 'vhost-user number of queues must be in range [1, 1024]'],
    ['vhost-user,id=v,chardev=c,queues=1025', 'vhost-user number of queues must be in range [1, 1024]'],
    ['vhost-vdpa,id=v', 'vhost-vdpa: neither vhostdev= nor vhostfd= was specified'],
    ['vhost-vdpa,id=v,vhostdev=/dev/x,vhostfd=3', 'vhost-vdpa: vhostdev= and vhostfd= are mutually exclusive'],
    ['user,id=1x', "Parameter 'id' expects an identifier"],
    ['{"type":"user","id":"n0"}', 'JSON syntax for -netdev is not supported'],
  ];
  it.each(cases)('%s', (text, message) => {
    expect(err(parseNetdev(text))).toBe(message);
  });

  it('values are checked in schema order before unknown keys are reported', () => {
    expect(err(parseNetdev('user,id=n0,zzz=1,restrict=maybe'))).toBe("Parameter 'restrict' expects 'on' or 'off'");
  });

  it('the throwing wrapper raises OptionError with the message', () => {
    expect(() => parseNetdevOrThrow('user,id=n0,foo=1')).toThrow(OptionError);
    expect(() => parseNetdevOrThrow('user,id=n0,foo=1')).toThrow("Invalid parameter 'foo'");
    expect(parseNetdevOrThrow('hubport,id=h,hubid=0')).toEqual({ type: 'hubport', id: 'h', hubid: 0 });
  });
});

describe('-netdev socket (net/socket.c)', () => {
  it('listen/connect/mcast/fd modes', () => {
    expect(ok(parseNetdev('socket,id=s,listen=:1234')))
      .toMatchObject({ mode: { kind: 'listen', addr: { host: '', address: '0.0.0.0', port: 1234 } } });
    expect(ok(parseNetdev('socket,id=s,connect=example.org:1234'))).toMatchObject({
      mode: { kind: 'connect', addr: { host: 'example.org', address: undefined, port: 1234 } },
    });
    expect(ok(parseNetdev('socket,id=s,mcast=230.0.0.1:1234,localaddr=192.168.0.1'))).toMatchObject({
      mode: { kind: 'mcast', group: { address: '230.0.0.1', port: 1234 }, localaddr: '192.168.0.1' },
    });
    expect(ok(parseNetdev('socket,id=s,fd=3'))).toMatchObject({ mode: { kind: 'fd', fd: '3' } });
  });

  it('ports go through strtol base 0 and htons() truncation', () => {
    expect(ok(parseNetdev('socket,id=s,listen=:0x10'))).toMatchObject({ mode: { addr: { port: 16 } } });
    expect(ok(parseNetdev('socket,id=s,listen=:65537'))).toMatchObject({ mode: { addr: { port: 1 } } });
    expect(ok(parseNetdev('socket,id=s,listen=:80abc'))).toMatchObject({ mode: { addr: { port: 80 } } });
  });

  const cases: [string, string][] = [
    ['socket,id=s', 'exactly one of listen=, connect=, mcast= or udp= is required'],
    ['socket,id=s,listen=:1,connect=:2', 'exactly one of listen=, connect=, mcast= or udp= is required'],
    ['socket,id=s,fd=3,mcast=230.0.0.1:1', 'exactly one of listen=, connect=, mcast= or udp= is required'],
    ['socket,id=s,listen=:1,localaddr=1.2.3.4', 'localaddr= is only valid with mcast= or udp='],
    ['socket,id=s,udp=1.2.3.4:5', 'localaddr= is mandatory with udp='],
    ['socket,id=s,udp=1.2.3.4:5,localaddr=1.2.3.4', "host address '1.2.3.4' doesn't contain ':' separating host from port"],
    ['socket,id=s,udp=1.2.3.4,localaddr=:1', "host address '1.2.3.4' doesn't contain ':' separating host from port"],
    ['socket,id=s,listen=1234', "host address '1234' doesn't contain ':' separating host from port"],
    ['socket,id=s,connect=1.2.3.999:80', "host address '1.2.3.999' is not a valid IPv4 address"],
    ['socket,id=s,connect=1.2.3.4:http', "port number 'http' is invalid"],
    ['socket,id=s,mcast=10.0.0.1:1234', 'specified mcastaddr 10.0.0.1 (0x0a000001) does not contain a multicast address'],
    ['socket,id=s,mcast=230.0.0.1:1234,localaddr=x', "localaddr 'x' is not a valid IPv4 address"],
  ];
  it.each(cases)('%s', (text, message) => {
    expect(err(parseNetdev(text))).toBe(message);
  });
});

describe('-netdev stream/dgram (keyval syntax, QObject input visitor)', () => {
  const cases: [string, string][] = [
    ['stream,id=s', "Parameter 'addr' is missing"],
    ['stream,addr.type=inet,addr.host=h,addr.port=1', "Parameter 'id' is missing"],
    ['stream,id=s,addr.type=inet,addr.host=h', "Parameter 'addr.port' is missing"],
    ['stream,id=s,addr.type=inet', "Parameter 'addr.host' is missing"],
    ['stream,id=s,addr.host=h', "Parameter 'addr.type' is missing"],
    ['stream,id=s,addr.type=bogus', "Parameter 'type' does not accept value 'bogus'"],
    ['stream,id=s,addr=x', "Invalid parameter type for 'addr', expected: object"],
    ['stream,id=s,addr.type=inet,addr.host=h,addr.port=1,addr.foo=1', "Parameter 'addr.foo' is unexpected"],
    ['stream,id=s,addr.type=inet,addr.host=h,addr.port=1,foo=1', "Parameter 'foo' is unexpected"],
    ['stream,id=s,addr.type=inet,addr.host=h,addr.port=1,server=maybe', "Parameter 'server' expects 'on' or 'off'"],
    ['stream,id=s,addr.type=inet,addr.host=h,addr.port=1,addr.to=x', "Parameter 'addr.to' expects integer"],
    ['stream,id=s,addr.type=inet,addr.host=h,addr.port=1,addr.to=70000', "Parameter 'to' expects uint16_t"],
    ['stream,id=s,addr.type=inet,addr.host.x=h,addr.port=1', "Parameters 'addr.host.*' are unexpected"],
    ['stream,id=s,addr.type=inet,addr.host=h,addr.port=1,addr.numeric.x=1', "Parameters 'addr.numeric.*' are unexpected"],
    ['stream,id=s,help', 'Help is not available for this option'],
    ['stream,id=s,addr.type=inet,b', "Expected '=' after parameter 'b'"],
    ['dgram,id=d', 'dgram requires local= parameter'],
    ['dgram,id=d,remote.type=inet,remote.host=10.0.0.1,remote.port=1', 'dgram requires local= parameter'],
    ['dgram,id=d,local.type=inet,local.host=1.2.3.4,local.port=1', 'type=inet or type=unix requires remote parameter'],
    ['dgram,id=d,local.type=fd,local.str=3,remote.type=fd,remote.str=4', "don't set remote with local.fd"],
    ['dgram,id=d,local.type=inet,local.host=h,local.port=1,remote.type=unix,remote.path=/p',
      'remote and local types must be the same'],
    ['dgram,id=d,local.type=vsock,local.cid=2,local.port=1,remote.type=vsock,remote.cid=3,remote.port=1',
      'only support inet or fd type for local'],
    ['dgram,id=d,remote.type=inet,remote.host=224.0.0.1,remote.port=1,local.type=inet,local.host=x,local.port=1',
      "localaddr 'x' is not a valid IPv4 address"],
    ['dgram,id=d,remote.type=inet,remote.host=224.0.0.1,remote.port=1,local.type=unix,local.path=/p',
      'only support inet or fd type for local'],
    ['dgram,id=d,remote.type=inet,remote.host=1.2.3.4,remote.port=x', "port number 'x' is invalid"],
    [`dgram,id=d,local.type=unix,local.path=/${'p'.repeat(107)},remote.type=unix,remote.path=/r`,
      `UNIX socket path '/${'p'.repeat(107)}' is too long`],
  ];
  it.each(cases)('%s', (text, message) => {
    expect(err(parseNetdev(text))).toBe(message);
  });

  it('multicast remote needs no local; unix pairs work', () => {
    expect(ok(parseNetdev('dgram,id=d,remote.type=inet,remote.host=239.1.2.3,remote.port=1,local.type=inet,local.host=10.0.0.1,local.port=2')))
      .toMatchObject({ type: 'dgram' });
    expect(ok(parseNetdev('dgram,id=d,local.type=unix,local.path=/a,remote.type=unix,remote.path=/b'))).toMatchObject({
      local: { type: 'unix', path: '/a' }, remote: { type: 'unix', path: '/b' },
    });
  });

  it('keyval: a repeated key replaces, and ids are not checked for well-formedness', () => {
    expect(ok(parseNetdev('stream,id=1x,addr.type=inet,addr.host=a,addr.host=b,addr.port=1'))).toMatchObject({
      id: '1x', addr: { host: 'b' },
    });
  });
});
