/**
 * Every minimised failing case the fuzzer wrote to test/fixtures/fuzz is a
 * regression test: it must now replay with every invariant holding.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { type FuzzCase, findFuzzSubject, replayOps } from '../../src/fuzz/index.js';

const dir = path.resolve(import.meta.dirname, '../fixtures/fuzz');
const cases = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];

describe('fuzz regressions', () => {
  it('the fixtures folder exists', () => {
    expect(fs.existsSync(dir)).toBe(true);
  });
  for (const file of cases) {
    it(file, () => {
      const c = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as FuzzCase;
      const subject = findFuzzSubject(c.device);
      expect(subject, `device ${c.device}`).toBeDefined();
      expect(replayOps(subject!, c.ops)).toBeUndefined();
    });
  }
});
