// `npm run bench:guest`: a Linux guest in v86 moves bulk traffic through each
// nicemu NIC and through v86's own ne2k and virtio-net, in the same run:
//   - TX: in-kernel pktgen and a UDP socket sender (bench/guest-send.c,
//     built here for i386 and fetched by the guest), frames of 60 and 1514
//     bytes, counted where the NIC hands them over (nicemu: the NIC's peer;
//     v86: its `net0-send` bus event);
//   - RX: UDP frames to port 9 of the guest, where a socket (net-send hold)
//     takes them without reading (no ICMP port unreachable per frame),
//     injected by the host as fast as the NIC takes them (nicemu:
//     while the NIC has buffers; v86's NICs have no backpressure, so a batch per
//     event-loop turn), counted from the guest's /proc/net/dev; drops = offered
//     minus counted;
//   - TCP: bulk through `-netdev user` (nicemu's user-mode stack; on v86's NICs
//     through connectV86Network) to and from a host socket on 127.0.0.1:
//     guest→host, a bulk sender in the guest (net-send tcp: 64 KiB writes
//     from one buffer, as netperf's TCP_STREAM) connects out to a host
//     socket, and the host fetches a file from busybox httpd in the guest
//     (hostfwd; httpd sends it with sendfile) again and again; host→guest,
//     the guest's wget reads a stream from an HTTP server on the host into
//     /dev/null. Each for the window; goodput in MB/s.
//   - --guest-prof: where the guest's CPU goes in each test (v86's EIP sampled
//     at every main-loop turn, named from the guest's /proc/kallsyms), in
//     bench/results/guest-prof-<nic>.txt.
// Each figure: min/median/max of --runs runs, after a short warm-up pass of every test
// (v86 compiles hot guest code as it goes). Writes bench/results/guest.json
// and bench/results/guest.md. The emulator is CPU-bound: load on the machine
// moves every number, so compare rows of the same run.
//
//   npm run bench:guest
//   node bench/guest.mjs --nics e1000,v86-virtio --runs 1 --seconds 2 --warmup 1 --tests rx60,udp1514,tcpTx [--cpu-prof-nic e1000] [--guest-prof]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import inspector from 'node:inspector';
import { attachToV86, connectV86Network } from '../dist/v86/index.js';
import { nodeV86Backends } from '../dist/v86/backends.node.js';
import { readManifest, guestCacheDir } from '../dist/v86/guest/prepare.node.js';
import { bootGuest } from '../dist/v86/guest/boot.node.js';
import { NetClient } from '../dist/hub/client.js';
import { parseNetdevOrThrow } from '../dist/config/index.js';
import { CryptoRandom } from '../dist/time/random.js';
import { internetChecksum } from '../dist/wire/checksum.js';
import { ArpPacket, ArpRepr } from '../dist/wire/arp.js';
import { isWireError } from '../dist/wire/error.js';
import { execFileSync } from 'node:child_process';
import { load } from './util.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};

export const NICS = {
  e1000: { title: 'nicemu e1000', device: 'e1000' },
  'virtio-net-pci': { title: 'nicemu virtio-net-pci', device: 'virtio-net-pci' },
  rtl8139: { title: 'nicemu rtl8139 (8139cp)', device: 'rtl8139' },
  'v86-ne2k': { title: 'v86 ne2k', v86: 'ne2k' },
  'v86-virtio': { title: 'v86 virtio-net', v86: 'virtio' },
};

const RUNS = Number(arg('runs', '3'));
const SECONDS = Number(arg('seconds', '3'));
const WARMUP = Number(arg('warmup', '2'));
/** Length of the current measurement (the warm-up pass uses a shorter one). */
let windowSecs = SECONDS;
/** The socket sender's HTTP server for the guests (or why there is none). */
let sender = {};
const chosen = arg('nics', Object.keys(NICS).join(',')).split(',');
const profileNic = arg('cpu-prof-nic', undefined);
const guestProf = args.includes('--guest-prof');
for (const n of chosen) if (!NICS[n]) throw new Error(`--nics: unknown NIC '${n}' (have ${Object.keys(NICS).join(', ')})`);

// v86's virtio-net logs every frame it drops for want of a buffer: count them instead.
let v86DropLogs = 0;
const log = console.log;
console.log = (...a) => (a[0] === 'No buffer to write into!' ? v86DropLogs++ : log(...a));

