import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { E1000_82544GC, E1000_82545EM, E1000_MODELS, E1000_REGS, parseE1000Props, regName } from '../../../src/devices/e1000/index.js';
import { findNicModel } from '../../../src/devices/models.js';
import { OptionError } from '../../../src/errors.js';
import { Driver, makeBench, R } from './driver.js';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'qemu');
const regsDoc = JSON.parse(readFileSync(join(FIX, 'e1000-regs.json'), 'utf8')) as { config: { resetValues: Record<string, string>; masks: Record<string, string> } };
const basicDoc = JSON.parse(readFileSync(join(FIX, 'e1000-basic.json'), 'utf8')) as { config: { phy: Record<string, { data: string; error: boolean }>; eeprom: string[] } };

describe('e1000 identity (QEMU 7.2: class/rev 0x02000003, subsystem 1af4:1100, BAR0 128 KiB, BAR1 64 B I/O, INTA)', () => {
  it('has QEMU’s PCI header', () => {
    const { nic } = makeBench();
    const c = (o: number) => nic.pci.configRead(o, 4) >>> 0;
    expect(c(0)).toBe(0x100e8086);
    expect(c(8)).toBe(0x02000003);
    expect(c(0x2c)).toBe(0x11001af4);
    expect(nic.pci.configRead(0x3d, 1)).toBe(1);
    expect(nic.pci.configRead(0x34, 1)).toBe(0); // no capabilities
    for (const [off, probe] of [[0x10, 0xfffe0000], [0x14, 0xffffffc1]] as const) {
      nic.pci.configWrite(off, 4, 0xffffffff);
      expect(c(off)).toBe(probe);
    }
  });

  it('offers the three QEMU models with their device and PHY IDs', () => {
    expect(E1000_MODELS.map((m) => m.driver)).toEqual(['e1000', 'e1000-82544gc', 'e1000-82545em']);
    expect(findNicModel('e1000-82545em')).toBeDefined();
    for (const [v, id, phy2] of [[E1000_82544GC, 0x100c, 0x0c30], [E1000_82545EM, 0x100f, 0x0c20]] as const) {
      const { nic } = makeBench({ variant: v });
      const d = new Driver({ ...makeBench({ variant: v }), nic });
      expect(nic.pci.configRead(2, 2)).toBe(id);
      d.w(R.MDIC, (2 << 26) | (1 << 21) | (3 << 16));
      expect(d.r(R.MDIC) & 0xffff).toBe(phy2);
      d.w(R.EERD, (11 << 8) | 1);
      expect(d.r(R.EERD) >>> 16).toBe(id);
    }
  });

  it('powers on with the register values QEMU shows (rig trace e1000-regs, section power-on values)', () => {
    const d = new Driver(makeBench());
    const offsets: Record<string, number> = {};
    for (const def of E1000_REGS) offsets[def.name] = def.offset;
    const sdmOnly: Record<string, number> = { TSPMT: 0x01000400 };
    for (const [name, want] of Object.entries(regsDoc.config.resetValues)) {
      const m = /^(\w+)\[(\d+|last)\]$/.exec(name);
      let off: number;
      if (name.startsWith('0x')) off = Number(name);
      else if (m) {
        const def = E1000_REGS.find((r) => r.name === m[1])!;
        off = def.offset + 4 * (m[2] === 'last' ? (def.count ?? 1) - 1 : Number(m[2]));
      } else if (/^RA[LH]\d+$/.test(name)) off = 0x5400 + 8 * Number(name.slice(3)) + (name[2] === 'H' ? 4 : 0);
      else off = offsets[name]!;
      expect(off, name).toBeDefined();
      expect(d.r(off), name).toBe(sdmOnly[name] ?? Number(want));
    }
  });

  it('masks writes as QEMU does (rig trace e1000-regs, section write masks)', () => {
    const d = new Driver(makeBench());
    for (const [name, want] of Object.entries(regsDoc.config.masks)) {
      const m = /^(\w+)\[(\d+|last)\]$/.exec(name);
      const base = m ? m[1]! : /^RA[LH]\d+$/.test(name) ? 'RA' : name;
      const def = E1000_REGS.find((r) => r.name === base)!;
      let off = def.offset;
      if (m) off += 4 * (m[2] === 'last' ? (def.count ?? 1) - 1 : Number(m[2]));
      if (base === 'RA') off = 0x5400 + 8 * Number(name.slice(3)) + (name[2] === 'H' ? 4 : 0);
      d.w(off, 0xffffffff);
      expect(d.r(off), name).toBe(Number(want));
      d.w(off, 0);
    }
  });

  it('reports the PHY registers and EEPROM QEMU reports (rig trace e1000-basic)', () => {
    const d = new Driver(makeBench());
    for (const [reg, v] of Object.entries(basicDoc.config.phy)) {
      d.w(R.MDIC, (2 << 26) | (1 << 21) | (Number(reg) << 16));
      const mdic = d.r(R.MDIC);
      expect((mdic >>> 30) & 1, `PHY ${reg} error`).toBe(v.error ? 1 : 0);
      if (!v.error) expect(mdic & 0xffff, `PHY ${reg}`).toBe(Number(v.data));
    }
    basicDoc.config.eeprom.forEach((w, i) => {
      d.w(R.EERD, (i << 8) | 1);
      expect(d.r(R.EERD) >>> 16, `word ${i}`).toBe(Number(w));
    });
  });

  it('declares each register once and names offsets for tracing', () => {
    const names = E1000_REGS.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(regName(0x2818)).toBe('RDT');
    expect(regName(0x5208)).toBe('MTA[2]');
    expect(regName(0x0004)).toBe('0x00004');
    for (const r of E1000_REGS) expect(r.offset % 4).toBe(0);
  });

  it('reads 0 from unknown offsets, ignores writes there, and counts both', () => {
    const b = makeBench();
    const d = new Driver(b);
    d.w(0x0004, 0x1234);
    expect(d.r(0x0004)).toBe(0);
    d.w(0x7000, 1);
    expect(b.nic.counters()['unknownRegReads']).toBe(1);
    expect(b.nic.counters()['unknownRegWrites']).toBe(2);
  });

  it('gates registers with QEMU’s compatibility properties', () => {
    const d = new Driver(makeBench({ options: { mitigation: false, extraMacRegisters: false, initVet: false } }));
    d.w(R.ITR, 100);
    expect(d.r(R.ITR)).toBe(0);
    d.w(R.RDTR, 100);
    expect(d.r(R.RDTR)).toBe(0);
    expect(d.r(R.VET)).toBe(0);
    expect(d.r(0x4078)).toBe(0); // BPRC needs extra_mac_registers
  });

  it('parses QEMU property spellings and refuses unknown properties', () => {
    expect(parseE1000Props('e1000', { mitigation: 'off', autonegotiation: 'on', 'init-vet': false, 'x-rctl-flush-ms': '0', bootindex: 1 })).toEqual({
      mitigation: false,
      autonegotiation: true,
      initVet: false,
      rctlFlushMs: 0,
    });
    expect(() => parseE1000Props('e1000', { frobnicate: 1 })).toThrow(OptionError);
    expect(() => parseE1000Props('e1000', { mitigation: 'maybe' })).toThrow(OptionError);
    expect(() => parseE1000Props('e1000', { 'x-rctl-flush-ms': -1 })).toThrow(OptionError);
  });
});

