import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../src/state/index.js';

describe('base64', () => {
  it('RFC 4648 §10 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, enc] of vectors) {
      const bytes = new TextEncoder().encode(plain);
      expect(encodeBase64(bytes)).toBe(enc);
      expect(decodeBase64(enc)).toEqual(bytes);
    }
  });

  it('agrees with Node Buffer and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 10_000 }), (b) => {
        const s = encodeBase64(b);
        expect(s).toBe(Buffer.from(b).toString('base64'));
        expect(decodeBase64(s)).toEqual(b);
      }),
      { numRuns: 200 },
    );
  });

  it('decodes only canonical base64', () => {
    for (const bad of ['A', 'AA', 'AAA', 'AB==', 'AAB=', 'A===', '====', 'AA=A', '*AAA', 'AAAA====', 'AA==AAAA', 'ÀAAA', 'AA\nA']) {
      expect(decodeBase64(bad), bad).toBeNull();
    }
  });

  it('never throws and accepts exactly the strings it would produce', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AQgw+/=x'.split('')), maxLength: 12 }), (s) => {
        const b = decodeBase64(s);
        if (b !== null) expect(encodeBase64(b)).toBe(s);
      }),
      { numRuns: 3000 },
    );
  });
});