const SINK_MAC = '02:00:00:00:00:99';
const SINK_IP = '10.0.2.99';

function macBytes(mac) {
  return Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
}

/** An Ethernet/IPv4/UDP frame of `size` bytes (no FCS) from the sink to the guest's port 9. */
function udpFrame(size, dstMac) {
  const f = new Uint8Array(size);
  f.set(macBytes(dstMac), 0);
  f.set(macBytes(SINK_MAC), 6);
  f[12] = 0x08;
  const ip = 14;
  f[ip] = 0x45;
  const total = size - 14;
  f[ip + 2] = total >> 8;
  f[ip + 3] = total & 0xff;
  f[ip + 8] = 64;
  f[ip + 9] = 17;
  f.set([10, 0, 2, 99], ip + 12);
  f.set([10, 0, 2, 15], ip + 16);
  const c = internetChecksum(f, ip, ip + 20);
  f[ip + 10] = c >> 8;
  f[ip + 11] = c & 0xff;
  const udp = ip + 20;
  f[udp] = 0x04;
  f[udp + 1] = 0xd2;
  f[udp + 3] = 9;
  f[udp + 4] = (total - 20) >> 8;
  f[udp + 5] = (total - 20) & 0xff;
  return f;
}

const SINK_IP_BYTES = Uint8Array.from(SINK_IP.split('.').map(Number));

/** An ARP request for the sink's address (the socket sender's kernel asks before it sends). */
function isArpRequestForSink(f) {
  if (f.length < 42 || f[12] !== 0x08 || f[13] !== 0x06) return false;
  const p = ArpPacket.checked(f.subarray(14));
  const r = isWireError(p) ? p : ArpRepr.parse(p);
  return !isWireError(r) && r.operation === 'request' && r.targetIp.every((b, i) => b === SINK_IP_BYTES[i]);
}

function arpReplyFromSink(req) {
  const r = ArpRepr.parse(ArpPacket.unchecked(req.subarray(14)));
  const f = new Uint8Array(60);
  f.set(r.senderMac, 0);
  f.set(macBytes(SINK_MAC), 6);
  f[12] = 0x08;
  f[13] = 0x06;
  ArpRepr.emit({ operation: 'reply', senderMac: macBytes(SINK_MAC), senderIp: SINK_IP_BYTES, targetMac: r.senderMac, targetIp: r.senderIp }, f.subarray(14));
  return f;
}

/**
 * The socket sender for the guest: bench/guest-send.c built as a static
 * i386 program (gcc -m32 needs no i386 libc: the program uses none). Served
 * to the guest over HTTP on 127.0.0.1 (the guest reaches it as 10.0.2.2).
 */
async function netSender() {
  const out = path.join(os.tmpdir(), `nicemu-net-send-${process.pid}`);
  try {
    execFileSync('cc', ['-m32', '-static', '-nostdlib', '-ffreestanding', '-fno-pic', '-no-pie', '-O2', '-o', out, path.join(here, 'guest-send.c')], { stdio: 'pipe' });
  } catch (e) {
    return { error: `cannot build bench/guest-send.c for i386 (cc -m32): ${String(e.stderr ?? e.message).split('\n')[0]}` };
  }
  const bytes = fs.readFileSync(out);
  fs.rmSync(out, { force: true });
  const server = http.createServer((req, res) => res.writeHead(200, { 'content-length': bytes.length }).end(bytes));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => server.close() };
}

/**
 * The NIC's peer: in `user` mode frames go to and from the user-mode stack;
 * in `sink` mode frames from the guest are counted (and dropped) and the host
 * injects frames.
 */
