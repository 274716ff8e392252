// Datapath: frames/s from one device's TX ring to another device's RX ring
// (same model, two guests), through a two-port Hub and through a direct
// NetClient.connect, for 64-byte (60 B + FCS) and 1514-byte frames. Guest
// driver mocks (bench/drivers.mjs) post TX descriptors in batches with one
// doorbell, reap completions and keep the RX ring refilled.
//
// The V8 copy limit is measured in the same run: the same frames copied
// between two places of one ArrayBuffer (copyWithin, and set(subarray)).
// Each device's figure is reported as a ratio to the faster of the two.
//
// One "round" = sender posts a batch (one doorbell) -> frames cross to the
// receiver's RX ring synchronously -> receiver reaps and refills -> sender
// reaps TX -> both interrupt handlers ack -> 50 us of virtual time pass.
import { execFile } from 'node:child_process';
import { Hub, NIC_MODELS, NetClient } from '../dist/index.js';
import { E1000Driver, Rtl8139CpDriver, Rtl8139Driver, VirtioNetDriver, ethFrame, makeVm } from './drivers.mjs';
import { measure } from './util.mjs';

export const SIZES = [
  { label: '64 B', len: 60 }, // 60 bytes from the driver, the FCS makes 64 on the wire
  { label: '1514 B', len: 1514 },
];

const MAC_A = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x01);
const MAC_B = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x02);

/** Device configurations: a mock per driver of NIC_MODELS; `batch` = frames per doorbell (half the TX ring). */
export const CONFIGS = [
  { driver: 'e1000', name: 'e1000', batch: 128, mock: (vm) => new E1000Driver(vm) },
  { driver: 'rtl8139', name: 'rtl8139 (normal, 8139too)', batch: 4, mock: (vm) => new Rtl8139Driver(vm) },
  { driver: 'rtl8139', name: 'rtl8139 (C+, 8139cp)', batch: 32, mock: (vm) => new Rtl8139CpDriver(vm) },
  { driver: 'virtio-net-pci', name: 'virtio-net (split)', batch: 128, mock: (vm) => new VirtioNetDriver(vm) },
  { driver: 'virtio-net-pci', name: 'virtio-net (packed)', batch: 128, options: { driver: 'virtio-net-pci', packed: true }, mock: (vm) => new VirtioNetDriver(vm, { packed: true }) },
];
/** Models that share another's datapath code (variants of the same chip family). */
const SAME_AS = { 'e1000-82544gc': 'e1000', 'e1000-82545em': 'e1000' };

/** Two guests with one device each, wired by `topology`; returns the round function and checks. */
export function makePair(cfg, topology, len) {
  const model = NIC_MODELS.find((m) => m.driver === cfg.driver);
  const vmA = makeVm(model, 'a', MAC_A, cfg.options);
  const vmB = makeVm(model, 'b', MAC_B, cfg.options);
  if (topology === 'hub') {
    const hub = new Hub(0);
    NetClient.connect(vmA.dev.net, hub.addPort().client);
    NetClient.connect(vmB.dev.net, hub.addPort().client);
  } else {
    NetClient.connect(vmA.dev.net, vmB.dev.net);
  }
  const a = cfg.mock(vmA);
  const b = cfg.mock(vmB);
  const frame = ethFrame(MAC_B, MAC_A, len);
  a.setup(frame);
  b.setup(ethFrame(MAC_A, MAC_B, len));
  const totals = { posted: 0, received: 0, reaped: 0 };
  const batch = cfg.batch;
  const round = () => {
    totals.posted += a.post(batch);
    totals.received += b.reapRx();
    totals.reaped += a.reapTx();
    a.irq();
    b.irq();
    vmA.clock.advance(50_000);
    vmB.clock.advance(50_000);
  };
  // Warm up, then check that what arrived is what was sent.
  for (let i = 0; i < 50; i++) round();
  const got = b.rxFrame(0);
  if (got.length !== frame.length || !got.every((x, i) => x === frame[i])) throw new Error(`${cfg.name} ${topology} ${len}: received bytes differ from the sent frame`);
  const check = () => {
    // Drain what is still in flight, then every posted frame must have arrived, intact in length, via the fast path.
    for (let i = 0; i < 4; i++) {
      totals.received += b.reapRx();
      totals.reaped += a.reapTx();
    }
    const queued = vmB.dev.net.stats.rxQueued;
    const problems = [];
    if (totals.received !== totals.posted) problems.push(`posted ${totals.posted}, received ${totals.received}`);
    if (totals.reaped !== totals.posted) problems.push(`posted ${totals.posted}, TX reaped ${totals.reaped}`);
    if (b.badRx) problems.push(`${b.badRx} frames with a wrong length`);
    return { frames: totals.posted, queued, problems };
  };
  return { round, batch, check, vmA, vmB };
}

/** The V8 copy limit: `batch` frames of `len` bytes copied between two places of one ArrayBuffer. */
function copyTasks(len, batch) {
  const buf = new Uint8Array(8 * 1024 * 1024);
  for (let i = 0; i < buf.length; i++) buf[i] = i & 0xff;
  const SRC = 0x100000;
  const DST = 0x400000;
  return [
    [`copyWithin`, () => {
      for (let i = 0; i < batch; i++) buf.copyWithin(DST + i * 2048, SRC + i * 2048, SRC + i * 2048 + len);
    }],
    [`set(subarray)`, () => {
      for (let i = 0; i < batch; i++) buf.set(buf.subarray(SRC + i * 2048, SRC + i * 2048 + len), DST + i * 2048);
    }],
  ];
}

const mpps = (framesPerOp, nsPerOp) => Math.round((framesPerOp / nsPerOp) * 1e9) / 1e6;
const round1 = (x) => Math.round(x * 10) / 10;

