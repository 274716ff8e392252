/**
 * -netdev vde against a real vde_switch (Debian vde2): two nicemu ports on
 * one switch see each other's broadcasts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NetClient, type ReceiveResult } from '../../src/hub/client.js';
import { openVde } from '../../src/netdev/vde/vde.node.js';
import { buildMachine } from '../../src/machine/build.js';
import { nodeBackends } from '../../src/netdev/backends.node.js';

const have = spawnSync('vde_switch', ['--version']).status === 0 && fs.existsSync('/usr/include/libvdeplug.h');
if (!have && process.env['CI']) throw new Error('vde tests need vde2 and libvdeplug-dev in CI');
if (!have) console.warn('\n*** SKIPPED: vde tests need vde_switch (apt-get install vde2 libvdeplug-dev) ***\n');

let sw: ChildProcess | undefined;
afterAll(() => sw?.kill());

describe.runIf(have)('-netdev vde', () => {
  it('two ports on one vde_switch exchange frames', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nicemu-vde-'));
    const sock = path.join(dir, 'switch');
    sw = spawn('vde_switch', ['-s', sock], { stdio: ['pipe', 'ignore', 'ignore'] });
    for (let i = 0; i < 200 && !fs.existsSync(path.join(sock, 'ctl')); i++) await new Promise((r) => setTimeout(r, 10));
    const a = await openVde('a', { type: 'vde', sock });
    const b = await openVde('b', { type: 'vde', sock });
    const got: Uint8Array[] = [];
    const nicA = new NetClient('nic-a', { canReceive: () => true, receive: (): ReceiveResult => 'ok' }, { kind: 'nic' });
    const nicB = new NetClient('nic-b', { canReceive: () => true, receive: (f): ReceiveResult => (got.push(f.slice()), 'ok') }, { kind: 'nic' });
    NetClient.connect(nicA, a.client);
    NetClient.connect(nicB, b.client);
    const frame = new Uint8Array(100).fill(0xee);
    frame.fill(0xff, 0, 6);
    frame.set([0x52, 0x54, 0, 1, 2, 3], 6);
    for (let i = 0; i < 200 && got.length === 0; i++) {
      if (i % 50 === 0) nicA.send(frame);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(got[0]).toEqual(frame);
    a.close();
    b.close();
  });

  it('reports a missing switch clearly', async () => {
    await expect(buildMachine({ machine: 'pc', ramSize: 16 << 20, netdevs: ['vde,id=v0,sock=/nonexistent/vde'], devices: [], nics: [], nets: [] }, nodeBackends())).rejects.toThrow(/-netdev v0: Could not open vde/);
  });
});
