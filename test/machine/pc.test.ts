import { describe, expect, it } from 'vitest';
import { PcMachine } from '../../src/machine/pc.js';
import { InProcessQtest } from '../../src/machine/inprocess.js';
import { WireEnd } from '../../src/machine/wire.js';
import { TestDevice, TESTDEV_DEVICE, TESTDEV_VENDOR } from '../../src/devices/testdev/device.js';
import { TESTDEV_ID } from '../../src/devices/testdev/regs.js';
import { NetClient } from '../../src/hub/client.js';
import { SeededRandom } from '../../src/time/random.js';

const cfgAddr = (dev: number, fn: number, off: number): string =>
  '0x' + ((0x80000000 | (dev << 11) | (fn << 8) | (off & 0xfc)) >>> 0).toString(16);

function setup(opts: { devices?: number } = {}) {
  const m = new PcMachine({ random: new SeededRandom(1) });
  const wire = new WireEnd();
  const devs: TestDevice[] = [];
  for (let i = 0; i < (opts.devices ?? 1); i++) {
    const { device } = m.addPciDevice((ctx) => new TestDevice(ctx, `td${i}`));
    devs.push(device);
  }
  NetClient.connect(devs[0]!.net, wire.client);
  const qt = new InProcessQtest(m, { wire });
  const cfg = {
    read32: (dev: number, fn: number, off: number) => {
      qt.ok(`outl 0xcf8 ${cfgAddr(dev, fn, off)}`);
      return Number(qt.ok('inl 0xcfc'));
    },
    read8: (dev: number, fn: number, off: number) => {
      qt.ok(`outl 0xcf8 ${cfgAddr(dev, fn, off)}`);
      return Number(qt.ok(`inb 0x${(0xcfc + (off & 3)).toString(16)}`));
    },
    write32: (dev: number, fn: number, off: number, v: number) => {
      qt.ok(`outl 0xcf8 ${cfgAddr(dev, fn, off)}`);
      qt.ok(`outl 0xcfc 0x${v.toString(16)}`);
    },
    write8: (dev: number, fn: number, off: number, v: number) => {
      qt.ok(`outl 0xcf8 ${cfgAddr(dev, fn, off)}`);
      qt.ok(`outb 0x${(0xcfc + (off & 3)).toString(16)} 0x${v.toString(16)}`);
    },
  };
  return { m, qt, cfg, wire, devs };
}

/** Assign BARs like the qtest rig (MMIO from 0xfebc0000, I/O from 0xc000) and enable decode + bus mastering. */
function assignBars(cfg: ReturnType<typeof setup>['cfg'], dev: number) {
  const bars: Array<{ index: number; kind: 'mem' | 'io'; size: number; addr: number }> = [];
  let mmio = 0xfebc0000;
  let io = 0xc000;
  for (let i = 0; i < 6; i++) {
    const off = 0x10 + 4 * i;
    const orig = cfg.read32(dev, 0, off);
    cfg.write32(dev, 0, off, 0xffffffff);
    const probe = cfg.read32(dev, 0, off);
    cfg.write32(dev, 0, off, orig);
    if (probe === 0) continue;
    if (probe & 1) {
      const size = (~(probe & 0xfffffffc) + 1) & 0xffff;
      bars.push({ index: i, kind: 'io', size, addr: io });
      cfg.write32(dev, 0, off, io);
      io += size;
    } else {
      const size = (~(probe & 0xfffffff0) + 1) >>> 0;
      mmio = Math.ceil(mmio / size) * size;
      bars.push({ index: i, kind: 'mem', size, addr: mmio });
      cfg.write32(dev, 0, off, mmio);
      mmio += size;
    }
  }
  cfg.write32(dev, 0, 0x04, 0x7);
  return bars;
}

