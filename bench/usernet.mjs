// The `-netdev user` stack: TCP bulk from the guest side through the NAT to
// a host socket, against raw Node loopback TCP to the same host socket in the
// same run; and the memory of 1000 open NAT connections.
//
// The bulk transfer runs twice: with MSS-sized segments (1460 bytes, a guest
// whose NIC segments nothing) and with TSO-sized ones (up to 44 × 1460 =
// 64240 bytes in one frame: a guest with TSO on virtio-net or e1000 hands the
// backend unsegmented 64 KiB segments, and the stack takes them as they are).
// Both guests are the same TCP sender (the engine's `gsoMaxSize` is the only
// difference): slow start, windows, ACK clocking and valid checksums.
//
// The host application is bench/tcp-sink.mjs in its own process (it counts
// bytes and answers with the count when the sender half-closes). The guest
// is in this process: a NetClient connected straight to the stack's client,
// and a guest TCP built on the stack's own engine (`tcpEngine`, the idea of
// test/netdev/user/guest.ts), with frames built and parsed by hand so the
// guest side costs little: a connection's constant header fields are written
// once, each segment fills in the rest and both checksums. Frames from the
// stack are handled in a microtask after the stack's call returns (a guest
// that processes its RX ring later), so the guest never re-enters the stack.
//
// Each measurement runs in a child process (`node --expose-gc bench/usernet.mjs
// loopback|nat|nat-tso|memory PORT BYTES|CONNECTIONS`), so heap and JIT state
// do not carry over.
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { NetClient, SeededRandom, createUserNet, tcpEngine, virtualMac } from '../dist/index.js';
import { NodeUserHost, WallClockTimers } from '../dist/node.js';
// The stack's word-at-a-time checksum: a guest's csum_partial is native code.
import { onesSum } from '../dist/wire/checksum.js';

const here = new URL(import.meta.url).pathname;
const GUEST_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const GUEST_IP = Uint8Array.of(10, 0, 2, 15);
const HOST_IP = Uint8Array.of(10, 0, 2, 2);
const ROUTER_MAC = virtualMac(0x0a000202);
const SYN = 0x02;
const ACK = 0x10;
const MiB = 1024 * 1024;

export const TARGETS = { bulkRatio: 0.25, memoryMiB: 64 };
/** Payload bytes per segment of the TSO guest: the most MSS-sized pieces that fit a 64 KiB IP packet. */
const TSO_SEGMENT = 65535 - 40 - ((65535 - 40) % 1460);

// ------------------------------------------------------------------ the guest

/** The fields of a guest frame that stay the same along a connection (Ethernet, IPv4 but its length and checksum, TCP ports). */
function writeConstant(f, sport, dport) {
  f.set(ROUTER_MAC, 0);
  f.set(GUEST_MAC, 6);
  f[12] = 0x08; f[13] = 0x00;
  f[14] = 0x45; f[15] = 0; f[16] = 0; f[17] = 0;
  f[18] = 0; f[19] = 0; f[20] = 0x40; f[21] = 0; f[22] = 64; f[23] = 6; f[24] = 0; f[25] = 0;
  f.set(GUEST_IP, 26);
  f.set(HOST_IP, 30);
  f[34] = sport >>> 8; f[35] = sport & 0xff; f[36] = dport >>> 8; f[37] = dport & 0xff;
}

const fold16 = (s) => {
  s = (s & 0xffff) + (s >>> 16);
  return (s & 0xffff) + (s >>> 16);
};
const template = new Uint8Array(54);
writeConstant(template, 0, 0);
/** Sums of the constant IPv4 header (length and checksum zero) and of the two addresses (for the pseudo-header). */
const IP_CONST_SUM = onesSum(template, 14, 34);
const ADDR_SUM = onesSum(template, 26, 34);

/**
 * Ethernet + IPv4 + TCP, written into `f` (which must be long enough); returns the frame length.
 * `constant`: `writeConstant(f, sport, dport)` was done already (a connection's own frame buffer),
 * so only what changes per segment is written, as a guest's TCP fills in a prepared header.
 */
