// `npm run bench`: prints a table and writes bench/results/latest.json.
// Benchmarks are commands, never timed tests. Medians, and ratios measured in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codecBench } from './codec.mjs';
import { registerBench } from './registers.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const results = { when: new Date().toISOString(), machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, memGiB: Math.round(os.totalmem() / 2 ** 30) }, sections: {} };
for (const [name, fn] of [['codec', codecBench], ['registers', registerBench]]) {
  const rows = await fn();
  results.sections[name] = rows;
  console.log(`\n## ${name}`);
  console.table(rows);
}
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results', 'latest.json'), JSON.stringify(results, null, 1) + '\n');
console.log(`\nwrote ${path.join('bench', 'results', 'latest.json')}`);
