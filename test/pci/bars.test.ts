import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import {
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_1,
  PCI_BASE_ADDRESS_4,
  PCI_BASE_ADDRESS_5,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_ROM_ADDRESS,
  PciFunction,
  type MappingChange,
} from '../../src/pci/index.js';
import { e1000Like, virtioNetLike } from './helpers.js';

/** Size a 32-bit BAR the way Linux does (pci.c __pci_read_base): save, write ~0, read, restore. */
function size32(fn: PciFunction, off: number): number {
  const saved = fn.configRead(off, 4);
  fn.configWrite(off, 4, 0xffffffff);
  const got = fn.configRead(off, 4);
  fn.configWrite(off, 4, saved);
  return got;
}

describe('BAR sizing protocol (PCI 3.0 §6.2.5.1)', () => {
  it('32-bit memory BAR: all ones reads back the size mask with type bits 0', () => {
    const { fn } = e1000Like();
    expect(fn.configRead(PCI_BASE_ADDRESS_0, 4)).toBe(0);
    const mask = size32(fn, PCI_BASE_ADDRESS_0);
    expect(mask).toBe(0xfffe0000);
    expect(~(mask & 0xfffffff0) + 1 >>> 0).toBe(0x20000);
    expect(fn.configRead(PCI_BASE_ADDRESS_0, 4)).toBe(0);
  });

  it('I/O BAR: bit 0 reads 1, bit 1 reserved 0, size mask above', () => {
    const { fn } = e1000Like();
    expect(fn.configRead(PCI_BASE_ADDRESS_1, 4)).toBe(0x1);
    const mask = size32(fn, PCI_BASE_ADDRESS_1);
    expect(mask).toBe(0xffffffc1);
    expect(~(mask & 0xfffffffc) + 1 >>> 0).toBe(64);
    fn.configWrite(PCI_BASE_ADDRESS_1, 4, 0xc03f);
    expect(fn.configRead(PCI_BASE_ADDRESS_1, 4)).toBe(0xc001); // low address bits are read-only
  });

  it('64-bit prefetchable BAR: type bits 0xc, both halves sized, the upper half all writable', () => {
    const { fn } = virtioNetLike();
    expect(fn.configRead(PCI_BASE_ADDRESS_4, 4)).toBe(0x0c);
    expect(fn.configRead(PCI_BASE_ADDRESS_5, 4)).toBe(0);
    expect(size32(fn, PCI_BASE_ADDRESS_4)).toBe(0xffffc00c);
    expect(size32(fn, PCI_BASE_ADDRESS_5)).toBe(0xffffffff);
    fn.configWrite(PCI_BASE_ADDRESS_4, 4, 0xfe000000);
    fn.configWrite(PCI_BASE_ADDRESS_5, 4, 0x00000008);
    expect(fn.configRead(PCI_BASE_ADDRESS_4, 4)).toBe(0xfe00000c);
    expect(fn.configRead(PCI_BASE_ADDRESS_5, 4)).toBe(8);
  });

  it('32-bit prefetchable BAR sets bit 3; BARs larger than 4 GiB have read-only low address bits', () => {
    const fn = new PciFunction({
      vendorId: 1,
      deviceId: 2,
      classCode: 0,
      bars: [{ kind: 'mem32', size: 0x100000, prefetchable: true }, undefined, { kind: 'mem64', size: 2 ** 34 }],
    });
    expect(size32(fn, PCI_BASE_ADDRESS_0)).toBe(0xfff00008);
    expect(size32(fn, 0x18)).toBe(0x00000004);
    expect(size32(fn, 0x1c)).toBe(0xfffffffc);
  });

  it('unused BAR slots read 0 and ignore writes', () => {
    const { fn } = e1000Like();
    for (const off of [0x18, 0x1c, 0x20, 0x24]) {
      fn.configWrite(off, 4, 0xffffffff);
      expect(fn.configRead(off, 4)).toBe(0);
    }
  });

  it('expansion ROM BAR: address bits above the size plus the enable bit are writable', () => {
    const { fn } = e1000Like();
    const mask = size32(fn, PCI_ROM_ADDRESS);
    expect(mask).toBe(0xfffc0001);
    expect(~(mask & 0xfffff800) + 1 >>> 0).toBe(0x40000);
    const noRom = new PciFunction({ vendorId: 1, deviceId: 2, classCode: 0 });
    expect(size32(noRom, PCI_ROM_ADDRESS)).toBe(0);
  });

  it('rejects bad BAR layouts', () => {
    const mk = (bars: ConstructorParameters<typeof PciFunction>[0]['bars'], romSize?: number) => () =>
      new PciFunction({ vendorId: 1, deviceId: 2, classCode: 0, bars, romSize });
    expect(mk([{ kind: 'mem32', size: 0x3000 }])).toThrow(OptionError);
    expect(mk([{ kind: 'mem32', size: 8 }])).toThrow(OptionError);
    expect(mk([{ kind: 'io', size: 2 }])).toThrow(OptionError);
    expect(mk([undefined, undefined, undefined, undefined, undefined, { kind: 'mem64', size: 0x1000 }])).toThrow(/slot 6/);
    expect(mk([{ kind: 'mem64', size: 0x1000 }, { kind: 'io', size: 4 }])).toThrow(/upper half/);
    expect(mk([], 0x400)).toThrow(OptionError);
  });
});

