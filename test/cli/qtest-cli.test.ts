import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/rig.js';

const bin = path.join(repoRoot, 'bin/nicemu.js');
const run = (args: string[], input = '') => spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 20_000 });

describe('nicemu qtest command line', () => {
  it('refuses bad options with QEMU-style messages and a non-zero exit', () => {
    let r = run(['qtest', '-qtest', 'stdio', '-netdev', 'socket,id=n0,udp=127.0.0.1:5555']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/localaddr/);
    r = run(['qtest', '-qtest', 'stdio', '-netdev', 'vhost-user,id=v0,chardev=c0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/-netdev vhost-user: not supported yet/);
    r = run(['qtest', '-qtest', 'stdio', '-device', 'e1000,netdev=nope']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nope/);
    r = run(['qtest', '-frobnicate']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/-frobnicate: invalid option/);
    r = run(['qtest', '-qtest', 'stdio', '-m', 'lots']);
    expect(r.stderr).toMatch(/invalid RAM size/);
    r = run(['qtest', '-qtest', 'stdio', '-machine', 'q35']);
    expect(r.stderr).toMatch(/unsupported machine type 'q35'/);
  });

  it('runs a session over stdio: config cycles, testdev BARs, IRQ lines before the reply', () => {
    const script = [
      'irq_intercept_in ioapic',
      'outl 0xcf8 0x80001000',
      'inl 0xcfc',
      'outl 0xcf8 0x80001010',
      'outl 0xcfc 0xfebc0000',
      'outl 0xcf8 0x80001004',
      'outl 0xcfc 0x7',
      'outl 0xcf8 0x80000860',
      'outl 0xcfc 0x80800b80',
      'writel 0xfebc0008 0x1',
      'readl 0xfebc0000',
      'clock_step 100',
      '',
    ].join('\n');
    const r = run(['qtest', '-machine', 'pc,pit=off', '-accel', 'qtest', '-qtest', 'stdio', '-display', 'none', '-nodefaults', '-m', '64M', '-device', 'nicemu-testdev'], script);
    expect(r.stdout.split('\n')).toEqual(['OK', 'OK', 'OK 0x11e01234', 'OK', 'OK', 'OK', 'OK', 'OK', 'OK', 'IRQ raise 11', 'OK', 'OK 0x000000006d63696e', 'OK 100', '']);
    expect(r.status).toBe(0);
  });

  it('speaks QMP on a socket chardev: greeting, capabilities, set_link, errors, quit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nicemu-qmp-'));
    const qmpPath = path.join(dir, 'qmp.sock');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(qmpPath, r));
    const conn = new Promise<net.Socket>((r) => server.once('connection', r));
    const child = spawn(process.execPath, [bin, 'qtest', '-qtest', 'stdio', '-netdev', 'hubport,id=h0,hubid=0', '-device', 'nicemu-testdev,netdev=h0,id=td', '-chardev', `socket,id=m0,path=${qmpPath}`, '-mon', 'chardev=m0,mode=control'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const sock = await conn;
    server.close();
    let buf = '';
    const waiters: Array<() => void> = [];
    sock.setEncoding('utf8');
    sock.on('data', (d) => {
      buf += d;
      waiters.splice(0).forEach((w) => w());
    });
    const next = async (): Promise<Record<string, unknown>> => {
      for (;;) {
        const i = buf.indexOf('\n');
        if (i >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          return JSON.parse(line);
        }
        await new Promise<void>((r) => waiters.push(r));
      }
    };
    const cmd = async (execute: string, args?: object) => {
      sock.write(JSON.stringify({ execute, ...(args ? { arguments: args } : {}), id: execute }) + '\n');
      return next();
    };
    const greeting = await next();
    expect(greeting).toMatchObject({ QMP: { version: { qemu: { major: 7, minor: 2 } }, capabilities: ['oob'] } });
    expect(await cmd('query-version')).toMatchObject({ error: { class: 'CommandNotFound' } });
    expect(await cmd('qmp_capabilities')).toEqual({ return: {}, id: 'qmp_capabilities' });
    expect(await cmd('query-version')).toMatchObject({ return: { qemu: { major: 7, minor: 2 } } });
    expect(await cmd('set_link', { name: 'td', up: false })).toEqual({ return: {}, id: 'set_link' });
    expect(await cmd('set_link', { name: 'nope', up: false })).toMatchObject({ error: { class: 'DeviceNotFound', desc: "Device 'nope' not found" } });
    expect(await cmd('set_link', { name: 'td' })).toMatchObject({ error: { class: 'GenericError', desc: "Parameter 'up' is missing" } });
    expect(await cmd('frob')).toMatchObject({ error: { class: 'CommandNotFound', desc: 'The command frob has not been found' } });
    expect(await cmd('quit')).toEqual({ return: {}, id: 'quit' });
    expect(await next()).toMatchObject({ event: 'SHUTDOWN' });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
  });
});