function buildTcp(f, sport, dport, seq, ack, flags, window, opts, payloadLen, constant = false) {
  const optLen = opts ? opts.length : 0;
  const tcpLen = 20 + optLen + payloadLen;
  if (!constant) writeConstant(f, sport, dport);
  const ipLen = 20 + tcpLen;
  f[16] = ipLen >>> 8; f[17] = ipLen & 0xff;
  const ipSum = ~fold16(IP_CONST_SUM + ipLen) & 0xffff;
  f[24] = ipSum >>> 8; f[25] = ipSum & 0xff;
  const t = 34;
  f[t + 4] = seq >>> 24; f[t + 5] = (seq >>> 16) & 0xff; f[t + 6] = (seq >>> 8) & 0xff; f[t + 7] = seq & 0xff;
  f[t + 8] = ack >>> 24; f[t + 9] = (ack >>> 16) & 0xff; f[t + 10] = (ack >>> 8) & 0xff; f[t + 11] = ack & 0xff;
  f[t + 12] = ((20 + optLen) >>> 2) << 4; f[t + 13] = flags;
  f[t + 14] = window >>> 8; f[t + 15] = window & 0xff;
  f[t + 16] = 0; f[t + 17] = 0; f[t + 18] = 0; f[t + 19] = 0;
  if (opts) f.set(opts, t + 20);
  const end = t + tcpLen;
  const sum = ~onesSum(f, t, end, fold16(ADDR_SUM + 6 + tcpLen)) & 0xffff;
  f[t + 16] = sum >>> 8; f[t + 17] = sum & 0xff;
  return end;
}

/** The guest's end of the link: sends at once, handles what the stack sends in a microtask. */
class GuestLink {
  constructor(un) {
    this.inbox = [];
    this.scheduled = false;
    this.conns = new Map(); // guest port -> handler(seg)
    this.frame = new Uint8Array(54 + 40 + 65536);
    this.view = this.frame.subarray(0, 0);
    this.client = new NetClient('guest', {
      canReceive: () => true,
      receive: (f) => {
        this.inbox.push(f.slice());
        if (!this.scheduled) {
          this.scheduled = true;
          queueMicrotask(() => this.drain());
        }
        return 'ok';
      },
    }, { kind: 'nic' });
    NetClient.connect(this.client, un.client);
  }

  /** Announce the guest (an ARP request for the gateway), so the stack knows its MAC. */
  announce() {
    const f = new Uint8Array(42);
    f.fill(0xff, 0, 6);
    f.set(GUEST_MAC, 6);
    f[12] = 0x08; f[13] = 0x06;
    f.set([0, 1, 8, 0, 6, 4, 0, 1], 14);
    f.set(GUEST_MAC, 22);
    f.set(GUEST_IP, 28);
    f.set(HOST_IP, 38);
    this.client.send(f);
  }

  drain() {
    this.scheduled = false;
    for (let i = 0; i < this.inbox.length; i++) {
      const f = this.inbox[i];
      if (f.length < 54 || f[12] !== 0x08 || f[13] !== 0x00 || f[23] !== 6) continue;
      const ihl = (f[14] & 0x0f) << 2;
      const t = 14 + ihl;
      const ipEnd = 14 + ((f[16] << 8) | f[17]);
      const dport = (f[t + 2] << 8) | f[t + 3];
      const h = this.conns.get(dport);
      if (!h) continue;
      const doff = (f[t + 12] >>> 4) << 2;
      const seg = {
        seq: ((f[t + 4] << 24) | (f[t + 5] << 16) | (f[t + 6] << 8) | f[t + 7]) >>> 0,
        ack: ((f[t + 8] << 24) | (f[t + 9] << 16) | (f[t + 10] << 8) | f[t + 11]) >>> 0,
        flags: f[t + 13] & 0x3f,
        window: (f[t + 14] << 8) | f[t + 15],
        payload: f.subarray(t + doff, ipEnd),
      };
      if (seg.flags & SYN) {
        for (let o = t + 20; o < t + doff;) {
          const kind = f[o];
          if (kind === 0) break;
          if (kind === 1) { o++; continue; }
          if (kind === 2) seg.mss = (f[o + 2] << 8) | f[o + 3];
          if (kind === 3) seg.wscale = f[o + 2];
          o += f[o + 1] || 1;
        }
      }
      h(seg);
    }
    this.inbox.length = 0;
  }
}

