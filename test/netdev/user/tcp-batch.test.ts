/**
 * The NAT's guest-to-host path with a batching host (`UserHost.soon`): guest
 * data reaches the host stream once per burst and in-order data is
 * acknowledged once per burst, while everything RFC 5681 §4.2 wants at once
 * (out-of-order data, duplicates) still is. And TSO-sized segments, taken
 * whole with or without batching.
 */
import { describe, expect, it } from 'vitest';
import { TcpFlags } from '../../../src/wire/index.js';
import { GUEST_IP6, GuestTcp, SeededRandom, ip6, parseFrame, setup, tcpFrame } from './guest.js';
import { REMOTE, firstDifference, openConn, pattern, writeAll } from './tcp-helpers.js';

const { ACK } = TcpFlags;

/** An open connection through a batching host, past the first window update (SYN-ACK windows are unscaled). */
async function batchedConn(guestParams = {}) {
  const o = await openConn({}, guestParams, 40000, true);
  o.host.runSoon();
  o.clock.advance(0);
  o.conn.write(pattern(10, 9));
  o.host.runSoon();
  o.clock.advance(100e6);
  o.stream.written.length = 0;
  o.stream.writtenBytes = 0;
  o.stream.buffered = 0;
  return o;
}

describe('TCP NAT with a batching host', () => {
  it('a burst of segments reaches the host in one write and is acknowledged by one ACK', async () => {
    const o = await batchedConn();
    const tx0 = o.net.stats.txFrames;
    // Ten full segments (the guest's initial window), sent back to back.
    o.conn.write(pattern(14600));
    expect(o.stream.writtenBytes).toBe(0);
    expect(o.net.stats.txFrames).toBe(tx0);
    expect(o.host.runSoon()).toBe(1);
    expect(o.stream.written.length).toBe(1);
    expect(firstDifference(o.stream.data(), pattern(14600))).toBe(-1);
    expect(o.net.stats.txFrames).toBe(tx0 + 1);
    o.clock.advance(0);
    const ack = o.frames[o.frames.length - 1]!.tcp!;
    expect(ack.payload.length).toBe(0);
    expect(ack.ack).toBe(o.conn.tcb.sndNxt);
    expect(o.conn.tcb.sndUna).toBe(o.conn.tcb.sndNxt);
  });

  it('a lone small segment keeps its delayed ACK (RFC 1122 §4.2.3.2)', async () => {
    const o = await batchedConn();
    const tx0 = o.net.stats.txFrames;
    o.conn.write(pattern(100));
    o.host.runSoon();
    expect(o.stream.writtenBytes).toBe(100);
    expect(o.net.stats.txFrames).toBe(tx0);
    o.clock.advance(39e6);
    expect(o.net.stats.txFrames).toBe(tx0);
    o.clock.advance(2e6);
    expect(o.net.stats.txFrames).toBe(tx0 + 1);
  });

  it('out-of-order data is acknowledged at once, burst or not (RFC 5681 §4.2)', async () => {
    const o = await batchedConn();
    const t = o.conn.tcb;
    const tx0 = o.net.stats.txFrames;
    o.guest.send(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: (t.sndNxt + 1460) >>> 0, ack: t.rcvNxt, flags: ACK, payload: pattern(1460) }));
    expect(o.net.stats.txFrames).toBe(tx0 + 1);
    o.clock.advance(0);
    expect(o.frames[o.frames.length - 1]!.tcp!.ack).toBe(t.sndNxt);
    expect(o.stream.writtenBytes).toBe(0);
  });

  it('keeps backpressure: a full host closes the window, its drain reopens it, nothing is lost', async () => {
    const o = await batchedConn();
    o.stream.highWater = 8 * 1024;
    const data = pattern(600_000, 7);
    let sent = 0;
    const pump = (): void => {
      sent = writeAll(o.conn, data, sent, 64 * 1024);
    };
    let minWindow = Infinity;
    for (let i = 0; i < 2000 && o.stream.writtenBytes < data.length; i++) {
      pump();
      o.host.runSoon();
      o.clock.advance(1e6);
      const last = o.frames[o.frames.length - 1]?.tcp;
      if (last) minWindow = Math.min(minWindow, last.window);
      // The host application takes a little now and then.
      if (i % 3 === 0) o.stream.consume(16 * 1024);
    }
    expect(o.stream.writtenBytes).toBe(data.length);
    expect(firstDifference(o.stream.data(), data)).toBe(-1);
    // The stack's buffer filled while the host was full: the guest saw the window close
    // (to less than a segment: the sender's SWS avoidance leaves the last bytes open).
    expect(o.conn.tcb.sndShift).toBeGreaterThan(0);
    expect(minWindow << o.conn.tcb.sndShift).toBeLessThan(1460);
  });

  it('guest data still waiting when the connection closes reaches the host before the end', async () => {
    const o = await batchedConn();
    // The guest sends its data and FIN; the burst's end has not run yet when the host
    // closes its side and the guest acknowledges that (LAST-ACK -> CLOSED).
    o.conn.write(pattern(5000, 3));
    o.conn.close();
    o.clock.advance(0);
    o.stream.hostEnd();
    o.clock.advance(0);
    expect(o.net.usage().tcpConnections).toBe(0);
    expect(o.stream.ended).toBe(true);
    expect(firstDifference(o.stream.data(), pattern(5000, 3))).toBe(-1);
  });
});

