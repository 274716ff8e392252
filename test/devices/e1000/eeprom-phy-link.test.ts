import { describe, expect, it } from 'vitest';
import { buildEepromImage } from '../../../src/devices/e1000/eeprom.js';
import { Driver, ICR, makeBench, R, RCTL } from './driver.js';
import { eth } from './packets.js';

const SK = 1, CS = 2, DI = 4, DO = 8;

/** Linux e1000_read_eeprom (Microwire): raise CS, shift out 110 + 6-bit address, shift in 16 bits. */
function bitBangRead(d: Driver, words: number, start = 0): number[] {
  let eecd = 0;
  const put = (v: number) => {
    eecd = v;
    d.w(R.EECD, v);
  };
  const out: number[] = [];
  for (let a = start; a < start + words; a++) {
    put(CS);
    for (const [value, bits] of [[0b110, 3], [a, 6]] as const) {
      for (let m = 1 << (bits - 1); m; m >>>= 1) {
        put((eecd & ~DI) | (value & m ? DI : 0));
        put(eecd | SK);
        put(eecd & ~SK);
      }
    }
    put(eecd & ~DI);
    let w = 0;
    for (let i = 0; i < 16; i++) {
      put(eecd | SK);
      w = (w << 1) | (d.r(R.EECD) & DO ? 1 : 0);
      put(eecd & ~SK);
    }
    put(0);
    out.push(w);
  }
  return out;
}

describe('e1000 EEPROM (SDM 5.3, 13.4.3-13.4.4)', () => {
  it('holds the MAC and device ID and sums to 0xBABA', () => {
    const img = buildEepromImage(Uint8Array.from([1, 2, 3, 4, 5, 6]), 0x100f);
    expect([img[0], img[1], img[2], img[11], img[13]]).toEqual([0x0201, 0x0403, 0x0605, 0x100f, 0x100f]);
    expect(img.reduce((s, w) => (s + w) & 0xffff, 0)).toBe(0xbaba);
  });

  it('reads the same 64 words through EERD and through EECD bit-banging', () => {
    const d = new Driver(makeBench());
    const viaEerd: number[] = [];
    for (let a = 0; a < 64; a++) {
      d.w(R.EERD, (a << 8) | 1);
      const v = d.r(R.EERD);
      expect(v & 0x10).toBe(0x10);
      viaEerd.push(v >>> 16);
    }
    expect(bitBangRead(d, 64)).toEqual(viaEerd);
    expect(viaEerd.slice(0, 3)).toEqual([0x5452, 0x1200, 0x5634]);
  });

  it('keeps shifting into the next words on a long read, and EECD shows PRES|GNT', () => {
    const d = new Driver(makeBench());
    expect(d.r(R.EECD)).toBe(0x188);
    const all = bitBangRead(d, 64);
    // one command, 3 words
    let eecd = CS;
    const put = (v: number) => {
      eecd = v;
      d.w(R.EECD, v);
    };
    put(CS);
    for (const [value, bits] of [[0b110, 3], [62, 6]] as const) {
      for (let m = 1 << (bits - 1); m; m >>>= 1) {
        put((eecd & ~DI) | (value & m ? DI : 0));
        put(eecd | SK);
        put(eecd & ~SK);
      }
    }
    const got: number[] = [];
    for (let wd = 0; wd < 3; wd++) {
      let w = 0;
      for (let i = 0; i < 16; i++) {
        put(eecd | SK);
        w = (w << 1) | (d.r(R.EECD) & DO ? 1 : 0);
        put(eecd & ~SK);
      }
      got.push(w);
    }
    expect(got).toEqual([all[62], all[63], all[0]]);
  });

  it('EERD beyond word 63 reports DONE without data', () => {
    const d = new Driver(makeBench());
    d.w(R.EERD, (64 << 8) | 1);
    expect(d.r(R.EERD)).toBe((64 << 8) | 0x10);
    d.w(R.EERD, 0x300);
    expect(d.r(R.EERD)).toBe(0x300); // START not set: the register as written
  });
});