function benchPort() {
  const port = {
    mode: 'user',
    sink: { frames: 0, bytes: 0, first: 0, last: 0 },
    client: undefined,
    userSide: undefined,
  };
  port.client = new NetClient(
    'bench',
    {
      canReceive: () => true,
      receive(f) {
        if (port.mode === 'user') {
          port.userSide.send(f);
          return 'ok';
        }
        if (isArpRequestForSink(f)) {
          port.client.send(arpReplyFromSink(f));
          return 'ok';
        }
        const s = port.sink;
        const t = performance.now();
        if (s.frames === 0) s.first = t;
        s.last = t;
        s.frames++;
        s.bytes += f.length;
        return 'ok';
      },
      // Frames with offload work left (a partial checksum, a TCP GSO frame) go on whole to the user-mode stack.
      receiveOffloaded: (f, o) => port.mode === 'user' && port.userSide.sendOffloaded(f, o),
    },
    { kind: 'backend' },
  );
  port.userSide = new NetClient('bench-user', {
    // Frames for the guest wait in the NIC's own queue when it is busy (its backpressure).
    canReceive: () => true,
    receive(f) {
      if (port.mode !== 'user') return 'drop';
      return port.client.send(f) === 'dropped' ? 'drop' : 'ok';
    },
    // GSO frames from the stack go on whole to a NIC whose driver takes them.
    receiveOffloaded: (f, o) => port.mode === 'user' && port.client.sendOffloaded(f, o),
    offloadsTaken: (later) => (port.mode !== 'user' ? 0 : later ? port.client.peerOffloadsLater() : port.client.peerOffloads()),
  });
  return port;
}

async function bootNic(manifest, key) {
  const spec = NICS[key];
  const port = benchPort();
  const prof = { samples: undefined, symbols: undefined };
  let user;
  let nic;
  let network;
  const backends = nodeV86Backends({ onUserNet: (n) => (user = n) });
  const guest = await bootGuest({
    manifest,
    ...(spec.v86 ? { v86Nic: spec.v86 } : {}),
    beforeRun: async (emu) => {
      if (guestProf) {
        // v86 calls run_hardware_timers once per main-loop turn: sample the guest's EIP
        // there, weighted by the time since the previous turn (a busy turn runs for
        // milliseconds, an idle one for microseconds).
        const cpu = emu.v86.cpu;
        const timers = cpu.run_hardware_timers.bind(cpu);
        let prev = 0;
        cpu.run_hardware_timers = (acpi, now) => {
          if (prof.samples) prof.samples.push(cpu.instruction_pointer[0] >>> 0, prev > 0 ? now - prev : 0);
          prev = now;
          return timers(acpi, now);
        };
      }
      let clock;
      if (spec.v86) {
        network = await connectV86Network(emu, { netdev: { client: port.client }, v86Version: manifest.v86Version });
        clock = network.clock;
      } else {
        nic = await attachToV86(emu, { device: spec.device, netdev: { client: port.client }, v86Version: manifest.v86Version });
        clock = nic.clock;
      }
      const ub = await backends.user(parseNetdevOrThrow('user,id=net0,hostfwd=tcp:127.0.0.1:0-:8080'), 'net0', { clock, random: new CryptoRandom() });
      NetClient.connect(port.userSide, ub.client);
    },
  });
  const ready = await guest.console.waitFor(/^NICEMU-READY/, 150_000);
  if (!ready) throw new Error(`${spec.title}: guest did not get ready:\n${guest.console.text().split('\n').slice(-20).join('\n')}`);
  const lease = guest.console.find(/^NICEMU-LEASE .* bound /);
  if (!lease) throw new Error(`${spec.title}: no DHCP lease: ${JSON.stringify({ port: port.client.stats, user: port.userSide.stats, nic: nic?.stats().net })}\n${guest.console.text().split('\n').slice(-20).join('\n')}`);
  const mac = /mac=([0-9a-f:]+)/.exec(guest.console.find(/^NICEMU-LINK /)?.text ?? '')?.[1];
  const iface = (await guest.console.run('cat /tmp/iface')).output[0];
  // The file tcpTxFile fetches from the guest's httpd (24 MiB in the RAM-backed root of a 128 MiB guest).
  const served = await guest.console.run('mkdir -p /www && dd if=/dev/zero of=/www/big bs=1048576 count=24 2>/dev/null && httpd -p 8080 -h /www && ls -l /www/big', 120_000);
  if (served.code !== 0) throw new Error(`${spec.title}: httpd in the guest: ${served.output.join(' ')}`);
  let netSend = false;
  if (sender.port) {
    const got = await guest.console.run(`wget -q -O /bin/net-send http://10.0.2.2:${sender.port}/net-send && chmod +x /bin/net-send && echo installed`, 60_000);
    netSend = got.output.includes('installed');
  }
  // RX frames go to UDP port 9: a socket bound there (not reading) takes them, so the
  // guest does not answer each one with an ICMP port unreachable.
  const rxListener = netSend && (await guest.console.run('(net-send hold 9 86400 >/dev/null 2>&1 &); sleep 0.2; grep -c ":0009 " /proc/net/udp')).output.includes('1');
  const g = { guest, port, user, nic, network, mac, iface, spec, netSend, rxListener, prof };
  if (guestProf) prof.symbols = await kernelSymbols(g);
  return g;
}

