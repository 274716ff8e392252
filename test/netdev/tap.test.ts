/**
 * -netdev tap end to end, inside a network namespace this test creates: the
 * TAP interface is moved into the namespace and given an address there; the
 * kernel's ARP request for a neighbour reaches our NIC stand-in through the
 * backend, and our ARP reply lands in the namespace's neighbour table.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { Hub } from '../../src/hub/hub.js';
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
    await expect(buildMachine({ ...base, netdevs: ['tap,id=t0,queues=2,script=no'] }, nodeBackends())).rejects.toThrow(/multiqueue\): not supported yet/);
    await expect(buildMachine({ ...base, netdevs: ['bridge,id=b0,br=nmnosuchbr'] }, nodeBackends())).rejects.toThrow(/nmnosuchbr/);
  });
});

/**
 * Two namespaces joined by nicemu: a TAP interface in each, their backends
 * peers (or ports of one hub), real kernel TCP across them. With virtio-net
 * headers on both taps, the sending kernel's 64 KiB TSO frames reach the
 * other kernel whole (also through a hub of two ports); through a hub of
 * three, or to a tap without headers, they are cut into wire-sized frames
 * on the way. Either way the bytes arrive as sent.
 */
describe.runIf(canRun)('-netdev tap with virtio-net headers (vnet_hdr)', () => {
  const nsA = `${NS}-a`;
  const nsB = `${NS}-b`;
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', nsA]);
    spawnSync('ip', ['netns', 'del', nsB]);
  });

  /** Run a Node script inside a namespace; resolves with its stdout lines once it prints `done` (or rejects on exit). */
  function nodeIn(ns: string, script: string, onLine?: (l: string) => void): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: string[] = [];
      let err = '';
      let buf = '';
      p.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const l = buf.slice(0, i);
          buf = buf.slice(i + 1);
          lines.push(l);
          onLine?.(l);
        }
      });
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('exit', (code) => (lines.includes('done') ? resolve(lines) : reject(new Error(`script in ${ns} exited ${code}: ${err}`))));
    });
  }

  // Deterministic data of n bytes from a seed, and its md5, written the same way on both sides.
  const DATA_JS = `const data = (n, seed) => { const b = Buffer.alloc(n); let x = seed; for (let i = 0; i < n; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; b[i] = x >>> 24; } return b; };`;
  const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
  const gen = (n: number, seed: number): Buffer => {
    const b = Buffer.alloc(n);
    let x = seed;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      b[i] = x >>> 24;
    }
    return b;
  };

  async function transfer(opts: { vnetA: boolean; vnetB: boolean; hubPorts: 0 | 2 | 3 }) {
    for (const ns of [nsA, nsB]) spawnSync('ip', ['netns', 'del', ns]);
    ip('netns', 'add', nsA);
    ip('netns', 'add', nsB);
    const a = await TapBackend.open({ id: 'a', ifname: 'nmva%d', vnetHdr: opts.vnetA });
    const b = await TapBackend.open({ id: 'b', ifname: 'nmvb%d', vnetHdr: opts.vnetB }).catch((e: unknown) => {
      a.close();
      throw e;
    });
    try {
      return await runTransfer(opts, a, b);
    } finally {
      a.close();
      b.close();
    }
  }

  async function runTransfer(opts: { vnetA: boolean; vnetB: boolean; hubPorts: 0 | 2 | 3 }, a: TapBackend, b: TapBackend) {
    const hub = new Hub(7);
    if (opts.hubPorts > 0) {
      NetClient.connect(a.client, hub.addPort().client);
      NetClient.connect(b.client, hub.addPort().client);
      // A third port with nothing behind it: the hub then fans wire frames out.
      if (opts.hubPorts === 3) hub.addPort();
    } else NetClient.connect(a.client, b.client);
    for (const [t, ns, addr] of [[a, nsA, '192.168.79.1/24'], [b, nsB, '192.168.79.2/24']] as const) {
      ip('link', 'set', t.ifname, 'netns', ns);
      inNsOf(ns, 'ip', 'addr', 'add', addr, 'dev', t.ifname);
      inNsOf(ns, 'ip', 'link', 'set', t.ifname, 'up');
    }
    const N = 8 * 1024 * 1024;
    let listening: () => void = () => {};
    const ready = new Promise<void>((r) => (listening = r));
    // B: take N bytes, answer with N bytes of its own, report what it got.
    const server = nodeIn(nsB, `${DATA_JS}
      const net = require('net'); const crypto = require('crypto');
      const s = net.createServer((c) => { const h = crypto.createHash('md5'); let got = 0;
        c.on('data', (d) => { h.update(d); got += d.length; if (got === ${N}) { console.log('got ' + got + ' ' + h.digest('hex')); c.end(data(${N}, 2)); } });
        c.on('close', () => { console.log('done'); s.close(); }); });
      s.listen(5001, '192.168.79.2', () => console.log('listening'));`, (l) => l === 'listening' && listening());
    await ready;
    const client = nodeIn(nsA, `${DATA_JS}
      const net = require('net'); const crypto = require('crypto');
      const c = net.connect(5001, '192.168.79.2', () => c.write(data(${N}, 1)));
      const h = crypto.createHash('md5'); let got = 0;
      c.on('data', (d) => { h.update(d); got += d.length; });
      c.on('end', () => { console.log('back ' + got + ' ' + h.digest('hex')); console.log('done'); c.end(); });`);
    const [sOut, cOut] = await Promise.all([server, client]);
    const stats = { a: a.vnetStats, b: b.vnetStats };
    return { sOut, cOut, stats, expectA: `${N} ${md5(gen(N, 1))}`, expectB: `${N} ${md5(gen(N, 2))}` };
  }
  const inNsOf = (ns: string, ...args: string[]): string => execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });

  it('peers with headers on both taps: TSO frames go from kernel to kernel whole, 8 MiB each way byte-exact', async () => {
    const r = await transfer({ vnetA: true, vnetB: true, hubPorts: 0 });
    expect(r.sOut).toContain(`got ${r.expectA}`);
    expect(r.cOut).toContain(`back ${r.expectB}`);
    // Each kernel sent TSO frames; the other tap took them whole.
    expect(r.stats.a!.fromKernelWhole).toBeGreaterThan(0);
    expect(r.stats.b!.fromKernelWhole).toBeGreaterThan(0);
    expect(r.stats.b!.toKernelOffloaded).toBeGreaterThan(0);
    expect(r.stats.a!.gsoSegments + r.stats.b!.gsoSegments).toBe(0);
    expect(r.stats.a!.fromKernelBad + r.stats.b!.fromKernelBad).toBe(0);
  }, 60_000);

  it('a hub of two ports passes them whole too; a hub of three, or a tap without headers, gets them cut into wire-sized frames, still byte-exact', async () => {
    const two = await transfer({ vnetA: true, vnetB: true, hubPorts: 2 });
    expect(two.sOut).toContain(`got ${two.expectA}`);
    expect(two.cOut).toContain(`back ${two.expectB}`);
    expect(two.stats.a!.fromKernelWhole).toBeGreaterThan(0);
    expect(two.stats.a!.gsoSegments + two.stats.b!.gsoSegments).toBe(0);
    const viaHub = await transfer({ vnetA: true, vnetB: true, hubPorts: 3 });
    expect(viaHub.sOut).toContain(`got ${viaHub.expectA}`);
    expect(viaHub.cOut).toContain(`back ${viaHub.expectB}`);
    expect(viaHub.stats.a!.fromKernelWhole + viaHub.stats.b!.fromKernelWhole).toBe(0);
    expect(viaHub.stats.a!.gsoSegments).toBeGreaterThan(0);
    const plainB = await transfer({ vnetA: true, vnetB: false, hubPorts: 0 });
    expect(plainB.sOut).toContain(`got ${plainB.expectA}`);
    expect(plainB.cOut).toContain(`back ${plainB.expectB}`);
    expect(plainB.stats.b).toBeUndefined();
    expect(plainB.stats.a!.gsoSegments).toBeGreaterThan(0);
  }, 120_000);
});
