import { describe, expect, it } from 'vitest';
import { buildMachine } from '../../src/machine/build.js';
import { nodeBackends } from '../../src/netdev/backends.node.js';
import { InProcessQtest } from '../../src/machine/inprocess.js';
import { userNetOptionsFromConfig } from '../../src/netdev/user/index.js';
import { parseNetdevOrThrow } from '../../src/config/index.js';
import { bytesToHex } from '../../src/wire/bytes.js';

describe('-netdev user from QEMU options', () => {
  it('maps the parsed options onto the stack, QEMU defaults included', () => {
    const o = parseNetdevOrThrow('user,id=u0,net=192.168.76.0/24,dhcpstart=192.168.76.9,hostname=vm,dnssearch=a.example,dnssearch=b.example,hostfwd=tcp::2222-:22,guestfwd=tcp:192.168.76.100:80-cmd:cat,restrict=on');
    if (!('type' in o) || o.type !== 'user') throw new Error('not user');
    const u = userNetOptionsFromConfig(o, 'u0');
    expect(u).toMatchObject({
      id: 'u0',
      net: '192.168.76.0/255.255.255.0',
      host: '192.168.76.2',
      dns: '192.168.76.3',
      dhcpstart: '192.168.76.9',
      hostname: 'vm',
      dnssearch: ['a.example', 'b.example'],
      restrict: true,
      hostfwd: [{ proto: 'tcp', hostPort: 2222, guestPort: 22 }],
      guestfwd: [{ server: '192.168.76.100', port: 80, target: { kind: 'cmd', command: 'cat' } }],
    });
  });

  it('a device on -netdev user gets ARP answers for the virtual gateway', async () => {
    const b = await buildMachine({ machine: 'pc', ramSize: 16 << 20, netdevs: ['user,id=u0,restrict=on'], devices: ['nicemu-testdev,netdev=u0'], nics: [], nets: [] }, nodeBackends());
    const q = new InProcessQtest(b.machine);
    q.ok('outl 0xcf8 0x80001010');
    q.ok('outl 0xcfc 0xfe000000');
    q.ok('outl 0xcf8 0x80001004');
    q.ok('outl 0xcfc 0x7');
    q.ok('writel 0xfe00001c 0x8000');
    q.ok('writel 0xfe000020 2048');
    const mac = '525400123456';
    const arp = `ffffffffffff${mac}08060001080006040001${mac}0a00020f000000000000` + '0a000202' + '00'.repeat(18);
    q.ok(`write 0x1000 60 0x${arp}`);
    q.ok('writel 0xfe000010 0x1000');
    q.ok('writel 0xfe000014 60');
    q.ok('writel 0xfe000018 1');
    const len = Number(q.ok('readl 0xfe000024'));
    expect(len).toBeGreaterThanOrEqual(42);
    const reply = q.ok(`read 0x8000 42`).slice(2);
    expect(reply.slice(0, 12)).toBe(mac);
    expect(reply.slice(24, 28)).toBe('0806');
    expect(reply.slice(40, 44)).toBe('0002'); // ARP reply
    expect(reply.slice(56, 64)).toBe('0a000202'); // from 10.0.2.2
    expect(bytesToHex(Uint8Array.of(0x52, 0x55))).toBe(reply.slice(12, 16)); // QEMU's 52:55:<ip> virtual MACs
    b.close();
  });
});
