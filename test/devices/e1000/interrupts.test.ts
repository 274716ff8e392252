import { describe, expect, it } from 'vitest';
import { CMD, Driver, ICR, legacyDesc, makeBench, R, RCTL } from './driver.js';
import { eth } from './packets.js';

const OWN = '52:54:00:12:34:56';

function setup(options: { mitigation?: boolean } = {}) {
  const b = makeBench({ options });
  const d = new Driver(b, { rxCount: 32 });
  d.initTx();
  d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC);
  d.r(R.ICR);
  b.clock.advance(1_000_000);
  return { b, d };
}
const send = (d: Driver, cmd = CMD.IFCS | CMD.EOP | CMD.RS) => {
  d.putTx(legacyDesc(d.txBuffer(eth('ff:ff:ff:ff:ff:ff')), 60, cmd));
  d.kick();
};

describe('e1000 interrupt causes and mask (SDM 13.4.17-13.4.21)', () => {
  it('INTx follows ICR & IMS; ICR reads clear, ICR writes clear the ones written, ICS sets, IMC masks', () => {
    const { b, d } = setup();
    d.w(R.ICS, ICR.RXSEQ | ICR.TXDW);
    expect(b.irq.level).toBe(false);
    expect(d.r(R.ICS)).toBe(ICR.RXSEQ | ICR.TXDW); // ICS reads as ICR, without clearing
    d.w(R.IMS, ICR.RXSEQ);
    expect(b.irq.level).toBe(true);
    expect(d.r(R.IMS)).toBe(ICR.RXSEQ);
    d.w(R.ICR, ICR.RXSEQ);
    expect(b.irq.level).toBe(false);
    expect(d.r(R.ICR)).toBe(ICR.TXDW);
    expect(d.r(R.ICR)).toBe(0);
    b.clock.advance(1_000_000);
    d.w(R.ICS, ICR.RXSEQ);
    expect(b.irq.level).toBe(true);
    d.w(R.IMC, ICR.RXSEQ);
    expect(b.irq.level).toBe(false);
    expect(d.r(R.IMC)).toBe(0); // write-only
  });

  it('holds a new edge inside the 128 us window even with ITR 0 (QEMU’s floor); mitigation=off delivers at once', () => {
    const { b, d } = setup();
    d.w(R.IMS, ICR.TXDW);
    send(d);
    expect(b.irq.level).toBe(true);
    d.r(R.ICR);
    send(d);
    expect(b.irq.level).toBe(false);
    b.clock.advance(127_999);
    expect(b.irq.level).toBe(false);
    b.clock.advance(1);
    expect(b.irq.level).toBe(true);

    const o = setup({ mitigation: false });
    o.d.w(R.IMS, ICR.TXDW);
    send(o.d);
    o.d.r(R.ICR);
    send(o.d);
    expect(o.b.irq.level).toBe(true);
  });

  it('ITR sets the minimum interval between interrupts in 256 ns units (SDM 13.4.18)', () => {
    const { b, d } = setup();
    d.w(R.ITR, 4000); // 1.024 ms
    d.w(R.IMS, ICR.TXDW | ICR.RXT0);
    send(d);
    expect(b.irq.level).toBe(true);
    d.r(R.ICR);
    b.wire.inject(eth(OWN, 60, 1));
    b.clock.advance(1_000_000);
    expect(b.irq.level).toBe(false);
    b.clock.advance(24_000);
    expect(b.irq.level).toBe(true);
    expect(d.r(R.ICR)).toBe(ICR.RXT0);
    b.clock.advance(2_000_000);
    send(d);
    expect(b.irq.level).toBe(true); // the window has passed: at once
  });
});

