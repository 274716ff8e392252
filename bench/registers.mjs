// Median ns per register access through the machine's address spaces and a
// device's register table: the path a guest driver's MMIO/PIO takes (an
// emulator's CPU calling MemorySpace/IoSpace). One PcMachine holds the test
// device and one NIC of each model, as a machine with several devices does
// (the bus's handler calls see every device). Target: <= 100 ns.
import { measure } from './util.mjs';
import { NIC_MODELS, PcMachine, TestDevice } from '../dist/index.js';

export const TARGET_NS = 100;

/** Where each device's BARs go (slot, then BAR index -> address). */
const LAYOUT = {
  testdev: { slot: 2, bars: { 0: 0xfebc0000, 1: 0xc000 } },
  e1000: { slot: 3, bars: { 0: 0xfeb80000, 1: 0xc040 } },
  rtl8139: { slot: 4, bars: { 0: 0xc100, 1: 0xfebd1000 } },
  'virtio-net-pci': { slot: 5, bars: { 0: 0xc200, 1: 0xfebd2000, 4: 0xfe000000 } },
};

function machine() {
  const m = new PcMachine();
  const cfg = (slot, off, v) => {
    m.io.write(0xcf8, 4, (0x80000000 | (slot << 11) | off) >>> 0);
    m.io.write(0xcfc, 4, v >>> 0);
  };
  const place = (slot, bars) => {
    for (const [i, a] of Object.entries(bars)) cfg(slot, 0x10 + 4 * Number(i), a);
    cfg(slot, 0x04, 7);
  };
  m.addPciDevice((ctx) => new TestDevice(ctx), { slot: LAYOUT.testdev.slot });
  place(LAYOUT.testdev.slot, LAYOUT.testdev.bars);
  const present = [];
  for (const [driver, l] of Object.entries(LAYOUT)) {
    if (driver === 'testdev') continue;
    const model = NIC_MODELS.find((x) => x.driver === driver);
    if (!model) continue;
    m.addPciDevice((ctx) => model.create(ctx, { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, l.slot), name: driver }), { slot: l.slot });
    place(l.slot, l.bars);
    present.push(driver);
  }
  return { m, present };
}

export async function registerBench({ time = 250 } = {}) {
  const { m, present } = machine();
  const { mem, io } = m;
  let sink = 0;
  const tasks = [
    ['testdev', 'MMIO read (readl)', () => { sink += mem.read(0xfebc0004, 4); }],
    ['testdev', 'MMIO write (writel)', () => { mem.write(0xfebc0004, 4, 0x1234); }],
    ['testdev', 'PIO read (inl)', () => { sink += io.read(0xc004, 4); }],
    ['machine', 'RAM read through the memory space', () => { sink += mem.read(0x1000, 4); }],
  ];
  const E = LAYOUT.e1000.bars;
  if (present.includes('e1000')) {
    io.write(E[1], 4, 0x0008); // IOADDR = STATUS
    tasks.push(
      ['e1000', 'MMIO read STATUS', () => { sink += mem.read(E[0] + 0x0008, 4); }],
      ['e1000', 'MMIO read ICR (read-to-clear)', () => { sink += mem.read(E[0] + 0x00c0, 4); }],
      ['e1000', 'MMIO write TIPG', () => { mem.write(E[0] + 0x0410, 4, 0x0060200a); }],
      ['e1000', 'MMIO write IMC (interrupt recompute)', () => { mem.write(E[0] + 0x00d8, 4, 0); }],
      ['e1000', 'MMIO write TDT (doorbell, ring idle)', () => { mem.write(E[0] + 0x3818, 4, 0); }],
      ['e1000', 'I/O BAR read IODATA (-> STATUS)', () => { sink += io.read(E[1] + 4, 4); }],
      ['e1000', 'I/O BAR write IOADDR', () => { io.write(E[1], 4, 0x0008); }],
    );
  }
  const T = LAYOUT.rtl8139.bars;
  if (present.includes('rtl8139')) {
    tasks.push(
      ['rtl8139', 'PIO inb CR', () => { sink += io.read(T[0] + 0x37, 1); }],
      ['rtl8139', 'PIO inw ISR', () => { sink += io.read(T[0] + 0x3e, 2); }],
      ['rtl8139', 'PIO inl TCR', () => { sink += io.read(T[0] + 0x40, 4); }],
      ['rtl8139', 'PIO outw IMR', () => { io.write(T[0] + 0x3c, 2, 0); }],
      ['rtl8139', 'PIO outl MAR0', () => { io.write(T[0] + 0x08, 4, 0xffffffff); }],
      ['rtl8139', 'MMIO readl TCR', () => { sink += mem.read(T[1] + 0x40, 4); }],
    );
  }
  const V = LAYOUT['virtio-net-pci'].bars;
  if (present.includes('virtio-net-pci')) {
    tasks.push(
      ['virtio-net legacy', 'PIO inl HOST_FEATURES', () => { sink += io.read(V[0] + 0x00, 4); }],
      ['virtio-net legacy', 'PIO inb STATUS', () => { sink += io.read(V[0] + 0x12, 1); }],
      ['virtio-net legacy', 'PIO outw QUEUE_SEL', () => { io.write(V[0] + 0x0e, 2, 0); }],
      ['virtio-net legacy', 'PIO inb config (MAC[0])', () => { sink += io.read(V[0] + 0x14, 1); }],
      ['virtio-net modern', 'MMIO readl device_feature', () => { sink += mem.read(V[4] + 0x04, 4); }],
      ['virtio-net modern', 'MMIO readb device_status', () => { sink += mem.read(V[4] + 0x14, 1); }],
      ['virtio-net modern', 'MMIO writew queue_select', () => { mem.write(V[4] + 0x16, 2, 0); }],
      ['virtio-net modern', 'MMIO readb config (MAC[0])', () => { sink += mem.read(V[4] + 0x2000, 1); }],
      ['virtio-net modern', 'MMIO writew notify (queue not ready)', () => { mem.write(V[4] + 0x3000, 2, 0); }],
    );
  }
  const r = await measure(tasks.map(([dev, what, fn]) => [`${dev}: ${what}`, fn]), { time });
  if (sink === 42) console.log('');
  const rows = r.map((x, i) => ({ device: tasks[i][0], access: tasks[i][1], nsPerOp: x.nsPerOp, samples: x.samples, met: x.nsPerOp <= TARGET_NS }));
  const notes = [];
  for (const d of ['e1000', 'rtl8139', 'virtio-net-pci']) if (!present.includes(d)) notes.push(`${d}: not in NIC_MODELS yet, skipped`);
  return { rows, notes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { rows, notes } = await registerBench();
  console.table(rows);
  for (const n of notes) console.log(`note: ${n}`);
}
