import { describe, expect, it } from 'vitest';
import { LevelIrq } from '../../src/irq.js';
import {
  MsixTable,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_MASTER,
  PCI_STATUS,
  PCI_STATUS_INTERRUPT,
  PciFunction,
  type MsiResult,
} from '../../src/pci/index.js';
import { e1000Like, virtioNetLike } from './helpers.js';

describe('INTx (PCI 3.0 §6.2.2 Interrupt Disable, §6.2.3 Interrupt Status)', () => {
  it('forwards the level and mirrors it in status bit 3', () => {
    const { fn, irq } = e1000Like();
    fn.setIntx(true);
    expect(irq.level).toBe(true);
    expect(fn.configRead(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(PCI_STATUS_INTERRUPT);
    fn.setIntx(false);
    expect(irq.level).toBe(false);
    expect(fn.configRead(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(0);
    expect(irq.changes).toBe(2);
  });

  it('INTX_DISABLE drops the line but keeps status bit 3; clearing it restores the asserted level', () => {
    const { fn, irq } = e1000Like();
    fn.setIntx(true);
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
    expect(irq.level).toBe(false);
    expect(fn.intxLevel).toBe(true);
    expect(fn.configRead(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(PCI_STATUS_INTERRUPT);
    fn.setIntx(false);
    fn.setIntx(true);
    expect(irq.level).toBe(false);
    fn.configWrite(PCI_COMMAND, 2, 0);
    expect(irq.level).toBe(true);
    expect(fn.intxOutput).toBe(true);
  });

  it('writing 1 to status bit 3 does not clear it (read-only)', () => {
    const { fn } = e1000Like();
    fn.setIntx(true);
    fn.configWrite(PCI_STATUS, 2, 0xffff);
    expect(fn.configRead(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(PCI_STATUS_INTERRUPT);
  });

  it('a function without an interrupt pin never drives INTx', () => {
    const irq = new LevelIrq();
    const fn = new PciFunction({ vendorId: 1, deviceId: 2, classCode: 0, irq });
    fn.setIntx(true);
    expect(irq.level).toBe(false);
    expect(fn.configRead(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT).toBe(0);
  });

  it('a line attached later gets the current level', () => {
    const { fn } = e1000Like({ irq: undefined });
    fn.setIntx(true);
    const late = new LevelIrq();
    fn.setIrqLine(late);
    expect(late.level).toBe(true);
  });
});

function msiFn(perVectorMask: boolean, addr64 = true) {
  const irq = new LevelIrq();
  const msgs: Array<[bigint, number]> = [];
  const fn = new PciFunction({
    vendorId: 0x8086,
    deviceId: 0x10d3,
    classCode: 0x020000,
    interruptPin: 1,
    irq,
    capabilities: [{ kind: 'msi', vectors: 4, addr64, perVectorMask, offset: 0x50 }],
    msiSink: (a, d) => msgs.push([a, d]),
  });
  return { fn, irq, msgs };
}

describe('MSI (PCI 3.0 §6.8.1)', () => {
  it('delivers address/data only when enabled and bus master is on', () => {
    const { fn, msgs } = msiFn(false);
    expect(fn.msiNotify(0)).toBe('disabled');
    fn.configWrite(0x54, 4, 0xfee01004); // address low; bits 1:0 read-only
    fn.configWrite(0x58, 4, 0x00000001); // address high
    fn.configWrite(0x5c, 2, 0x4041); // data
    expect(fn.configRead(0x54, 4)).toBe(0xfee01004);
    fn.configWrite(0x54, 1, 0x07);
    expect(fn.configRead(0x54, 4)).toBe(0xfee01004);
    fn.configWrite(0x52, 2, 0x0001); // enable
    expect(fn.isMsiEnabled()).toBe(true);
    expect(fn.msiNotify(0)).toBe('no-master');
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MASTER);
    expect(fn.msiNotify(0)).toBe('sent');
    expect(msgs).toEqual([[0x1_fee0_1004n, 0x4041]]);
    expect(fn.msiNotify(1)).toBe('bad-vector'); // only one vector enabled
  });

  it('multiple message enable puts the vector in the low data bits and is clamped to capable', () => {
    const { fn, msgs } = msiFn(false, false);
    // 32-bit layout: data at +8.
    fn.configWrite(0x54, 4, 0xfee00000);
    fn.configWrite(0x58, 2, 0x4060);
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MASTER);
    fn.configWrite(0x52, 2, 0x0051); // MME = 5 (32 vectors) > MMC = 2: clamped to 4 vectors
    expect((fn.configRead(0x52, 2) >> 4) & 7).toBe(2);
    expect(fn.msiNotify(3)).toBe('sent');
    expect(fn.msiNotify(4)).toBe('bad-vector');
    expect(msgs).toEqual([[0xfee00000n, 0x4063]]);
  });

  it('per-vector masking holds a pending bit and sends on unmask', () => {
    const { fn, msgs } = msiFn(true);
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MASTER);
    fn.configWrite(0x54, 4, 0xfee00000);
    fn.configWrite(0x5c, 2, 0x30);
    fn.configWrite(0x52, 2, 0x0021); // enable, 4 vectors
    fn.configWrite(0x60, 4, 0b0110); // mask vectors 1 and 2
    fn.configWrite(0x60, 4, 0xffffffff);
    expect(fn.configRead(0x60, 4)).toBe(0xf); // only 4 mask bits exist
    fn.configWrite(0x60, 4, 0b0110);
    expect(fn.msiNotify(2)).toBe('masked');
    expect(fn.msiNotify(0)).toBe('sent');
    expect(fn.configRead(0x64, 4)).toBe(0b0100); // pending
    fn.configWrite(0x64, 4, 0); // pending is read-only
    expect(fn.configRead(0x64, 4)).toBe(0b0100);
    expect(msgs).toEqual([[0xfee00000n, 0x30]]);
    fn.configWrite(0x60, 4, 0b0010); // unmask vector 2
    expect(msgs).toEqual([
      [0xfee00000n, 0x30],
      [0xfee00000n, 0x32],
    ]);
    expect(fn.configRead(0x64, 4)).toBe(0);
  });

  it('enabling MSI takes the function off INTx', () => {
    const { fn, irq } = msiFn(false);
    fn.setIntx(true);
    expect(irq.level).toBe(true);
    fn.configWrite(0x52, 2, 1);
    expect(irq.level).toBe(false);
    fn.configWrite(0x52, 2, 0);
    expect(irq.level).toBe(true);
  });
});

describe('MSI-X (PCI 3.0 §6.8.2)', () => {
  function setup() {
    const v = virtioNetLike();
    const table = v.fn.msix!;
    v.fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MASTER);
    for (let i = 0; i < 3; i++) {
      table.tableWrite(i * 16 + 0, 4, 0xfee00000 + i * 0x1000);
      table.tableWrite(i * 16 + 4, 4, 0);
      table.tableWrite(i * 16 + 8, 4, 0x40 + i);
      table.tableWrite(i * 16 + 12, 4, 0); // unmask
    }
    return { ...v, table };
  }

  it('sizes the table and PBA; vectors are masked after reset', () => {
    const table = virtioNetLike().fn.msix!;
    expect(table.tableSize).toBe(48);
    expect(table.pbaSize).toBe(8);
    expect(table.tableRead(12, 4)).toBe(1);
    expect(table.tableRead(28, 4)).toBe(1);
    expect(table.isVectorMasked(2)).toBe(true);
  });

  it('delivers only when enabled; the function mask defers to PBA and unmask sends', () => {
    const { fn, table, msgs } = setup();
    expect(table.notify(0)).toBe('disabled');
    expect(table.pbaRead(0, 4)).toBe(0);
    fn.configWrite(0x98 + 2, 2, 0x8000); // enable
    expect(fn.isMsixEnabled()).toBe(true);
    expect(table.isMsixEnabled()).toBe(true);
    expect(table.notify(1)).toBe('sent');
    expect(msgs).toEqual([[0xfee01000n, 0x41]]);
    fn.configWrite(0x98 + 2, 2, 0xc000); // function mask
    expect(table.notify(2)).toBe('masked');
    expect(table.pbaRead(0, 4)).toBe(0b100);
    expect(msgs).toHaveLength(1);
    fn.configWrite(0x98 + 3, 1, 0x80); // clear function mask with a byte write
    expect(msgs).toEqual([
      [0xfee01000n, 0x41],
      [0xfee02000n, 0x42],
    ]);
    expect(table.pbaRead(0, 4)).toBe(0);
  });

  it('a masked vector sets its PBA bit and is delivered when its mask bit clears', () => {
    const { fn, table, msgs } = setup();
    fn.configWrite(0x98 + 2, 2, 0x8000);
    table.tableWrite(0 * 16 + 12, 4, 1);
    expect(table.notify(0)).toBe('masked');
    expect(table.notify(0)).toBe('masked');
    expect(table.isPending(0)).toBe(true);
    expect(table.pbaRead(0, 1)).toBe(1);
    table.pbaWrite(0, 4, 0); // PBA is read-only
    expect(table.pbaRead(0, 1)).toBe(1);
    expect(msgs).toHaveLength(0);
    table.tableWrite(0 * 16 + 12, 1, 0);
    expect(msgs).toEqual([[0xfee00000n, 0x40]]); // one message for the pending bit
    expect(table.isPending(0)).toBe(false);
  });

  it('reserved table bits read 0; out-of-table reads are 0; bad vectors are rejected', () => {
    const { table } = setup();
    table.tableWrite(12, 4, 0xfffffffe);
    expect(table.tableRead(12, 4)).toBe(0);
    table.tableWrite(0, 4, 0xfee00003);
    expect(table.tableRead(0, 4)).toBe(0xfee00000);
    table.tableWrite(2, 2, 0xabcd); // unaligned word
    expect(table.tableRead(0, 4)).toBe(0xabcd0000);
    expect(table.tableRead(48, 4)).toBe(0);
    expect(table.notify(3)).toBe('bad-vector');
    expect(table.notify(-1)).toBe('bad-vector');
  });

  it('enabling MSI-X takes the function off INTx; no bus master drops messages', () => {
    const irq = new LevelIrq();
    const { fn, table } = setup();
    fn.setIrqLine(irq);
    fn.setIntx(true);
    expect(irq.level).toBe(true);
    fn.configWrite(0x98 + 2, 2, 0x8000);
    expect(irq.level).toBe(false);
    fn.configWrite(PCI_COMMAND, 2, 0);
    expect(table.notify(0)).toBe('no-master');
  });

  it('works standalone with any delivery function', () => {
    const sent: number[] = [];
    const t = new MsixTable(70, (_a, d): MsiResult => {
      sent.push(d);
      return 'sent';
    });
    expect(t.pbaSize).toBe(16);
    t.setControl(true, false);
    t.tableWrite(69 * 16 + 8, 4, 0x1234);
    expect(t.notify(69)).toBe('masked');
    expect(t.pbaRead(8, 1)).toBe(0b100000);
    t.tableWrite(69 * 16 + 12, 4, 0);
    expect(sent).toEqual([0x1234]);
  });
});
