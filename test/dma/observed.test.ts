import { describe, expect, it } from 'vitest';
import { RegionMemory } from '../../src/dma/memory.js';
import { type MemOp, ObservedMemory, isWriteOp } from '../../src/dma/observed.js';

describe('ObservedMemory', () => {
  it('tells the observer about every access, before and after, with refusals marked', () => {
    const events: string[] = [];
    const m = new ObservedMemory(RegionMemory.ofSize(64), {
      before: (op, addr, len) => events.push(`before ${op} ${addr} ${len}`),
      after: (op, addr, len, failed) => events.push(`after ${op} ${addr} ${len}${failed ? ' refused' : ''}`),
    });
    expect(m.writeU32(4, 0x11223344)).toBeUndefined();
    expect(m.readU16(4)).toBe(0x3344);
    expect(m.read(60, new Uint8Array(8))).toMatchObject({ kind: 'out-of-bounds' });
    expect(m.contains(0, 64)).toBe(true);
    expect(events).toEqual([
      'before writeU32 4 4', 'after writeU32 4 4',
      'before readU16 4 2', 'after readU16 4 2',
      'before read 60 8', 'after read 60 8 refused',
      'after contains 0 64',
    ]);
  });

  it('an observer can stop an access by throwing before it happens', () => {
    const ram = RegionMemory.ofSize(16);
    const m = new ObservedMemory(ram, { before: () => { throw new Error('budget'); } });
    expect(() => m.writeU8(0, 7)).toThrow('budget');
    expect(ram.readU8(0)).toBe(0);
  });

  it('classifies writes', () => {
    const ops: MemOp[] = ['read', 'write', 'fill', 'readU64', 'writeU16', 'contains'];
    expect(ops.filter(isWriteOp)).toEqual(['write', 'fill', 'writeU16']);
  });
});
