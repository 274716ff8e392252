import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checksumAdjust,
  checksumFinish,
  checksumUpdate16,
  checksumUpdate32,
  internetChecksum,
  onesAdd,
  onesSum,
  pseudoHeaderSum,
  pseudoHeaderSumAt,
} from '../../src/wire/index.js';
import { hex, naiveChecksum, pseudo4, pseudo6 } from './helpers.js';

describe('Internet checksum (RFC 1071)', () => {
  it('RFC 1071 §3 example: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d', () => {
    const b = hex('0001 f203 f4f5 f6f7');
    expect(onesSum(b)).toBe(0xddf2);
    expect(internetChecksum(b)).toBe(0x220d);
    // Appending the checksum makes the whole sum to all ones.
    expect(onesSum(Uint8Array.from([...b, 0x22, 0x0d]))).toBe(0xffff);
  });

  it('pads an odd final byte with zero on the right (RFC 1071 §4.1)', () => {
    expect(onesSum(hex('0102 03'))).toBe(0x0102 + 0x0300);
    expect(internetChecksum(hex('ff'))).toBe(0x00ff);
  });

  it('sums a sub-range, and chains ranges through `initial`', () => {
    const b = hex('aaaa 0001 f203 f4f5 f6f7 bbbb');
    expect(onesSum(b, 2, 10)).toBe(0xddf2);
    expect(onesSum(b, 6, 10, onesSum(b, 2, 6))).toBe(0xddf2);
    expect(onesSum(b, 4, 4)).toBe(0);
  });

  it('a known IPv4 header checksums to the value it carries (b861)', () => {
    // Wikipedia's IPv4 header checksum example.
    const h = hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
    expect(internetChecksum(h)).toBe(0xb861);
  });

  it('matches an independent implementation on random data, across the internal chunk size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 70_000, size: 'max' }), (b) => {
        expect(internetChecksum(b)).toBe(naiveChecksum(b));
      }),
      { numRuns: 40 },
    );
    const big = new Uint8Array(200_000).fill(0xff);
    expect(internetChecksum(big)).toBe(naiveChecksum(big));
  });

  it('onesAdd and checksumFinish', () => {
    expect(onesAdd(0xffff, 0x0001)).toBe(0x0001);
    expect(onesAdd(0x8000, 0x8000)).toBe(0x0001);
    expect(checksumFinish(0xddf2)).toBe(0x220d);
  });
});

describe('incremental update (RFC 1624)', () => {
  it('RFC 1624 §4 example: HC 0xdd2f, m 0x5555 -> 0x3285 gives 0x0000 (eqn. 3)', () => {
    expect(checksumUpdate16(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  it('updating a 16- or 32-bit field keeps the checksum valid', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 64 }).filter((b) => b.length % 2 === 0), fc.nat(0xffff), fc.nat(0xffffffff), (b0, v16, v32) => {
        const b = b0.slice();
        b[0] = 0;
        b[1] = 0;
        const c = internetChecksum(b);
        b[0] = c >> 8;
        b[1] = c & 255;
        // Change the word at 2 and the 32-bit value at 4.
        const old16 = (b[2]! << 8) | b[3]!;
        b[2] = v16 >> 8;
        b[3] = v16 & 255;
        let hc = checksumUpdate16(c, old16, v16);
        const old32 = ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0;
        b[4] = v32 >>> 24;
        b[5] = (v32 >>> 16) & 255;
        b[6] = (v32 >>> 8) & 255;
        b[7] = v32 & 255;
        hc = checksumUpdate32(hc, old32, v32);
        b[0] = hc >> 8;
        b[1] = hc & 255;
        expect(onesSum(b)).toBe(0xffff);
      }),
    );
  });

  it('checksumAdjust with sums of whole ranges (a 16-byte address rewrite)', () => {
    const data = hex('2001 0db8 0000 0000 0000 0000 0000 0001 1234 5678');
    const c = internetChecksum(data);
    const newAddr = hex('fe80 0000 0000 0000 5054 00ff fe12 3456');
    const oldSum = onesSum(data, 0, 16);
    data.set(newAddr, 0);
    expect(checksumAdjust(c, oldSum, onesSum(newAddr))).toBe(internetChecksum(data));
  });
});

describe('pseudo-header sums', () => {
  it('IPv4: equals summing the 12-byte pseudo-header', () => {
    const src = hex('0a00020f');
    const dst = hex('5db8d822');
    const ph = pseudo4(src, dst, 6, 40);
    expect(pseudoHeaderSum(src, dst, 6, 40)).toBe(onesSum(ph));
    const hdr = hex('4500003c1c4640004006dc8c0a00020f5db8d822');
    expect(pseudoHeaderSumAt(hdr, 12, 20, 6, 40)).toBe(onesSum(ph));
  });

  it('IPv6: equals summing the 40-byte pseudo-header, with a 32-bit length', () => {
    const src = hex('20010db8000000000000000000000001');
    const dst = hex('fe800000000000000000000000000002');
    for (const len of [0, 56, 0xffff, 0x12345]) {
      expect(pseudoHeaderSum(src, dst, 58, len)).toBe(onesSum(pseudo6(src, dst, 58, len)));
    }
  });
});
