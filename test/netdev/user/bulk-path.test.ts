/**
 * Pieces of the user stack's bulk path: src/wire's word-at-a-time checksum
 * against a textbook RFC 1071 sum, the receive buffer's `contiguous` view, the
 * engine's TSO-sized output, and the Node wall-clock timer that keeps one
 * setTimeout while its deadline moves.
 */
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { onesSum, pseudoHeaderSum } from '../../../src/wire/index.js';
import { ByteRing } from '../../../src/netdev/user/ring.js';
import { WallClockTimers } from '../../../src/netdev/user/host.node.js';
import { tcpEngine } from '../../../src/netdev/user/index.js';

/** RFC 1071 §4.1 as written: 16-bit big-endian words, an odd last byte as a high half, carries folded. */
function referenceSum(buf: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  for (let i = start; i < end; i += 2) sum += (buf[i]! << 8) | (i + 1 < end ? buf[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The textbook pseudo-header: both addresses as words, then protocol and length. */
function referencePseudo(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  const b = new Uint8Array(src.length + dst.length);
  b.set(src);
  b.set(dst, src.length);
  return referenceSum(b, 0, b.length, protocol + (length >>> 16) + (length & 0xffff));
}

describe('onesSum (src/wire): the 32-bit path for long ranges (RFC 1071 §2: byte order independent, parallel summation)', () => {
  it('equals the RFC 1071 byte-wise sum for any range, alignment and initial sum', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 5000 }), fc.nat(7), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffff }), (bytes, shift, a, b, initial) => {
        // Views that start at every offset modulo 4 of their buffer.
        const buf = new Uint8Array(bytes.length + shift);
        buf.set(bytes, shift);
        const v = buf.subarray(shift);
        const start = v.length ? a % (v.length + 1) : 0;
        const end = start + (v.length - start ? b % (v.length - start + 1) : 0);
        expect(onesSum(v, start, end, initial)).toBe(referenceSum(v, start, end, initial));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees at the extremes: all zero, all ones, 64 KiB', () => {
    for (const fill of [0, 0xff, 0x80]) {
      const b = new Uint8Array(65536 + 3).fill(fill);
      for (const [s, e] of [[0, 65536], [1, 65539], [3, 64], [2, 65]]) expect(onesSum(b, s!, e!, 0)).toBe(referenceSum(b, s!, e!, 0));
    }
  });

  it('pseudoHeaderSum (unrolled for IPv4) equals the textbook pseudo-header for IPv4 and IPv6', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 0x1ffff }), (s4, d4, a6, len) => {
        expect(pseudoHeaderSum(s4, d4, 6, len)).toBe(referencePseudo(s4, d4, 6, len));
        expect(pseudoHeaderSum(a6, a6.slice().reverse(), 17, len)).toBe(referencePseudo(a6, a6.slice().reverse(), 17, len));
      }),
    );
  });
});

describe('ByteRing.contiguous', () => {
  it('lends the head bytes up to the wrap point; consume moves on', () => {
    const r = new ByteRing(16, 16);
    r.push(Uint8Array.from({ length: 12 }, (_, i) => i));
    r.consume(10);
    r.push(Uint8Array.from({ length: 8 }, (_, i) => 100 + i));
    // Held: 10, 11, 100..103 at the storage's end, then 104..107 at its start.
    expect([...r.contiguous(100)]).toEqual([10, 11, 100, 101, 102, 103]);
    expect([...r.contiguous(3)]).toEqual([10, 11, 100]);
    r.consume(4);
    expect([...r.contiguous(100)]).toEqual([102, 103]);
    r.consume(2);
    expect([...r.contiguous(100)]).toEqual([104, 105, 106, 107]);
    r.consume(4);
    expect(r.contiguous(100).length).toBe(0);
  });
});

describe('engine: segments larger than the MSS for a segmenting link (gsoMaxSize)', () => {
  const P: tcpEngine.TcpParams = { mss: 1460, defaultPeerMss: 536, sndBufSize: 1 << 20, rcvBufSize: 1 << 20, windowScaling: true };

  it('sends multiples of the MSS up to gsoMaxSize within the windows; retransmits one MSS', () => {
    const out: tcpEngine.SegmentOut[] = [];
    const emit: tcpEngine.TcpEmitter = (_t, s) => out.push(s);
    const a = tcpEngine.tcbConnect({ ...P, gsoMaxSize: 65000 }, 1000, 0);
    tcpEngine.tcpOutput(a, 0, emit);
    tcpEngine.tcpSegment(a, { seq: 5000, ack: 1001, flags: tcpEngine.TCP_FLAG_SYN | tcpEngine.TCP_FLAG_ACK, window: 65535, payload: new Uint8Array(0), mss: 1460, wscale: 7 }, 0, emit);
    expect(a.state).toBe('established');
    // A SYN's window is never scaled: the peer's next ACK opens the scaled one.
    tcpEngine.tcpSegment(a, { seq: 5001, ack: 1001, flags: tcpEngine.TCP_FLAG_ACK, window: 65535, payload: new Uint8Array(0) }, 0, emit);
    a.cwnd = 1 << 20;
    out.length = 0;
    tcpEngine.tcpSend(a, new Uint8Array(300_000));
    tcpEngine.tcpOutput(a, 0, emit);
    const sizes = out.map((s) => s.len);
    // 65000 rounds down to 44 × 1460; the window (65535 << 7) is no limit here.
    expect(sizes.slice(0, 4)).toEqual([64240, 64240, 64240, 64240]);
    expect(sizes.reduce((x, y) => x + y, 0)).toBe(300_000);
    out.length = 0;
    tcpEngine.tcpOnTimer(a, a.rtoAt, emit);
    expect(out[0]!.len).toBe(1460);
  });
});

describe('WallClockTimers', () => {
  it('fires once at the latest deadline when moved later, at the earlier one when moved earlier, never when cancelled', async () => {
    const clock = new WallClockTimers();
    const fired: number[] = [];
    const t = clock.timer(() => fired.push(clock.now()));
    const start = clock.now();
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    t.arm(start + 5e6);
    t.arm(start + 30e6);
    // Moved later: the pending setTimeout stays (it re-arms itself when it fires early).
    expect(timeouts).toHaveBeenCalledTimes(1);
    timeouts.mockRestore();
    expect(t.deadline).toBe(start + 30e6);
    await new Promise((r) => setTimeout(r, 15));
    expect(fired).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(fired.length).toBe(1);
    expect(fired[0]!).toBeGreaterThanOrEqual(start + 29e6);
    const again = vi.spyOn(globalThis, 'setTimeout');
    t.arm(clock.now() + 50e6);
    t.arm(clock.now() + 5e6);
    // Moved earlier: a new one.
    expect(again).toHaveBeenCalledTimes(2);
    again.mockRestore();
    await new Promise((r) => setTimeout(r, 25));
    expect(fired.length).toBe(2);
    t.arm(clock.now() + 5e6);
    t.cancel();
    expect(t.armed).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(fired.length).toBe(2);
  });
});
