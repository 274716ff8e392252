import { describe, expect, it } from 'vitest';
import { CMD, contextDesc, CTX, dataDesc, Driver, ICR, legacyDesc, makeBench, R, TX_RING } from './driver.js';
import { be16, be32, cks, concat, eth, ipv4, ipv4ChecksumsOk, ipv6, ipv6ChecksumOk, pattern, pseudo4, pseudo6, put16, put32 } from './packets.js';

function setup() {
  const b = makeBench();
  const d = new Driver(b);
  d.initTx();
  d.r(R.ICR);
  return { b, d };
}

function frames(b: ReturnType<typeof makeBench>): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let f = b.wire.take(); f; f = b.wire.take()) out.push(f);
  return out;
}

/** What a TSO engine must produce, computed here from the frame and the MSS (SDM 3.5.4). */
function expectedTso(frame: Uint8Array, hdrLen: number, mss: number, ipv6Frame: boolean): Uint8Array[] {
  const payload = frame.subarray(hdrLen);
  const n = Math.max(1, Math.ceil(payload.length / mss));
  const out: Uint8Array[] = [];
  const l3 = 14;
  const l4 = ipv6Frame ? l3 + 40 : l3 + 20;
  for (let i = 0; i < n; i++) {
    const part = payload.subarray(i * mss, Math.min(payload.length, (i + 1) * mss));
    const seg = concat(frame.subarray(0, hdrLen), part);
    const last = i === n - 1;
    if (!ipv6Frame) {
      put16(seg, l3 + 2, seg.length - l3);
      put16(seg, l3 + 4, (be16(frame, l3 + 4) + i) & 0xffff);
      put16(seg, l3 + 10, 0);
      put16(seg, l3 + 10, cks(seg, l3, l4));
    } else {
      put16(seg, l3 + 4, seg.length - l3 - 40);
    }
    put32(seg, l4 + 4, (be32(frame, l4 + 4) + i * mss) >>> 0);
    if (!last) seg[l4 + 13] = seg[l4 + 13]! & ~0x09;
    put16(seg, l4 + 16, 0);
    const ph = ipv6Frame ? pseudo6(6, seg.length - l4) : pseudo4(6, seg.length - l4);
    put16(seg, l4 + 16, cks(seg, l4, seg.length, ph));
    out.push(seg);
  }
  return out;
}

describe('e1000 TX: legacy descriptors (SDM 3.3.2)', () => {
  it('sends a frame as written (no padding, no FCS), writes DD, advances TDH, reports TXDW|TXQE', () => {
    const { b, d } = setup();
    const f = eth('ff:ff:ff:ff:ff:ff', 60, 1);
    const i = d.sendLegacy(f);
    expect(frames(b)).toEqual([f]);
    expect(d.txDone(i)).toBe(true);
    expect(d.r(R.TDH)).toBe(1);
    expect(d.r(R.ICR)).toBe(ICR.TXDW | ICR.TXQE);
    expect([d.r(R.GPTC), d.r(R.TPT), d.r(R.GOTCL), d.r(R.GOTCH), d.r(R.TOTL), d.r(R.BPTC), d.r(R.PTC64)]).toEqual([1, 1, 64, 0, 64, 1, 1]);
    expect(d.r(R.GPTC)).toBe(0); // clear on read
  });

  it('joins descriptors up to EOP and writes DD only where RS is set', () => {
    const { b, d } = setup();
    const f = ipv4({ proto: 'udp', data: pattern(300) });
    const a = d.txBuffer(f);
    const i0 = d.putTx(legacyDesc(a, 14, CMD.IFCS));
    const i1 = d.putTx(legacyDesc(a + 14, 100, CMD.IFCS));
    const i2 = d.putTx(legacyDesc(a + 114, f.length - 114, CMD.IFCS | CMD.EOP | CMD.RS));
    d.kick();
    expect(frames(b)).toEqual([f]);
    expect([d.txDone(i0), d.txDone(i1), d.txDone(i2)]).toEqual([false, false, true]);
    expect(d.r(R.MPTC)).toBe(0);
  });

  it('TCTL.EN with an empty ring reports TXQE at once (as QEMU does); TX off sends nothing', () => {
    const b = makeBench();
    const d = new Driver(b);
    d.initTx();
    expect(d.r(R.ICR)).toBe(ICR.TXQE);
    d.w(R.TCTL, 0);
    d.sendLegacy(eth('ff:ff:ff:ff:ff:ff'));
    expect(b.wire.pending).toBe(0);
    expect(d.r(R.TDH)).toBe(0);
    d.w(R.TCTL, 0x0004010a);
    expect(b.wire.pending).toBe(1);
  });

  it('does no DMA while bus mastering is off', () => {
    const { b, d } = setup();
    b.nic.pci.configWrite(0x04, 2, 0x0003);
    const reads = b.mem.reads;
    d.sendLegacy(eth('ff:ff:ff:ff:ff:ff'));
    expect(b.mem.reads).toBe(reads);
    expect(b.wire.pending).toBe(0);
    b.nic.pci.configWrite(0x04, 2, 0x0007);
    d.kick();
    expect(b.wire.pending).toBe(1);
  });

  it('inserts a legacy checksum (IC) at CSO over CSS..end', () => {
    const { b, d } = setup();
    const f = ipv4({ proto: 'udp', data: pattern(40), mode: 'csum' });
    d.putTx(legacyDesc(d.txBuffer(f), f.length, CMD.IFCS | CMD.EOP | CMD.RS | CMD.IC, { cso: 40, css: 34 }));
    d.kick();
    const [g] = frames(b);
    expect(ipv4ChecksumsOk(g!).l4).toBe(true);
  });

  it('caps a frame at the 64 KiB staging buffer, counting the bytes left out', () => {
    const { b, d } = setup();
    const a = d.txBuffer(pattern(40000));
    d.putTx(legacyDesc(a, 40000, CMD.IFCS));
    d.putTx(legacyDesc(a, 40000, CMD.IFCS | CMD.EOP | CMD.RS));
    d.kick();
    const [g] = frames(b);
    expect(g!.length).toBe(65536);
    expect(b.nic.counters()['txTruncatedBytes']).toBe(80000 - 65536);
  });
});

