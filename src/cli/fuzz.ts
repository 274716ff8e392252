/**
 * `nicemu fuzz --device NAME [--seconds N] [--ops N] [--seed S] [--out DIR]`:
 * long fuzz runs. A failure is minimised and written as a replayable case
 * (JSON) that `test/fuzz/regressions.test.ts` picks up from test/fixtures/fuzz.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ArgError } from './args.js';
import { type FuzzCase, fuzzSubjects, findFuzzSubject, minimize, opStreamOps, runFuzz } from '../fuzz/index.js';

export const FUZZ_USAGE = `usage: nicemu fuzz --device NAME [--seconds N] [--ops N] [--seed S] [--out DIR]

  --device NAME   ${'one of the fuzzable devices (see --list)'}
  --seconds N     stop after N seconds of wall time (default 60)
  --ops N         stop after N operations (default: no limit)
  --seed S        seed of the operation stream (default: random); runs are reproducible per seed
  --out DIR       where a failing case is written (default test/fixtures/fuzz)
  --list          list the devices
`;

export async function runFuzzCommand(argv: readonly string[], io: { stdout: (s: string) => void; stderr: (s: string) => void }): Promise<number> {
  const opts = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--list') {
      io.stdout(fuzzSubjects().map((s) => s.name).join('\n') + '\n');
      return 0;
    }
    if (a === '--help' || a === '-h') {
      io.stdout(FUZZ_USAGE);
      return 0;
    }
    if (!['--device', '--seconds', '--ops', '--seed', '--out'].includes(a)) throw new ArgError(`${a}: invalid option\n${FUZZ_USAGE}`);
    const v = argv[++i];
    if (v === undefined) throw new ArgError(`${a}: requires an argument`);
    opts.set(a.slice(2), v);
  }
  const name = opts.get('device');
  if (!name) throw new ArgError(`--device is required\n${FUZZ_USAGE}`);
  const subject = findFuzzSubject(name);
  if (!subject) throw new ArgError(`--device ${name}: unknown device (known: ${fuzzSubjects().map((s) => s.name).join(', ')})`);
  const num = (k: string, d: number): number => {
    const v = opts.get(k);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new ArgError(`--${k} ${v}: expected a non-negative number`);
    return n;
  };
  const seconds = num('seconds', 60);
  const maxOps = num('ops', Number.MAX_SAFE_INTEGER);
  const seed = num('seed', Math.floor(Math.random() * 2 ** 31));
  const outDir = opts.get('out') ?? path.join('test', 'fixtures', 'fuzz');
  const deadline = Date.now() + seconds * 1000;
  const t0 = Date.now();
  const r = runFuzz(subject, { opSeed: seed, ops: maxOps, stop: () => Date.now() > deadline });
  const secs = (Date.now() - t0) / 1000;
  io.stdout(`${name}: seed ${seed}, ${r.stats.ops} operations in ${secs.toFixed(1)} s (${Math.round(r.stats.ops / secs)} ops/s), ${r.stats.framesOut} frames out (${r.stats.framesOffloaded} whole, offload work left to the peer), ${r.stats.framesOffloadedIn} in whole, ${r.stats.refusedDma} refused DMA, max ${r.stats.maxAccessesPerOp} memory accesses in one operation\n`);
  if (!r.failure) return 0;
  io.stderr(`FAILED at operation ${r.failure.at} (${r.failure.kind}): ${r.failure.message}\n`);
  const ops = opStreamOps(subject, seed, r.failure.at + 1);
  const small = minimize(subject, ops, r.failure.kind);
  const c: FuzzCase = { device: name, opSeed: seed, failure: { kind: r.failure.kind, message: r.failure.message.split('\n')[0]! }, ops: small };
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${name}-${seed}-${r.failure.kind}.json`);
  fs.writeFileSync(file, JSON.stringify(c, null, 1) + '\n');
  io.stderr(`minimised to ${small.length} operations: ${file}\n`);
  return 1;
}
