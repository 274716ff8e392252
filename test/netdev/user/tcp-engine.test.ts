/** The TCP engine on its own: two TCBs wired back to back through a controllable queue. */
import { describe, expect, it } from 'vitest';
import { tcpEngine } from '../../../src/netdev/user/index.js';
import { pattern, firstDifference } from './tcp-helpers.js';

type Tcb = tcpEngine.Tcb;
type SegmentIn = tcpEngine.SegmentIn;

const P: tcpEngine.TcpParams = { mss: 1460, defaultPeerMss: 536, sndBufSize: 64 * 1024, rcvBufSize: 64 * 1024, windowScaling: true };

class Pair {
  now = 0;
  readonly toA: SegmentIn[] = [];
  readonly toB: SegmentIn[] = [];
  constructor(
    public a: Tcb,
    public b: Tcb,
  ) {}
  private seg(t: Tcb, s: tcpEngine.SegmentOut): SegmentIn {
    const payload = new Uint8Array(s.len);
    if (s.len) t.sndBuf.copyOut(s.bufOffset, s.len, payload);
    const x: SegmentIn = { seq: s.seq, ack: s.ack, flags: s.flags, window: s.window, payload };
    if (s.mss !== undefined) x.mss = s.mss;
    if (s.wscale !== undefined) x.wscale = s.wscale;
    return x;
  }
  readonly emitA: tcpEngine.TcpEmitter = (t, s) => this.toB.push(this.seg(t, s));
  readonly emitB: tcpEngine.TcpEmitter = (t, s) => this.toA.push(this.seg(t, s));
  output(): void {
    tcpEngine.tcpOutput(this.a, this.now, this.emitA);
    tcpEngine.tcpOutput(this.b, this.now, this.emitB);
  }
  /** Deliver everything queued (optionally transformed), then run timers up to `now`. */
  run(rounds = 10_000, filterB: (q: SegmentIn[]) => SegmentIn[] = (q) => q): void {
    for (let i = 0; i < rounds && (this.toA.length || this.toB.length); i++) {
      const qb = filterB(this.toB.splice(0));
      const qa = this.toA.splice(0);
      for (const s of qb) tcpEngine.tcpSegment(this.b, s, this.now, this.emitB);
      for (const s of qa) tcpEngine.tcpSegment(this.a, s, this.now, this.emitA);
    }
  }
  advance(ns: number): void {
    const end = this.now + ns;
    for (;;) {
      const da = tcpEngine.tcpNextDeadline(this.a);
      const db = tcpEngine.tcpNextDeadline(this.b);
      const next = Math.min(da < 0 ? Infinity : da, db < 0 ? Infinity : db);
      if (next > end) break;
      this.now = next;
      if (da === next) tcpEngine.tcpOnTimer(this.a, next, this.emitA);
      if (db === next) tcpEngine.tcpOnTimer(this.b, next, this.emitB);
      this.run();
    }
    this.now = end;
  }
}

function established(): Pair {
  const a = tcpEngine.tcbConnect(P, 1000, 0);
  const p = new Pair(a, a);
  tcpEngine.tcpOutput(a, 0, p.emitA);
  const syn = p.toB.shift()!;
  p.b = tcpEngine.tcbAccept(P, 900000, syn, 0);
  p.output();
  p.run();
  return p;
}