/** rx/tx counters of the guest's interface from /proc/net/dev. */
async function ifStats(g) {
  const r = await g.guest.console.run(`grep '${g.iface}:' /proc/net/dev`);
  const f = r.output.join(' ').split(':')[1].trim().split(/\s+/).map(Number);
  return { rxPackets: f[1], rxErrs: f[2], rxDrop: f[3], rxFifo: f[4], txPackets: f[9], txErrs: f[10], txDrop: f[11] };
}

const settle = () => new Promise((r) => setTimeout(r, 300));

/**
 * Run `cmd` in the guest while the NIC's peer counts (and drops) what the
 * guest sends; `size`-byte frames. Returns the command's output and the
 * frames/s seen at the peer, first to last frame.
 */
async function countAtPeer(g, cmd, size) {
  const s = g.port.sink;
  Object.assign(s, { frames: 0, bytes: 0, first: 0, last: 0 });
  g.port.mode = 'sink';
  let r;
  try {
    r = await g.guest.console.run(cmd, (windowSecs + 30) * 1000);
  } finally {
    await settle();
    g.port.mode = 'user';
  }
  const fps = s.frames > 1 ? ((s.frames - 1) * 1000) / (s.last - s.first) : 0;
  return { text: r.output.join(' '), frames: s.frames, fps, mbit: (fps * size * 8) / 1e6 };
}

async function pktgenTx(g, size) {
  const script = [
    'PG=/proc/net/pktgen',
    'echo rem_device_all > $PG/kpktgend_0',
    `echo "add_device ${g.iface}" > $PG/kpktgend_0`,
    `for c in "count 0" "pkt_size ${size}" "delay 0" "clone_skb 0" "dst ${SINK_IP}" "dst_mac ${SINK_MAC}" "udp_dst_min 9" "udp_dst_max 9"; do echo "$c" > $PG/${g.iface}; done`,
    `(echo start > $PG/pgctrl) & sleep ${windowSecs}`,
    'echo stop > $PG/pgctrl',
    'wait',
    `grep -A2 Result $PG/${g.iface} | tr '\\n' ' '; echo`,
  ].join('; ');
  const { text, frames, fps, mbit } = await countAtPeer(g, script, size);
  const m = /Result: OK: (\d+)\(.*?\) usec, (\d+) \(/.exec(text);
  const pps = /(\d+)pps/.exec(text);
  const errors = /errors: (\d+)/.exec(text);
  const sent = m ? Number(m[2]) : NaN;
  return { fps, mbit, frames, pktgenSent: sent, pktgenPps: pps ? Number(pps[1]) : NaN, drops: Math.max(0, sent - frames), errors: errors ? Number(errors[1]) : 0, raw: m ? undefined : text.slice(0, 300) };
}

/** The socket sender in the guest: UDP datagrams making `size`-byte frames to the sink, counted at the NIC's peer. */
async function socketTx(g, size) {
  if (sender.error) throw new Error(sender.error);
  if (!g.netSend) throw new Error('net-send could not be installed in the guest');
  const { text, frames, fps, mbit } = await countAtPeer(g, `net-send udp ${SINK_IP} 9 ${size - 42} ${windowSecs}`, size);
  const m = /sent (\d+) errors (\d+) ms (\d+)/.exec(text);
  if (!m) throw new Error(`net-send: ${text.slice(0, 200)}`);
  const sent = Number(m[1]);
  return { fps, mbit, frames, sent, sendErrors: Number(m[2]), senderFps: (sent * 1000) / Number(m[3]), drops: Math.max(0, sent - frames) };
}

async function injectRx(g, size) {
  g.port.mode = 'sink';
  const frame = udpFrame(size, g.mac);
  const before = await ifStats(g);
  const backpressure = !g.spec.v86;
  // nicemu: as many as the NIC takes (up to 1024 a turn); v86: 64 a turn (more only adds drops).
  const BATCH = backpressure ? 1024 : 64;
  let offered = 0;
  let stops = 0;
  let turns = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const tick = () => {
      if (performance.now() - t0 >= windowSecs * 1000) return resolve();
      turns++;
      for (let i = 0; i < BATCH; i++) {
        if (backpressure && !g.port.client.peerCanReceive()) {
          stops++;
          break;
        }
        g.port.client.send(frame);
        offered++;
      }
      setImmediate(tick);
    };
    tick();
  });
  const ms = performance.now() - t0;
  await settle();
  const after = await ifStats(g);
  g.port.mode = 'user';
  const got = after.rxPackets - before.rxPackets;
  const fps = (got * 1000) / ms;
  return { fps, mbit: (fps * size * 8) / 1e6, frames: got, offered, drops: Math.max(0, offered - got), guestDrops: after.rxDrop - before.rxDrop + (after.rxFifo - before.rxFifo), turns, ringFullTurns: stops, listener: g.rxListener };
}

