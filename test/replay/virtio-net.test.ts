/**
 * Every QEMU 7.2 virtio-net-pci trace in test/fixtures/qemu replays against
 * nicemu with no difference except the reviewed ones in allow-virtio-net.ts.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Mismatch } from '../../src/trace/replay.js';
import { VIRTIO_NET_ALLOW, type AllowEntry } from './allow-virtio-net.js';
import { describeMismatch, loadTrace, replayVirtio, sectionOf } from './virtio-net-harness.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'qemu');
const files = readdirSync(FIXTURES).filter((f) => /^virtio-.*\.json$/.test(f)).sort();

function allowed(fixture: string, section: string, m: Mismatch): AllowEntry | undefined {
  return VIRTIO_NET_ALLOW.find((a) => a.fixture === fixture && (a.section === '*' || a.section === section) && a.what.test(m.what));
}

const used = new Set<AllowEntry>();

describe('QEMU 7.2 virtio-net-pci traces replay against nicemu', () => {
  it('has the rig fixtures', () => {
    expect(files).toContain('virtio-net-legacy.json');
    expect(files).toContain('virtio-net-modern.json');
  });
  for (const file of files) {
    const fixture = file.replace(/\.json$/, '');
    it(`${fixture}: no mismatch outside the allow-list`, () => {
      const doc = loadTrace(join(FIXTURES, file));
      const r = replayVirtio(doc);
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
    const stale = VIRTIO_NET_ALLOW.filter((a) => files.includes(`${a.fixture}.json`) && !used.has(a)).map((a) => `${a.fixture} / ${a.section} / ${a.what}`);
    expect(stale).toEqual([]);
  });
});
