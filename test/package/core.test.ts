import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { VERSION } from '../../src/version.js';

const root = path.resolve(import.meta.dirname, '../..');
const src = path.join(root, 'src');

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const nodeOnly = (file: string): boolean => {
  const rel = path.relative(src, file);
  return rel.endsWith('.node.ts') || rel.startsWith(`cli${path.sep}`) || rel === 'node.ts';
};

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

describe('package layout', () => {
  it('the core imports no Node built-in module; only *.node.ts, src/cli and src/node.ts may', () => {
    const offenders: string[] = [];
    for (const f of walk(src)) {
      if (nodeOnly(f)) continue;
      for (const spec of imports(f)) if (builtins.has(spec)) offenders.push(`${path.relative(root, f)} imports ${spec}`);
    }
    expect(offenders).toEqual([]);
  });

  it('nothing reachable from the browser entry point is Node-only', () => {
    const seen = new Set<string>();
    const stack = [path.join(src, 'index.ts')];
    const bad: string[] = [];
    while (stack.length) {
      const f = stack.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      if (nodeOnly(f)) bad.push(path.relative(root, f));
      for (const spec of imports(f)) {
        if (!spec.startsWith('.')) continue;
        stack.push(path.resolve(path.dirname(f), spec.replace(/\.js$/, '.ts')));
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    expect(bad).toEqual([]);
  });

  it('package.json: ESM, MIT, side-effect free, exports map, version matches the code', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.type).toBe('module');
    expect(pkg.license).toBe('MIT');
    expect(pkg.sideEffects).toBe(false);
    expect(Object.keys(pkg.exports)).toEqual(expect.arrayContaining(['.', './node']));
    expect(pkg.version).toBe(VERSION);
  });

  it('tsconfig is strict with noUncheckedIndexedAccess', () => {
    const ts = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));
    expect(ts.compilerOptions.strict).toBe(true);
    expect(ts.compilerOptions.noUncheckedIndexedAccess).toBe(true);
  });
});