/**
 * Guest → host, a bulk sender: `net-send tcp` in the guest connects out through
 * the NIC and `user` to a socket on 127.0.0.1 (10.0.2.2 to the guest) and
 * writes 64 KiB buffers for `windowSecs`; goodput = bytes the host read /
 * (last byte - first byte).
 */
async function tcpTx(g) {
  if (sender.error) throw new Error(sender.error);
  if (!g.netSend) throw new Error('net-send could not be installed in the guest');
  let bytes = 0;
  let first = 0;
  let last = 0;
  const server = net.createServer((sock) => {
    sock.on('data', (d) => {
      const t = performance.now();
      if (first === 0) first = t;
      bytes += d.length;
      last = t;
    });
    sock.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  let r;
  try {
    r = await g.guest.console.run(`net-send tcp 10.0.2.2 ${server.address().port} ${windowSecs}`, (windowSecs + 30) * 1000);
    await settle();
  } finally {
    server.close();
  }
  const m = /sent (\d+) errors (\d+) ms (\d+)/.exec(r.output.join(' '));
  if (!m || Number(m[2]) > 0) throw new Error(`net-send: ${r.output.join(' ').slice(0, 200)}`);
  const secs = (last - first) / 1000;
  return { mbyte: secs > 0 ? bytes / 1e6 / secs : 0, bytes, sent: Number(m[1]) };
}

/**
 * Guest → host, a file server: the host fetches a file from busybox httpd in the guest through
 * hostfwd (httpd sends with sendfile, so the guest's sender is its kernel, not a
 * shell pipe), again and again until `windowSecs` have passed since the first
 * byte; goodput = bytes / (last byte - first byte).
 */
async function tcpTxFile(g) {
  const port = g.user.hostfwd[0].port;
  let bytes = 0;
  let first = 0;
  let last = 0;
  let fetches = 0;
  const fetchOnce = () =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/big', agent: false }, (res) => {
        res.on('data', (d) => {
          const t = performance.now();
          if (first === 0) first = t;
          bytes += d.length;
          last = t;
          if (t - first >= windowSecs * 1000) {
            req.destroy();
            resolve();
          }
        });
        res.on('end', resolve);
        res.on('error', () => {});
      });
      req.on('error', (e) => (bytes > 0 ? resolve() : reject(e)));
      req.setTimeout(20_000, () => req.destroy(new Error('no data from the guest for 20 s')));
    });
  while (first === 0 || last - first < windowSecs * 1000) {
    const had = bytes;
    await fetchOnce();
    fetches++;
    if (bytes === had) throw new Error('the guest\'s httpd sent an empty body');
  }
  const secs = (last - first) / 1000;
  return { mbyte: secs > 0 ? bytes / 1e6 / secs : 0, bytes, fetches };
}

/**
 * Host → guest: the guest's wget reads a stream from an HTTP server on
 * 127.0.0.1 into /dev/null; the server streams (with backpressure) for
 * `windowSecs` and ends. Everything written reaches the guest before wget
 * returns, so goodput = bytes / (wget's end - first byte written).
 */
