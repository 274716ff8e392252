/**
 * Every QEMU 7.2 rtl8139 trace in test/fixtures/qemu replays against nicemu
 * with no difference except the reviewed ones in allow-rtl8139.ts.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceDoc } from '../../src/trace/format.js';
import type { Mismatch } from '../../src/trace/replay.js';
import { RTL8139_ALLOW, type AllowEntry } from './allow-rtl8139.js';
import { describe as describeMismatch, loadTrace, replayDoc } from './rtl8139-harness.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'qemu');
const files = readdirSync(FIXTURES).filter((f) => /^rtl8139-.*\.json$/.test(f)).sort();

/** The text of the last `section: ...` note at or before entry `at` (`*end*` for end-of-trace checks). */
function sectionOf(doc: TraceDoc, at: number | undefined): string {
  if (at === undefined) return '*end*';
  for (let i = at; i >= 0; i--) {
    const n = (doc.trace[i] as { note?: unknown }).note;
    if (typeof n === 'string' && n.startsWith('section: ')) return n.slice(9);
  }
  return '';
}

function allowed(fixture: string, section: string, m: Mismatch): AllowEntry | undefined {
  return RTL8139_ALLOW.find((a) => a.fixture === fixture && (a.section === '*' || a.section === section) && a.what.test(m.what));
}

const used = new Set<AllowEntry>();

describe('QEMU 7.2 rtl8139 traces replay against nicemu', () => {
  it('has the fixtures', () => {
    expect(files).toEqual(expect.arrayContaining(['rtl8139-basic.json', 'rtl8139-cplus.json', 'rtl8139-regs.json', 'rtl8139-rx.json', 'rtl8139-timer.json', 'rtl8139-tx.json']));
  });
  for (const file of files) {
    const fixture = file.replace(/\.json$/, '');
    it(`${fixture}: no mismatch outside the allow-list`, () => {
      const doc = loadTrace(join(FIXTURES, file));
      const r = replayDoc(doc);
      expect(r.opsExecuted).toBeGreaterThan(100);
      const unexpected: string[] = [];
      for (const m of r.mismatches) {
        const a = allowed(fixture, sectionOf(doc, m.at), m);
        if (a) used.add(a);
        else unexpected.push(`[${sectionOf(doc, m.at)}] ${describeMismatch(m)}`.slice(0, 600));
      }
      expect(unexpected).toEqual([]);
    });
  }
  it('every allow-list entry is still needed', () => {
    const stale = RTL8139_ALLOW.filter((a) => files.includes(`${a.fixture}.json`) && !used.has(a)).map((a) => `${a.fixture} / ${a.section} / ${a.what}`);
    expect(stale).toEqual([]);
  });
});