describe('e1000 TX: checksum offload with context descriptors (SDM 3.3.6-3.3.7)', () => {
  it('fills IPv4 header and TCP checksums (IXSM | TXSM)', () => {
    const { b, d } = setup();
    const f = ipv4({ data: pattern(500, 3), mode: 'csum' });
    d.putTx(contextDesc({ ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 50, cmd: CTX.IP | CTX.TCP }));
    d.putTx(dataDesc(d.txBuffer(f), f.length, { eop: true, popts: 3 }));
    d.kick();
    const [g] = frames(b);
    expect(g).toEqual(ipv4({ data: pattern(500, 3) }));
    expect(ipv4ChecksumsOk(g!)).toEqual({ ip: true, l4: true });
  });

  it('fills a UDP checksum with header and payload in separate descriptors', () => {
    const { b, d } = setup();
    const f = ipv4({ proto: 'udp', data: pattern(77, 1), mode: 'csum' });
    put16(f, 24, cks(f, 14, 34)); // IP header checksum by the stack
    const a = d.txBuffer(f);
    d.putTx(contextDesc({ ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 40, cmd: CTX.IP }));
    d.putTx(dataDesc(a, 42, { popts: 2, rs: false }));
    d.putTx(dataDesc(a + 42, f.length - 42, { eop: true, popts: 2 }));
    d.kick();
    const [g] = frames(b);
    expect(ipv4ChecksumsOk(g!)).toEqual({ ip: true, l4: true });
  });

  it('fills a TCP checksum over IPv6', () => {
    const { b, d } = setup();
    const f = ipv6({ data: pattern(333, 2), mode: 'csum' });
    d.putTx(contextDesc({ tucss: 54, tucso: 70, cmd: CTX.TCP }));
    d.putTx(dataDesc(d.txBuffer(f), f.length, { eop: true, popts: 2 }));
    d.kick();
    const [g] = frames(b);
    expect(ipv6ChecksumOk(g!)).toBe(true);
    expect(g).toEqual(ipv6({ data: pattern(333, 2) }));
  });
});