async function tcpRx(g) {
  const chunk = Buffer.alloc(64 * 1024);
  let bytes = 0;
  let first = 0;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    let open = true;
    res.on('close', () => (open = false));
    const pump = () => {
      while (open) {
        const t = performance.now();
        if (first === 0) first = t;
        if (t - first >= windowSecs * 1000) return void res.end();
        bytes += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  let r;
  try {
    r = await g.guest.console.run(`wget -q -O /dev/null http://10.0.2.2:${port}/stream; echo "wget=$?"`, (windowSecs + 30) * 1000);
  } finally {
    server.closeAllConnections?.();
    server.close();
  }
  const end = performance.now();
  if (!r.output.includes('wget=0')) throw new Error(`wget in the guest: ${r.output.join(' ').slice(0, 200)}`);
  return { mbyte: first > 0 ? bytes / 1e6 / ((end - first) / 1000) : 0, bytes };
}

const ALL_TESTS = [
  ['tx60', (g) => pktgenTx(g, 60)],
  ['tx1514', (g) => pktgenTx(g, 1514)],
  ['udp60', (g) => socketTx(g, 60)],
  ['udp1514', (g) => socketTx(g, 1514)],
  ['rx60', (g) => injectRx(g, 60)],
  ['rx1514', (g) => injectRx(g, 1514)],
  ['tcpTx', (g) => tcpTx(g)],
  ['tcpTxFile', (g) => tcpTxFile(g)],
  ['tcpRx', (g) => tcpRx(g)],
];

const onlyTests = arg('tests', undefined)?.split(',');
const TESTS = ALL_TESTS.filter(([name]) => !onlyTests || onlyTests.includes(name));

function stats3(values) {
  const v = [...values].sort((a, b) => a - b);
  return { min: v[0], median: v[Math.floor(v.length / 2)], max: v[v.length - 1] };
}

/** The guest kernel's text symbols, sorted, from its /proc/kallsyms (fetched through hostfwd from busybox httpd). */
async function kernelSymbols(g) {
  await g.guest.console.run("echo 0 > /proc/sys/kernel/kptr_restrict; grep ' [tT] ' /proc/kallsyms > /www/ksyms");
  const text = await new Promise((resolve, reject) => {
    let b = '';
    http.get({ host: '127.0.0.1', port: g.user.hostfwd[0].port, path: '/ksyms', agent: false }, (r) => {
      r.setEncoding('utf8');
      r.on('data', (d) => (b += d));
      r.on('end', () => resolve(b));
    }).on('error', reject);
  });
  await g.guest.console.run('rm -f /www/ksyms');
  const syms = [];
  for (const line of text.split('\n')) {
    const f = line.split(/\s+/);
    if (f.length >= 3) syms.push([parseInt(f[0], 16), f[3] ? `${f[2]} ${f[3]}` : f[2]]);
  }
  return syms.sort((a, b) => a[0] - b[0]);
}

/** Samples (EIP, ms pairs) → the share of time of each kernel function (and of user space), largest first. */
function guestProfile(samples, symbols) {
  const counts = new Map();
  let total = 0;
  for (let i = 0; i < samples.length; i += 2) {
    const ip = samples[i];
    const ms = samples[i + 1];
    total += ms;
    let name = 'user space';
    if (ip >= 0xc0000000 && symbols.length > 0) {
      let lo = 0;
      let hi = symbols.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (symbols[mid][0] <= ip) lo = mid;
        else hi = mid - 1;
      }
      name = symbols[lo][1];
    }
    counts.set(name, (counts.get(name) ?? 0) + ms);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, pct: total > 0 ? Math.round((1000 * ms) / total) / 10 : 0 }));
}