/** A guest TCP connection on the stack's engine, sending `total` bytes then closing; `tso`: segments up to TSO_SEGMENT. */
class GuestTcp {
  constructor(link, timers, sport, dport, total, onDone, tso = false) {
    this.link = link;
    this.timers = timers;
    this.sport = sport;
    this.dport = dport;
    this.left = total;
    this.onDone = onDone;
    this.chunk = new Uint8Array(64 * 1024);
    for (let i = 0; i < this.chunk.length; i++) this.chunk[i] = (i * 31 + 7) & 0xff;
    this.reply = '';
    this.established = undefined;
    const params = { mss: 1460, defaultPeerMss: 536, sndBufSize: 1024 * 1024, rcvBufSize: 256 * 1024, windowScaling: true, ...(tso ? { gsoMaxSize: TSO_SEGMENT } : {}) };
    this.tcb = tcpEngine.tcbConnect(params, 1000, timers.now());
    this.timer = timers.timer(() => this.run(() => tcpEngine.tcpOnTimer(this.tcb, this.timers.now(), this.emit)), 'guest tcp');
    this.synOpts = new Uint8Array(8);
    this.emit = (t, seg) => {
      let opts;
      if (seg.mss !== undefined) {
        const o = this.synOpts;
        o.set([2, 4, seg.mss >>> 8, seg.mss & 0xff, 1, 3, 3, seg.wscale ?? 0]);
        opts = seg.wscale !== undefined ? o : o.subarray(0, 4);
      }
      const f = link.frame;
      if (seg.len) t.sndBuf.copyOut(seg.bufOffset, seg.len, f, 54 + (opts ? opts.length : 0));
      if (link.frameOwner !== this) {
        writeConstant(f, this.sport, this.dport);
        link.frameOwner = this;
      }
      const n = buildTcp(f, this.sport, this.dport, seg.seq, seg.ack, seg.flags, seg.window, opts, seg.len, true);
      // The stack copies what it keeps: the frame buffer is reused (and its view, while the length is the same).
      if (link.view.length !== n) link.view = f.subarray(0, n);
      link.client.send(link.view);
    };
    link.conns.set(sport, (seg) => this.run(() => tcpEngine.tcpSegment(this.tcb, seg, this.timers.now(), this.emit)));
    this.run(() => tcpEngine.tcpOutput(this.tcb, this.timers.now(), this.emit));
  }

  run(step) {
    step();
    const t = this.tcb;
    if (this.established === undefined && t.state === 'established') {
      this.established = process.hrtime.bigint();
      this.cpu0 = process.cpuUsage();
    }
    if (t.state === 'established' || t.state === 'close-wait') this.fill();
    if (t.rcvBuf.length > 0) {
      this.reply += new TextDecoder().decode(t.rcvBuf.read(t.rcvBuf.length));
      tcpEngine.tcpWindowUpdate(t);
      tcpEngine.tcpOutput(t, this.timers.now(), this.emit);
    }
    if (t.peerFin && this.onDone) {
      const done = this.onDone;
      this.onDone = undefined;
      done(this);
    }
    const d = tcpEngine.tcpNextDeadline(t);
    if (d < 0) this.timer.cancel();
    else if (!this.timer.armed || d < this.timer.deadline) this.timer.arm(d);
  }

  /** The application keeps the send buffer full, then closes. */
  fill() {
    const t = this.tcb;
    let moved = false;
    while (this.left > 0) {
      const n = tcpEngine.tcpSend(t, this.left >= this.chunk.length ? this.chunk : this.chunk.subarray(0, this.left));
      if (n === 0) break;
      this.left -= n;
      moved = true;
    }
    if (this.left === 0 && !t.finQueued) {
      tcpEngine.tcpClose(t);
      moved = true;
    }
    if (moved) tcpEngine.tcpOutput(t, this.timers.now(), this.emit);
  }
}

async function makeStack() {
  const timers = new WallClockTimers();
  const un = await createUserNet({}, { timers, random: new SeededRandom(9), host: new NodeUserHost({ ping: false }) });
  const link = new GuestLink(un);
  link.announce();
  await new Promise((r) => setImmediate(r));
  return { un, link, timers };
}

// ------------------------------------------------------------------ child: bulk

/** `total` bytes guest -> 10.0.2.2:port (NAT to 127.0.0.1:port); MB/s from established to the sink's answer. */
async function natBulk(port, total, tso) {
  const { un, link, timers } = await makeStack();
  const r = await new Promise((resolve, reject) => {
    const to = setTimeout(() => reject(new Error('NAT bulk timed out')), 60_000);
    const c = new GuestTcp(link, timers, 40000, port, total, (conn) => {
      clearTimeout(to);
      const ns = Number(process.hrtime.bigint() - conn.established);
      const cpu = process.cpuUsage(conn.cpu0);
      resolve({ ns, cpuUs: cpu.user + cpu.system, got: Number(conn.reply.trim()), stats: { ...un.stats } });
    }, tso);
    void c;
  });
  un.close();
  if (r.got !== total) throw new Error(`NAT bulk: the host received ${r.got} of ${total} bytes`);
  const s = r.stats;
  return { MBps: total / MiB / (r.ns / 1e9), ns: r.ns, cpuMsPerMiB: r.cpuUs / 1000 / (total / MiB), bytes: total, framesIn: s.rxFrames, framesOut: s.txFrames, retransmits: s.tcpRetransmits };
}