describe('e1000 TX: TCP segmentation (SDM 3.5)', () => {
  const tsoCtx = (paylen: number, mss: number, v6 = false) =>
    v6
      ? contextDesc({ ipcss: 14, tucss: 54, tucso: 70, paylen, cmd: CTX.TSE | CTX.TCP, hdrLen: 74, mss })
      : contextDesc({ ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 50, paylen, cmd: CTX.TSE | CTX.IP | CTX.TCP, hdrLen: 54, mss });

  it('IPv4: every segment byte for byte, headers and payload spread over odd descriptors', () => {
    const { b, d } = setup();
    const data = pattern(4000, 9);
    const f = ipv4({ data, mode: 'tso', flags: 0x19, seq: 0xffffff00, ident: 0xfffe });
    const a = d.txBuffer(f);
    d.putTx(tsoCtx(4000, 1448));
    // header split in two, payload in three pieces that do not line up with segments
    const cuts = [0, 30, 54, 1000, 3001, f.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      d.putTx(dataDesc(a + cuts[i]!, cuts[i + 1]! - cuts[i]!, { tse: true, popts: 3, eop: i + 2 === cuts.length, rs: i + 2 === cuts.length }));
    }
    d.kick();
    const got = frames(b);
    const want = expectedTso(ipv4({ data, mode: 'wire', flags: 0x19, seq: 0xffffff00, ident: 0xfffe }), 54, 1448, false);
    expect(got.length).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(got[i], `segment ${i}`).toEqual(want[i]);
      expect(ipv4ChecksumsOk(got[i]!)).toEqual({ ip: true, l4: true });
    }
    expect(got.map((s) => s[47]! & 0x09)).toEqual([0, 0, 0x09]);
    expect(d.r(R.TSCTC)).toBe(1);
    expect(d.r(R.TPT)).toBe(3);
  });

  it('IPv4: a payload that is an exact multiple of the MSS gives exactly PAYLEN/MSS segments', () => {
    const { b, d } = setup();
    const data = pattern(3000, 1);
    const f = ipv4({ data, mode: 'tso' });
    d.putTx(tsoCtx(3000, 1000));
    d.putTx(dataDesc(d.txBuffer(f), f.length, { tse: true, popts: 3, eop: true }));
    d.kick();
    const got = frames(b);
    expect(got.map((g) => g.length)).toEqual([1054, 1054, 1054]);
    expect(got).toEqual(expectedTso(ipv4({ data }), 54, 1000, false));
  });

  it('IPv6: payload length and checksums per segment', () => {
    const { b, d } = setup();
    const data = pattern(2500, 4);
    const f = ipv6({ data, mode: 'tso', flags: 0x18 });
    const a = d.txBuffer(f);
    d.putTx(tsoCtx(2500, 1200, true));
    d.putTx(dataDesc(a, 74, { tse: true, popts: 2, rs: false }));
    d.putTx(dataDesc(a + 74, 2500, { tse: true, popts: 2, eop: true }));
    d.kick();
    const got = frames(b);
    expect(got).toEqual(expectedTso(ipv6({ data }), 74, 1200, true));
    for (const g of got) expect(ipv6ChecksumOk(g)).toBe(true);
  });

  it('tags every segment with the VLAN of the data descriptor', () => {
    const { b, d } = setup();
    d.w(R.CTRL, d.r(R.CTRL) | (1 << 30));
    const data = pattern(1000, 2);
    const f = ipv4({ data, mode: 'tso' });
    d.putTx(tsoCtx(1000, 400));
    d.putTx(dataDesc(d.txBuffer(f), f.length, { tse: true, popts: 3, eop: true, vle: true, special: 0x6005 }));
    d.kick();
    const got = frames(b);
    const want = expectedTso(ipv4({ data }), 54, 400, false);
    expect(got.length).toBe(3);
    got.forEach((g, i) => {
      expect(be16(g, 12)).toBe(0x8100);
      expect(be16(g, 14)).toBe(0x6005);
      expect(concat(g.subarray(0, 12), g.subarray(16))).toEqual(want[i]);
    });
  });
});

describe('e1000 TX: VLAN insertion (SDM 3.5.3)', () => {
  it('inserts VET and the special field after the source address when CTRL.VME and VLE are set', () => {
    const { b, d } = setup();
    const f = eth('02:00:00:00:00:02', 64, 7);
    d.sendLegacy(f, CMD.IFCS | CMD.EOP | CMD.RS | CMD.VLE, 0x0123);
    expect(frames(b)).toEqual([f]); // VME off: no tag
    d.w(R.CTRL, d.r(R.CTRL) | (1 << 30));
    d.w(R.VET, 0x88a8);
    d.sendLegacy(f, CMD.IFCS | CMD.EOP | CMD.RS | CMD.VLE, 0x0123);
    const [g] = frames(b);
    expect(g).toEqual(concat(f.subarray(0, 12), Uint8Array.from([0x88, 0xa8, 0x01, 0x23]), f.subarray(12)));
  });
});

describe('e1000 TX: ring bookkeeping', () => {
  it('wraps TDH at TDLEN and processes every descriptor once', () => {
    const b = makeBench();
    const d = new Driver(b, { txCount: 8 });
    d.initTx();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) d.putTx(legacyDesc(d.txBuffer(eth('ff:ff:ff:ff:ff:ff', 60, i)), 60, CMD.IFCS | CMD.EOP | CMD.RS));
      d.kick();
    }
    expect(frames(b)).toHaveLength(15);
    expect(d.r(R.TDH)).toBe(15 % 8);
    expect(d.u32(TX_RING + 12) & 1).toBe(1);
  });
});
