import { describe, expect, it } from 'vitest';
import { BSIZE, Driver, ICR, makeBench, R, RCTL, RX_BUFS, RX_RING, RXD, RXERR } from './driver.js';
import { concat, eth, ipv4, ipv6, mac, pattern, sum16 } from './packets.js';

const OWN = '52:54:00:12:34:56';

function setup(opts: { bufSize?: number; rxCount?: number; rctl?: number; fill?: number; flushMs?: number } = {}) {
  const b = makeBench({ options: { rctlFlushMs: opts.flushMs ?? 0 } });
  const d = new Driver(b, { bufSize: opts.bufSize ?? 2048, rxCount: opts.rxCount ?? 16 });
  d.initRx(opts.rctl ?? RCTL.EN | RCTL.BAM | RCTL.SECRC, opts.fill);
  d.r(R.ICR);
  return { b, d };
}

describe('e1000 RX: frame layout (SDM 3.2.2-3.2.3)', () => {
  it('pads short frames to 60 bytes and counts 4 FCS bytes in the length unless SECRC (not written)', () => {
    const { b, d } = setup({ rctl: RCTL.EN | RCTL.BAM });
    b.ram.fill(RX_BUFS, 2048, 0xaa);
    const f = eth(OWN, 42, 1);
    b.wire.inject(f);
    const [r] = d.receive();
    expect(r!.rawLength).toBe(64);
    expect(r!.data).toEqual(concat(f, new Uint8Array(18)));
    expect(d.peek(RX_BUFS + 60, 4)).toEqual(Uint8Array.from([0xaa, 0xaa, 0xaa, 0xaa]));
    expect(r!.status).toBe(RXD.DD | RXD.EOP | RXD.IXSM);
    expect(d.r(R.ICR) & ICR.RXT0).toBe(ICR.RXT0);
    d.w(R.RCTL, RCTL.EN | RCTL.BAM | RCTL.SECRC);
    b.wire.inject(eth(OWN, 100, 2));
    expect(d.receive()[0]!.rawLength).toBe(100);
  });

  for (const size of [256, 512, 1024, 2048, 4096, 8192, 16384]) {
    it(`spans descriptors of ${size} bytes (BSIZE/BSEX) and EOP marks the last`, () => {
      const { b, d } = setup({ bufSize: size, rctl: RCTL.EN | RCTL.BAM | RCTL.LPE | RCTL.SECRC, rxCount: 32 });
      expect(d.r(R.RCTL) & (BSIZE[size]! | RCTL.BSEX)).toBe(BSIZE[size]);
      const f = eth(OWN, Math.min(9000, size * 3 + 17), size & 0xff);
      b.wire.inject(f);
      const [r] = d.receive();
      expect(r!.data).toEqual(f);
      expect(r!.descs).toBe(Math.ceil(f.length / size));
      for (let i = 0; i < r!.descs - 1; i++) expect(d.peek(RX_RING + 16 * i + 12, 1)[0]).toBe(0); // cleaned by the driver
    });
  }

  it('drops frames over 1522 bytes without LPE and over 16 KiB with LPE, counting ROC; SBP keeps them', () => {
    const { b, d } = setup({ rctl: RCTL.EN | RCTL.BAM | RCTL.SECRC, rxCount: 16, bufSize: 16384 });
    d.w(R.RCTL, RCTL.EN | RCTL.BAM | RCTL.SECRC);
    b.wire.inject(eth(OWN, 1522));
    b.wire.inject(eth(OWN, 1523));
    expect(d.receive().map((r) => r.data.length)).toEqual([1522]);
    d.w(R.RCTL, RCTL.EN | RCTL.BAM | RCTL.SECRC | RCTL.LPE | BSIZE[16384]!);
    b.wire.inject(eth(OWN, 16384));
    b.wire.inject(eth(OWN, 16385));
    expect(d.receive().map((r) => r.data.length)).toEqual([16384]);
    expect(d.r(R.ROC)).toBe(2);
    d.w(R.RCTL, RCTL.EN | RCTL.BAM | RCTL.SECRC | RCTL.SBP | BSIZE[16384]!);
    b.wire.inject(eth(OWN, 20000));
    expect(d.receive().map((r) => r.data.length)).toEqual([20000]);
    expect(b.nic.counters()['rxOversize']).toBe(2);
  });

  for (const [rdmts, frac] of [[0, 2], [1, 4], [2, 8]] as const) {
    it(`raises RXDMT0 when free descriptors fall to 1/${frac} of the ring (RDMTS ${rdmts})`, () => {
      const { b, d } = setup({ rxCount: 16, rctl: RCTL.EN | RCTL.BAM | RCTL.SECRC | (rdmts << 8) });
      const icrs: number[] = [];
      for (let i = 0; i < 15; i++) {
        b.wire.inject(eth(OWN, 60, i));
        icrs.push(d.r(R.ICR));
      }
      const first = icrs.findIndex((v) => v & ICR.RXDMT0);
      // after frame k (1-based) 15 - k descriptors are free: RXDMT0 once 15 - k <= 16 / frac
      expect(first + 1).toBe(15 - 16 / frac);
    });
  }
});