/** Raw Node loopback TCP: `total` bytes to 127.0.0.1:port with backpressure. */
async function loopbackBulk(port, total) {
  const chunk = Buffer.alloc(64 * 1024, 7);
  return await new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    let t0;
    let cpu0;
    s.on('error', reject);
    s.on('data', (b) => { reply += b.toString(); });
    s.on('end', () => {
      const ns = Number(process.hrtime.bigint() - t0);
      const cpu = process.cpuUsage(cpu0);
      if (Number(reply.trim()) !== total) reject(new Error(`loopback: the host received ${reply.trim()} of ${total} bytes`));
      else resolve({ MBps: total / MiB / (ns / 1e9), ns, cpuMsPerMiB: (cpu.user + cpu.system) / 1000 / (total / MiB), bytes: total });
      s.destroy();
    });
    s.on('connect', () => {
      t0 = process.hrtime.bigint();
      cpu0 = process.cpuUsage();
      let left = total;
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            s.once('drain', pump);
            return;
          }
        }
        s.end();
      };
      pump();
    });
  });
}

// ------------------------------------------------------------------ child: memory

function gcNow() {
  if (!globalThis.gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 4; i++) globalThis.gc();
}

/** Open `n` NAT connections from a minimal guest (SYN, then ACK of the SYN-ACK; no guest TCB). */
async function openConnections(link, port, first, n, un) {
  let open = 0;
  const f = new Uint8Array(128);
  const mssOpt = Uint8Array.of(2, 4, 0x05, 0xb4);
  const BATCH = 100; // below the stack's 128 embryonic connections
  for (let base = 0; base < n; base += BATCH) {
    const m = Math.min(BATCH, n - base);
    await new Promise((resolve, reject) => {
      let got = 0;
      const to = setTimeout(() => reject(new Error(`memory: only ${open} connections established (${JSON.stringify(un.usage())})`)), 20_000);
      for (let k = 0; k < m; k++) {
        const sport = first + base + k;
        const iss = 5000 + sport;
        link.conns.set(sport, (seg) => {
          if ((seg.flags & (SYN | ACK)) !== (SYN | ACK)) return;
          link.client.send(f.subarray(0, buildTcp(f, sport, port, iss + 1, (seg.seq + 1) >>> 0, ACK, 65535, undefined, 0)));
          open++;
          if (++got === m) {
            clearTimeout(to);
            resolve();
          }
        });
        link.client.send(f.subarray(0, buildTcp(f, sport, port, iss, 0, SYN, 65535, mssOpt, 0)));
      }
    });
  }
  // Let the last ACKs and the host sockets settle.
  await new Promise((r) => setTimeout(r, 200));
  return open;
}

async function natMemory(port, n) {
  const { un, link } = await makeStack();
  // Warm-up connections (code, JIT, host socket machinery) before the baseline.
  const WARM = 20;
  await openConnections(link, port, 20000, WARM, un);
  gcNow();
  await new Promise((r) => setTimeout(r, 100));
  gcNow();
  const m0 = process.memoryUsage();
  const open = await openConnections(link, port, 30000, n, un);
  gcNow();
  await new Promise((r) => setTimeout(r, 100));
  gcNow();
  const m1 = process.memoryUsage();
  const usage = un.usage();
  un.close();
  const d = (k) => (m1[k] - m0[k]) / MiB;
  return {
    connections: open,
    tcpConnections: usage.tcpConnections - WARM,
    heapUsedMiB: d('heapUsed'),
    externalMiB: d('external'),
    arrayBuffersMiB: d('arrayBuffers'),
    rssMiB: d('rss'),
    tcpBufferedBytes: usage.tcpBufferedBytes,
  };
}

// ------------------------------------------------------------------ parent

function startSink() {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [new URL('./tcp-sink.mjs', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
    p.on('error', reject);
    p.stdout.once('data', (b) => resolve({ port: Number(b.toString().trim()), stop: () => p.stdin.end() }));
  });
}

