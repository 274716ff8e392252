// Top self-time functions of a V8 CPU profile (from `node --cpu-prof`).
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/datapath.mjs virtio
//   node bench/profile-summary.mjs /tmp/prof/*.cpuprofile [top=25]
import fs from 'node:fs';
import path from 'node:path';

export function summarize(profile, top = 25) {
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) dt.set(samples[i], (dt.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
  let total = 0;
  for (const [id, us] of dt) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const file = cf.url ? path.basename(cf.url.replace(/^file:\/\//, '')) : '';
    const key = `${cf.functionName || '(anonymous)'} ${file}${file ? `:${cf.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  }
  const byFile = new Map();
  for (const [k, us] of self) {
    const f = k.split(' ')[1]?.split(':')[0] || '(vm)';
    byFile.set(f, (byFile.get(f) ?? 0) + us);
  }
  const pct = (us) => Math.round((1000 * us) / total) / 10;
  // Inclusive time: a sample counts once for every distinct function on its stack.
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n) => {
    const cf = n.callFrame;
    const file = cf.url ? path.basename(cf.url.replace(/^file:\/\//, '')) : '';
    return `${cf.functionName || '(anonymous)'} ${file}${file ? `:${cf.lineNumber + 1}` : ''}`;
  };
  const incl = new Map();
  for (const [id, us] of dt) {
    const seen = new Set();
    for (let x = id; x !== undefined; x = parent.get(x)) {
      const k = keyOf(byId.get(x));
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + us);
    }
  }
  return {
    inclusive: [...incl].filter(([k]) => !k.startsWith('(')).sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, us]) => ({ fn, totalMs: Math.round(us / 1000), pct: pct(us) })),
    totalMs: Math.round(total / 1000),
    functions: [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, us]) => ({ fn, selfMs: Math.round(us / 1000), pct: pct(us) })),
    files: [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([file, us]) => ({ file, selfMs: Math.round(us / 1000), pct: pct(us) })),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/profile-summary.mjs PROFILE.cpuprofile [top]');
    process.exit(2);
  }
  const s = summarize(JSON.parse(fs.readFileSync(file, 'utf8')), Number(process.argv[3] ?? 25));
  console.log(`total ${s.totalMs} ms sampled`);
  console.table(s.functions);
  if (process.argv[4] === 'inclusive') console.table(s.inclusive);
  console.table(s.files);
}