describe('activeBars: what decodes (our version of QEMU pci_bar_address)', () => {
  it('nothing decodes until the command register enables the space', () => {
    const { fn } = e1000Like();
    fn.configWrite(PCI_BASE_ADDRESS_0, 4, 0xfebc0000);
    fn.configWrite(PCI_BASE_ADDRESS_1, 4, 0xc000);
    expect(fn.activeBars()).toEqual([]);
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_IO);
    expect(fn.activeBars()).toEqual([{ index: 1, kind: 'io', addr: 0xc000, size: 64 }]);
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    expect(fn.activeBars()).toEqual([{ index: 0, kind: 'mem', addr: 0xfebc0000, size: 0x20000 }]);
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    expect(fn.activeBars()).toHaveLength(2);
  });

  it('address 0 is unmapped', () => {
    const { fn } = e1000Like();
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    expect(fn.activeBars()).toEqual([]);
  });

  it('a BAR holding the sizing pattern is not mapped at the sizing address, even with decode on', () => {
    const { fn } = e1000Like();
    fn.configWrite(PCI_BASE_ADDRESS_0, 4, 0xfebc0000);
    fn.configWrite(PCI_BASE_ADDRESS_1, 4, 0xc000);
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    fn.configWrite(PCI_BASE_ADDRESS_0, 4, 0xffffffff);
    fn.configWrite(PCI_BASE_ADDRESS_1, 4, 0xffffffff);
    expect(fn.activeBars()).toEqual([]);
    fn.configWrite(PCI_BASE_ADDRESS_0, 4, 0xfebc0000);
    fn.configWrite(PCI_BASE_ADDRESS_1, 4, 0xc000);
    expect(fn.activeBars().map((b) => b.addr)).toEqual([0xfebc0000, 0xc000]);
  });

  it('64-bit BAR: sizing either half unmaps it; a real address with low half 0xffffc000 still maps', () => {
    const { fn } = virtioNetLike();
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    fn.configWrite(PCI_BASE_ADDRESS_5, 4, 0x1);
    fn.configWrite(PCI_BASE_ADDRESS_4, 4, 0x0000c000);
    expect(fn.activeBars()).toEqual([{ index: 4, kind: 'mem', addr: 0x1_0000_c000, size: 0x4000 }]);
    fn.configWrite(PCI_BASE_ADDRESS_4, 4, 0xffffffff); // low half sized, high half still 1
    expect(fn.activeBars()).toEqual([]);
    fn.configWrite(PCI_BASE_ADDRESS_4, 4, 0x0000c000);
    fn.configWrite(PCI_BASE_ADDRESS_5, 4, 0xffffffff);
    expect(fn.activeBars()).toEqual([]);
    fn.configWrite(PCI_BASE_ADDRESS_5, 4, 0xff);
    // Top-down firmware can legitimately place a BAR at the top of a 4 GiB window.
    fn.configWrite(PCI_BASE_ADDRESS_4, 4, 0xffffc00c);
    expect(fn.activeBars()).toEqual([{ index: 4, kind: 'mem', addr: 0xff_ffff_c000, size: 0x4000 }]);
  });

  it('a 32-bit BAR reaching 0xffffffff, an I/O BAR past 64 KiB, or a 64-bit BAR past 2^52 does not decode', () => {
    const { fn } = e1000Like();
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    fn.configWrite(PCI_BASE_ADDRESS_0, 4, 0xfffe0000);
    fn.configWrite(PCI_BASE_ADDRESS_1, 4, 0x10000);
    expect(fn.activeBars()).toEqual([]);
    fn.configWrite(PCI_BASE_ADDRESS_0, 4, 0xfffc0000);
    fn.configWrite(PCI_BASE_ADDRESS_1, 4, 0xffc0);
    expect(fn.activeBars()).toEqual([
      { index: 0, kind: 'mem', addr: 0xfffc0000, size: 0x20000 },
      { index: 1, kind: 'io', addr: 0xffc0, size: 64 },
    ]);
    const v = virtioNetLike().fn;
    v.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    v.configWrite(PCI_BASE_ADDRESS_4, 4, 0x10000);
    v.configWrite(PCI_BASE_ADDRESS_5, 4, 0x00100000); // 2^52
    expect(v.activeBars()).toEqual([]);
    v.configWrite(PCI_BASE_ADDRESS_5, 4, 0x000fffff);
    expect(v.activeBars()).toEqual([{ index: 4, kind: 'mem', addr: 0xfffff_0001_0000, size: 0x4000 }]);
  });

  it('ROM decodes only with MEM and its enable bit', () => {
    const { fn } = e1000Like();
    fn.configWrite(PCI_ROM_ADDRESS, 4, 0xfeb80000);
    expect(fn.romBar).toBeUndefined();
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    expect(fn.romBar).toBeUndefined();
    fn.configWrite(PCI_ROM_ADDRESS, 4, 0xfeb80001);
    expect(fn.romBar).toEqual({ addr: 0xfeb80000, size: 0x40000 });
    fn.configWrite(PCI_ROM_ADDRESS, 4, 0xffffffff); // sizing with enable set
    expect(fn.romBar).toBeUndefined();
  });
});

