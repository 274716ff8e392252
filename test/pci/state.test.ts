import { describe, expect, it } from 'vitest';
import { LevelIrq } from '../../src/irq.js';
import {
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_1,
  PCI_BASE_ADDRESS_4,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_ROM_ADDRESS,
  PCI_STATUS,
  type MappingChange,
  PciFunction,
  type PciFunctionState,
} from '../../src/pci/index.js';
import { e1000Like, virtioNetLike } from './helpers.js';

function dump(fn: { configRead(o: number, s: 4): number }): number[] {
  return Array.from({ length: 64 }, (_, i) => fn.configRead(i * 4, 4));
}

describe('reset', () => {
  it('returns config, BARs, capability control bits and MSI-X to power-on and lowers INTx', () => {
    const { fn, window } = virtioNetLike();
    const irq = new LevelIrq();
    fn.setIrqLine(irq);
    const powerOn = dump(fn);
    window.reads.length = 0;
    fn.configWrite(PCI_BASE_ADDRESS_0, 4, 0xc001);
    fn.configWrite(PCI_BASE_ADDRESS_4, 4, 0xfe000000);
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    fn.configWrite(0x84 + 4, 1, 4);
    fn.configWrite(0x98 + 2, 2, 0xc000);
    fn.msix!.tableWrite(12, 4, 0);
    fn.msix!.notify(0);
    fn.setIntx(true);
    const changes: MappingChange[] = [];
    fn.onMappingChange((c) => changes.push(c));
    fn.reset();
    expect(dump(fn)).toEqual(powerOn);
    expect(fn.command).toBe(0);
    expect(fn.activeBars()).toEqual([]);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.bars).toEqual([]);
    expect(fn.isMsixEnabled()).toBe(false);
    expect(fn.msix!.isVectorMasked(0)).toBe(true);
    expect(fn.msix!.pbaRead(0, 4)).toBe(0);
    expect(fn.intxLevel).toBe(false);
    expect(irq.level).toBe(false);
  });
});

