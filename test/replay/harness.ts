/**
 * Replays QEMU-recorded traces (test/fixtures/qemu/*.json) against nicemu in
 * process, through the same path a user's command line takes: the trace's
 * `-machine` and `-device` strings go to buildMachine, and the `-netdev
 * socket,udp=` the rig used becomes an in-memory wire (`n0`).
 *
 * `defineReplaySuite` is the test every device shares: each fixture of the
 * device replays with no mismatch outside its reviewed allow-list, and every
 * allow-list entry still matches something.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMachine, type BuiltMachine } from '../../src/machine/build.js';
import { InProcessQtest } from '../../src/machine/inprocess.js';
import { WireEnd } from '../../src/machine/wire.js';
import { SeededRandom } from '../../src/time/random.js';
import { replayTrace, type Mismatch, type ReplayResult } from '../../src/trace/replay.js';
import type { TraceDoc } from '../../src/trace/format.js';

/** A reviewed, deliberate difference from QEMU 7.2. */
export interface AllowEntry {
  readonly fixture: string;
  /** The trace's last `section: ...` note before the mismatch (`*` for any, `*end*` for end-of-trace checks). */
  readonly section: string;
  /** Matches the replayer's description (`readl 0xfebc3830`, `inl 0xc004`, `tx frame`, ...). */
  readonly what: RegExp;
  readonly reason: string;
}

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'qemu');

export interface Rig {
  built: BuiltMachine;
  qt: InProcessQtest;
  wire: WireEnd;
}

/** The machine a trace was recorded on, built from its own -machine/-device strings. */
export async function buildRig(doc: Pick<TraceDoc, 'device' | 'machine'>): Promise<Rig> {
  const wire = new WireEnd('n0');
  const built = await buildMachine(
    {
      machine: doc.machine ?? 'pc,pit=off',
      ramSize: 64 * 1024 * 1024,
      netdevs: ['socket,id=n0,udp=127.0.0.1:1,localaddr=127.0.0.1:2'],
      devices: [`${doc.device},netdev=n0`],
      nics: [],
      nets: [],
    },
    { 'socket.udp': async () => ({ client: wire.client, close: () => {} }) },
    { random: new SeededRandom(7) },
  );
  const qt = new InProcessQtest(built.machine, { wire, setLink: (name, up) => built.setLink(name, up) });
  return { built, qt, wire };
}

export function loadTrace(path: string): TraceDoc {
  return JSON.parse(readFileSync(path, 'utf8')) as TraceDoc;
}

export async function replayDoc(doc: TraceDoc): Promise<ReplayResult & { rig: Rig }> {
  const rig = await buildRig(doc);
  return { ...replayTrace(doc.trace, rig.qt), rig };
}

export function describeMismatch(m: Mismatch): string {
  return `${m.at ?? '-'} ${m.what}: expected ${JSON.stringify(m.expected)} got ${JSON.stringify(m.actual)}`;
}

/** The text of the last `section: ...` note at or before entry `at` (`*end*` for end-of-trace checks). */
export function sectionOf(doc: TraceDoc, at: number | undefined): string {
  if (at === undefined) return '*end*';
  for (let i = at; i >= 0; i--) {
    const n = (doc.trace[i] as { note?: unknown }).note;
    if (typeof n === 'string' && n.startsWith('section: ')) return n.slice(9);
  }
  return '';
}

export function findAllowed(allow: readonly AllowEntry[], fixture: string, section: string, m: Mismatch): AllowEntry | undefined {
  return allow.find((a) => a.fixture === fixture && (a.section === '*' || a.section === section) && a.what.test(m.what));
}

export interface ReplaySuite {
  title: string;
  /** Fixture file names of the device (`/^e1000-.*\.json$/`). */
  files: RegExp;
  allow: readonly AllowEntry[];
  /** Fixtures that must be there. */
  required: readonly string[];
}

/** Every fixture replays with no mismatch outside the allow-list; every entry is still needed. */
export function defineReplaySuite(s: ReplaySuite): void {
  const files = readdirSync(FIXTURES).filter((f) => s.files.test(f)).sort();
  const used = new Set<AllowEntry>();
  describe(s.title, () => {
    it('has the fixtures', () => {
      expect(files).toEqual(expect.arrayContaining([...s.required]));
    });
    for (const file of files) {
      const fixture = file.replace(/\.json$/, '');
      it(`${fixture}: no mismatch outside the allow-list`, async () => {
        const doc = loadTrace(join(FIXTURES, file));
        const r = await replayDoc(doc);
        r.rig.built.close();
        expect(r.opsExecuted).toBeGreaterThan(100);
        const unexpected: string[] = [];
        for (const m of r.mismatches) {
          const a = findAllowed(s.allow, fixture, sectionOf(doc, m.at), m);
          if (a) used.add(a);
          else unexpected.push(`[${sectionOf(doc, m.at)}] ${describeMismatch(m)}`.slice(0, 600));
        }
        expect(unexpected).toEqual([]);
      });
    }
    it('every allow-list entry is still needed', () => {
      const stale = s.allow.filter((a) => files.includes(`${a.fixture}.json`) && !used.has(a)).map((a) => `${a.fixture} / ${a.section} / ${a.what}`);
      expect(stale).toEqual([]);
    });
  });
}
