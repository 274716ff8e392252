/**
 * Property test over random guest behaviour (STYLE.md test layer 4): random
 * register writes and random descriptor contents, with frames arriving in
 * between. Invariants from bad-input.md: no exception, bounded work per
 * register write, DMA only inside guest RAM (attempts outside are refused),
 * TDH/RDH inside their rings, and the device still works afterwards.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bench, expectStillWorks, mac, OWN, R, RX_RING, TX_RING } from './e1000-helpers.js';

const OWN_BYTES = mac(OWN);

const REGS = [R.CTRL, R.RCTL, R.TCTL, R.TDBAL, R.TDBAH, R.TDLEN, R.TDH, R.TDT, R.RDBAL, R.RDBAH, R.RDLEN, R.RDH, R.RDT, R.IMS, R.ICS, R.ITR, R.RDTR, R.RADV, R.TIDV, R.TADV, R.VET, R.RXCSUM, R.MDIC, R.EECD, R.EERD, R.ICR, R.IMC, 0x5200, 0x5404, 0x5600];

type Op =
  | { kind: 'write'; reg: number; value: number }
  | { kind: 'desc'; ring: 'tx' | 'rx'; index: number; bytes: Uint8Array }
  | { kind: 'frame'; len: number; seed: number }
  | { kind: 'time'; ns: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), reg: fc.constantFrom(...REGS), value: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 1, 2, 0x80, 0x1000, 0xffff, 0x0004010a, 0x04008002, TX_RING, RX_RING)) }),
  fc.record({ kind: fc.constant('desc' as const), ring: fc.constantFrom('tx' as const, 'rx' as const), index: fc.integer({ min: 0, max: 63 }), bytes: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('frame' as const), len: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 100, max: 20000 })), seed: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('time' as const), ns: fc.constantFrom(1000, 128_000, 1_000_000, 600_000_000) }),
);

describe('e1000 under random guest input', () => {
  it('bad-input 1-6, 28: never throws, bounded work per write, DMA only inside RAM, at most one pass over a ring', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 80 }), (ops) => {
        const { b, d } = bench();
        d.initTx();
        d.initRx();
        for (const o of ops) {
          const reads = b.mem.reads;
          const descs = b.nic.counters()['txDescriptors']!;
          const ring = Math.max(1, Math.floor(d.r(R.TDLEN) / 16));
          switch (o.kind) {
            case 'write':
              d.w(o.reg, o.value);
              break;
            case 'desc':
              d.poke((o.ring === 'tx' ? TX_RING : RX_RING) + 16 * o.index, o.bytes);
              break;
            case 'frame': {
              // any length, even shorter than an Ethernet header
              const f = new Uint8Array(o.len).map((_, i) => (i * 31 + o.seed) & 0xff);
              f.set(OWN_BYTES.subarray(0, Math.min(6, o.len)));
              b.wire.inject(f);
              break;
            }
            case 'time':
              b.clock.advance(o.ns);
              break;
          }
          // One pass over the largest ring (65 528 descriptors) bounds every access's work.
          expect(b.mem.reads - reads).toBeLessThanOrEqual(4 * 65536 + 16);
          // A TDT/TCTL write walks the TX ring at most once (CVE-2016-1981).
          if (o.kind === 'write' && o.reg !== R.TDLEN) expect(b.nic.counters()['txDescriptors']! - descs).toBeLessThanOrEqual(ring);
        }
        for (const x of b.mem.outside) expect(b.mem.contains(x.addr, x.len)).toBe(false);
        while (b.wire.take()) {
          /* drain */
        }
        expectStillWorks(b, d);
      }),
      { numRuns: 150, seed: 0x1000e },
    );
  });
});