describe('save/restore', () => {
  it('round-trips config, sizing state, INTx level and the MSI-X table', () => {
    const { fn } = virtioNetLike();
    fn.configWrite(PCI_BASE_ADDRESS_0, 4, 0xc001);
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    fn.configWrite(0x3c, 1, 11);
    fn.configWrite(0x98 + 2, 2, 0x8000);
    fn.msix!.tableWrite(16, 4, 0xfee00000);
    fn.msix!.tableWrite(24, 4, 0x51);
    fn.msix!.notify(1); // masked: pending
    fn.configWrite(PCI_BASE_ADDRESS_4, 4, 0xffffffff); // mid-sizing
    fn.setIntx(true);
    const saved = fn.saveState();
    expect(Object.keys(saved).sort()).toEqual(['barSizing', 'config', 'intxLevel', 'msixPba', 'msixTable']);
    expect(saved.barSizing).toEqual([4]);
    expect(saved.intxLevel).toBe(true);
    // Through JSON, as a snapshot would travel.
    const json = JSON.parse(JSON.stringify(saved)) as unknown;

    const msgs: Array<[bigint, number]> = [];
    const irq = new LevelIrq();
    const { fn: fresh } = virtioNetLike();
    fresh.setMsiSink((a, d) => msgs.push([a, d]));
    fresh.setIrqLine(irq);
    const changes: MappingChange[] = [];
    fresh.onMappingChange((c) => changes.push(c));
    expect(fresh.restoreState(json)).toBeUndefined();
    expect(dump(fresh)).toEqual(dump(fn));
    expect(fresh.saveState()).toEqual(saved);
    expect(fresh.activeBars()).toEqual([{ index: 0, kind: 'io', addr: 0xc000, size: 32 }]); // BAR4 still sizing
    expect(changes).toHaveLength(1);
    expect(fresh.intxLevel).toBe(true);
    expect(irq.level).toBe(false); // MSI-X enabled: INTx not driven
    expect(fresh.msix!.isPending(1)).toBe(true);
    expect(msgs).toHaveLength(0); // restore sends nothing
    fresh.msix!.tableWrite(28, 4, 0); // unmask: pending message goes out
    expect(msgs).toEqual([[0xfee00000n, 0x51]]);
  });

  it('rejects bad state with a typed error and changes nothing', () => {
    const { fn } = e1000Like();
    fn.configWrite(PCI_ROM_ADDRESS, 4, 0xfeb80001);
    const good = fn.saveState();
    const before = dump(fn);
    const cases: Array<[unknown, string]> = [
      [null, '(root)'],
      [[1, 2], '(root)'],
      [{ ...good, config: 'zz' }, 'config'],
      [{ ...good, config: good.config.slice(2) }, 'config'],
      [{ ...good, config: 'g' + good.config.slice(1) }, 'config'],
      [{ ...good, config: 'ffff' + good.config.slice(4) }, 'config'], // another vendor ID
      [{ ...good, barSizing: [2] }, 'barSizing'],
      [{ ...good, barSizing: 'x' }, 'barSizing'],
      [{ ...good, intxLevel: 1 }, 'intxLevel'],
      [{ ...good, msixTable: '00' }, 'msixTable'],
    ];
    for (const [bad, field] of cases) {
      const err = fn.restoreState(bad);
      expect(err, JSON.stringify(bad)?.slice(0, 40)).toMatchObject({ kind: 'bad-state', field });
      expect(typeof err?.why).toBe('string');
    }
    expect(dump(fn)).toEqual(before);
    expect(fn.romBar).toBeUndefined(); // MEM still off
  });

  it('rejects a read-only byte that differs (another device’s state) and a changed status bit 4', () => {
    const { fn } = virtioNetLike();
    const good = fn.saveState();
    const bytes = good.config.match(/../g)!;
    const withByte = (i: number, v: number): PciFunctionState => {
      const b = [...bytes];
      b[i] = v.toString(16).padStart(2, '0');
      return { ...good, config: b.join('') };
    };
    expect(fn.restoreState(withByte(0x02, 0x41))?.why).toMatch(/read-only byte 0x2/);
    expect(fn.restoreState(withByte(PCI_STATUS, 0x00))?.field).toBe('config');
    expect(fn.restoreState(withByte(0x99, 0x00))?.field).toBe('config'); // MSI-X next pointer
    expect(fn.restoreState(withByte(PCI_BASE_ADDRESS_1, 0x08))?.field).toBe('config'); // type bits
    // Writable bytes may differ.
    expect(fn.restoreState(withByte(0x3c, 0x0a))).toBeUndefined();
    expect(fn.configRead(0x3c, 1)).toBe(0x0a);
  });

  it('rejects an unsupported power state, MSI-X reserved bits and stray pending bits', () => {
    const { fn } = virtioNetLike();
    const good = fn.saveState();
    const table = good.msixTable!.split('');
    table[12 * 2] = '3'; // vector control 0x31: reserved bits
    expect(fn.restoreState({ ...good, msixTable: table.join('') })).toMatchObject({ field: 'msixTable' });
    expect(fn.restoreState({ ...good, msixPba: '0800000000000000' })).toMatchObject({ field: 'msixPba' });
    const noMsix = e1000Like().fn;
    expect(noMsix.restoreState({ ...noMsix.saveState(), msixTable: '' })).toMatchObject({ field: 'msixTable' });
    const pm = new PciFunction({ vendorId: 1, deviceId: 2, classCode: 0, capabilities: [{ kind: 'pm' }] });
    const pmGood = pm.saveState();
    const d1 = pmGood.config.slice(0, 0x44 * 2) + '09' + pmGood.config.slice(0x45 * 2); // PMCSR state D1, No_Soft_Reset kept
    expect(pm.restoreState({ ...pmGood, config: d1 })).toMatchObject({ field: 'config', why: 'power state D1 is not supported' });
    const d3 = pmGood.config.slice(0, 0x44 * 2) + '0b' + pmGood.config.slice(0x45 * 2);
    expect(pm.restoreState({ ...pmGood, config: d3 })).toBeUndefined();
    expect(pm.powerState).toBe('D3hot');
    const noPin = new PciFunction({ vendorId: 1, deviceId: 2, classCode: 0 });
    expect(noPin.restoreState({ ...noPin.saveState(), intxLevel: true })).toMatchObject({ field: 'intxLevel' });
  });
});
