/**
 * Every QEMU 7.2 rtl8139 trace in test/fixtures/qemu replays against nicemu
 * with no difference except the reviewed ones in allow-rtl8139.ts.
 */
import { RTL8139_ALLOW } from './allow-rtl8139.js';
import { defineReplaySuite } from './harness.js';

defineReplaySuite({
  title: 'QEMU 7.2 rtl8139 traces replay against nicemu',
  files: /^rtl8139-.*\.json$/,
  allow: RTL8139_ALLOW,
  required: ['basic', 'cplus', 'regs', 'rx', 'timer', 'tx'].map((n) => `rtl8139-${n}.json`),
});