describe('PC machine', () => {
  it('has the i440FX, the PIIX3 functions and the device from slot 2, like QEMU pc -nodefaults', () => {
    const { cfg } = setup({ devices: 2 });
    const found: string[] = [];
    for (let dev = 0; dev < 32; dev++) {
      const id0 = cfg.read32(dev, 0, 0);
      if ((id0 & 0xffff) === 0xffff) continue;
      const nfn = cfg.read8(dev, 0, 0x0e) & 0x80 ? 8 : 1;
      for (let fn = 0; fn < nfn; fn++) {
        const id = cfg.read32(dev, fn, 0);
        if ((id & 0xffff) !== 0xffff) found.push(`${dev}.${fn} ${id.toString(16)}`);
      }
    }
    const td = ((TESTDEV_DEVICE << 16) | TESTDEV_VENDOR).toString(16);
    expect(found).toEqual(['0.0 12378086', '1.0 70008086', '1.1 70108086', '1.3 71138086', `2.0 ${td}`, `3.0 ${td}`]);
    // PIIX3 PIRQ routes are disabled at reset.
    expect(cfg.read32(1, 0, 0x60)).toBe(0x80808080);
  });

  it('sizes BARs, maps them when decode is enabled and unmaps them when disabled', () => {
    const { qt, cfg } = setup();
    const bars = assignBars(cfg, 2);
    expect(bars).toEqual([
      { index: 0, kind: 'mem', size: 4096, addr: 0xfebc0000 },
      { index: 1, kind: 'io', size: 64, addr: 0xc000 },
    ]);
    expect(Number(qt.ok('readl 0xfebc0000'))).toBe(TESTDEV_ID);
    expect(Number(qt.ok('inl 0xc000'))).toBe(TESTDEV_ID);
    qt.ok('writel 0xfebc0004 0xdeadbeef');
    expect(Number(qt.ok('inl 0xc004'))).toBe(0xdeadbeef);
    // A 16-bit read of a 32-bit-only register is widened to 32 bits at the
    // same address and truncated, as QEMU's access_with_adjusted_size does.
    expect(Number(qt.ok('readw 0xfebc0004'))).toBe(0xbeef);
    expect(Number(qt.ok('readw 0xfebc0006'))).toBe(0xbeef);
    cfg.write32(2, 0, 0x04, 0);
    expect(Number(qt.ok('readl 0xfebc0000'))).toBe(0);
    expect(Number(qt.ok('inl 0xc000'))).toBe(0xffffffff);
  });

  it('routes INTx through the PIRQ registers and reports IOAPIC input changes', () => {
    const { qt, cfg } = setup();
    assignBars(cfg, 2);
    qt.ok('irq_intercept_in ioapic');
    // Not routed yet: raising the line reaches no interrupt controller.
    qt.ok('writel 0xfebc0008 0x1');
    expect(qt.takeIrqEvents()).toEqual([]);
    // Slot 2 INTA is PIRQB (0x61); routing it to 11 delivers the asserted level at once.
    cfg.write8(1, 0, 0x61, 11);
    expect(qt.takeIrqEvents()).toEqual(['raise 11']);
    qt.ok('writel 0xfebc0008 0x0');
    expect(qt.takeIrqEvents()).toEqual(['lower 11']);
    // INTx disable in the command register masks the line; re-enabling restores it.
    qt.ok('writel 0xfebc0008 0x1');
    expect(qt.takeIrqEvents()).toEqual(['raise 11']);
    cfg.write32(2, 0, 0x04, 0x407);
    expect(qt.takeIrqEvents()).toEqual(['lower 11']);
    cfg.write32(2, 0, 0x04, 0x007);
    expect(qt.takeIrqEvents()).toEqual(['raise 11']);
  });

  it('wire-ORs devices sharing a PIRQ', () => {
    const { qt, cfg } = setup({ devices: 5 });
    // Slots 2 and 6 both use PIRQB.
    for (const dev of [2, 6]) {
      cfg.write32(dev, 0, 0x10, 0xfe000000 + dev * 0x1000);
      cfg.write32(dev, 0, 0x04, 0x2);
    }
    qt.ok('irq_intercept_in ioapic');
    cfg.write8(1, 0, 0x61, 10);
    qt.ok('writel 0xfe002008 1');
    qt.ok('writel 0xfe006008 1');
    qt.ok('writel 0xfe002008 0');
    expect(qt.takeIrqEvents()).toEqual(['raise 10']);
    qt.ok('writel 0xfe006008 0');
    expect(qt.takeIrqEvents()).toEqual(['lower 10']);
  });

  it('resets through port 0xcf9: config and device back to power-on, IRQ input frozen until rerouted, RAM and clock kept', () => {
    const { qt, cfg } = setup();
    assignBars(cfg, 2);
    qt.ok('irq_intercept_in ioapic');
    cfg.write8(1, 0, 0x61, 11);
    qt.ok('writel 0xfebc0004 0x1234');
    qt.ok('writel 0xfebc0008 0x1');
    qt.ok('writel 0x1000 0xcafef00d');
    qt.ok('clock_step 5000');
    expect(qt.takeIrqEvents()).toEqual(['raise 11']);
    qt.ok('outb 0xcf9 0x6');
    expect(qt.takeIrqEvents()).toEqual([]);
    expect(cfg.read32(2, 0, 0x10)).toBe(0);
    expect(cfg.read32(2, 0, 0x04) & 0xffff).toBe(0);
    expect(cfg.read32(1, 0, 0x60)).toBe(0x80808080);
    expect(Number(qt.ok('readl 0x1000'))).toBe(0xcafef00d);
    expect(qt.ok('clock_step 0')).toBe('5000');
    cfg.write8(1, 0, 0x61, 11);
    expect(qt.takeIrqEvents()).toEqual(['lower 11']);
    assignBars(cfg, 2);
    expect(Number(qt.ok('readl 0xfebc0004'))).toBe(0);
  });

  it('runs device timers on the virtual clock only', () => {
    const { qt, cfg } = setup();
    assignBars(cfg, 2);
    cfg.write8(1, 0, 0x61, 11);
    qt.ok('irq_intercept_in ioapic');
    qt.ok('writel 0xfebc0008 0x4'); // raise on timer
    qt.ok('writel 0xfebc000c 1000000');
    expect(Number(qt.ok('readl 0xfebc000c'))).toBe(1000000);
    expect(qt.ok('clock_step 999999')).toBe('999999');
    expect(qt.takeIrqEvents()).toEqual([]);
    // Bare clock_step advances to the next deadline.
    expect(qt.ok('clock_step')).toBe('1000000');
    expect(qt.takeIrqEvents()).toEqual(['raise 11']);
    expect(Number(qt.ok('readl 0xfebc0028')) & 2).toBe(2);
    expect(qt.ok('clock_step')).toBe('1000000');
    expect(qt.ok('clock_set 5000000')).toBe('5000000');
    expect(Number(qt.ok('readl 0xfebc0034'))).toBe(5000000);
  });

  it('moves frames between guest memory and the netdev, with backpressure while the RX buffer is full', () => {
    const { qt, cfg, wire } = setup();
    assignBars(cfg, 2);
    qt.ok('write 0x2000 6 0x112233445566');
    qt.ok('writel 0xfebc0010 0x2000');
    qt.ok('writel 0xfebc0014 6');
    qt.ok('writel 0xfebc0018 1');
    expect([...qt.takeTx()!]).toEqual([0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
    qt.ok('writel 0xfebc001c 0x3000');
    qt.ok('writel 0xfebc0020 64');
    qt.inject(new Uint8Array([1, 2, 3]));
    qt.inject(new Uint8Array([4, 5]));
    expect(qt.ok('read 0x3000 3')).toBe('0x010203');
    expect(Number(qt.ok('readl 0xfebc0024'))).toBe(3);
    qt.ok('writel 0xfebc0024 0'); // take the next frame: it waited in the queue
    expect(qt.ok('read 0x3000 3')).toBe('0x040503');
    expect(Number(qt.ok('readl 0xfebc002c'))).toBe(2);
    expect(wire.pending).toBe(0);
  });

  it('answers FAIL for malformed commands where QEMU would abort, and keeps going', () => {
    const { qt } = setup();
    expect(qt.command('outb 0x10000 1')).toMatch(/^FAIL port/);
    expect(qt.command('read 0x1000 0')).toMatch(/^FAIL size/);
    expect(qt.command('readl')).toMatch(/^FAIL missing address/);
    expect(qt.command('readl zzz')).toMatch(/^FAIL invalid address/);
    expect(qt.command('frobnicate 1')).toBe("FAIL Unknown command 'frobnicate'");
    expect(qt.command('write 0x1000 4 0x')).toBe('ERR invalid argument size');
    expect(qt.command('irq_intercept_in nosuchdevice')).toBe('FAIL Unknown device');
    expect(qt.command('endianness')).toBe('OK little');
  });

  it('speaks the qtest reply formats: in* 0x%04x, read* 0x%016x, bulk hex and base64, octal and decimal numbers', () => {
    const { qt } = setup();
    expect(qt.command('inb 0x80')).toBe('OK 0x00ff');
    expect(qt.command('writeq 0x100 0x1122334455667788')).toBe('OK');
    expect(qt.command('readq 0x100')).toBe('OK 0x1122334455667788');
    expect(qt.command('readb 0x100')).toBe('OK 0x0000000000000088');
    expect(qt.command('read 0x100 4')).toBe('OK 0x88776655');
    expect(qt.command('b64read 0x100 4')).toBe('OK iHdmVQ==');
    expect(qt.command('b64write 0x200 3 AQID')).toBe('OK');
    expect(qt.command('read 0x200 4')).toBe('OK 0x01020300');
    expect(qt.command('memset 0x200 2 0xaa')).toBe('OK');
    expect(qt.command('read 0x200 3')).toBe('OK 0xaaaa03');
    expect(qt.command('writel 01000 8')).toBe('OK'); // octal address 0x200
    expect(qt.command('readl 512')).toBe('OK 0x0000000000000008');
    // Unassigned memory reads 0; unassigned ports read all-ones.
    expect(qt.command('readl 0xfee00000')).toBe('OK 0x0000000000000000');
    expect(qt.command('inl 0x1234')).toBe('OK 0xffffffff');
  });
});