async function main() {
  const manifest = readManifest();
  if (!manifest) throw new Error(`no prepared guest image in ${guestCacheDir()}: run npm run prepare-guest`);
  if (TESTS.some(([name]) => name.startsWith('udp') || name.startsWith('rx') || name === 'tcpTx')) sender = await netSender();
  if (sender.error) process.stderr.write(`[bench:guest] ${sender.error}: the udp and tcpTx tests fail\n`);
  const cpus = os.cpus();
  const results = {
    when: new Date().toISOString(),
    machine: { cpus: cpus.length, model: cpus[0]?.model, node: process.version, v86: manifest.v86Version, kernel: manifest.kver },
    runs: RUNS,
    seconds: SECONDS,
    nics: {},
  };
  for (const key of chosen) {
    const loadBefore = load();
    process.stderr.write(`[bench:guest] ${NICS[key].title}: booting\n`);
    const g = await bootNic(manifest, key);
    let session;
    if (profileNic === key) {
      session = new inspector.Session();
      session.connect();
      await new Promise((r) => session.post('Profiler.enable', r));
      await new Promise((r) => session.post('Profiler.start', r));
    }
    // v86 compiles hot guest code as it runs: a short pass of every test first, not counted.
    // A test that fails on a NIC (the guest stops answering within its time) is reported, not retried.
    const failed = new Map();
    const attempt = async (name, fn) => {
      if (failed.has(name)) return undefined;
      // A guest that stops answering can leave nothing pending in Node's loop: a deadline keeps
      // the process alive and turns the hang into a failure.
      let deadline;
      try {
        return await Promise.race([
          fn(g),
          new Promise((_, reject) => (deadline = setTimeout(() => reject(new Error(`no result after ${windowSecs + 90} s`)), (windowSecs + 90) * 1000))),
        ]);
      } catch (e) {
        failed.set(name, String(e?.message ?? e).split('\n')[0]);
        process.stderr.write(`[bench:guest] ${NICS[key].title} ${name} failed: ${failed.get(name)}\n`);
        await new Promise((r) => setTimeout(r, 5000));
        return undefined;
      } finally {
        clearTimeout(deadline);
      }
    };
    if (WARMUP > 0) {
      windowSecs = WARMUP;
      for (const [name, fn] of TESTS) await attempt(name, fn);
      windowSecs = SECONDS;
    }
    const per = Object.fromEntries(TESTS.map(([name]) => [name, []]));
    const samples = Object.fromEntries(TESTS.map(([name]) => [name, []]));
    for (let run = 0; run < RUNS; run++) {
      for (const [name, fn] of TESTS) {
        g.prof.samples = guestProf ? [] : undefined;
        const r = await attempt(name, fn);
        if (g.prof.samples) for (const x of g.prof.samples) samples[name].push(x);
        g.prof.samples = undefined;
        if (!r) continue;
        per[name].push(r);
        process.stderr.write(`[bench:guest] ${NICS[key].title} run ${run + 1} ${name}: ${JSON.stringify(r, (k, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}\n`);
        if (process.env.NICEMU_BENCH_DEBUG) process.stderr.write(`  irq: ${(await g.guest.console.run("grep -E ' (1[01]):' /proc/interrupts | tr -s ' '")).output.join(' / ')}\n`);
        if (process.env.NICEMU_BENCH_DEBUG) process.stderr.write(`  user: ${JSON.stringify(Object.fromEntries(Object.entries(g.user?.stats ?? {}).filter(([, v]) => v)))}\n  nic: ${JSON.stringify(g.nic?.stats())}\n`);
      }
    }
    if (session) {
      const { profile } = await new Promise((r, j) => session.post('Profiler.stop', (e, p) => (e ? j(e) : r(p))));
      const file = path.join(here, 'results', `guest-${key}.cpuprofile`);
      fs.writeFileSync(file, JSON.stringify(profile));
      results.nics[key] = { profile: path.relative(path.join(here, '..'), file), share: profileShare(profile) };
      session.disconnect();
    }
    if (guestProf) {
      const lines = [`Guest kernel profile on ${NICS[key].title}: the EIP where each v86 main-loop turn ended, weighted by the turn's length (share of emulated time).`];
      for (const [name, ss] of Object.entries(samples)) {
        lines.push('', `== ${name}: ${ss.length / 2} samples`);
        for (const { name: fn, pct } of guestProfile(ss, g.prof.symbols).slice(0, 30)) lines.push(`${pct.toFixed(1).padStart(5)}%  ${fn}`);
      }
      fs.mkdirSync(path.join(here, 'results'), { recursive: true });
      fs.writeFileSync(path.join(here, 'results', `guest-prof-${key}.txt`), lines.join('\n') + '\n');
    }
    const summary = {};
    for (const [name, rs] of Object.entries(per)) {
      if (rs.length === 0) {
        summary[name] = { failed: failed.get(name) ?? 'not run' };
        continue;
      }
      const main = name.startsWith('tcp') ? 'mbyte' : 'fps';
      summary[name] = { [main]: stats3(rs.map((r) => r[main])), ...(main === 'fps' ? { mbit: stats3(rs.map((r) => r.mbit)), drops: stats3(rs.map((r) => r.drops)) } : {}) };
    }
    results.nics[key] = { title: NICS[key].title, ...results.nics[key], summary, runs: per, load: { before: loadBefore, after: load() } };
    await g.guest.stop();
    g.nic?.detach();
    g.network?.close();
  }
  sender.close?.();
  fs.mkdirSync(path.join(here, 'results'), { recursive: true });
  fs.writeFileSync(path.join(here, 'results', 'guest.json'), JSON.stringify(results, null, 2));
  const md = table(results);
  fs.writeFileSync(path.join(here, 'results', 'guest.md'), md);
  process.stdout.write(md);
}

