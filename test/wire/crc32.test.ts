import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CRC32_RESIDUE,
  appendFcs,
  bitReverse32,
  crc32,
  crc32Update,
  ethCrc32,
  ethCrc32Le,
  ethernetFcs,
  fcsValid,
  multicastHashIndex,
  EthernetAddress,
} from '../../src/wire/index.js';
import { hex } from './helpers.js';
import { ARP_REQUEST } from './golden.js';

/** Linux 8139too / QEMU net_crc32: shift left, feed data LSB first, no final inversion. */
function bitwiseEtherCrc(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let b of data) {
    for (let bit = 0; bit < 8; bit++, b >>= 1) {
      const carry = (crc >>> 31) ^ (b & 1);
      crc = (crc << 1) >>> 0;
      if (carry) crc = (crc ^ 0x04c11db7) >>> 0;
    }
  }
  return crc;
}

/** Bitwise reflected CRC-32, the textbook way. */
function bitwiseCrc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('CRC-32 (IEEE 802.3)', () => {
  it('check value: crc32("123456789") = 0xCBF43926', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
  });

  it('empty input is 0; a sub-range works', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii('xx123456789yy'), 2, 11)).toBe(0xcbf43926);
  });

  it('slicing-by-8 matches the bitwise definition at every length and alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (b, skip) => {
        const s = Math.min(skip, b.length);
        expect(crc32(b, s)).toBe(bitwiseCrc32(b.subarray(s)));
      }),
    );
  });

  it('is incremental through crc32Update', () => {
    const b = ascii('123456789');
    const mid = crc32Update(0xffffffff, b, 0, 4);
    expect(~crc32Update(mid, b, 4) >>> 0).toBe(0xcbf43926);
  });

  it('Ethernet FCS of the golden ARP request frame (60 bytes, zlib.crc32 gives 0x3ce61f8b)', () => {
    expect(ethernetFcs(ARP_REQUEST)).toBe(0x3ce61f8b);
    const withFcs = appendFcs(ARP_REQUEST);
    expect(withFcs.length).toBe(64);
    // Sent least-significant byte first.
    expect(Array.from(withFcs.subarray(60))).toEqual([0x8b, 0x1f, 0xe6, 0x3c]);
    expect(fcsValid(withFcs)).toBe(true);
    // The residue property.
    expect(crc32Update(0xffffffff, withFcs)).toBe(CRC32_RESIDUE);
    expect(crc32(withFcs)).toBe(0x2144df1c);
    withFcs[20]! ^= 1;
    expect(fcsValid(withFcs)).toBe(false);
    expect(fcsValid(new Uint8Array(3))).toBe(false);
  });
});

describe('multicast hash CRC', () => {
  it('bitReverse32', () => {
    expect(bitReverse32(1)).toBe(0x80000000);
    expect(bitReverse32(0x80000000)).toBe(1);
    expect(bitReverse32(0x12345678)).toBe(0x1e6a2c48);
  });

  it('ethCrc32 equals the bitwise big-endian Ethernet CRC (Linux ether_crc, QEMU net_crc32)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (mac) => {
        expect(ethCrc32(mac)).toBe(bitwiseEtherCrc(mac));
        expect(ethCrc32(mac)).toBe(bitReverse32(~crc32(mac) >>> 0));
        expect(ethCrc32Le(mac)).toBe(~crc32(mac) >>> 0);
      }),
    );
  });

  it('known values (computed with an independent Python port of 8139too ether_crc)', () => {
    const cases: Array<[string, number, number]> = [
      ['01:00:5e:00:00:01', 0x7fa32d9b, 31],
      ['33:33:00:00:00:01', 0xf99baaba, 62],
      ['ff:ff:ff:ff:ff:ff', 0xff48647d, 63],
      ['01:00:5e:00:00:fb', 0x3f7b3b21, 15],
      ['33:33:ff:12:34:56', 0x0bf9eb4b, 2],
    ];
    for (const [text, crc, index] of cases) {
      const mac = EthernetAddress.parse(text)!;
      expect(ethCrc32(mac)).toBe(crc);
      expect(multicastHashIndex(mac)).toBe(index);
    }
  });

  it('multicastHashIndex reads six bytes at an offset (a frame destination)', () => {
    const frame = hex('01005e0000fb 525400123456 0800');
    expect(multicastHashIndex(frame, 0)).toBe(15);
  });
});