/** One case in this process: { ok, nsPerFrame, samples, batch, queued, problems } or { error }. */
async function runCase(cfg, topology, len, time) {
  let pair;
  try {
    pair = makePair(cfg, topology, len);
  } catch (e) {
    return { error: `setup failed: ${e.message}` };
  }
  const [r] = await measure([[cfg.name, pair.round]], { time, reps: Math.max(1, Math.round(512 / pair.batch)) });
  const c = pair.check();
  return { nsPerFrame: r.nsPerOp / pair.batch, samples: r.samples, batch: pair.batch, queued: c.queued, problems: c.problems };
}

/** The copy limit cases in this process: [{ path, nsPerFrame, samples }]. */
async function runCopy(len, time) {
  const COPY_BATCH = 128;
  const r = await measure(copyTasks(len, COPY_BATCH), { time, reps: 8 });
  return r.map((x) => ({ path: x.name, nsPerFrame: x.nsPerOp / COPY_BATCH, samples: x.samples }));
}

/**
 * Each case runs in a fresh Node process, one after the other: with every
 * device model in one process, shared code (NetClient, RegionMemory) turns
 * polymorphic and the order of the cases changes their figures.
 */
function inChild(args) {
  const here = new URL(import.meta.url).pathname;
  return new Promise((resolve) => {
    execFile(process.execPath, [here, 'case', ...args.map(String)], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) resolve({ error: `child failed: ${(stderr || err.message).trim().split('\n').slice(-3).join(' ')}` });
      else resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

export async function datapathBench({ time = 1000, only, log = console.log } = {}) {
  const rows = [];
  const notes = [];
  const limit = {};
  for (const s of SIZES) {
    const r = await inChild(['copy', s.len, time]);
    if (r.error) throw new Error(`copy limit: ${r.error}`);
    let best = 0;
    for (const x of r.rows) {
      const m = mpps(1, x.nsPerFrame);
      best = Math.max(best, m);
      rows.push({ device: 'V8 copy', path: x.path, size: s.label, Mpps: m, 'ns/frame': round1(x.nsPerFrame), 'x copy': null, samples: x.samples });
    }
    limit[s.label] = best;
  }
  const present = new Set(NIC_MODELS.map((m) => m.driver));
  for (const d of present) {
    if (SAME_AS[d]) notes.push(`${d}: same datapath code as ${SAME_AS[d]} (a variant of the same chip family), not measured separately`);
    else if (!CONFIGS.some((c) => c.driver === d)) notes.push(`${d}: no guest-driver mock yet, not measured`);
  }
  for (const [i, cfg] of CONFIGS.entries()) {
    if (only && !cfg.name.includes(only)) continue;
    if (!present.has(cfg.driver)) {
      notes.push(`${cfg.name}: model ${cfg.driver} not in NIC_MODELS yet, skipped`);
      log(`datapath: ${cfg.name}: model ${cfg.driver} not in NIC_MODELS yet, skipped`);
      continue;
    }
    for (const topology of ['direct', 'hub']) {
      for (const s of SIZES) {
        const r = await inChild(['dev', i, topology, s.len, time]);
        if (r.error) {
          notes.push(`${cfg.name} ${topology} ${s.label}: ${r.error}`);
          log(`datapath: ${cfg.name} ${topology} ${s.label}: ${r.error}`);
          continue;
        }
        if (r.problems.length) notes.push(`${cfg.name} ${topology} ${s.label}: ${r.problems.join('; ')}`);
        const m = mpps(1, r.nsPerFrame);
        rows.push({
          device: cfg.name,
          path: topology === 'hub' ? 'Hub (2 ports)' : 'direct peers',
          size: s.label,
          Mpps: m,
          'ns/frame': round1(r.nsPerFrame),
          'x copy': Math.round((m / limit[s.label]) * 1000) / 1000,
          samples: r.samples,
          batch: r.batch,
          queued: r.queued,
          ok: r.problems.length === 0,
        });
      }
    }
  }
  return { rows, notes, copyLimitMpps: limit };
}

// `node bench/datapath.mjs [filter]`: this section alone.
// `node --cpu-prof bench/datapath.mjs profile FILTER direct|hub LEN [SECONDS]`: one pair in a
// plain loop (no tinybench), for profiling; summarise with bench/profile-summary.mjs.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'case') {
    const [kind, ...rest] = args;
    let out;
    if (kind === 'copy') out = { rows: await runCopy(Number(rest[0]), Number(rest[1])) };
    else out = await runCase(CONFIGS[Number(rest[0])], rest[1], Number(rest[2]), Number(rest[3]));
    console.log(JSON.stringify(out));
  } else if (mode === 'profile') {
    const [filter = 'e1000', topology = 'direct', len = '60', secs = '5'] = args;
    const cfg = CONFIGS.find((c) => c.name.includes(filter));
    if (!cfg) throw new Error(`no configuration matches ${filter}`);
    const pair = makePair(cfg, topology, Number(len));
    const end = Date.now() + 1000 * Number(secs);
    let rounds = 0;
    const t0 = process.hrtime.bigint();
    while (Date.now() < end) {
      for (let i = 0; i < 100; i++) pair.round();
      rounds += 100;
    }
    const ns = Number(process.hrtime.bigint() - t0);
    const c = pair.check();
    console.log(`${cfg.name} ${topology} ${len} B: ${mpps(rounds * pair.batch, ns)} Mpps (mean, wall clock) over ${rounds} rounds${c.problems.length ? ` PROBLEMS: ${c.problems.join('; ')}` : ''}`);
  } else {
    const { rows, notes } = await datapathBench({ only: mode });
    console.table(rows);
    for (const n of notes) console.log(`note: ${n}`);
  }
}