describe('e1000 RX: filters (SDM 3.2.6-3.2.8)', () => {
  it('exact filters: RA[0] from the EEPROM, RA[1..15] only with Address Valid', () => {
    const { b, d } = setup({ rctl: RCTL.EN | RCTL.SECRC });
    b.wire.inject(eth(OWN, 60, 1));
    b.wire.inject(eth('02:11:22:33:44:55', 60, 2));
    d.w(R.RA + 8 * 7, 0x33221102);
    d.w(R.RA + 8 * 7 + 4, 0x00005544);
    b.wire.inject(eth('02:11:22:33:44:55', 60, 3));
    d.w(R.RA + 8 * 7 + 4, 0x80005544);
    b.wire.inject(eth('02:11:22:33:44:55', 60, 4));
    expect(d.receive().map((r) => r.data[14])).toEqual([eth(OWN, 60, 1)[14], eth(OWN, 60, 4)[14]]);
    expect(b.nic.counters()['rxFiltered']).toBe(2);
  });

  it('multicast table: the bit the SDM’s MO offset selects, for each MO', () => {
    for (let mo = 0; mo < 4; mo++) {
      const { b, d } = setup({ rctl: RCTL.EN | RCTL.SECRC | (mo << 12) });
      const group = mac('01:00:5e:3c:a5:f7');
      // SDM 13.4.36: MO 0 uses address bits [47:36], 1 [46:35], 2 [45:34], 3 [43:32]
      const v = (group[5]! << 8) | group[4]!;
      const bit = (v >> [4, 3, 2, 0][mo]!) & 0xfff;
      const f = eth('01:00:5e:3c:a5:f7', 60, mo);
      b.wire.inject(f);
      expect(d.receive()).toHaveLength(0);
      d.w(R.MTA + 4 * (bit >> 5), 1 << (bit & 31));
      b.wire.inject(f);
      expect(d.receive().map((r) => r.data)).toEqual([f]);
      expect(d.r(R.MPRC)).toBe(1);
    }
  });

  it('BAM, MPE and UPE', () => {
    const { b, d } = setup({ rctl: RCTL.EN | RCTL.SECRC });
    const bc = eth('ff:ff:ff:ff:ff:ff', 60, 1);
    const mc = eth('33:33:00:00:00:fb', 60, 2);
    const uc = eth('02:99:99:99:99:99', 60, 3);
    for (const f of [bc, mc, uc]) b.wire.inject(f);
    expect(d.receive()).toHaveLength(0);
    d.w(R.RCTL, RCTL.EN | RCTL.SECRC | RCTL.BAM);
    for (const f of [bc, mc, uc]) b.wire.inject(f);
    d.w(R.RCTL, RCTL.EN | RCTL.SECRC | RCTL.MPE);
    for (const f of [bc, mc, uc]) b.wire.inject(f);
    d.w(R.RCTL, RCTL.EN | RCTL.SECRC | RCTL.UPE);
    for (const f of [bc, mc, uc]) b.wire.inject(f);
    // MPE takes every group address, broadcast included (QEMU 7.2 does the same)
    expect(d.receive().map((r) => r.data)).toEqual([bc, bc, mc, uc]);
    // counters go by the destination address (SDM 13.7)
    expect([d.r(R.GPRC), d.r(R.BPRC), d.r(R.MPRC)]).toEqual([4, 2, 1]);
  });

  it('strips the VLAN tag with CTRL.VME (VP, special field) and filters VIDs with VFE', () => {
    const { b, d } = setup({ rctl: RCTL.EN | RCTL.BAM | RCTL.SECRC | RCTL.VFE });
    d.w(R.CTRL, d.r(R.CTRL) | (1 << 30));
    const inner = eth(OWN, 80, 5);
    const tagged = (vid: number) => concat(inner.subarray(0, 12), Uint8Array.from([0x81, 0x00, vid >> 8, vid & 0xff]), inner.subarray(12));
    b.wire.inject(tagged(0xa064));
    expect(d.receive()).toHaveLength(0);
    d.w(R.VFTA + 4 * (0x064 >> 5), 1 << (0x064 & 31));
    b.wire.inject(tagged(0xa064));
    const [r] = d.receive();
    expect(r!.data).toEqual(inner);
    expect(r!.special).toBe(0xa064);
    expect(r!.status & RXD.VP).toBe(RXD.VP);
    d.w(R.CTRL, d.r(R.CTRL) & ~(1 << 30));
    b.wire.inject(tagged(0x0064));
    expect(d.receive()[0]!.data).toEqual(tagged(0x0064));
  });
});

