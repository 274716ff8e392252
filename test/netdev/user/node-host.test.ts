/**
 * Integration with the real Node host (loopback only): an HTTP server on
 * 127.0.0.1 fetched through the guest-facing TCP, a hostfwd port reaching a
 * guest server, UDP NAT, DNS for "localhost", TFTP from a temporary folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { SeededRandom } from '../../../src/time/random.js';
import { createUserNet, type UserNet, type UserNetOptions, userWire } from '../../../src/netdev/user/index.js';
import { NodeUserHost, WallClockTimers } from '../../../src/netdev/user/host.node.js';
import { DNS_IP, GUEST_IP, Guest, GuestTcp, HOST_IP, type ParsedFrame, parseFrame, text, udpFrame } from './guest.js';
import { pattern, writeAll } from './tcp-helpers.js';

const BODY = pattern(300_000, 42);

function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (cond()) resolve();
      else if (Date.now() - start > ms) reject(new Error('timed out'));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

async function stack(opts: UserNetOptions = {}): Promise<{ net: UserNet; guest: Guest; timers: WallClockTimers }> {
  const timers = new WallClockTimers();
  const net = await createUserNet(opts, { timers, random: new SeededRandom(9), host: new NodeUserHost({ ping: false }) });
  const guest = new Guest(net, timers);
  guest.deferred = true;
  guest.announce();
  return { net, guest, timers };
}

describe('NodeUserHost (real sockets, loopback only)', () => {
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BODY.length) });
      res.end(Buffer.from(BODY));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('fetches bytes from a loopback HTTP server through the guest TCP (10.0.2.2 -> 127.0.0.1)', async () => {
    const { net: un, guest, timers } = await stack();
    const conn = new GuestTcp(timers, (f) => guest.send(f), { addr: GUEST_IP, port: 41000 }, { addr: HOST_IP, port });
    guest.onFrame = (f) => conn.input(parseFrame(f));
    await until(() => conn.tcb.state === 'established');
    conn.write(text('GET / HTTP/1.0\r\nHost: x\r\n\r\n'));
    await until(() => conn.tcb.peerFin);
    const all = conn.data();
    const head = new TextDecoder().decode(all.subarray(0, 200));
    expect(head.startsWith('HTTP/1.1 200 OK')).toBe(true);
    const sep = all.findIndex((_, i) => all[i] === 13 && all[i + 1] === 10 && all[i + 2] === 13 && all[i + 3] === 10);
    const body = all.subarray(sep + 4);
    expect(createHash('sha256').update(body).digest('hex')).toBe(createHash('sha256').update(BODY).digest('hex'));
    conn.close();
    // The host closed first, so the stack holds TIME-WAIT and the guest reaches CLOSED.
    await until(() => conn.tcb.state === 'closed');
    expect(un.usage().tcpConnections).toBe(1);
    un.close();
  });

  it('a 4 MB upload from the guest reaches a loopback server byte-exact (each burst one pooled host write)', async () => {
    const got: Buffer[] = [];
    let total = 0;
    const sink = net.createServer((s) => {
      s.on('data', (b) => {
        got.push(b);
        total += b.length;
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const sinkPort = (sink.address() as net.AddressInfo).port;
    const { net: un, guest, timers } = await stack();
    const conn = new GuestTcp(timers, (f) => guest.send(f), { addr: GUEST_IP, port: 41001 }, { addr: HOST_IP, port: sinkPort });
    guest.onFrame = (f) => conn.input(parseFrame(f));
    await until(() => conn.tcb.state === 'established');
    // Segments of one write call reach the stack in one job: a burst of up to the send buffer (256 KiB).
    const data = pattern(4_000_000, 7);
    let off = 0;
    await until(() => (off = writeAll(conn, data, off, 65536)) === data.length, 30_000);
    await until(() => total === data.length, 30_000);
    const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
    expect(sha(Buffer.concat(got))).toBe(sha(data));
    un.close();
    await new Promise<void>((r) => sink.close(() => r()));
  }, 60_000);

  it('hostfwd: a host client reaches a guest server', async () => {
    const { net: un, guest, timers } = await stack({ hostfwd: ['tcp:127.0.0.1:0-:7'] });
    const bound = un.hostfwd[0]!.port;
    expect(bound).toBeGreaterThan(0);
    // The guest runs an echo server on port 7.
    let srv: GuestTcp | undefined;
    guest.onFrame = (raw) => {
      const f: ParsedFrame = parseFrame(raw);
      if (!f.tcp) return;
      if (!srv && f.tcp.flags === 2) {
        srv = new GuestTcp(timers, (x) => guest.send(x), { addr: GUEST_IP, port: 7 }, { addr: f.ip!.src.slice(), port: f.tcp.srcPort }, {}, 777, {
          seq: f.tcp.seq,
          ack: 0,
          flags: 2,
          window: f.tcp.window,
          payload: new Uint8Array(0),
          mss: 1460,
        });
        return;
      }
      srv?.input(f);
      if (srv && srv.receivedBytes > 0) {
        const d = srv.data();
        srv.received.length = 0;
        srv.receivedBytes = 0;
        srv.write(d);
      }
    };
    const client = net.connect({ host: '127.0.0.1', port: bound });
    const chunks: Buffer[] = [];
    client.on('data', (b) => chunks.push(b));
    await new Promise<void>((r) => client.once('connect', () => r()));
    const msg = pattern(50_000, 5);
    client.write(Buffer.from(msg));
    await until(() => chunks.reduce((n, c) => n + c.length, 0) >= msg.length);
    expect(Buffer.concat(chunks).equals(Buffer.from(msg))).toBe(true);
    client.destroy();
    un.close();
  });

  it('UDP NAT to a loopback echo server, and DNS for "localhost" through the host resolver', async () => {
    const echo = dgram.createSocket('udp4');
    echo.on('message', (m, r) => echo.send(m, r.port, r.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r()));
    const echoPort = echo.address().port;
    const { net: un, guest } = await stack();
    guest.send(udpFrame(GUEST_IP, 5555, HOST_IP, echoPort, text('ping over udp')));
    const q = new Uint8Array(dnsPacket.encode({ type: 'query', id: 77, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'localhost' }] }));
    guest.send(udpFrame(GUEST_IP, 5556, DNS_IP, 53, q));
    await until(() => guest.rx.filter((f) => f.udp).length >= 2);
    const udp = guest.rx.filter((f) => f.udp);
    const e = udp.find((f) => f.udp!.dport === 5555)!;
    expect(new TextDecoder().decode(e.udp!.payload)).toBe('ping over udp');
    expect([...e.ip!.src]).toEqual([...HOST_IP]);
    const d = udp.find((f) => f.udp!.dport === 5556)!;
    const ans = dnsPacket.decode(Buffer.from(d.udp!.payload));
    expect(ans.id).toBe(77);
    expect(ans.answers?.some((a) => a.type === 'A' && a.data === '127.0.0.1')).toBe(true);
    echo.close();
    un.close();
  });

  it('TFTP reads from the root and refuses to follow a symbolic link out of it', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nicemu-tftp-'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'nicemu-secret-'));
    fs.writeFileSync(path.join(root, 'hello.txt'), 'hello tftp');
    fs.writeFileSync(path.join(outside, 'secret'), 'secret');
    fs.symlinkSync(path.join(outside, 'secret'), path.join(root, 'link'));
    const { net: un, guest } = await stack({ tftp: root });
    const { emitTftp, parseTftp } = userWire;
    guest.send(udpFrame(GUEST_IP, 3001, HOST_IP, 69, emitTftp({ op: 'rrq', filename: 'hello.txt', mode: 'octet', options: [] })));
    guest.send(udpFrame(GUEST_IP, 3002, HOST_IP, 69, emitTftp({ op: 'rrq', filename: 'link', mode: 'octet', options: [] })));
    await until(() => guest.rx.filter((f) => f.udp).length >= 2);
    const byPort = new Map(guest.rx.filter((f) => f.udp).map((f) => [f.udp!.dport, parseTftp(f.udp!.payload)]));
    expect(byPort.get(3001)).toEqual({ op: 'data', block: 1, data: text('hello tftp') });
    expect(byPort.get(3002)).toMatchObject({ op: 'error', code: 2 });
    un.close();
    fs.rmSync(root, { recursive: true });
    fs.rmSync(outside, { recursive: true });
  });

  it('smb= without smbd installed fails with a clear error', async () => {
    const timers = new WallClockTimers();
    const host = new NodeUserHost({ smbdPath: '/nonexistent/smbd' });
    await expect(createUserNet({ smb: os.tmpdir() }, { timers, random: new SeededRandom(1), host })).rejects.toThrow(/smbd/);
  });
});
