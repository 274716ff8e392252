import { describe, expect, it } from 'vitest';
import { E1000_82545EM } from '../../../src/devices/e1000/index.js';
import { contextDesc, CTX, dataDesc, Driver, ICR, makeBench, R, RAM_SIZE, RCTL, type Bench } from './driver.js';
import { eth, ipv4, pattern } from './packets.js';

const OWN = '52:54:00:12:34:56';

function twin(src: Bench): Bench {
  const b = makeBench();
  const ram = new Uint8Array(RAM_SIZE);
  src.ram.read(0, ram);
  b.ram.write(0, ram);
  b.clock.advanceTo(src.clock.now());
  return b;
}

/** Run the same steps on two benches and compare everything a guest can see. */
function sameFuture(a: Bench, b: Bench): void {
  const da = new Driver(a, { rxCount: 16 });
  const db = new Driver(b, { rxCount: 16 });
  for (const d of [da, db]) {
    d.txTail = d.r(R.TDT);
    d.rxNext = d.r(R.RDH);
  }
  const steps = (d: Driver, bb: Bench) => {
    const log: unknown[] = [];
    // finish the TSO frame that was in flight
    const f = ipv4({ data: pattern(3000, 5), mode: 'tso' });
    d.putTx(dataDesc(d.txBuffer(f.subarray(1054)), f.length - 1054, { tse: true, popts: 3, eop: true }));
    d.kick();
    for (let t = bb.wire.take(); t; t = bb.wire.take()) log.push(Array.from(t));
    bb.clock.advance(300_000);
    log.push(bb.irq.level, d.r(R.ICR), d.r(R.STATUS), d.r(R.TDH), d.r(R.RDH));
    bb.wire.inject(eth(OWN, 90, 7));
    bb.clock.advance(600_000_000);
    log.push(d.receive().map((r) => [Array.from(r.data), r.status, r.special]));
    log.push(bb.irq.level, d.r(R.ICR), d.r(R.STATUS), d.r(R.GPRC), d.r(R.TPT), d.r(R.RNBC));
    for (let e = 0; e < 3; e++) {
      d.w(R.EECD, 2 | 1);
      log.push(d.r(R.EECD));
      d.w(R.EECD, 2);
    }
    return log;
  };
  expect(steps(db, b)).toEqual(steps(da, a));
}