describe('e1000 PHY through MDIC (SDM 13.4.7, 13.5)', () => {
  const rd = (d: Driver, reg: number, phy = 1) => {
    d.w(R.MDIC, (2 << 26) | (phy << 21) | (reg << 16));
    return d.r(R.MDIC);
  };
  const wr = (d: Driver, reg: number, v: number) => {
    d.w(R.MDIC, (1 << 26) | (1 << 21) | (reg << 16) | v);
    return d.r(R.MDIC);
  };

  it('answers at once with READY, and sets E for a wrong PHY address or a missing register', () => {
    const d = new Driver(makeBench());
    expect(rd(d, 2)).toBe(0x18220141);
    expect(rd(d, 7) >>> 30).toBe(1 | 0); // E and R
    expect((rd(d, 7) >>> 28) & 1).toBe(1);
    const before = rd(d, 3);
    expect(rd(d, 3, 2)).toBe((before | (1 << 30)) >>> 0); // wrong PHY: previous MDIC + E
  });

  it('stores writable registers, ignores read-only ones with E, and masks BMCR’s reserved and self-clearing bits', () => {
    const d = new Driver(makeBench());
    wr(d, 4, 0x01e1);
    expect(rd(d, 4) & 0xffff).toBe(0x01e1);
    expect(wr(d, 1, 0) >>> 30).toBe(1);
    wr(d, 0, 0xffff & ~0x1000 & ~0x4000);
    expect(rd(d, 0) & 0xffff).toBe(0xffff & ~0x1000 & ~0x4000 & ~0x8000 & ~0x0200 & ~0x3f);
  });

  it('raises MDAC when INT_EN is set', () => {
    const b = makeBench();
    const d = new Driver(b);
    d.w(R.IMS, ICR.MDAC);
    d.w(R.MDIC, (1 << 29) | (2 << 26) | (1 << 21) | (2 << 16));
    expect(b.irq.level).toBe(true);
    expect(d.r(R.ICR)).toBe(ICR.MDAC);
    expect(b.irq.level).toBe(false);
  });
});

describe('e1000 link and autonegotiation', () => {
  it('drops STATUS.LU with LSC when the cable goes, negotiates 500 ms when it comes back', () => {
    const b = makeBench();
    const d = new Driver(b);
    d.w(R.IMS, ICR.LSC);
    b.wire.client.setLinkUp(false);
    expect(d.r(R.STATUS) & 2).toBe(0);
    expect(b.irq.level).toBe(true);
    expect(d.r(R.ICR)).toBe(ICR.LSC);
    b.clock.advance(1_000_000);
    b.wire.client.setLinkUp(true);
    expect(b.nic.link).toBe('negotiating');
    expect(d.r(R.STATUS) & 2).toBe(0);
    b.clock.advance(499_000_000);
    expect(d.r(R.STATUS) & 2).toBe(0);
    b.clock.advance(1_000_000);
    expect(d.r(R.STATUS) & 2).toBe(2);
    expect(d.r(R.ICR)).toBe(ICR.LSC);
    d.w(R.MDIC, (2 << 26) | (1 << 21) | (1 << 16));
    expect(d.r(R.MDIC) & 0x24).toBe(0x24); // link status + autoneg complete
  });

  it('restarts autonegotiation on BMCR.ANRESTART and comes up without it when autonegotiation is off', () => {
    const b = makeBench();
    const d = new Driver(b);
    d.w(R.MDIC, (1 << 26) | (1 << 21) | 0x1340);
    expect(b.nic.link).toBe('negotiating');
    b.clock.advance(600_000_000);
    expect(b.nic.link).toBe('up');
    d.w(R.MDIC, (1 << 26) | (1 << 21) | 0x0140); // AUTOEN off
    b.wire.client.setLinkUp(false);
    b.wire.client.setLinkUp(true);
    expect(b.nic.link).toBe('up');
    expect(d.r(R.STATUS) & 2).toBe(2);
  });

  it('delivers frames that waited while the link was negotiating', () => {
    const b = makeBench();
    const d = new Driver(b);
    d.initRx();
    b.wire.client.setLinkUp(false);
    b.wire.client.setLinkUp(true);
    b.wire.inject(eth('52:54:00:12:34:56', 60, 1));
    expect(d.receive()).toHaveLength(0);
    b.clock.advance(500_000_000);
    expect(d.receive()).toHaveLength(1);
  });

  it('loops TX back into RX with BMCR.LOOPBACK, after the register write, not inside it', () => {
    const b = makeBench();
    const d = new Driver(b);
    d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC);
    d.initTx();
    d.w(R.MDIC, (1 << 26) | (1 << 21) | 0x4140); // LOOPBACK | FD | SPEED1000
    const f = eth('52:54:00:12:34:56', 80, 4, '52:54:00:12:34:56');
    d.sendLegacy(f);
    expect(b.wire.pending).toBe(0);
    const got = d.receive();
    expect(got).toHaveLength(1);
    expect(got[0]!.data).toEqual(f);
    expect(b.nic.counters()['loopbackFrames']).toBe(1);
  });
});
