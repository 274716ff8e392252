// Median ns per register access through the machine's address spaces and a
// device's register table (the path a guest driver's MMIO/PIO takes).
import { measure } from './util.mjs';
import { PcMachine, TestDevice } from '../dist/index.js';

export async function registerBench() {
  const m = new PcMachine();
  m.addPciDevice((ctx) => new TestDevice(ctx));
  const cfg = (off, v) => { m.io.write(0xcf8, 4, (0x80001000 | off) >>> 0); m.io.write(0xcfc, 4, v); };
  cfg(0x10, 0xfebc0000);
  cfg(0x14, 0xc000);
  cfg(0x04, 7);
  let sink = 0;
  const rows = await measure([
    ['testdev MMIO read (readl)', () => { sink += m.mem.read(0xfebc0004, 4); }],
    ['testdev MMIO write (writel)', () => { m.mem.write(0xfebc0004, 4, 0x1234); }],
    ['testdev PIO read (inl)', () => { sink += m.io.read(0xc004, 4); }],
    ['RAM read through the memory space', () => { sink += m.mem.read(0x1000, 4); }],
  ]);
  if (sink === 42) console.log('');
  return rows;
}
