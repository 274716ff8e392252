/**
 * attachToV86 against a real (not booted) v86 0.5.462: config cycles through
 * ports 0xCF8/0xCFC, BAR sizing and relocation, MMIO at the fixed base, and
 * the compatibility errors. No guest image needed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { attachToV86, V86CompatError, type V86Nic } from '../../src/v86/index.js';
import { HubRegistry } from '../../src/hub/hub.js';

interface Io {
  port_write32(port: number, v: number): void;
  port_read32(port: number): number;
  port_read16(port: number): number;
}
interface Emu {
  add_listener(e: string, f: (v: unknown) => void): void;
  remove_listener(e: string, f: (v: unknown) => void): void;
  is_running(): boolean;
  destroy(): Promise<void>;
  v86: {
    cpu: {
      io: Io;
      mmap_read32(a: number): number;
      mmap_write32(a: number, v: number): void;
      run_hardware_timers(acpi: boolean, now: number): number;
      devices: { pci: { raise_irq(id: number): void; lower_irq(id: number): void } };
    };
  };
}

let emu: Emu;
let nic: V86Nic;
const cfg = (off: number): number => {
  emu.v86.cpu.io.port_write32(0xcf8, (0x80000000 | (3 << 11) | off) >>> 0 | 0);
  return emu.v86.cpu.io.port_read32(0xcfc) >>> 0;
};
const cfgWrite = (off: number, v: number): void => {
  emu.v86.cpu.io.port_write32(0xcf8, (0x80000000 | (3 << 11) | off) | 0);
  emu.v86.cpu.io.port_write32(0xcfc, v | 0);
};

beforeAll(async () => {
  const pkg = createRequire(import.meta.url).resolve('v86/package.json');
  const build = path.join(path.dirname(pkg), 'build');
  const { V86 } = (await import(pathToFileURL(path.join(build, 'libv86.mjs')).href)) as { V86: new (o: object) => Emu };
  emu = new V86({ wasm_path: path.join(build, 'v86.wasm'), memory_size: 32 * 1024 * 1024, autostart: false, net_device: { type: 'none' }, disable_keyboard: true, disable_mouse: true, disable_speaker: true });
  await new Promise<void>((resolve) => emu.add_listener('emulator-loaded', () => resolve()));
  nic = await attachToV86(emu, { device: 'e1000', netdev: 'hubport,id=h0,hubid=0', hubs: new HubRegistry(), v86Version: '0.5.462+g5f9a90f' });
}, 30_000);

afterAll(async () => {
  nic?.detach();
  await emu?.destroy();
});

describe('attachToV86 on a real v86', () => {
  it('config reads through 0xCF8/0xCFC come from our model', () => {
    expect(cfg(0x00)).toBe(0x100e8086);
    expect(cfg(0x08) >>> 8).toBe(0x020000);
    expect(nic.slot).toBe(3);
  });

  it('memory BAR: sizing works, relocation is refused (fixed base)', () => {
    const base = cfg(0x10);
    expect(base).toBe(0xfe000000);
    cfgWrite(0x10, 0xffffffff);
    expect(cfg(0x10)).toBe(0xfffe0000);
    cfgWrite(0x10, 0xfebc0000);
    expect(cfg(0x10)).toBe(0xfe000000);
    expect(nic.stats().host.memBarRelocationsRefused).toBeGreaterThan(0);
  });

  it('command register 32-bit writes work (v86 drops them for its own devices)', () => {
    cfgWrite(0x04, 0x0007);
    expect(cfg(0x04) & 0x7).toBe(0x7);
    expect(nic.bars().mem[0]).toMatchObject({ base: 0xfe000000, active: true });
  });

  it('MMIO reads reach the device (STATUS shows link up at the fixed base)', () => {
    const status = emu.v86.cpu.mmap_read32(0xfe000008 | 0) >>> 0;
    expect(status & 2).toBe(2);
  });

  it('an exception from the device (our bug) is counted, never thrown into v86', () => {
    const bar0 = nic.device.bar(0)!;
    const read = bar0.read;
    (bar0 as { read: typeof read }).read = () => {
      throw new Error('planted device bug');
    };
    try {
      expect(emu.v86.cpu.mmap_read32(0xfe000008 | 0)).toBe(0);
      expect(nic.stats().host.deviceErrors).toBe(1);
    } finally {
      (bar0 as { read: typeof read }).read = read;
    }
    expect((emu.v86.cpu.mmap_read32(0xfe000008 | 0) >>> 0) & 2).toBe(2);
  });

  it('an interrupt raised inside a register access reaches v86 at the next instruction boundary, not mid-instruction', () => {
    const cpu = emu.v86.cpu;
    const pci = cpu.devices.pci;
    const calls: string[] = [];
    const raise = pci.raise_irq;
    const lower = pci.lower_irq;
    pci.raise_irq = (id) => {
      calls.push(`raise ${id}`);
      raise.call(pci, id);
    };
    pci.lower_irq = (id) => {
      calls.push(`lower ${id}`);
      lower.call(pci, id);
    };
    try {
      const reg = (off: number): number => (0xfe000000 + off) | 0;
      cpu.mmap_read32(reg(0xc0)); // ICR: clear what is pending
      const deferred = nic.stats().host.irqDeferred;
      cpu.mmap_write32(reg(0xd0), 0x4); // IMS.LSC
      cpu.mmap_write32(reg(0xc8), 0x4); // ICS.LSC: the line rises inside this write
      expect(calls).toEqual([]);
      expect(nic.stats().host.irqDeferred).toBe(deferred + 1);
      cpu.run_hardware_timers(false, performance.now()); // v86's main loop, between instructions
      expect(calls).toEqual(['raise 24']);
      cpu.run_hardware_timers(false, performance.now());
      expect(calls).toEqual(['raise 24']);
      expect(cpu.mmap_read32(reg(0xc0)) & 0x4).toBe(0x4); // ICR read lowers at once
      expect(calls).toEqual(['raise 24', 'lower 24']);
      // Raised and lowered again before the boundary: v86 never sees the pulse.
      cpu.mmap_write32(reg(0xc8), 0x4);
      cpu.mmap_read32(reg(0xc0));
      cpu.run_hardware_timers(false, performance.now());
      expect(calls).toEqual(['raise 24', 'lower 24', 'lower 24']);
      cpu.mmap_write32(reg(0xd8), 0xffffffff); // IMC
    } finally {
      pci.raise_irq = raise;
      pci.lower_irq = lower;
    }
  });

  it('the I/O BAR follows the guest: IOADDR/IODATA at the new ports', () => {
    cfgWrite(0x14, 0xc000);
    expect(nic.bars().io).toEqual([{ index: 1, addr: 0xc000, size: 0x40 }]);
    emu.v86.cpu.io.port_write32(0xc000, 0x8); // IOADDR = STATUS
    expect(emu.v86.cpu.io.port_read32(0xc004) & 2).toBe(2);
    cfgWrite(0x14, 0xd000);
    expect(nic.bars().io[0]?.addr).toBe(0xd000);
    expect(emu.v86.cpu.io.port_read16(0xc004)).toBe(0xffff);
  });

  it('a second NIC gets the next slot and MMIO block; a taken slot is refused', async () => {
    const hubs = new HubRegistry();
    const b = await attachToV86(emu, { device: 'e1000', netdev: hubs.get(1).addPort() });
    try {
      expect(b.slot).toBe(4);
      expect(b.bars().mem[0]?.base).toBe(0xfe020000);
      expect(b.mac).toBe('52:54:00:12:34:57');
      await expect(attachToV86(emu, { device: 'e1000', netdev: hubs.get(1).addPort(), slot: 3 })).rejects.toThrow(/slot 3 is taken/);
    } finally {
      b.detach();
    }
  });

  it('save/restore round trip', () => {
    const s = nic.saveState();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    nic.restoreState(s);
    expect(cfg(0x00)).toBe(0x100e8086);
    expect(() => nic.restoreState({ format: 'other' })).toThrow(/not a nicemu v86 NIC state/);
  });
});

describe('compatibility checks', () => {
  it('rejects an object that is not a v86 emulator, and untested versions', async () => {
    await expect(attachToV86({} as unknown as Emu, { device: 'e1000', netdev: 'hubport,id=x,hubid=9' })).rejects.toBeInstanceOf(V86CompatError);
    const fake = { add_listener() {}, remove_listener() {}, is_running: () => false, v86: { cpu: { io: {}, devices: {} } } };
    await expect(attachToV86(fake, { device: 'e1000', netdev: 'hubport,id=x,hubid=9' })).rejects.toThrow(/lacks internals.*pci_query/);
    await expect(attachToV86(emu, { device: 'e1000', netdev: 'hubport,id=x,hubid=9', v86Version: '0.4.0' })).rejects.toThrow(/not a version nicemu was tested with/);
  });
});
