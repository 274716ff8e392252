/**
 * bad-input.md items 4 and 28: TX that loops back into RX (PHY loopback,
 * CVE-2021-3416), RX DMA landing on the descriptor rings, and DMA that lands
 * on the device's own registers (MemReentrancyGuard: CVE-2023-0330,
 * CVE-2023-3019; QEMU e1000 tx.busy, 25ddb946e6). Nested I/O is refused or
 * deferred, never run recursively.
 */
import { describe, expect, it } from 'vitest';
import { bench, CMD, eth, expectOnlyRefusedOutside, expectStillWorks, legacyDesc, OWN, R, RCTL, RX_BUFS, RX_RING, TX_RING } from './e1000-helpers.js';

const loopbackOn = (d: ReturnType<typeof bench>['d']) => d.w(R.MDIC, (1 << 26) | (1 << 21) | 0x4140);

describe('e1000 re-entrancy', () => {
  it('CVE-2021-3416: PHY loopback delivers TX frames to RX after the TDT write, one RX per TX, bounded', () => {
    const { b, d } = bench();
    d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC);
    d.initTx();
    loopbackOn(d);
    let depth = 0;
    let maxDepth = 0;
    const orig = b.nic.bar(0)!.write;
    const bar = b.nic.bar(0)!;
    bar.write = (o, s, v) => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      try {
        orig.call(bar, o, s, v);
      } finally {
        depth--;
      }
    };
    for (let i = 0; i < 10; i++) d.putTx(legacyDesc(d.txBuffer(eth(OWN, 60, i, OWN)), 60, CMD.IFCS | CMD.EOP | CMD.RS));
    d.kick();
    expect(maxDepth).toBe(1);
    expect(b.wire.pending).toBe(0);
    expect(d.receive()).toHaveLength(10);
    expect(b.nic.counters()['loopbackFrames']).toBe(10);
    bar.write = orig;
    d.w(R.MDIC, (1 << 26) | (1 << 21) | 0x0140);
    expectStillWorks(b, d);
  });

  it('CVE-2021-3416: looped-back frames written over the TX ring do not restart transmission', () => {
    const { b, d } = bench();
    d.initTx();
    d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC | RCTL.UPE);
    // every RX buffer is the TX ring itself
    for (let i = 0; i < 16; i++) d.writeRxDesc(i, TX_RING);
    loopbackOn(d);
    // a frame whose bytes are valid TX descriptors pointing at itself
    const bait = new Uint8Array(256);
    for (let k = 0; k < 16; k++) bait.set(legacyDesc(TX_RING, 256, CMD.IFCS | CMD.EOP | CMD.RS), 16 * k);
    d.putTx(legacyDesc(d.txBuffer(bait), bait.length, CMD.IFCS | CMD.EOP | CMD.RS));
    d.kick();
    expect(b.nic.counters()['txFrames']).toBe(1);
    expect(b.nic.counters()['rxFrames']).toBe(1);
    expect(d.r(R.TDH)).toBe(1);
    d.w(R.MDIC, (1 << 26) | (1 << 21) | 0x0140);
    expectStillWorks(b, d);
  });

  it('CVE-2021-3416: RX DMA landing on the RX descriptor ring stays within the free descriptors', () => {
    const { b, d } = bench();
    d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC | RCTL.LPE);
    for (let i = 0; i < 16; i++) d.writeRxDesc(i, RX_RING);
    d.w(R.RDT, 15);
    b.mem.window = [RX_RING, RX_RING + 256];
    const junk = new Uint8Array(1400).fill(0xff);
    junk.set(eth(OWN, 14), 0);
    for (let i = 0; i < 20; i++) b.wire.inject(junk);
    expect(b.mem.readsIn).toBeLessThan(20 * 16 * 8);
    expect(d.r(R.RDH)).toBeLessThan(16);
    // descriptors overwritten with 0xff.. point outside RAM: those writes are refused and counted
    expectOnlyRefusedOutside(b, Infinity);
    expect(b.nic.counters()['rxDmaErrors']).toBe(b.mem.outside.length);
    expectStillWorks(b, d);
  });

  it('CVE-2023-0330: a DMA write landing on the device’s own registers is refused while the device works', () => {
    const { b, d } = bench();
    d.initTx();
    d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC);
    const bar = b.nic.bar(0)!;
    let nested = 0;
    // an emulator whose memory maps BAR0 where the DMA goes: route the write to MMIO
    b.mem.onWrite = (addr) => {
      if (addr >= RX_BUFS && addr < RX_BUFS + 0x10000) {
        nested++;
        bar.write(R.CTRL, 4, 1 << 26); // CTRL.RST in the middle of RX
        bar.write(R.TDT, 4, 5);
        bar.write(R.RDT, 4, 0);
        bar.read(R.ICR, 4);
      }
    };
    b.wire.inject(eth(OWN, 60, 1));
    b.mem.onWrite = undefined;
    expect(nested).toBeGreaterThan(0);
    expect(b.nic.counters()['nestedAccesses']).toBe(4 * nested);
    expect(b.nic.counters()['softResets']).toBe(0);
    expect(d.receive()).toHaveLength(1);
    expect(d.r(R.ICR) & 0x80).toBe(0x80); // the nested ICR read was refused: RXT0 is still pending
    expectStillWorks(b, d);
  });

  it('CVE-2023-3019: DMA write-back during TX that hits TDT/TCTL is refused (no recursive ring walk)', () => {
    const { b, d } = bench();
    d.initTx();
    const bar = b.nic.bar(0)!;
    b.mem.onWrite = (addr) => {
      if (addr >= TX_RING && addr < TX_RING + 0x100) {
        bar.write(R.TDT, 4, 12);
        bar.write(R.TCTL, 4, 0x0004010a);
      }
    };
    for (let i = 0; i < 3; i++) d.putTx(legacyDesc(d.txBuffer(eth('ff:ff:ff:ff:ff:ff', 60, i)), 60, CMD.IFCS | CMD.EOP | CMD.RS));
    d.kick();
    b.mem.onWrite = undefined;
    expect(b.wire.pending).toBe(3);
    expect(d.r(R.TDT)).toBe(3);
    expect(b.nic.counters()['nestedAccesses']).toBe(6);
    expectStillWorks(b, d);
  });

  it('CVE-2023-3019: a frame arriving while the driver writes a register waits until the write is done', () => {
    const { b, d } = bench();
    d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC);
    // the netdev delivers in the middle of a register write (e.g. a backend callback)
    const order: string[] = [];
    b.mem.onWrite = () => order.push('dma');
    b.nic.net.enterIo();
    b.wire.inject(eth(OWN, 60, 1));
    order.push('inject returned');
    b.nic.net.exitIo();
    b.mem.onWrite = undefined;
    expect(order[0]).toBe('inject returned');
    expect(d.receive()).toHaveLength(1);
  });
});