describe('mapping-change events', () => {
  it('fire once per change of the effective mapping, with the new and old BARs', () => {
    const { fn } = e1000Like();
    const seen: MappingChange[] = [];
    const off = fn.onMappingChange((c) => seen.push(c));
    fn.configWrite(PCI_BASE_ADDRESS_0, 4, 0xfebc0000); // MEM off: no change
    expect(seen).toHaveLength(0);
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.bars).toEqual([{ index: 0, kind: 'mem', addr: 0xfebc0000, size: 0x20000 }]);
    expect(seen[0]!.previousBars).toEqual([]);
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY); // same value
    fn.configWrite(0x0c, 1, 0x10); // unrelated register
    expect(seen).toHaveLength(1);
    fn.configWrite(PCI_BASE_ADDRESS_0, 4, 0xfebe0000); // BAR moves while decoding
    expect(seen).toHaveLength(2);
    expect(seen[1]!.previousBars[0]!.addr).toBe(0xfebc0000);
    expect(seen[1]!.bars[0]!.addr).toBe(0xfebe0000);
    fn.configWrite(PCI_BASE_ADDRESS_0, 1, 0x55); // read-only low byte: no effective change
    expect(seen).toHaveLength(2);
    fn.configWrite(PCI_ROM_ADDRESS, 4, 0xfeb80001);
    expect(seen).toHaveLength(3);
    expect(seen[2]!.rom).toEqual({ addr: 0xfeb80000, size: 0x40000 });
    off();
    fn.configWrite(PCI_COMMAND, 2, 0);
    expect(seen).toHaveLength(3);
    expect(fn.activeBars()).toEqual([]);
  });

  it('command-change events report new and previous values', () => {
    const { fn } = e1000Like();
    const seen: Array<[number, number]> = [];
    fn.onCommandChange((c, p) => seen.push([c, p]));
    fn.configWrite(PCI_COMMAND, 2, 0x7);
    fn.configWrite(PCI_COMMAND, 2, 0x7);
    fn.configWrite(PCI_COMMAND, 1, 0x3);
    expect(seen).toEqual([
      [0x7, 0],
      [0x3, 0x7],
    ]);
  });
});
