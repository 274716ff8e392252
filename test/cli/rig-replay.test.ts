/**
 * The qtest rig's own replay.mjs, unchanged, drives `nicemu qtest` through a
 * wrapper in place of QEMU: unix-socket qtest channel, UDP socket netdev, QMP
 * on a chardev, IRQ interception.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PcMachine } from '../../src/machine/pc.js';
import { InProcessQtest } from '../../src/machine/inprocess.js';
import { WireEnd } from '../../src/machine/wire.js';
import { TestDevice } from '../../src/devices/testdev/device.js';
import { NetClient } from '../../src/hub/client.js';
import { TraceRecorder } from '../../src/trace/index.js';
import { nicemuQemuWrapper, repoRoot, requireRig, rigDir } from '../helpers/rig.js';

function recordTestdevTrace() {
  const m = new PcMachine();
  const wire = new WireEnd();
  const { device } = m.addPciDevice((ctx) => new TestDevice(ctx, 'td'));
  NetClient.connect(device.net, wire.client);
  const r = new TraceRecorder(new InProcessQtest(m, { wire, setLink: (n, up) => (n === 'n0' ? (device.net.setLinkUp(up), true) : false) }));
  const cfg = (dev: number, off: number, v: number) => {
    r.out(4, 0xcf8, (0x80000000 | (dev << 11) | off) >>> 0);
    r.out(4, 0xcfc, v);
  };
  r.irqInterceptIn();
  cfg(2, 0x10, 0xfebc0000);
  cfg(2, 0x14, 0xc000);
  cfg(2, 0x04, 7);
  cfg(1, 0x60, 0x80800b80);
  r.readMem(4, 0xfebc0000);
  r.in(4, 0xc000);
  r.write(0x2000, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x06]));
  r.writeMem(4, 0xfebc0010, 0x2000);
  r.writeMem(4, 0xfebc0014, 14);
  r.writeMem(4, 0xfebc0018, 1);
  r.takeTx();
  r.writeMem(4, 0xfebc001c, 0x3000);
  r.writeMem(4, 0xfebc0020, 128);
  r.writeMem(4, 0xfebc0008, 2);
  r.inject(new Uint8Array(60).fill(0xab));
  r.read(0x3000, 8);
  r.readMem(4, 0xfebc0024);
  r.writeMem(4, 0xfebc0008, 4);
  r.writeMem(4, 0xfebc000c, 1_000_000);
  r.clockStep();
  r.readMem(4, 0xfebc0028);
  r.qmp('set_link', { name: 'n0', up: false });
  r.writeMem(4, 0xfebc0018, 1);
  r.takeTx();
  r.qmp('set_link', { name: 'n0', up: true });
  r.writeMem(4, 0xfebc0018, 1);
  r.takeTx();
  return { device: 'nicemu-testdev', machine: 'pc,pit=off', trace: r.trace };
}

describe('qtest rig against nicemu qtest', () => {
  it('--version and the accelerator probe look like QEMU 7.2 with qtest', () => {
    if (!requireRig()) return;
    const qemu = nicemuQemuWrapper();
    expect(execFileSync(qemu, ['--version'], { encoding: 'utf8' })).toMatch(/version 7\.2\.\d+/);
    const probe = spawnSync(qemu, ['-machine', 'none', '-accel', 'qtest', '-display', 'none', '-nodefaults', '-qtest', 'stdio', '-qtest-log', '/dev/null'], {
      input: 'endianness\nfrobnicate\n',
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(probe.stdout).toBe("OK little\nFAIL Unknown command 'frobnicate'\n");
    expect(probe.status).toBe(0);
  });

  it('replay.mjs replays a trace recorded in-process against nicemu qtest with no mismatch', () => {
    if (!requireRig()) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nicemu-rig-'));
    const tracePath = path.join(dir, 'testdev.json');
    fs.writeFileSync(tracePath, JSON.stringify(recordTestdevTrace()));
    const out = path.join(dir, 'result.json');
    const run = spawnSync(process.execPath, [path.join(rigDir, 'replay.mjs'), tracePath, '--out', out], {
      env: { ...process.env, QEMU: nicemuQemuWrapper() },
      encoding: 'utf8',
      timeout: 60_000,
      cwd: repoRoot,
    });
    if (run.status !== 0) console.error(run.stdout.slice(0, 4000), run.stderr.slice(0, 4000));
    const res = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(res.mismatches).toEqual([]);
    expect(res.accel).toBe('qtest');
    expect(res.opsExecuted).toBeGreaterThan(25);
    expect(res.irqEvents).toBeGreaterThan(0);
    expect(run.status).toBe(0);
  });
});