function child(args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', here, ...args.map(String)], { maxBuffer: 1 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`usernet ${args[0]}: ${(stderr || err.message).trim().split('\n').slice(-3).join(' ')}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r1 = (x) => Math.round(x * 10) / 10;

/** The same bytes through each path: shorter NAT runs would be measuring the JIT's warm-up as well. */
export async function usernetBench({ runs = 3, loopBytes = 256 * MiB, natBytes = 256 * MiB, tsoBytes = 256 * MiB, connections = 1000 } = {}) {
  const sink = await startSink();
  try {
    const loop = [];
    const nat = [];
    const tso = [];
    for (let i = 0; i < runs; i++) {
      loop.push(await child(['loopback', sink.port, loopBytes]));
      nat.push(await child(['nat', sink.port, natBytes]));
      tso.push(await child(['nat-tso', sink.port, tsoBytes]));
    }
    const mem = await child(['memory', sink.port, connections]);
    const loopMBps = median(loop.map((x) => x.MBps));
    const natMBps = median(nat.map((x) => x.MBps));
    const natTsoMBps = median(tso.map((x) => x.MBps));
    // Medians of runs interleaved with the loopback ones (the machine's load moves both); each run's
    // share of the loopback run before it is listed too.
    const ratio = natMBps / loopMBps;
    const ratioTso = natTsoMBps / loopMBps;
    const pctOf = (xs) => xs.map((x, i) => `${((100 * x.MBps) / loop[i].MBps).toFixed(1)}%`).join(' / ');
    const rows = [
      { what: 'TCP bulk, raw Node loopback', MBps: r1(loopMBps), runs: loop.map((x) => r1(x.MBps)).join(' / '), bytes: loopBytes },
      { what: 'TCP bulk, guest -> NAT -> host socket, MSS segments (1460 B)', MBps: r1(natMBps), runs: nat.map((x) => r1(x.MBps)).join(' / '), ofLoopback: pctOf(nat), bytes: natBytes, framesIn: nat[0].framesIn, framesOut: nat[0].framesOut },
      { what: `TCP bulk, guest -> NAT -> host socket, TSO segments (${TSO_SEGMENT} B)`, MBps: r1(natTsoMBps), runs: tso.map((x) => r1(x.MBps)).join(' / '), ofLoopback: pctOf(tso), bytes: tsoBytes, framesIn: tso[0].framesIn, framesOut: tso[0].framesOut },
      { what: 'NAT / loopback, MSS segments', ratio: Math.round(ratio * 1000) / 1000, target: `>= ${TARGETS.bulkRatio}`, met: ratio >= TARGETS.bulkRatio },
      { what: 'NAT / loopback, TSO segments', ratio: Math.round(ratioTso * 1000) / 1000, target: `>= ${TARGETS.bulkRatio}`, met: ratioTso >= TARGETS.bulkRatio },
      {
        what: `memory of ${mem.connections} open NAT connections`,
        rssMiB: r1(mem.rssMiB),
        heapUsedMiB: r1(mem.heapUsedMiB),
        externalMiB: r1(mem.externalMiB),
        perConnKiB: r1((Math.max(mem.rssMiB, mem.heapUsedMiB + mem.externalMiB) * 1024) / mem.connections),
        target: `<= ${TARGETS.memoryMiB} MiB`,
        met: Math.max(mem.rssMiB, mem.heapUsedMiB + mem.externalMiB) <= TARGETS.memoryMiB && mem.connections === connections,
      },
    ];
    // `natMBps`/`ratio`: MSS-sized segments (the target); `tso`: the same with TSO-sized ones.
    return {
      rows,
      loopMBps,
      natMBps,
      ratio,
      tso: { segmentBytes: TSO_SEGMENT, natMBps: natTsoMBps, ratio: ratioTso },
      mss: { segmentBytes: 1460, natMBps, ratio },
      runs: { loopback: loop, mss: nat, tso },
      memory: mem,
    };
  } finally {
    sink.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [mode, port, arg] = process.argv.slice(2);
  if (mode === 'loopback') console.log(JSON.stringify(await loopbackBulk(Number(port), Number(arg))));
  else if (mode === 'nat') console.log(JSON.stringify(await natBulk(Number(port), Number(arg), false)));
  else if (mode === 'nat-tso') console.log(JSON.stringify(await natBulk(Number(port), Number(arg), true)));
  else if (mode === 'memory') console.log(JSON.stringify(await natMemory(Number(port), Number(arg))));
  else {
    const r = await usernetBench();
    console.table(r.rows);
  }
  // Host sockets and timers of the stack must not keep a child alive.
  if (mode) process.exit(0);
}