describe('e1000 save/restore (versioned, named fields, PCI config included)', () => {
  it('a restored twin continues exactly like the original, mid-traffic with timers pending', () => {
    const a = makeBench();
    const d = new Driver(a, { rxCount: 16 });
    d.initTx();
    d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC, 3);
    d.w(R.IMS, ICR.TXDW | ICR.RXT0 | ICR.LSC);
    d.w(R.RDTR, 100);
    d.w(R.ITR, 3000);
    d.w(R.CTRL, d.r(R.CTRL) | (1 << 30));
    // RX: fill the three descriptors, one more frame waits in the queue
    for (let i = 0; i < 4; i++) a.wire.inject(eth(OWN, 70, i));
    // TX: a TSO frame whose last descriptor has not come yet
    const f = ipv4({ data: pattern(3000, 5), mode: 'tso' });
    d.putTx(contextDesc({ ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 50, paylen: 3000, cmd: CTX.TSE | CTX.IP | CTX.TCP, hdrLen: 54, mss: 1000 }));
    d.putTx(dataDesc(d.txBuffer(f.subarray(0, 1054)), 1054, { tse: true, popts: 3, rs: false }));
    d.kick();
    // link flap: autonegotiation in progress
    a.wire.client.setLinkUp(false);
    a.wire.client.setLinkUp(true);
    // EEPROM bit-bang half way
    d.w(R.EECD, 2);
    d.w(R.EECD, 2 | 4);
    d.w(R.EECD, 2 | 4 | 1);
    a.wire.take();
    a.clock.advance(50_000);

    const saved = JSON.parse(JSON.stringify(a.nic.saveState())) as unknown;
    const b = twin(a);
    expect(b.nic.restoreState(saved)).toBeUndefined();
    expect(b.nic.pci.configRead(0x04, 2)).toBe(0x0007);
    // the frame that waited is the network's, not the device's: give the twin a copy
    const waiting: Uint8Array[] = [];
    while (a.nic.net.incoming.length > 0) waiting.push(a.nic.net.incoming.shift()!);
    expect(waiting).toHaveLength(1);
    for (const f of waiting) {
      a.nic.net.incoming.push(f);
      b.nic.net.incoming.push(f);
    }
    sameFuture(a, b);
  });

  it('refuses state from another model or with bad fields, and changes nothing then', () => {
    const a = makeBench();
    const d = new Driver(a);
    d.w(R.VET, 0x1234);
    const good = a.nic.saveState();
    const other = makeBench({ variant: E1000_82545EM });
    expect(other.nic.restoreState(good)).toMatch(/deviceId/);
    const before = new Driver(other).r(R.VET);
    const bad = JSON.parse(JSON.stringify(good)) as { fields: Record<string, unknown> };
    bad.fields['link'] = 'sideways';
    expect(makeBench().nic.restoreState(bad)).toMatch(/link/);
    expect(makeBench().nic.restoreState({ name: 'rtl8139', version: 1, fields: {} })).toMatch(/rtl8139/);
    const wrongPci = JSON.parse(JSON.stringify(good)) as { fields: { pci: { config: string } } };
    wrongPci.fields.pci.config = '00'.repeat(256);
    const c = makeBench();
    expect(c.nic.restoreState(wrongPci)).toMatch(/pci/);
    expect(new Driver(c).r(R.VET)).toBe(0x8100);
    expect(new Driver(other).r(R.VET)).toBe(before);
  });
});

describe('e1000 I/O BAR: IOADDR/IODATA (SDM 13.2.2; QEMU’s is a stub)', () => {
  const io = (b: Bench) => b.nic.bar(1)!;
  it('reads and writes any register through the window, with the same side effects', () => {
    const b = makeBench();
    const d = new Driver(b);
    io(b).write(0, 4, R.STATUS);
    expect(io(b).read(0, 4)).toBe(R.STATUS);
    expect(io(b).read(4, 4) >>> 0).toBe(0x80080783);
    io(b).write(0, 4, R.VET);
    io(b).write(4, 4, 0x88a8);
    expect(d.r(R.VET)).toBe(0x88a8);
    d.w(R.ICS, ICR.TXDW);
    io(b).write(0, 4, R.ICR);
    expect(io(b).read(4, 4)).toBe(ICR.TXDW); // read-to-clear through IODATA too
    expect(d.r(R.ICR)).toBe(0);
    io(b).write(0, 4, 0x20000);
    expect(io(b).read(4, 4)).toBe(0);
    expect(io(b).read(8, 4)).toBe(0);
    expect(b.nic.counters()['ioWindowOutOfRange']).toBe(1);
  });

  it('CTRL.RST through IODATA resets the MAC, as Linux does on 82545 rev 3 (e1000_reset_hw)', () => {
    const b = makeBench({ variant: E1000_82545EM });
    const d = new Driver(b);
    d.initTx();
    d.w(R.IMS, 0x1f);
    d.w(R.VET, 0x9100);
    io(b).write(0, 4, R.CTRL);
    io(b).write(4, 4, d.r(R.CTRL) | (1 << 26));
    expect([d.r(R.CTRL), d.r(R.IMS), d.r(R.VET), d.r(R.TDLEN), d.r(R.TCTL)]).toEqual([0x00140240, 0, 0x8100, 0, 0]);
    expect(d.r(R.STATUS) & 2).toBe(2); // link kept
    expect(d.r(0x5404)).toBe(0x80005634); // RAH0 reloaded from the EEPROM
    expect(b.nic.counters()['softResets']).toBe(1);
  });
});
