/**
 * The benchmark scripts are commands, not tests, so nothing else runs them:
 * check that every module they import is there (a source file moved or
 * folded away breaks `npm run bench` on a fresh clone only), and that the
 * sections that can be imported without running link against the build.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const benchDir = path.join(root, 'bench');
const scripts = fs.readdirSync(benchDir).filter((f) => f.endsWith('.mjs'));

describe('bench scripts', () => {
  it.each(scripts)('%s: every relative import exists (../dist/X.js as src/X.ts)', (file) => {
    const text = fs.readFileSync(path.join(benchDir, file), 'utf8');
    const specs = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
    const missing = specs.filter((s) => {
      const target = path.resolve(benchDir, s);
      const rel = path.relative(path.join(root, 'dist'), target);
      if (!rel.startsWith('..')) return !fs.existsSync(path.join(root, 'src', rel.replace(/\.js$/, '.ts')));
      return !fs.existsSync(target);
    });
    expect(missing).toEqual([]);
  });

  // Sections guarded by "run only as the main module" import without running.
  const importable = scripts.filter((f) => /import\.meta\.url === `file:\/\/\$\{process\.argv\[1\]\}`/.test(fs.readFileSync(path.join(benchDir, f), 'utf8')));
  it.runIf(fs.existsSync(path.join(root, 'dist', 'index.js')))('the importable sections link against the build', async () => {
    expect(importable.length).toBeGreaterThanOrEqual(3);
    for (const f of importable) await expect(import(path.join(benchDir, f)), f).resolves.toBeDefined();
  });
});
