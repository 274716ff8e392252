// `npm run bench`: prints tables and writes bench/results/latest.json (every
// section) and bench/results/latest.md (the summary table for the README).
// Benchmarks are commands, never timed tests. Medians, and ratios measured in
// the same run; the load average is recorded around each section, since the
// figures move with what else runs on the machine.
//
//   npm run bench                      everything (~1-2 minutes)
//   node --expose-gc bench/run.mjs datapath usernet    some sections
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codecBench } from './codec.mjs';
import { registerBench, TARGET_NS } from './registers.mjs';
import { datapathBench } from './datapath.mjs';
import { usernetBench, TARGETS as USERNET_TARGETS } from './usernet.mjs';
import { load } from './util.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const cpus = os.cpus();
const results = {
  when: new Date().toISOString(),
  machine: { cpus: cpus.length, model: cpus[0]?.model, mhz: cpus[0]?.speed, node: process.version, v8: process.versions.v8, platform: `${os.platform()} ${os.release()}`, memGiB: Math.round(os.totalmem() / 2 ** 30) },
  sections: {},
  targets: [],
};

const SECTIONS = {
  codec: async () => ({ rows: await codecBench() }),
  registers: () => registerBench(),
  datapath: () => datapathBench(),
  usernet: () => usernetBench(),
};
const wanted = process.argv.slice(2).filter((a) => a in SECTIONS);
const t0 = Date.now();
for (const [name, fn] of Object.entries(SECTIONS)) {
  if (wanted.length && !wanted.includes(name)) continue;
  const before = load();
  const started = Date.now();
  const out = await fn();
  const after = load();
  results.sections[name] = { ...out, load: { before: before.load1, after: after.load1, cpus: before.cpus }, seconds: Math.round((Date.now() - started) / 100) / 10 };
  console.log(`\n## ${name}  (load average ${before.load1} -> ${after.load1} on ${before.cpus} CPUs, ${results.sections[name].seconds} s)`);
  console.table(out.rows);
  for (const n of out.notes ?? []) console.log(`note: ${n}`);
}

// ------------------------------------------------------------------ targets

const T = results.targets;
const dp = results.sections.datapath;
if (dp) {
  const limits = { '64 B': 3, '1514 B': 1.5 };
  for (const row of dp.rows) {
    if (!/^(e1000|virtio-net)/.test(row.device)) continue;
    const want = limits[row.size];
    T.push({ target: `${row.device}, ${row.path}, ${row.size}: >= ${want} Mpps`, measured: `${row.Mpps.toFixed(2)} Mpps`, met: row.ok && row.Mpps >= want });
  }
  for (const want of ['e1000', 'virtio-net']) {
    if (!dp.rows.some((r) => r.device.startsWith(want))) T.push({ target: `${want} datapath`, measured: 'not measured (model missing)', met: false });
  }
}
const rg = results.sections.registers;
if (rg) {
  // One line per device: its slowest register access.
  for (const dev of [...new Set(rg.rows.map((x) => x.device))]) {
    if (dev === 'machine' || dev === 'testdev') continue;
    const rows = rg.rows.filter((x) => x.device === dev);
    const worst = rows.reduce((a, b) => (b.nsPerOp > a.nsPerOp ? b : a));
    const over = rows.filter((x) => x.nsPerOp > TARGET_NS).map((x) => x.access);
    T.push({ target: `${dev} register access: <= ${TARGET_NS} ns`, measured: `${Math.min(...rows.map((x) => x.nsPerOp))}-${worst.nsPerOp} ns${over.length ? ` (over: ${over.join(', ')})` : ''}`, met: over.length === 0 });
  }
}
const un = results.sections.usernet;
if (un) {
  T.push({ target: `user NAT TCP bulk >= ${USERNET_TARGETS.bulkRatio * 100}% of loopback`, measured: `${(un.ratio * 100).toFixed(1)}% (${un.natMBps.toFixed(0)} vs ${un.loopMBps.toFixed(0)} MB/s)`, met: un.ratio >= USERNET_TARGETS.bulkRatio });
  const m = un.memory;
  const mib = Math.max(m.rssMiB, m.heapUsedMiB + m.externalMiB);
  T.push({ target: `1000 open NAT connections <= ${USERNET_TARGETS.memoryMiB} MiB`, measured: `${mib.toFixed(1)} MiB (RSS +${m.rssMiB.toFixed(1)}, heap +${m.heapUsedMiB.toFixed(1)}, external +${m.externalMiB.toFixed(1)})`, met: mib <= USERNET_TARGETS.memoryMiB && m.connections === 1000 });
}
if (T.length) {
  console.log('\n## targets');
  console.table(T);
}

// ------------------------------------------------------------------ files

