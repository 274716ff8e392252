/**
 * -netdev tap end to end, inside a network namespace this test creates: the
 * TAP interface is moved into the namespace and given an address there; the
 * kernel's ARP request for a neighbour reaches our NIC stand-in through the
 * backend, and our ARP reply lands in the namespace's neighbour table.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { NetClient, type ReceiveResult } from '../../src/hub/client.js';
import { TapBackend } from '../../src/netdev/tap/tap.node.js';
import { buildMachine } from '../../src/machine/build.js';
import { nodeBackends } from '../../src/netdev/backends.node.js';

const NS = `nicemu-tap-${process.pid}`;
const canRun = process.getuid?.() === 0 && fs.existsSync('/dev/net/tun') && spawnSync('ip', ['-V']).status === 0;
if (!canRun && process.env['CI']) throw new Error('tap tests need root, /dev/net/tun and iproute2 in CI');
if (!canRun) console.warn('\n*** SKIPPED: tap tests need root, /dev/net/tun and iproute2 (ip) ***\n');

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const inNs = (...args: string[]): string => execFileSync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8' });

const OUR_MAC = [0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc];
const HOST_IP = [192, 168, 77, 1];
const GUEST_IP = [192, 168, 77, 2];

afterAll(() => {
  if (canRun) spawnSync('ip', ['netns', 'del', NS]);
});

describe.runIf(canRun)('-netdev tap', () => {
  it('relays frames both ways between a TAP interface and a NIC', async () => {
    ip('netns', 'add', NS);
    const tap = await TapBackend.open({ id: 't0', ifname: 'nmtap%d' });
    expect(tap.ifname).toMatch(/^nmtap\d+$/);
    ip('link', 'set', tap.ifname, 'netns', NS);
    inNs('ip', 'addr', 'add', '192.168.77.1/24', 'dev', tap.ifname);
    inNs('ip', 'link', 'set', tap.ifname, 'up');

    const frames: Uint8Array[] = [];
    const nic = new NetClient('nic', {
      canReceive: () => true,
      receive: (f): ReceiveResult => {
        frames.push(f.slice());
        return 'ok';
      },
    }, { kind: 'nic' });
    NetClient.connect(nic, tap.client);

    // The kernel asks for 192.168.77.2 when something is sent there (a UDP datagram from the namespace).
    const isArp = (f: Uint8Array): boolean => f[12] === 0x08 && f[13] === 0x06 && f[21] === 1;
    for (let i = 0; i < 100 && !frames.some(isArp); i++) {
      if (i % 20 === 0) spawn('ip', ['netns', 'exec', NS, 'sh', '-c', 'echo x > /dev/udp/192.168.77.2/9 2>/dev/null || bash -c "echo x > /dev/udp/192.168.77.2/9"'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 20));
    }
    const arp = frames.find(isArp);
    expect(arp, 'ARP request from the namespace').toBeDefined();
    expect([...arp!.subarray(38, 42)]).toEqual(GUEST_IP);
    const hostMac = [...arp!.subarray(6, 12)];

    // Answer it: the reply must show up in the namespace's neighbour table.
    const reply = new Uint8Array(42);
    reply.set(hostMac, 0);
    reply.set(OUR_MAC, 6);
    reply.set([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2], 12);
    reply.set(OUR_MAC, 22);
    reply.set(GUEST_IP, 28);
    reply.set(hostMac, 32);
    reply.set(HOST_IP, 38);
    expect(nic.send(reply)).toBe('delivered');
    let neigh = '';
    for (let i = 0; i < 50 && !/52:54:00:aa:bb:cc/.test(neigh); i++) {
      await new Promise((r) => setTimeout(r, 20));
      neigh = inNs('ip', 'neigh', 'show', '192.168.77.2');
    }
    expect(neigh).toMatch(/lladdr 52:54:00:aa:bb:cc/);
    expect(tap.stats.framesOut).toBeGreaterThanOrEqual(1);
    tap.close();
  });

  it('runs QEMU-style up/down scripts with the interface name, and reports a failing script like QEMU', async () => {
    const dir = fs.mkdtempSync('/tmp/nicemu-tap-');
    const log = `${dir}/log`;
    fs.writeFileSync(`${dir}/up`, `#!/bin/sh\necho up "$1" >> ${log}\n`, { mode: 0o755 });
    fs.writeFileSync(`${dir}/down`, `#!/bin/sh\necho down "$1" >> ${log}\n`, { mode: 0o755 });
    const b = await buildMachine({ machine: 'pc', ramSize: 16 << 20, netdevs: [`tap,id=t0,ifname=nmtapx%d,script=${dir}/up,downscript=${dir}/down`], devices: ['nicemu-testdev,netdev=t0'], nics: [], nets: [] }, nodeBackends());
    b.close();
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^up nmtapx\d+$/);
    expect(lines[1]).toBe(lines[0]!.replace('up', 'down'));
    fs.writeFileSync(`${dir}/bad`, '#!/bin/sh\nexit 3\n', { mode: 0o755 });
    await expect(buildMachine({ machine: 'pc', ramSize: 16 << 20, netdevs: [`tap,id=t1,script=${dir}/bad,downscript=no`], devices: [], nics: [], nets: [] }, nodeBackends())).rejects.toThrow(/network script .*bad failed with status 768/);
  });

  it('refuses what it cannot do yet', async () => {
    const base = { machine: 'pc', ramSize: 16 << 20, devices: [], nics: [], nets: [] };
    await expect(buildMachine({ ...base, netdevs: ['tap,id=t0,fd=3'] }, nodeBackends())).rejects.toThrow(/tap,fd=: not supported yet/);
    await expect(buildMachine({ ...base, netdevs: ['tap,id=t0,vhost=on,script=no'] }, nodeBackends())).rejects.toThrow(/vhost=on: not supported yet/);
    await expect(buildMachine({ ...base, netdevs: ['bridge,id=b0,br=nmnosuchbr'] }, nodeBackends())).rejects.toThrow(/nmnosuchbr/);
  });
});