describe('e1000 delay timers QEMU leaves out (SDM 13.4.30-31, 13.4.44-45)', () => {
  it('RDTR delays RXT0 by RDTR x 1.024 us after the last frame; RXDMT0 is not delayed', () => {
    const { b, d } = setup();
    d.w(R.IMS, ICR.RXT0);
    d.w(R.RDTR, 32);
    b.wire.inject(eth(OWN, 60, 1));
    expect(d.r(R.ICS) & ICR.RXT0).toBe(0);
    b.clock.advance(20_000);
    b.wire.inject(eth(OWN, 60, 2)); // restarts the timer
    b.clock.advance(32 * 1024 - 1);
    expect(b.irq.level).toBe(false);
    b.clock.advance(1);
    expect(b.irq.level).toBe(true);
    expect(d.r(R.ICR)).toBe(ICR.RXT0);
  });

  it('RADV caps the delay of a steady stream', () => {
    const { b, d } = setup();
    d.w(R.IMS, ICR.RXT0);
    d.w(R.RDTR, 20);
    d.w(R.RADV, 50);
    const t0 = b.clock.now();
    let raisedAt = -1;
    for (let i = 0; i < 10 && raisedAt < 0; i++) {
      b.wire.inject(eth(OWN, 60, i));
      for (let k = 0; k < 15 && raisedAt < 0; k++) {
        b.clock.advance(1000);
        if (b.irq.level) raisedAt = b.clock.now() - t0;
      }
    }
    expect(raisedAt).toBe(50 * 1024 + (1000 - ((50 * 1024) % 1000)) % 1000);
  });

  it('RDTR.FPD flushes a pending delay at once', () => {
    const { b, d } = setup();
    d.w(R.IMS, ICR.RXT0);
    d.w(R.RDTR, 1000);
    b.wire.inject(eth(OWN, 60, 1));
    expect(b.irq.level).toBe(false);
    d.w(R.RDTR, 0x80000000 | 1000);
    expect(b.irq.level).toBe(true);
    expect(d.r(R.RDTR)).toBe(1000);
  });

  it('TIDV delays TXDW for descriptors with IDE, TADV caps it, a descriptor without IDE reports at once', () => {
    const { b, d } = setup();
    d.w(R.IMS, ICR.TXDW);
    d.w(R.TIDV, 16);
    d.w(R.TADV, 40);
    expect(d.r(R.TIDV)).toBe(16);
    const ide = CMD.IFCS | CMD.EOP | CMD.RS | CMD.IDE;
    // one descriptor every 10 us keeps restarting TIDV (16.384 us) ...
    for (let i = 0; i < 5; i++) {
      send(d, ide);
      expect(d.r(R.ICS) & ICR.TXDW).toBe(0);
      if (i < 4) b.clock.advance(10_000);
    }
    expect(b.irq.level).toBe(false);
    // ... until TADV (40.96 us after the first) ends the wait
    b.clock.advance(40 * 1024 - 40_000 - 1);
    expect(b.irq.level).toBe(false);
    b.clock.advance(1);
    expect(b.irq.level).toBe(true);
    d.r(R.ICR);
    b.clock.advance(1_000_000);
    // a lone descriptor: TIDV after it
    send(d, ide);
    b.clock.advance(16 * 1024 - 1);
    expect(b.irq.level).toBe(false);
    b.clock.advance(1);
    expect(b.irq.level).toBe(true);
    d.r(R.ICR);
    b.clock.advance(1_000_000);
    send(d, ide);
    expect(b.irq.level).toBe(false);
    send(d);
    expect(b.irq.level).toBe(true);
    d.r(R.ICR);
    b.clock.advance(1_000_000);
    expect(d.r(R.ICR)).toBe(0); // the delayed report went with the immediate one
  });

  it('TIDV.FPD flushes; TIDV 0 means no delay', () => {
    const { b, d } = setup();
    d.w(R.IMS, ICR.TXDW);
    d.w(R.TIDV, 5000);
    send(d, CMD.IFCS | CMD.EOP | CMD.RS | CMD.IDE);
    expect(b.irq.level).toBe(false);
    d.w(R.TIDV, 0x80000000 | 5000);
    expect(b.irq.level).toBe(true);
    d.r(R.ICR);
    b.clock.advance(1_000_000);
    d.w(R.TIDV, 0);
    send(d, CMD.IFCS | CMD.EOP | CMD.RS | CMD.IDE);
    expect(b.irq.level).toBe(true);
  });
});