/** Share of profile samples (self time) per area: nicemu's devices, its user stack, the rest of nicemu, v86, other. */
function profileShare(profile) {
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  let total = 0;
  for (const [id, c] of counts) {
    const n = byId.get(id);
    const url = n?.callFrame.url ?? '';
    const area = /\/dist\/devices\/|\/dist\/virtio\//.test(url)
      ? 'nicemu devices'
      : /\/dist\/netdev\/user\//.test(url)
        ? 'nicemu user stack'
        : /\/dist\//.test(url)
          ? 'nicemu other'
          : /libv86|v86\.wasm|wasm:\/\//.test(url) || n?.callFrame.functionName.startsWith('$')
            ? 'v86'
            : n?.callFrame.functionName === '(idle)'
              ? 'idle'
              : 'other';
    self.set(area, (self.get(area) ?? 0) + c);
    total += c;
  }
  return Object.fromEntries([...self].map(([k, v]) => [k, Math.round((1000 * v) / total) / 10]));
}

const k = (x, digits = 0) => (x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(digits));

function fmt(s, digits = 0) {
  return `${k(s.median, digits)} (${k(s.min, digits)}–${k(s.max, digits)})`;
}

const FRAME_TESTS = [
  ['tx60', 'pktgen TX 60 B'],
  ['tx1514', 'pktgen TX 1514 B'],
  ['udp60', 'socket TX 60 B'],
  ['udp1514', 'socket TX 1514 B'],
  ['rx60', 'RX 60 B'],
  ['rx1514', 'RX 1514 B'],
];

function table(results) {
  const nics = Object.values(results.nics);
  const lines = [
    `Guest throughput (v86 ${results.machine.v86}, Linux ${results.machine.kernel}, ${results.machine.cpus} × ${results.machine.model}, ${results.runs} runs of ${results.seconds} s, median (min–max)).`,
    '',
    'Frames per second, Mbit/s (frame bytes without FCS) and drops (TX: sent by the guest and not seen at the NIC\'s peer; RX: offered and not counted by the guest). RX frames are UDP datagrams to a guest socket that does not read them (`net-send hold`). TCP guest→host: `net-send tcp` (64 KiB writes from memory to a host socket) and busybox httpd (sendfile from tmpfs) fetched through hostfwd.',
    '',
    `| test | ${nics.map((r) => r.title).join(' | ')} |`,
    `| --- | ${nics.map(() => '---').join(' | ')} |`,
  ];
  for (const [key, title] of FRAME_TESTS) {
    if (!nics.some((r) => r.summary[key])) continue;
    const cell = (s) => (!s ? '–' : s.failed ? 'failed' : `${fmt(s.fps)} fps, ${k(s.mbit.median)} Mbit/s, drops ${k(s.drops.median)}`);
    lines.push(`| ${title} | ${nics.map((r) => cell(r.summary[key])).join(' | ')} |`);
  }
  for (const [key, title] of [['tcpTx', 'TCP guest→host MB/s (socket)'], ['tcpTxFile', 'TCP guest→host MB/s (httpd sendfile)'], ['tcpRx', 'TCP host→guest MB/s']]) {
    if (!nics.some((r) => r.summary[key])) continue;
    const cell = (s) => (!s ? '–' : s.failed ? 'failed' : `${fmt(s.mbyte, 1)} (${k(s.mbyte.median * 8)} Mbit/s)`);
    lines.push(`| ${title} | ${nics.map((r) => cell(r.summary[key])).join(' | ')} |`);
  }
  const failed = nics.flatMap((r) => Object.entries(r.summary).filter(([, s]) => s.failed).map(([t, s]) => `${r.title} ${t}: ${s.failed}`));
  if (failed.length) lines.push('', 'Failed:', ...failed.map((f) => `- ${f}`));
  const share = nics.find((r) => r.share);
  if (share) lines.push('', `CPU profile of ${share.title} (self time): ${Object.entries(share.share).map(([a, v]) => `${a} ${v}%`).join(', ')}.`);
  return lines.join('\n') + '\n';
}

await main();
process.exit(0);
