import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RegionMemory, addr64, isMemError, toAddr } from '../../src/dma/memory.js';

describe('RegionMemory', () => {
  it('reads and writes little-endian values inside a region', () => {
    const m = RegionMemory.ofSize(64);
    expect(m.writeU32(4, 0x11223344)).toBeUndefined();
    expect(m.readU8(4)).toBe(0x44);
    expect(m.readU16(4)).toBe(0x3344);
    expect(m.readU32(4)).toBe(0x11223344);
    expect(m.writeU64(8, 0xfedcba9876543210n)).toBeUndefined();
    expect(m.readU64(8)).toBe(0xfedcba9876543210n);
    expect(m.readU32(8)).toBe(0x76543210);
    expect(m.writeU16(20, 0xbeef)).toBeUndefined();
    expect(m.readU16(20)).toBe(0xbeef);
  });

  it('returns a typed error for out-of-range and straddling accesses and changes nothing', () => {
    const bytes = new Uint8Array(32);
    const m = new RegionMemory([{ base: 0x1000, bytes }]);
    expect(m.readU32(0xfff)).toEqual({ kind: 'out-of-bounds', addr: 0xfff, len: 4 });
    expect(m.readU32(0x101d)).toEqual({ kind: 'out-of-bounds', addr: 0x101d, len: 4 });
    expect(m.writeU32(0x101e, 0xffffffff)).toEqual({ kind: 'out-of-bounds', addr: 0x101e, len: 4 });
    expect(m.write(0x1010, new Uint8Array(17).fill(1))).toEqual({ kind: 'out-of-bounds', addr: 0x1010, len: 17 });
    expect(m.fill(0x1000, 33, 7)).toBeDefined();
    expect(bytes.every((b) => b === 0)).toBe(true);
    expect(m.readU32(0x101c)).toBe(0);
  });

  it('refuses accesses that straddle two adjacent regions', () => {
    const m = new RegionMemory([
      { base: 0, bytes: new Uint8Array(16) },
      { base: 16, bytes: new Uint8Array(16) },
    ]);
    expect(isMemError(m.readU32(14))).toBe(true);
    expect(m.readU32(16)).toBe(0);
    expect(m.writeU8(31, 1)).toBeUndefined();
  });

  it('rejects overlapping regions and invalid bases', () => {
    expect(() => new RegionMemory([{ base: 0, bytes: new Uint8Array(16) }, { base: 8, bytes: new Uint8Array(16) }])).toThrow(/overlap/);
    expect(() => new RegionMemory([{ base: -1, bytes: new Uint8Array(16) }])).toThrow(/not a valid address/);
  });

  it('handles 64-bit descriptor addresses without precision loss', () => {
    const m = RegionMemory.ofSize(4096);
    expect(addr64(0x100, 0)).toBe(0x100);
    expect(addr64(0xffffffff, 0x1)).toBe(0x1ffffffff);
    // High halves that cannot be RAM never alias low memory.
    const huge = addr64(0x100, 0xffffffff);
    expect(huge).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    expect(m.readU32(huge)).toMatchObject({ kind: 'bad-address' });
    expect(toAddr(0x1_0000_0000n)).toBe(0x1_0000_0000);
    expect(toAddr(1n << 60n)).toBe(-1);
    expect(m.readU8(-1)).toMatchObject({ kind: 'out-of-bounds' });
    expect(m.readU8(Number.NaN)).toMatchObject({ kind: 'bad-address' });
    expect(m.readU8(1.5)).toMatchObject({ kind: 'bad-address' });
  });

  it('refuses fractional, negative and NaN addresses and lengths inside the region of the last access too (fast path)', () => {
    const m = RegionMemory.ofSize(4096);
    expect(m.readU32(0x100)).toBe(0); // the region is now the cached one
    expect(m.readU8(1.5)).toMatchObject({ kind: 'bad-address' });
    expect(m.readU32(0x100 + 0.25)).toMatchObject({ kind: 'bad-address' });
    expect(m.readU8(Number.NaN)).toMatchObject({ kind: 'bad-address' });
    expect(m.readU8(-1)).toMatchObject({ kind: 'out-of-bounds' });
    expect(m.fill(0x10, 2.5, 0)).toMatchObject({ kind: 'out-of-bounds' });
    expect(m.fill(0x10, -1, 0)).toMatchObject({ kind: 'out-of-bounds' });
    expect(m.contains(0x10, Number.NaN)).toBe(false);
    expect(m.contains(4095, 1)).toBe(true);
    expect(m.contains(4095, 2)).toBe(false);
  });

  it('regions above 4 GiB work', () => {
    const high = new Uint8Array(64);
    const m = new RegionMemory([{ base: 0, bytes: new Uint8Array(64) }, { base: 0x1_0000_0000, bytes: high }]);
    expect(m.writeU32(0x1_0000_0010, 0xcafebabe)).toBeUndefined();
    expect(high[0x10]).toBe(0xbe);
    expect(m.readU32(0x1_0000_0010)).toBe(0xcafebabe);
  });

  it('tells the region about every write (JIT invalidation hook)', () => {
    const writes: Array<[number, number]> = [];
    const m = new RegionMemory([{ base: 0, bytes: new Uint8Array(64), written: (a, l) => writes.push([a, l]) }]);
    m.write(4, new Uint8Array(3));
    m.writeU32(8, 1);
    m.fill(16, 5, 0);
    expect(writes).toEqual([[4, 3], [8, 4], [16, 5]]);
  });

  it('fits a v86-style Uint8Array that is replaced behind a getter', () => {
    let ram = new Uint8Array(32);
    const m = new RegionMemory([{ base: 0, get bytes() { return ram; } }]);
    m.writeU8(1, 5);
    ram = new Uint8Array(32);
    expect(m.readU8(1)).toBe(0);
  });

  it('never touches memory outside the region (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100, max: 300 }), fc.integer({ min: 0, max: 300 }), (addr, len) => {
        const backing = new Uint8Array(256);
        const view = backing.subarray(64, 192);
        const m = new RegionMemory([{ base: 64, bytes: view }]);
        const r = m.write(addr, new Uint8Array(len).fill(0xaa));
        const inside = addr >= 64 && addr + len <= 192;
        expect(r === undefined).toBe(inside);
        for (let i = 0; i < 64; i++) expect(backing[i]).toBe(0);
        for (let i = 192; i < 256; i++) expect(backing[i]).toBe(0);
      }),
    );
  });
});
