import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LevelIrq } from '../../src/irq.js';
import { PCI_CAP_ID_MSI, PCI_CAP_ID_MSIX, PCI_CAP_ID_PM, PCI_CAP_ID_VNDR, PciFunction } from '../../src/pci/index.js';
import { virtioNetLike, walkCaps } from './helpers.js';

/** A function with every feature: PM with PME, MSI 64-bit + masking, MSI-X, a vendor cap with writable bytes, a ROM. */
function everything(): PciFunction {
  const wmask = new Uint8Array(8);
  wmask[5] = 0x0f;
  return new PciFunction({
    vendorId: 0x8086,
    deviceId: 0x10d3,
    revision: 7,
    classCode: 0x020000,
    subsystemVendorId: 0x1af4,
    subsystemId: 0x1100,
    interruptPin: 2,
    bars: [{ kind: 'mem32', size: 0x20000 }, { kind: 'mem64', size: 0x4000, prefetchable: true }, undefined, { kind: 'io', size: 32 }, { kind: 'mem32', size: 0x4000 }],
    romSize: 0x10000,
    capabilities: [
      { kind: 'pm', d2: true, pmeSupport: 0x1f },
      { kind: 'msi', vectors: 8, addr64: true, perVectorMask: true },
      { kind: 'msix', vectors: 10, tableBar: 4, tableOffset: 0, pbaBar: 4, pbaOffset: 0x2000 },
      { kind: 'vendor', bytes: Uint8Array.of(0, 0, 0, 1, 2, 3, 4, 5), wmask },
    ],
    irq: new LevelIrq(),
    msiSink: () => {},
  });
}

const write = fc.record({
  offset: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: -8, max: 300 })),
  size: fc.constantFrom(1 as const, 2 as const, 4 as const),
  value: fc.oneof(fc.constant(0xffffffff), fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
});

/** Header bytes that no configuration write may change, whatever the masks say. */
const HEADER_RO = [0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x0e, 0x0f, 0x2c, 0x2d, 0x2e, 0x2f, 0x34, 0x3d, 0x3e, 0x3f];

describe('property: random configuration writes', () => {
  for (const [name, make] of [
    ['everything', everything],
    ['virtio-net layout', () => virtioNetLike().fn],
  ] as const) {
    it(`never throw and never change read-only bytes (${name})`, () => {
      fc.assert(
        fc.property(fc.array(write, { maxLength: 60 }), (writes) => {
          const fn = make();
          const { wmask, w1cmask } = fn.writeMasks();
          const before = Array.from({ length: 256 }, (_, i) => fn.configRead(i, 1));
          const capsBefore = walkCaps(fn);
          for (const w of writes) {
            expect(() => fn.configWrite(w.offset, w.size, w.value)).not.toThrow();
            expect(() => fn.configRead(w.offset, w.size)).not.toThrow();
            // Interleave device-side events too.
            fn.msix?.notify(w.value % 12);
            fn.msiNotify(w.value % 9);
          }
          for (let i = 0; i < 256; i++) {
            if (wmask[i] === 0 && w1cmask[i] === 0) {
              // MSI pending bits are read-only to the guest but set by msiNotify.
              if (fn.capabilityOffset('msi') !== undefined && i >= fn.capabilityOffset('msi')! + 0x14 && i < fn.capabilityOffset('msi')! + 0x18) continue;
              expect(fn.configRead(i, 1), `byte 0x${i.toString(16)}`).toBe(before[i]);
            }
          }
          for (const i of HEADER_RO) expect(fn.configRead(i, 1)).toBe(before[i]);
          expect(walkCaps(fn)).toEqual(capsBefore);
          // Whatever was written, every decoding BAR is inside its space and no BAR is reported twice.
          const bars = fn.activeBars();
          expect(new Set(bars.map((b) => b.index)).size).toBe(bars.length);
          for (const b of bars) {
            expect(b.addr).toBeGreaterThan(0);
            expect(b.addr % b.size).toBe(0);
            expect(b.addr + b.size).toBeLessThanOrEqual(b.kind === 'io' ? 0x10000 : 2 ** 52);
          }
        }),
        { numRuns: 300, seed: 0x5eed },
      );
    });
  }

  it('the cap IDs the walk sees are the ones declared', () => {
    expect(walkCaps(everything()).map(([, id]) => id)).toEqual([PCI_CAP_ID_PM, PCI_CAP_ID_MSI, PCI_CAP_ID_MSIX, PCI_CAP_ID_VNDR]);
  });

  it('save → restore into a fresh function reproduces every byte after random writes', () => {
    fc.assert(
      fc.property(fc.array(write, { maxLength: 40 }), (writes) => {
        const a = everything();
        for (const w of writes) a.configWrite(w.offset, w.size, w.value);
        const b = everything();
        expect(b.restoreState(JSON.parse(JSON.stringify(a.saveState())))).toBeUndefined();
        for (let i = 0; i < 64; i++) expect(b.configRead(i * 4, 4)).toBe(a.configRead(i * 4, 4));
        expect(b.activeBars()).toEqual(a.activeBars());
        expect(b.romBar).toEqual(a.romBar);
      }),
      { numRuns: 200, seed: 0xc0ffee },
    );
  });
});