describe('e1000 RX: checksum offload (RXCSUM, SDM 3.2.9)', () => {
  it('reports IPCS/TCPCS and IPE/TCPE, clears IXSM, and stores the packet checksum from PCSS', () => {
    const { b, d } = setup();
    d.w(R.RXCSUM, 0x300 | 14);
    const good = ipv4({ data: pattern(200, 1) });
    const badL4 = ipv4({ data: pattern(200, 2) });
    badL4[60] = badL4[60]! ^ 0xff;
    const badIp = ipv4({ proto: 'udp', data: pattern(50, 3) });
    badIp[24] = badIp[24]! ^ 0xff; // IP header checksum wrong, UDP still right
    const v6 = ipv6({ proto: 'udp', data: pattern(90, 4) });
    const other = eth(OWN, 70, 5);
    for (const f of [good, badL4, badIp, v6, other]) b.wire.inject(f);
    const rs = d.receive();
    expect(rs.map((r) => r.status & (RXD.IXSM | RXD.IPCS | RXD.TCPCS))).toEqual([RXD.IPCS | RXD.TCPCS, RXD.IPCS | RXD.TCPCS, RXD.IPCS | RXD.TCPCS, RXD.TCPCS, 0]);
    expect(rs.map((r) => r.errors)).toEqual([0, RXERR.TCPE, RXERR.IPE, 0, 0]);
    expect(rs[0]!.csum).toBe(sum16(good, 14, good.length));
    d.w(R.RXCSUM, 0x200); // TCP/UDP only (what Linux e1000 sets)
    b.wire.inject(badIp);
    const [r] = d.receive();
    expect(r!.status & (RXD.IXSM | RXD.IPCS | RXD.TCPCS)).toBe(RXD.TCPCS);
    expect(r!.errors).toBe(0);
    d.w(R.RXCSUM, 0);
    b.wire.inject(good);
    expect(d.receive()[0]!.status & RXD.IXSM).toBe(RXD.IXSM);
  });
});

describe('e1000 RX: backpressure and overruns', () => {
  it('keeps frames queued while the ring is full and delivers them in order after RDT writes — none lost', () => {
    const { b, d } = setup({ rxCount: 8 });
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) {
      const f = eth(OWN, 60 + (i % 50), i);
      sent.push(f);
      b.wire.inject(f);
    }
    expect(b.nic.net.incoming.length).toBe(100 - 7);
    const got: Uint8Array[] = [];
    for (let round = 0; round < 30 && got.length < 100; round++) got.push(...d.receive().map((r) => r.data.slice()));
    expect(got).toEqual(sent);
    expect(b.nic.net.stats.rxQueueFull).toBe(0);
    expect(b.nic.counters()['rxOverrun']).toBe(0);
    expect(d.r(R.MPC)).toBe(0);
    expect(d.r(R.RNBC)).toBeGreaterThan(0);
  });

  it('a frame needing more descriptors than are free waits for the RDT write instead of being dropped', () => {
    const { b, d } = setup({ rxCount: 8, bufSize: 256, rctl: RCTL.EN | RCTL.BAM | RCTL.SECRC | BSIZE[256]!, fill: 2 });
    const f = eth(OWN, 600, 9);
    b.wire.inject(f);
    expect(d.r(R.RDH)).toBe(0);
    expect(d.r(R.RNBC)).toBe(1);
    d.w(R.RDT, 7);
    const [r] = d.receive();
    expect(r!.data).toEqual(f);
    expect(r!.descs).toBe(3);
  });

  it('drops a frame that could not fit even in the empty ring: RNBC, MPC and RXO', () => {
    const { b, d } = setup({ rxCount: 8, bufSize: 256, rctl: RCTL.EN | RCTL.BAM | RCTL.SECRC | RCTL.LPE | BSIZE[256]! });
    b.wire.inject(eth(OWN, 2000)); // 8 buffers: more than the 7 an 8-entry ring can hand out
    expect(d.r(R.ICR) & ICR.RXO).toBe(ICR.RXO);
    expect([d.r(R.RNBC), d.r(R.MPC)]).toEqual([1, 1]);
    b.wire.inject(eth(OWN, 500, 1));
    expect(d.receive()).toHaveLength(1);
  });

  it('refuses frames for 1 s after an RCTL write with QEMU’s hold-off (x-rctl-flush-ms), then delivers them', () => {
    const { b, d } = setup({ flushMs: 1000 });
    b.wire.inject(eth(OWN, 60, 1));
    expect(d.receive()).toHaveLength(0);
    b.clock.advance(999_000_000);
    expect(d.receive()).toHaveLength(0);
    b.clock.advance(1_000_000);
    expect(d.receive()).toHaveLength(1);
  });

  it('counts octets and size bins (SDM 13.7)', () => {
    const { b, d } = setup({ rxCount: 32, rctl: RCTL.EN | RCTL.BAM | RCTL.SECRC | RCTL.LPE });
    for (const len of [60, 64, 100, 200, 400, 1000, 1500]) b.wire.inject(eth(OWN, len));
    expect(d.receive()).toHaveLength(7);
    const bins = [0, 1, 2, 3, 4, 5].map((i) => d.r(R.PRC64 + 4 * i));
    // SECRC: bins by the length delivered (60 counts in none, as < 64)
    expect(bins).toEqual([1, 1, 1, 1, 1, 1]);
    expect(d.r(R.GORCL)).toBe([60, 64, 100, 200, 400, 1000, 1500].reduce((s, l) => s + l + 4, 0));
    expect(d.r(R.GORCH)).toBe(0);
  });
});