describe('e1000 options from the -device parser (src/config)', () => {
  it('maps QEMU’s e1000 properties to model options', async () => {
    const { parseDevice } = await import('../../../src/config/index.js');
    const { e1000OptionsFrom } = await import('../../../src/devices/e1000/index.js');
    const r = parseDevice('e1000-82545em,mitigation=off,autonegotiation=off,extra_mac_registers=off,init-vet=off,netdev=n0');
    expect(r.ok && r.kind === 'value').toBe(true);
    if (!r.ok || r.kind !== 'value') return;
    expect(e1000OptionsFrom(r.value)).toEqual({ mitigation: false, autonegotiation: false, extraMacRegisters: false, initVet: false });
    const model = findNicModel('e1000-82545em')!;
    const b = makeBench();
    const nic = model.create(b.ctx, { mac: Uint8Array.of(2, 0, 0, 0, 0, 1), name: 'x', options: r.value });
    nic.pci.configWrite(4, 2, 7);
    nic.bar(0)!.write(R.ITR, 4, 100);
    expect(nic.bar(0)!.read(R.ITR, 4)).toBe(0); // mitigation=off gates ITR
    expect(nic.bar(0)!.read(R.VET, 4)).toBe(0);
    expect(model.registers?.find((s) => s.name === 'RDT')).toEqual({ bar: 0, offset: 0x2818, width: 4, name: 'RDT' });
  });
});
