import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import {
  PCI_CACHE_LINE_SIZE,
  PCI_CAPABILITY_LIST,
  PCI_CLASS_DEVICE,
  PCI_CLASS_PROG,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_PARITY,
  PCI_COMMAND_SERR,
  PCI_DEVICE_ID,
  PCI_HEADER_TYPE,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_LATENCY_TIMER,
  PCI_REVISION_ID,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_STATUS_DEVSEL_MEDIUM,
  PCI_STATUS_FAST_BACK,
  PCI_STATUS_REC_MASTER_ABORT,
  PCI_STATUS_SIG_SYSTEM_ERROR,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
  PciFunction,
} from '../../src/pci/index.js';
import { e1000Like } from './helpers.js';

describe('PCI header reads (PCI 3.0 §6.2.1)', () => {
  it('reads IDs, revision, class code, header type, subsystem and pin', () => {
    const { fn } = e1000Like();
    expect(fn.configRead(PCI_VENDOR_ID, 2)).toBe(0x8086);
    expect(fn.configRead(PCI_DEVICE_ID, 2)).toBe(0x100e);
    expect(fn.configRead(0, 4)).toBe(0x100e8086);
    expect(fn.configRead(PCI_REVISION_ID, 1)).toBe(0x03);
    expect(fn.configRead(PCI_CLASS_PROG, 1)).toBe(0x00);
    expect(fn.configRead(PCI_CLASS_DEVICE, 2)).toBe(0x0200);
    expect(fn.configRead(0x08, 4)).toBe(0x02000003);
    expect(fn.configRead(PCI_HEADER_TYPE, 1)).toBe(0x00);
    expect(fn.configRead(PCI_SUBSYSTEM_VENDOR_ID, 2)).toBe(0x8086);
    expect(fn.configRead(PCI_SUBSYSTEM_ID, 2)).toBe(0x001e);
    expect(fn.configRead(PCI_INTERRUPT_PIN, 1)).toBe(1);
    expect(fn.configRead(PCI_COMMAND, 2)).toBe(0);
  });

  it('puts the 24-bit class code in bytes 9..11 and the multi-function bit in the header type', () => {
    const fn = new PciFunction({ vendorId: 1, deviceId: 2, classCode: 0x0c0330, multiFunction: true });
    expect(fn.configRead(0x09, 1)).toBe(0x30);
    expect(fn.configRead(0x0a, 1)).toBe(0x03);
    expect(fn.configRead(0x0b, 1)).toBe(0x0c);
    expect(fn.configRead(PCI_HEADER_TYPE, 1)).toBe(0x80);
  });

  it('advertises declared read-only status bits; no capability bit without capabilities', () => {
    const fn = new PciFunction({ vendorId: 1, deviceId: 2, classCode: 0, statusBits: PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK });
    expect(fn.configRead(PCI_STATUS, 2)).toBe(0x0280);
    expect(fn.configRead(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST).toBe(0);
    expect(fn.configRead(PCI_CAPABILITY_LIST, 1)).toBe(0);
  });

  it('rejects bad build options with OptionError', () => {
    expect(() => new PciFunction({ vendorId: 0x10000, deviceId: 0, classCode: 0 })).toThrow(OptionError);
    expect(() => new PciFunction({ vendorId: 1, deviceId: 0, classCode: 0x1000000 })).toThrow(OptionError);
    expect(() => new PciFunction({ vendorId: 1, deviceId: 0, classCode: 0, interruptPin: 5 })).toThrow(OptionError);
    expect(() => new PciFunction({ vendorId: 1, deviceId: 0, classCode: 0, statusBits: 0x8000 })).toThrow(/statusBits/);
  });
});

describe('read-only and writable header bytes', () => {
  it('ignores writes to IDs, revision, class, header type, subsystem, pin and capability pointer', () => {
    const { fn } = e1000Like();
    for (const off of [0x00, 0x08, 0x0c, 0x2c]) fn.configWrite(off, 4, 0xffffffff);
    fn.configWrite(PCI_INTERRUPT_PIN, 1, 0x04);
    fn.configWrite(PCI_CAPABILITY_LIST, 1, 0x80);
    expect(fn.configRead(0x00, 4)).toBe(0x100e8086);
    expect(fn.configRead(0x08, 4)).toBe(0x02000003);
    expect(fn.configRead(PCI_HEADER_TYPE, 1)).toBe(0);
    expect(fn.configRead(0x2c, 4)).toBe(0x001e8086);
    expect(fn.configRead(PCI_INTERRUPT_PIN, 1)).toBe(1);
    expect(fn.configRead(PCI_CAPABILITY_LIST, 1)).toBe(0);
  });

  it('cache line size, latency timer and interrupt line are writable', () => {
    const { fn } = e1000Like();
    fn.configWrite(PCI_CACHE_LINE_SIZE, 2, 0x4010);
    fn.configWrite(PCI_INTERRUPT_LINE, 1, 11);
    expect(fn.configRead(PCI_CACHE_LINE_SIZE, 1)).toBe(0x10);
    expect(fn.configRead(PCI_LATENCY_TIMER, 1)).toBe(0x40);
    expect(fn.configRead(PCI_INTERRUPT_LINE, 1)).toBe(11);
  });

  it('command register keeps only IO, MEM, MASTER, PARITY, SERR and INTX_DISABLE (PCI 3.0 §6.2.2)', () => {
    const { fn } = e1000Like();
    fn.configWrite(PCI_COMMAND, 2, 0xffff);
    const expected = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE;
    expect(fn.configRead(PCI_COMMAND, 2)).toBe(expected);
    expect(fn.command).toBe(expected);
    expect(fn.busMaster).toBe(true);
    fn.configWrite(PCI_COMMAND, 2, 0);
    expect(fn.configRead(PCI_COMMAND, 2)).toBe(0);
    expect(fn.busMaster).toBe(false);
  });

  it('status error bits are write-1-to-clear; other status bits ignore writes (PCI 3.0 §6.2.3)', () => {
    const fn = new PciFunction({ vendorId: 1, deviceId: 2, classCode: 0, statusBits: PCI_STATUS_DEVSEL_MEDIUM });
    fn.raiseStatus(PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR | 0x0008);
    expect(fn.configRead(PCI_STATUS, 2)).toBe(0x0200 | 0x2000 | 0x4000);
    // Writing zeros changes nothing; writing 1 to one error bit clears only that bit.
    fn.configWrite(PCI_STATUS, 2, 0);
    expect(fn.configRead(PCI_STATUS, 2)).toBe(0x6200);
    fn.configWrite(PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_DEVSEL_MEDIUM);
    expect(fn.configRead(PCI_STATUS, 2)).toBe(0x4200);
    // A dword write to COMMAND with the status half zero leaves status alone.
    fn.configWrite(PCI_COMMAND, 4, PCI_COMMAND_MEMORY);
    expect(fn.configRead(PCI_STATUS, 2)).toBe(0x4200);
    fn.configWrite(PCI_COMMAND, 4, 0xffff0000 | PCI_COMMAND_MEMORY);
    expect(fn.configRead(PCI_STATUS, 2)).toBe(0x0200);
    expect(fn.configRead(PCI_COMMAND, 2)).toBe(PCI_COMMAND_MEMORY);
  });
});

describe('access sizes and alignment', () => {
  it('unaligned and straddling reads are assembled byte by byte, little-endian', () => {
    const { fn } = e1000Like();
    // bytes 0..3 = 86 80 0e 10; bytes 4..7 = command 0000, status 0000
    expect(fn.configRead(0x01, 2)).toBe(0x0e80);
    expect(fn.configRead(0x03, 1)).toBe(0x10);
    expect(fn.configRead(0x01, 4)).toBe(0x00100e80);
    expect(fn.configRead(0x03, 2)).toBe(0x0010);
  });

  it('unaligned writes hit the right bytes, each byte with its own mask', () => {
    const { fn } = e1000Like();
    // Bytes 0x0b..0x0e: class (RO), cache line, latency, header type (RO).
    fn.configWrite(0x0b, 4, 0x44332211);
    expect(fn.configRead(0x0b, 1)).toBe(0x02);
    expect(fn.configRead(PCI_CACHE_LINE_SIZE, 1)).toBe(0x22);
    expect(fn.configRead(PCI_LATENCY_TIMER, 1)).toBe(0x33);
    expect(fn.configRead(PCI_HEADER_TYPE, 1)).toBe(0x00);
    // Command high byte alone: INTX_DISABLE is bit 10.
    fn.configWrite(PCI_COMMAND + 1, 1, 0x04);
    expect(fn.configRead(PCI_COMMAND, 2)).toBe(PCI_COMMAND_INTX_DISABLE);
  });

  it('byte-wise dword writes equal one dword write', () => {
    const a = e1000Like().fn;
    const b = e1000Like().fn;
    a.configWrite(0x10, 4, 0xfebc0000);
    [0x00, 0x00, 0xbc, 0xfe].forEach((v, i) => b.configWrite(0x10 + i, 1, v));
    expect(b.configRead(0x10, 4)).toBe(a.configRead(0x10, 4));
    expect(a.configRead(0x10, 4)).toBe(0xfebc0000);
  });

  it('out-of-range offsets read all ones and writes are dropped, never throwing', () => {
    const { fn } = e1000Like();
    expect(fn.configRead(256, 4)).toBe(0xffffffff);
    expect(fn.configRead(-1, 2)).toBe(0xffff);
    expect(fn.configRead(0x1000, 1)).toBe(0xff);
    expect(fn.configRead(1.5, 1)).toBe(0xff);
    // A dword at 0xfe: two real bytes (max_lat region is 0x3f; 0xfe/0xff are unused = 0) and two all-ones.
    expect(fn.configRead(0xfe, 4)).toBe(0xffff0000);
    expect(fn.configRead(0, 3 as 4)).toBe(0xffffffff);
    const before = Array.from({ length: 64 }, (_, i) => fn.configRead(i * 4, 4));
    expect(() => fn.configWrite(256, 4, 0xffffffff)).not.toThrow();
    expect(() => fn.configWrite(-4, 4, 0xffffffff)).not.toThrow();
    expect(() => fn.configWrite(0x04, 3 as 4, 0xffffffff)).not.toThrow();
    expect(() => fn.configWrite(0x04, 2, Number.NaN)).not.toThrow();
    expect(Array.from({ length: 64 }, (_, i) => fn.configRead(i * 4, 4))).toEqual(before);
  });
});
