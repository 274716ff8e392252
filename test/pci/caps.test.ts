import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import {
  PCI_BASE_ADDRESS_0,
  PCI_CAP_ID_MSI,
  PCI_CAP_ID_MSIX,
  PCI_CAP_ID_PM,
  PCI_CAP_ID_VNDR,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PciFunction,
  type PowerState,
} from '../../src/pci/index.js';
import { CfgWindowLog, virtioNetLike, walkCaps } from './helpers.js';

function allCaps(): PciFunction {
  return new PciFunction({
    vendorId: 0x8086,
    deviceId: 0x10d3,
    classCode: 0x020000,
    interruptPin: 1,
    bars: [{ kind: 'mem32', size: 0x20000 }, undefined, { kind: 'io', size: 32 }, { kind: 'mem32', size: 0x4000 }],
    capabilities: [
      { kind: 'pm', d1: true, pmeSupport: 0x19 },
      { kind: 'msi', vectors: 4, addr64: true, perVectorMask: true },
      { kind: 'msix', vectors: 5, tableBar: 3, tableOffset: 0, pbaBar: 3, pbaOffset: 0x2000 },
      { kind: 'vendor', bytes: Uint8Array.of(0, 0, 0, 0xaa, 0xbb) },
    ],
  });
}

describe('capability list (PCI 3.0 §6.7)', () => {
  it('sets status bit 4 and links PM, MSI, MSI-X and vendor caps from 0x34, packed from 0x40', () => {
    const fn = allCaps();
    expect(fn.configRead(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST).toBe(PCI_STATUS_CAP_LIST);
    // PM 8 bytes at 0x40, MSI 64-bit+mask 0x18 at 0x48, MSI-X 12 at 0x60, vendor 5 at 0x6c.
    expect(walkCaps(fn)).toEqual([
      [0x40, PCI_CAP_ID_PM],
      [0x48, PCI_CAP_ID_MSI],
      [0x60, PCI_CAP_ID_MSIX],
      [0x6c, PCI_CAP_ID_VNDR],
    ]);
    expect(fn.capabilityOffset('msix')).toBe(0x60);
    expect(fn.capabilityOffset('vendor', 1)).toBeUndefined();
  });

  it('fills PM, MSI and MSI-X read-only fields', () => {
    const fn = allCaps();
    // PMC: version 3 (PM 1.2), D1 support, PME support 0x19 in bits 15:11; PMCSR: No_Soft_Reset.
    expect(fn.configRead(0x42, 2)).toBe(0x0003 | 0x0200 | (0x19 << 11));
    expect(fn.configRead(0x44, 2)).toBe(0x0008);
    // MSI control: MMC=2 (4 vectors) in bits 3:1, 64-bit, per-vector masking.
    expect(fn.configRead(0x4a, 2)).toBe((2 << 1) | 0x80 | 0x100);
    // MSI-X control: table size N-1; table/PBA offset with BIR in bits 2:0.
    expect(fn.configRead(0x62, 2)).toBe(4);
    expect(fn.configRead(0x64, 4)).toBe(0x00000003);
    expect(fn.configRead(0x68, 4)).toBe(0x00002003);
    // Vendor: length byte = image length, payload intact.
    expect(fn.configRead(0x6e, 1)).toBe(5);
    expect(fn.configRead(0x6f, 2)).toBe(0xbbaa);
    // Read-only pieces ignore writes.
    fn.configWrite(0x42, 2, 0);
    fn.configWrite(0x62, 2, 0x07ff);
    fn.configWrite(0x64, 4, 0xffffffff);
    fn.configWrite(0x6f, 2, 0);
    fn.configWrite(0x41, 1, 0);
    expect(fn.configRead(0x42, 2)).toBe(0xca03);
    expect(fn.configRead(0x62, 2)).toBe(4);
    expect(fn.configRead(0x64, 4)).toBe(3);
    expect(fn.configRead(0x6f, 2)).toBe(0xbbaa);
    expect(walkCaps(fn)).toHaveLength(4);
  });

  it("reproduces QEMU virtio-net-pci's layout: vendor caps at 0x40..0x84, MSI-X at 0x98", () => {
    const { fn } = virtioNetLike();
    expect(walkCaps(fn)).toEqual([
      [0x98, PCI_CAP_ID_MSIX],
      [0x84, PCI_CAP_ID_VNDR],
      [0x70, PCI_CAP_ID_VNDR],
      [0x60, PCI_CAP_ID_VNDR],
      [0x50, PCI_CAP_ID_VNDR],
      [0x40, PCI_CAP_ID_VNDR],
    ]);
    // virtio 1.2 §4.1.4: cap_len, cfg_type, bar, offset, length, notify_off_multiplier.
    expect(fn.configRead(0x42, 1)).toBe(16);
    expect(fn.configRead(0x43, 1)).toBe(1);
    expect(fn.configRead(0x44, 1)).toBe(4);
    expect(fn.configRead(0x72, 1)).toBe(20);
    expect(fn.configRead(0x73, 1)).toBe(2);
    expect(fn.configRead(0x78, 4)).toBe(0x3000);
    expect(fn.configRead(0x7c, 4)).toBe(0x1000);
    expect(fn.configRead(0x80, 4)).toBe(4);
    expect(fn.configRead(0x87, 1)).toBe(5);
  });

  it('virtio PCI_CFG cap: bar/offset/length writable, the rest read-only, data window served by the callback', () => {
    const window = new CfgWindowLog();
    const { fn } = virtioNetLike(window);
    fn.configWrite(0x84 + 4, 1, 4); // cap.bar
    fn.configWrite(0x84 + 8, 4, 0x14); // cap.offset
    fn.configWrite(0x84 + 12, 4, 2); // cap.length
    fn.configWrite(0x84 + 3, 1, 0x7f); // cfg_type: read-only
    fn.configWrite(0x84 + 2, 1, 0x7f); // cap_len: read-only
    expect(fn.configRead(0x84 + 3, 1)).toBe(5);
    expect(fn.configRead(0x84 + 2, 1)).toBe(20);
    expect(fn.configRead(0x84 + 4, 1)).toBe(4);
    expect(fn.configRead(0x84 + 8, 4)).toBe(0x14);
    expect(fn.configRead(0x84 + 12, 4)).toBe(2);
    // Whole accesses inside pci_cfg_data reach the callback once with their own size.
    fn.configWrite(0x84 + 16, 2, 0xbeef);
    expect(window.writes).toEqual([{ offset: 0, size: 2, value: 0xbeef, bar: 4 }]);
    expect(fn.configRead(0x84 + 16, 4)).toBe(0x44332211);
    expect(fn.configRead(0x84 + 17, 2)).toBe(0x3322);
    expect(window.reads).toEqual([
      { offset: 0, size: 4, bar: 4 },
      { offset: 1, size: 2, bar: 4 },
    ]);
    // A straddling access reaches the window byte by byte and config space for the rest.
    window.reads.length = 0;
    expect(fn.configRead(0x84 + 14, 4)).toBe(0x22110000);
    expect(window.reads.map((r) => [r.offset, r.size])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('vendor caps without a wmask are read-only', () => {
    const { fn } = virtioNetLike();
    fn.configWrite(0x40, 4, 0xffffffff);
    fn.configWrite(0x44, 4, 0xffffffff);
    expect(fn.configRead(0x40, 4)).toBe(0x01100009) // vndr 09, next 00 (last in the list), len 16, cfg_type 1;
    expect(fn.configRead(0x44, 1)).toBe(4);
  });

  it('rejects overlapping, misaligned or out-of-space capabilities and bad MSI-X placement', () => {
    const base = { vendorId: 1, deviceId: 2, classCode: 0, bars: [{ kind: 'mem32' as const, size: 0x1000 }] };
    expect(() => new PciFunction({ ...base, capabilities: [{ kind: 'pm', offset: 0x40 }, { kind: 'pm', offset: 0x44 }] })).toThrow(/overlaps/);
    expect(() => new PciFunction({ ...base, capabilities: [{ kind: 'pm', offset: 0x42 }] })).toThrow(OptionError);
    expect(() => new PciFunction({ ...base, capabilities: [{ kind: 'pm', offset: 0x3c }] })).toThrow(OptionError);
    expect(() => new PciFunction({ ...base, capabilities: [{ kind: 'msi', offset: 0xf8, vectors: 1 }] })).toThrow(OptionError);
    expect(() => new PciFunction({ ...base, capabilities: [{ kind: 'msi', vectors: 3 }] })).toThrow(OptionError);
    expect(() => new PciFunction({ ...base, capabilities: [{ kind: 'msix', vectors: 4, tableBar: 1, tableOffset: 0, pbaBar: 0, pbaOffset: 0x800 }] })).toThrow(/not a memory BAR/);
    expect(() => new PciFunction({ ...base, capabilities: [{ kind: 'msix', vectors: 4, tableBar: 0, tableOffset: 0xfe0, pbaBar: 0, pbaOffset: 0x800 }] })).toThrow(/runs past/);
    expect(() => new PciFunction({ ...base, capabilities: [{ kind: 'msix', vectors: 4, tableBar: 0, tableOffset: 4, pbaBar: 0, pbaOffset: 0x800 }] })).toThrow(/aligned/);
    expect(() => new PciFunction({ ...base, capabilities: [{ kind: 'vendor', bytes: new Uint8Array(8), wmask: new Uint8Array(4) }] })).toThrow(/wmask/);
    const many = Array.from({ length: 25 }, () => ({ kind: 'pm' as const }));
    expect(() => new PciFunction({ ...base, capabilities: many })).toThrow(OptionError);
  });
});

describe('power management (PCI PM 1.2 §3.2.4)', () => {
  function pmFn(noSoftReset?: boolean): PciFunction {
    return new PciFunction({
      vendorId: 1,
      deviceId: 2,
      classCode: 0,
      bars: [{ kind: 'mem32', size: 0x1000 }],
      capabilities: [{ kind: 'pm', noSoftReset }],
    });
  }

  it('D0 and D3hot are writable; unsupported D1/D2 writes are discarded', () => {
    const fn = pmFn();
    const seen: Array<[PowerState, PowerState]> = [];
    fn.onPowerStateChange((s, p) => seen.push([s, p]));
    fn.configWrite(0x44, 2, 3);
    expect(fn.powerState).toBe('D3hot');
    expect(fn.configRead(0x44, 2) & 3).toBe(3);
    fn.configWrite(0x44, 2, 1);
    expect(fn.powerState).toBe('D3hot');
    fn.configWrite(0x44, 2, 0);
    expect(fn.powerState).toBe('D0');
    expect(seen).toEqual([
      ['D3hot', 'D0'],
      ['D0', 'D3hot'],
    ]);
    // Without PME support, PME_En and PME_Status are hardwired 0.
    fn.configWrite(0x44, 2, 0x8100);
    expect(fn.configRead(0x44, 2)).toBe(0x0008);
  });

  it('BARs stop decoding outside D0', () => {
    const fn = pmFn();
    fn.configWrite(PCI_BASE_ADDRESS_0, 4, 0xfe000000);
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    expect(fn.activeBars()).toHaveLength(1);
    fn.configWrite(0x44, 2, 3);
    expect(fn.activeBars()).toEqual([]);
    fn.configWrite(0x44, 2, 0);
    expect(fn.activeBars()).toHaveLength(1);
  });

  it('D3hot→D0 without No_Soft_Reset resets the configuration', () => {
    const fn = pmFn(false);
    expect(fn.configRead(0x44, 2)).toBe(0);
    fn.configWrite(PCI_BASE_ADDRESS_0, 4, 0xfe000000);
    fn.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    fn.configWrite(0x44, 2, 3);
    fn.configWrite(0x44, 2, 0);
    expect(fn.configRead(PCI_BASE_ADDRESS_0, 4)).toBe(0);
    expect(fn.command).toBe(0);
    expect(fn.powerState).toBe('D0');
  });

  it('PME_Status is write-1-to-clear when PME is supported', () => {
    const fn = new PciFunction({ vendorId: 1, deviceId: 2, classCode: 0, capabilities: [{ kind: 'pm', pmeSupport: 0x18 }] });
    fn.configWrite(0x44, 2, 0x0100);
    expect(fn.configRead(0x44, 2)).toBe(0x0108);
    expect(fn.writeMasks().w1cmask[0x45]).toBe(0x80);
  });
});