describe('TCP engine, back to back', () => {
  it('three-way handshake negotiates MSS and window scale', () => {
    const p = established();
    expect([p.a.state, p.b.state]).toEqual(['established', 'established']);
    expect(p.a.sndMss).toBe(1460);
    expect(p.a.rcvShift).toBe(1);
    expect(p.b.sndShift).toBe(1);
  });

  it('no window scaling unless both sides offer it (RFC 7323 §2.2)', () => {
    const a = tcpEngine.tcbConnect({ ...P, windowScaling: false }, 1, 0);
    const p = new Pair(a, a);
    tcpEngine.tcpOutput(a, 0, p.emitA);
    const syn = p.toB.shift()!;
    expect(syn.wscale).toBeUndefined();
    p.b = tcpEngine.tcbAccept(P, 2, syn, 0);
    p.output();
    expect(p.toA[0]!.wscale).toBeUndefined();
    p.run();
    expect([p.a.sndShift, p.a.rcvShift, p.b.sndShift, p.b.rcvShift]).toEqual([0, 0, 0, 0]);
  });

  it('simultaneous open goes through SYN-RECEIVED on both sides', () => {
    const a = tcpEngine.tcbConnect(P, 100, 0);
    const b = tcpEngine.tcbConnect(P, 200, 0);
    const p = new Pair(a, b);
    p.output();
    p.run();
    p.output();
    p.run();
    expect([a.state, b.state]).toEqual(['established', 'established']);
  });

  it('simultaneous close: both pass CLOSING and TIME-WAIT, then CLOSED after 2 MSL', () => {
    const p = established();
    tcpEngine.tcpClose(p.a);
    tcpEngine.tcpClose(p.b);
    p.output();
    expect([p.a.state, p.b.state]).toEqual(['fin-wait-1', 'fin-wait-1']);
    p.run();
    expect([p.a.state, p.b.state]).toEqual(['time-wait', 'time-wait']);
    p.advance(11e9);
    expect([p.a.state, p.b.state]).toEqual(['closed', 'closed']);
  });

  it('segments delivered in reverse order, FIN included, reassemble exactly', () => {
    const p = established();
    const data = pattern(10 * 1460, 9);
    tcpEngine.tcpSend(p.a, data);
    tcpEngine.tcpClose(p.a);
    p.output();
    const q = p.toB.splice(0).reverse();
    for (const s of q) tcpEngine.tcpSegment(p.b, s, 0, p.emitB);
    expect(p.b.rcvBuf.length).toBe(data.length);
    expect(firstDifference(p.b.rcvBuf.read(data.length), data)).toBe(-1);
    expect(p.b.peerFin).toBe(true);
    expect(p.b.state).toBe('close-wait');
  });

  it('a zero window is probed with backoff until the reader opens it', () => {
    const p = established();
    const data = pattern(200 * 1024, 4);
    let off = tcpEngine.tcpSend(p.a, data);
    p.output();
    p.run();
    p.advance(5e9);
    expect(p.b.rcvBuf.free).toBe(0);
    // More data waits behind the closed window: the persist timer runs, and probes go out.
    off += tcpEngine.tcpSend(p.a, data.subarray(off));
    p.output();
    expect(p.a.persistAt).toBeGreaterThan(0);
    p.advance(20e9);
    // Each unanswered probe doubles the interval.
    expect(p.a.persistBackoff).toBeGreaterThan(2);
    const got: Uint8Array[] = [];
    for (let i = 0; i < 1000 && got.reduce((n, g) => n + g.length, 0) < data.length; i++) {
      got.push(p.b.rcvBuf.read(p.b.rcvBuf.length));
      tcpEngine.tcpWindowUpdate(p.b);
      off += tcpEngine.tcpSend(p.a, data.subarray(off));
      p.output();
      p.run();
      p.advance(300e6);
    }
    const all = new Uint8Array(got.reduce((n, g) => n + g.length, 0));
    let o = 0;
    for (const g of got) {
      all.set(g, o);
      o += g.length;
    }
    expect(firstDifference(all, data)).toBe(-1);
  });

  it('sequence numbers wrap past 2^32 mid-transfer without a byte lost', () => {
    const a = tcpEngine.tcbConnect(P, 0xfffff000, 0);
    const p = new Pair(a, a);
    tcpEngine.tcpOutput(a, 0, p.emitA);
    p.b = tcpEngine.tcbAccept(P, 0xffffff00, p.toB.shift()!, 0);
    p.output();
    p.run();
    const data = pattern(300_000, 11);
    const back = pattern(300_000, 12);
    let offA = 0;
    let offB = 0;
    const gotA: number[] = [];
    const gotB: number[] = [];
    for (let i = 0; i < 10_000 && (gotB.length < data.length || gotA.length < back.length); i++) {
      offA += tcpEngine.tcpSend(p.a, data.subarray(offA));
      offB += tcpEngine.tcpSend(p.b, back.subarray(offB));
      p.output();
      // Lose every 7th segment towards B.
      let n = 0;
      p.run(10_000, (q) => q.filter(() => ++n % 7 !== 0));
      for (const x of p.b.rcvBuf.read(1 << 20)) gotB.push(x);
      for (const x of p.a.rcvBuf.read(1 << 20)) gotA.push(x);
      tcpEngine.tcpWindowUpdate(p.a);
      tcpEngine.tcpWindowUpdate(p.b);
      p.advance(250e6);
    }
    expect(firstDifference(Uint8Array.from(gotB), data)).toBe(-1);
    expect(firstDifference(Uint8Array.from(gotA), back)).toBe(-1);
    expect(p.a.sndUna).toBeLessThan(0xfffff000); // the 32-bit value wrapped
    expect(tcpEngine.seqGt(p.a.sndUna, 0xfffff000)).toBe(true);
  });

  it('an ACK for data never sent is answered with an ACK and otherwise ignored', () => {
    const p = established();
    const una = p.a.sndUna;
    tcpEngine.tcpSegment(p.a, { seq: p.b.sndNxt, ack: (p.a.sndMax + 5000) >>> 0, flags: tcpEngine.TCP_FLAG_ACK, window: 100, payload: new Uint8Array(0) }, 0, p.emitA);
    expect(p.a.sndUna).toBe(una);
    expect(p.toB.pop()!.flags).toBe(tcpEngine.TCP_FLAG_ACK);
  });

  it('SYN retransmissions give up after 6 tries with exponential backoff', () => {
    const a = tcpEngine.tcbConnect(P, 1, 0);
    const p = new Pair(a, a);
    tcpEngine.tcpOutput(a, 0, p.emitA);
    const times: number[] = [];
    for (let i = 0; i < 10 && a.state !== 'closed'; i++) {
      const d = tcpEngine.tcpNextDeadline(a);
      times.push(d);
      p.toB.length = 0;
      tcpEngine.tcpOnTimer(a, d, p.emitA);
    }
    expect(a.state).toBe('closed');
    expect(a.events & tcpEngine.TcpEvents.TIMEOUT).toBeTruthy();
    expect(times.slice(0, 4)).toEqual([1e9, 3e9, 7e9, 15e9]);
  });
});
