/**
 * Every QEMU 7.2 e1000 trace in test/fixtures/qemu replays against nicemu
 * with no difference except the reviewed ones in allow-e1000.ts.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceDoc } from '../../src/trace/format.js';
import type { Mismatch } from '../../src/trace/replay.js';
import { E1000_ALLOW, type AllowEntry } from './allow-e1000.js';
import { describe as describeMismatch, loadTrace, replayDoc } from './e1000-harness.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'qemu');
const files = readdirSync(FIXTURES).filter((f) => /^e1000-.*\.json$/.test(f)).sort();

/** The text of the last `section: ...` note at or before entry `at`. */
function sectionOf(doc: TraceDoc, at: number | undefined): string {
  if (at === undefined) return '*end*';
  for (let i = at; i >= 0; i--) {
    const n = (doc.trace[i] as { note?: unknown }).note;
    if (typeof n === 'string' && n.startsWith('section: ')) return n.slice(9);
  }
  return '';
}

function allowed(fixture: string, section: string, m: Mismatch): AllowEntry | undefined {
  return E1000_ALLOW.find((a) => a.fixture === fixture && (a.section === '*' || a.section === section) && a.what.test(m.what));
}

const used = new Set<AllowEntry>();

describe('QEMU 7.2 e1000 traces replay against nicemu', () => {
  it('has fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
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
        else unexpected.push(`[${sectionOf(doc, m.at)}] ${describeMismatch(m)}`.slice(0, 400));
      }
      expect(unexpected).toEqual([]);
    });
  }
  it('every allow-list entry is still needed', () => {
    const stale = E1000_ALLOW.filter((a) => files.includes(`${a.fixture}.json`) && !used.has(a)).map((a) => `${a.fixture} / ${a.section} / ${a.what}`);
    expect(stale).toEqual([]);
  });
});

describe('the rig trace through the command-line path (-netdev/-device, buildMachine)', () => {
  it('e1000-basic replays on a machine built from QEMU’s own argv', async () => {
    const { buildMachine } = await import('../../src/machine/build.js');
    const { InProcessQtest } = await import('../../src/machine/inprocess.js');
    const { WireEnd } = await import('../../src/machine/wire.js');
    const { replayTrace } = await import('../../src/trace/replay.js');
    const doc = loadTrace(join(FIXTURES, 'e1000-basic.json'));
    const wire = new WireEnd('peer');
    const built = await buildMachine(
      {
        machine: doc.machine ?? 'pc,pit=off',
        ramSize: 64 * 1024 * 1024,
        netdevs: ['socket,id=n0,udp=127.0.0.1:40000,localaddr=127.0.0.1:40001'],
        devices: [`${doc.device},netdev=n0`],
        nics: [],
        nets: [],
      },
      { 'socket.udp': async () => ({ client: wire.client, close: () => {} }) },
    );
    const qt = new InProcessQtest(built.machine, { wire, setLink: (n, up) => built.setLink(n, up) });
    const r = replayTrace(doc.trace, qt);
    const unexpected = r.mismatches.filter((m) => !allowed('e1000-basic', sectionOf(doc, m.at), m)).map(describeMismatch);
    expect(unexpected).toEqual([]);
    expect(built.nics[0]?.counters()['rxFrames']).toBe(2);
    built.close();
  });
});