describe('TSO-sized segments (a guest NIC that does not segment)', () => {
  for (const batched of [false, true]) {
    it(`are taken whole, up to 64 KiB per frame${batched ? ' (batching host)' : ''}`, async () => {
      const o = batched ? await batchedConn({ gsoMaxSize: 64240 }) : await openConn({}, { gsoMaxSize: 64240 });
      let biggest = 0;
      let frames = 0;
      o.guest.nic.observe((dir, f) => {
        if (dir !== 'tx') return;
        frames++;
        biggest = Math.max(biggest, f.length);
      });
      const data = pattern(4 * 1024 * 1024, 5);
      let sent = 0;
      for (let i = 0; i < 5000 && o.stream.writtenBytes < data.length; i++) {
        sent = writeAll(o.conn, data, sent, 64 * 1024);
        o.host.runSoon();
        o.clock.advance(1e6);
      }
      expect(firstDifference(o.stream.data(), data)).toBe(-1);
      // 14 + 20 + 20 + 64240: one frame carries 44 segments' worth.
      expect(biggest).toBe(64294);
      expect(frames).toBeLessThan(data.length / 1460 / 8);
      expect(o.net.stats.tcpBadChecksum + o.net.stats.tcpMalformed).toBe(0);
    });
  }
});

describe('header prediction (the bulk path) against damaged frames', () => {
  for (const batched of [false, true]) {
    it(`drops every damaged copy of a data segment and delivers the data exactly once${batched ? ' (batching host)' : ''}`, async () => {
      const o = batched ? await batchedConn() : await openConn();
      const rng = new SeededRandom(42);
      const send = o.guest.send.bind(o.guest);
      let damaged = 0;
      o.guest.send = (f: Uint8Array): void => {
        // Before each frame, up to two damaged copies: one byte changed anywhere after the
        // MACs (a single-byte change always changes a ones' complement sum), or cut short.
        for (let k = rng.nextU32() % 3; k > 0; k--) {
          const bad = f.slice();
          if (rng.nextU32() % 4 === 0) {
            send(bad.subarray(0, 12 + (rng.nextU32() % (bad.length - 12))));
          } else {
            const i = 12 + (rng.nextU32() % (bad.length - 12));
            bad[i] = bad[i]! ^ (1 + (rng.nextU32() % 255));
            send(bad);
          }
          damaged++;
        }
        send(f);
      };
      const data = pattern(300_000, 11);
      let sent = 0;
      for (let i = 0; i < 3000 && o.stream.writtenBytes < data.length; i++) {
        sent = writeAll(o.conn, data, sent, 16 * 1024);
        o.host.runSoon();
        o.clock.advance(5e6);
      }
      expect(damaged).toBeGreaterThan(100);
      expect(o.stream.writtenBytes).toBe(data.length);
      expect(firstDifference(o.stream.data(), data)).toBe(-1);
      expect(o.net.stats.tcpBadChecksum + o.net.stats.ipv4BadChecksum).toBeGreaterThan(0);
    });
  }
});

describe('the bulk path over IPv6', () => {
  for (const batched of [false, true]) {
    it(`carries 1 MB guest -> host intact${batched ? ' (batching host)' : ''}`, async () => {
      const s = await setup({}, 1, batched);
      s.guest.deferred = true;
      const c = new GuestTcp(s.clock, (f) => s.guest.send(f), { addr: GUEST_IP6, port: 50000 }, { addr: ip6('2001:db8::80'), port: 80 });
      s.guest.onFrame = (f) => c.input(parseFrame(f));
      const st = s.host.lastStream();
      st.connect();
      s.clock.advance(10e6);
      expect(c.tcb.state).toBe('established');
      const data = pattern(1_000_000, 21);
      let sent = 0;
      for (let i = 0; i < 2000 && st.writtenBytes < data.length; i++) {
        sent = writeAll(c, data, sent, 32 * 1024);
        s.host.runSoon();
        s.clock.advance(1e6);
      }
      expect(firstDifference(st.data(), data)).toBe(-1);
      expect(s.net.stats.tcpBadChecksum + s.net.stats.tcpMalformed).toBe(0);
    });
  }
});
