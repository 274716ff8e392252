/**
 * Every QEMU 7.2 e1000 trace in test/fixtures/qemu replays against nicemu
 * with no difference except the reviewed ones in allow-e1000.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { E1000_ALLOW } from './allow-e1000.js';
import { FIXTURES, defineReplaySuite, loadTrace, replayDoc } from './harness.js';

defineReplaySuite({
  title: 'QEMU 7.2 e1000 traces replay against nicemu',
  files: /^e1000-.*\.json$/,
  allow: E1000_ALLOW,
  required: ['basic', 'delay', 'eecd', 'itr', 'mcast', 'regs', 'rx', 'tso', 'vlan'].map((n) => `e1000-${n}.json`),
});

describe('the rig trace on a machine built from QEMU’s own argv', () => {
  it('e1000-basic: the two injected frames reach the e1000', async () => {
    const r = await replayDoc(loadTrace(join(FIXTURES, 'e1000-basic.json')));
    expect(r.rig.built.nics[0]?.counters()['rxFrames']).toBe(2);
    r.rig.built.close();
  });
});
