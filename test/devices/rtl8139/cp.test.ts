/**
 * The rtl8139 in C+ mode, driven the way Linux 8139cp drives an RTL8139C+
 * (revision 0x20): TX ring with multi-descriptor frames, VLAN insertion,
 * checksum offload and TSO (checked byte by byte), the high-priority ring,
 * RX ring with VLAN stripping and checksum reports, RX backpressure and how
 * the device learns of refilled descriptors, tally dump, IntrMitigate and
 * save/restore.
 */
import { describe, expect, it } from 'vitest';
import { Bench, Cp, CP_HI_RING, CP_RING, CP_RX_RING, CP_TX_RING, DESC, INT, MAC, R } from './driver.js';
import { checksumsOk, crc32, ethFrame, expectedSegments, hex, ipv4Frame, payload, tagged } from './packets.js';
import { RX_POLL_NS, MITIGATION_UNIT_NS } from '../../../src/devices/rtl8139/index.js';

const OTHER = [0x02, 0, 0, 0, 0, 9];

function open() {
  const b = new Bench();
  const d = new Cp(b);
  d.open();
  return { b, d };
}

describe('rtl8139 C+ mode (RTL8139C+, 8139cp-style driver)', () => {
  it('sends frames from one or several descriptors, gives them back, raises TOK', () => {
    const { b, d } = open();
    const frames = [ethFrame(OTHER, 100, 1), ethFrame(OTHER, 1500, 2), ethFrame(OTHER, 46, 3)];
    d.queue(frames[0]!);
    d.queue(frames[1]!, { parts: 4 });
    d.queue(frames[2]!, { parts: 2 });
    d.kick();
    expect(b.sent().map(hex)).toEqual(frames.map(hex));
    expect(d.txClean()).toBe(7);
    expect(b.inw(R.ISR) & INT.TOK).toBe(INT.TOK);
    expect(b.irq.level).toBe(true);
  });

  it('walks the ring around EOR for hundreds of frames', () => {
    const { b, d } = open();
    let total = 0;
    for (let i = 0; i < 300; i++) {
      d.xmit(ethFrame(OTHER, 60 + (i % 50), i));
      total += b.sent().length;
      d.txClean();
    }
    expect(total).toBe(300);
  });

  it('inserts the VLAN tag from opts2 (TAGC), also on offloaded frames', () => {
    const { b, d } = open();
    const f = ethFrame(OTHER, 80, 4);
    d.xmit(f, { vlan: 0x2123 });
    expect(hex(b.sent()[0]!)).toBe(hex(tagged(f, 0x2123)));
    const ip = ipv4Frame({ proto: 'udp', data: payload(50), mode: 'zero' });
    d.xmit(ip, { vlan: 0x0005, opts1: DESC.IPCS | DESC.UDPCS });
    const out = b.sent()[0]!;
    expect(out[12]).toBe(0x81);
    expect((out[14]! << 8) | out[15]!).toBe(0x0005);
    expect(checksumsOk(out, 18)).toBe(true);
  });

  it('fills in IPv4, TCP and UDP checksums (IPCS/TCPCS/UDPCS)', () => {
    const { b, d } = open();
    const tcp = ipv4Frame({ proto: 'tcp', data: payload(333, 5), mode: 'zero' });
    const udp = ipv4Frame({ proto: 'udp', data: payload(77, 6), mode: 'zero' });
    d.xmit(tcp, { opts1: DESC.IPCS | DESC.TCPCS });
    d.xmit(udp, { opts1: DESC.IPCS | DESC.UDPCS, parts: 3 });
    const [t, u] = b.sent();
    expect(checksumsOk(t!)).toBe(true);
    expect(checksumsOk(u!)).toBe(true);
    const want = ipv4Frame({ proto: 'tcp', data: payload(333, 5) });
    expect(hex(t!)).toBe(hex(want));
  });

  it('TSO: segments match, byte by byte, what the MSS and the headers say', () => {
    const { b, d } = open();
    for (const [len, mss, flags, seq] of [
      [3000, 1000, 0x19, 1000],
      [2000, 536, 0x18, 0xfffffff0],
      [1460, 1460, 0x18, 7],
      [5000, 1448, 0x98, 0x12345678],
      [10, 1400, 0x11, 1],
    ] as const) {
      const f = ipv4Frame({ proto: 'tcp', data: payload(len, len & 0xff), flags, seq, ident: 0xfffe });
      d.xmit(f, { opts1: DESC.LGSEN | (mss << 16), parts: len > 3000 ? 3 : 1 });
      const got = b.sent();
      const want = expectedSegments(f, mss);
      expect(got.map(hex)).toEqual(want.map(hex));
      for (const s of got) expect(checksumsOk(s)).toBe(true);
      d.txClean();
    }
    expect(b.dev.counters()['txTsoFrames']).toBe(5);
  });

  it('TSO with a VLAN tag tags every segment', () => {
    const { b, d } = open();
    const f = ipv4Frame({ proto: 'tcp', data: payload(2500, 1) });
    d.xmit(f, { opts1: DESC.LGSEN | (1000 << 16), vlan: 0x0700 });
    const got = b.sent();
    expect(got.map(hex)).toEqual(expectedSegments(f, 1000).map((s) => hex(tagged(s, 0x0700))));
  });

  it('sends the high-priority ring (HPQ) and raises SWInt on FSWInt', () => {
    const { b, d } = open();
    b.outl(R.TSAD0 + 8, CP_HI_RING);
    const f = ethFrame(OTHER, 70, 9);
    b.put(0x500000, f);
    b.ram.writeU32(CP_HI_RING + 4, 0);
    b.ram.writeU64(CP_HI_RING + 8, 0x500000n);
    b.ram.writeU32(CP_HI_RING, (DESC.OWN | DESC.EOR | DESC.FS | DESC.LS | f.length) >>> 0);
    d.queue(ethFrame(OTHER, 70, 10));
    b.outb(R.TPPOLL, 0xc0);
    const sent = b.sent();
    expect(sent.length).toBe(2);
    expect(hex(sent[0]!)).toBe(hex(f));
    expect(b.u32(CP_HI_RING) & DESC.OWN).toBe(0);
    b.outw(R.IMR, INT.SWINT);
    b.outb(R.TPPOLL, 0x01);
    expect(b.inw(R.ISR) & INT.SWINT).toBe(INT.SWINT);
    expect(b.irq.level).toBe(true);
  });

  it('receives into descriptors: FS|LS, length with CRC, address class, EOR wrap', () => {
    const { b, d } = open();
    const sent: Uint8Array[] = [];
    const got: Array<{ opts1: number; frame: Uint8Array }> = [];
    for (let i = 0; i < 200; i++) {
      const dst = i % 3 === 0 ? [...MAC] : i % 3 === 1 ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : [0x01, 0, 0x5e, 0, 0, 1];
      const f = ethFrame(dst, 60 + i, i);
      sent.push(f);
      b.inject(f);
      if (i % 10 === 9) got.push(...d.rx());
    }
    got.push(...d.rx());
    expect(got.length).toBe(200);
    got.forEach((g, i) => {
      expect(hex(g.frame)).toBe(hex(sent[i]!));
      expect(g.opts1 & (DESC.FS | DESC.LS)).toBe(DESC.FS | DESC.LS);
      expect(g.opts1 & 0x07000000).toBe([0x02000000, 0x01000000, 0x04000000][i % 3]);
    });
    const i = 197; // the last frame in buffer 5
    const buf = b.get(0x200000 + (i % CP_RING) * 0x800, sent[i]!.length + 4);
    expect(((buf[sent[i]!.length]! | (buf[sent[i]!.length + 1]! << 8) | (buf[sent[i]!.length + 2]! << 16) | (buf[sent[i]!.length + 3]! << 24)) >>> 0)).toBe(crc32(sent[i]!));
  });

  it('strips the VLAN tag (RxVLAN) into opts2 and reports RX checksums (RxChkSum)', () => {
    const { b, d } = open();
    const plain = ethFrame([...MAC], 100, 1);
    b.inject(tagged(plain, 0x6123));
    b.inject(ipv4Frame({ dst: [...MAC], proto: 'tcp' }));
    b.inject(ipv4Frame({ dst: [...MAC], proto: 'tcp', mode: 'bad' }));
    b.inject(ipv4Frame({ dst: [...MAC], proto: 'udp' }));
    b.inject(ipv4Frame({ dst: [...MAC], proto: 'udp', mode: 'bad' }));
    const [v, tg, tb, ug, ub] = d.rx();
    expect(hex(v!.frame)).toBe(hex(plain));
    expect(v!.opts2).toBe(0x10000 | 0x2361);
    const pid = (o: number): number => (o >>> 16) & 3;
    expect([pid(tg!.opts1), tg!.opts1 & 0xe000]).toEqual([1, 0]);
    expect([pid(tb!.opts1), tb!.opts1 & 0xe000]).toEqual([1, 0x8000 | 0x2000]);
    expect([pid(ug!.opts1), ug!.opts1 & 0xe000]).toEqual([2, 0]);
    expect([pid(ub!.opts1), ub!.opts1 & 0xe000]).toEqual([2, 0x8000 | 0x4000]);
  });

  it('backpressure: frames wait while every descriptor is host-owned and go in after the refill', () => {
    const { b, d } = open();
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) {
      const f = ethFrame([...MAC], 200, i);
      sent.push(f);
      b.inject(f);
    }
    expect(b.waiting).toBe(100 - CP_RING);
    expect(b.inw(R.ISR) & INT.RXOVW).toBe(INT.RXOVW);
    expect(b.inl(R.MPC)).toBe(0);
    const got = [...d.rx(), ...d.rx()];
    expect(got.map((g) => hex(g.frame))).toEqual(sent.map(hex));
    expect(b.waiting).toBe(0);
  });

  it('learns of refilled descriptors without a register write, from the poll timer', () => {
    const { b, d } = open();
    for (let i = 0; i < CP_RING + 3; i++) b.inject(ethFrame([...MAC], 100, i));
    expect(b.waiting).toBe(3);
    // Refill quietly: no register access at all.
    const first = d.rx(CP_RING, { touchRegisters: false });
    expect(first.length).toBe(CP_RING);
    expect(b.waiting).toBe(3);
    b.clock.advance(RX_POLL_NS);
    expect(b.waiting).toBe(0);
    expect(d.rx(CP_RING, { touchRegisters: false }).length).toBe(3);
    expect(b.clock.nextDeadline()).toBe(null);
  });

  it('a buffer smaller than frame + CRC: RxOverflow, MPC, dropped, the descriptor stays', () => {
    const { b, d } = open();
    b.ram.writeU32(CP_RX_RING, (DESC.OWN | 64) >>> 0);
    b.inject(ethFrame([...MAC], 200));
    expect(b.inw(R.ISR) & INT.RXOVW).toBe(INT.RXOVW);
    expect(b.inl(R.MPC)).toBe(1);
    expect(b.u32(CP_RX_RING) >>> 0).toBe((DESC.OWN | 64) >>> 0);
    b.inject(ethFrame([...MAC], 40));
    expect(d.rx().length).toBe(1);
  });

  it('dumps the tally counters through DTCCR', () => {
    const { b, d } = open();
    for (let i = 0; i < 3; i++) d.xmit(ethFrame(OTHER, 60));
    b.inject(ethFrame([...MAC], 60));
    b.inject(ethFrame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 60));
    b.inject(ethFrame(OTHER, 60));
    const t = d.dumpTally();
    const dv = new DataView(t.buffer);
    expect(dv.getUint32(0x00, true)).toBe(3); // TxOk
    expect(dv.getUint32(0x08, true)).toBe(2); // RxOk
    expect(dv.getUint32(0x18, true)).toBe(1); // RxErr (filtered)
    expect(dv.getUint32(0x28, true)).toBe(1); // RxOkPhy
    expect(dv.getUint32(0x30, true)).toBe(1); // RxOkBrd
    expect(b.inl(R.TSD0) & 8).toBe(0);
  });

  it('IntrMitigate holds ROK back for the timer or until enough frames', () => {
    const { b, d } = open();
    b.outw(R.INTRMIT, 0x0023); // RX: timer 2 units, 3 frames
    b.inject(ethFrame([...MAC], 60, 1));
    expect(b.inw(R.ISR) & INT.ROK).toBe(0);
    expect(b.irq.level).toBe(false);
    b.clock.advance(2 * MITIGATION_UNIT_NS);
    expect(b.inw(R.ISR) & INT.ROK).toBe(INT.ROK);
    d.rx();
    for (let i = 0; i < 2; i++) b.inject(ethFrame([...MAC], 60, i));
    expect(b.inw(R.ISR) & INT.ROK).toBe(0);
    b.inject(ethFrame([...MAC], 60, 3));
    expect(b.inw(R.ISR) & INT.ROK).toBe(INT.ROK);
    expect(b.irq.level).toBe(true);
  });

  it('save/restore with a frame half assembled and a frame waiting for a descriptor', () => {
    const { b, d } = open();
    for (let i = 0; i < CP_RING + 1; i++) b.inject(ethFrame([...MAC], 100, i));
    const f = ethFrame(OTHER, 1000, 7);
    // First half only (FS without LS), then save.
    b.put(0x600000, f);
    b.ram.writeU32(CP_TX_RING + 4, 0);
    b.ram.writeU64(CP_TX_RING + 8, 0x600000n);
    b.ram.writeU32(CP_TX_RING, (DESC.OWN | DESC.FS | 500) >>> 0);
    b.outb(R.TPPOLL, 0x40);
    expect(b.sent()).toEqual([]);
    const saved = JSON.parse(JSON.stringify(b.dev.saveState())) as unknown;
    const b2 = new Bench();
    b2.ram.write(0, b.get(0, 0x800000));
    expect(b2.dev.restoreState(saved)).toBeUndefined();
    b2.ram.writeU32(CP_TX_RING + 16 + 4, 0);
    b2.ram.writeU64(CP_TX_RING + 16 + 8, 0x600000n + 500n);
    b2.ram.writeU32(CP_TX_RING + 16, (DESC.OWN | DESC.LS | 514) >>> 0);
    b2.outb(R.TPPOLL, 0x40);
    expect(b2.sent().map(hex)).toEqual([hex(f)]);
    const d2 = new Cp(b2);
    expect(d2.rx().length).toBe(CP_RING);
  });
});