fs.mkdirSync(path.join(here, 'results'), { recursive: true });
if (!wanted.length) {
  fs.writeFileSync(path.join(here, 'results', 'latest.json'), JSON.stringify(results, null, 1) + '\n');
  fs.writeFileSync(path.join(here, 'results', 'latest.md'), markdown(results));
  console.log(`\nwrote bench/results/latest.json and bench/results/latest.md (${Math.round((Date.now() - t0) / 1000)} s)`);
} else {
  console.log('\n(some sections only: bench/results/latest.json left as it was)');
}

/** The README's Benchmarks tables, from the results. */
function markdown(r) {
  const m = r.machine;
  const L = (s) => (s ? `load average ${s.load.before}→${s.load.after}` : '');
  const out = [];
  out.push(`Last run ${r.when.slice(0, 10)} on ${m.cpus}× ${m.model}${m.mhz ? ` (${m.mhz} MHz)` : ''}, ${m.memGiB} GiB, Node ${m.node}, ${m.platform}; a shared machine, other jobs running (load averages per section below). Medians of tinybench samples.`, '');
  const dpS = r.sections.datapath;
  if (dpS) {
    out.push(`**Datapath** (bench/datapath.mjs; ${L(dpS)}): TX ring → peer → RX ring between two devices of the same model, guest-driver mocks posting batches with one doorbell. Mpps (ns/frame); × copy = share of the V8 copy limit measured in the same run (${Object.entries(dpS.copyLimitMpps).map(([k, v]) => `${k}: ${v.toFixed(1)} Mpps`).join(', ')}).`, '');
    out.push('| device | batch | 64 B direct | 64 B hub | 1514 B direct | 1514 B hub |', '| --- | --- | --- | --- | --- | --- |');
    const devs = [...new Set(dpS.rows.filter((x) => x.device !== 'V8 copy').map((x) => x.device))];
    for (const d of devs) {
      const cell = (size, p) => {
        const x = dpS.rows.find((y) => y.device === d && y.size === size && y.path === p);
        return x ? `${x.Mpps.toFixed(2)} (${x['ns/frame']} ns, ×${x['x copy']})${x.ok ? '' : ' ⚠'}` : '—';
      };
      const b = dpS.rows.find((y) => y.device === d)?.batch;
      out.push(`| ${d} | ${b} | ${cell('64 B', 'direct peers')} | ${cell('64 B', 'Hub (2 ports)')} | ${cell('1514 B', 'direct peers')} | ${cell('1514 B', 'Hub (2 ports)')} |`);
    }
    out.push('');
  }
  const rgS = r.sections.registers;
  if (rgS) {
    out.push(`**Register access** (bench/registers.mjs; ${L(rgS)}): ns per access through the machine's address spaces (PcMachine) into each device's register table.`, '');
    out.push('| device | accesses measured | fastest | median | slowest |', '| --- | --- | --- | --- | --- |');
    for (const dev of [...new Set(rgS.rows.map((x) => x.device))]) {
      const xs = rgS.rows.filter((x) => x.device === dev).sort((a, b) => a.nsPerOp - b.nsPerOp);
      const mid = xs[Math.floor(xs.length / 2)];
      const hi = xs[xs.length - 1];
      out.push(`| ${dev} | ${xs.length} | ${xs[0].nsPerOp} ns (${xs[0].access}) | ${mid.nsPerOp} ns | ${hi.nsPerOp} ns (${hi.access}) |`);
    }
    out.push('');
  }
  const unS = r.sections.usernet;
  if (unS) {
    const mm = unS.memory;
    out.push(`**User-mode stack** (bench/usernet.mjs; ${L(unS)}): guest TCP (the stack's own engine) → \`-netdev user\` NAT → 127.0.0.1 socket in another process, vs raw Node loopback TCP to the same socket; median of ${unS.rows[0].runs.split('/').length} runs each.`, '');
    out.push('| measurement | result |', '| --- | --- |');
    out.push(`| raw Node loopback TCP | ${unS.loopMBps.toFixed(0)} MB/s |`);
    out.push(`| guest → NAT → host socket | ${unS.natMBps.toFixed(0)} MB/s (${(unS.ratio * 100).toFixed(1)}% of loopback) |`);
    out.push(`| 1000 open NAT connections | RSS +${mm.rssMiB.toFixed(1)} MiB, heap +${mm.heapUsedMiB.toFixed(1)} MiB, external +${mm.externalMiB.toFixed(1)} MiB |`);
    out.push('');
  }
  if (r.targets.length) {
    out.push('**Targets**', '', '| target | measured | |', '| --- | --- | --- |');
    for (const t of r.targets) out.push(`| ${t.target} | ${t.measured} | ${t.met ? 'met' : '**missed**'} |`);
    out.push('');
  }
  return out.join('\n');
}
