/**
 * Frames the NIC hands over with offload work left (`NetClient.sendOffloaded`):
 * the stack takes a partial TCP/UDP checksum as the sender's promise and a
 * GSO frame as one large TCP segment; anything else is declined, so the NIC
 * finishes it in software.
 */
import { describe, expect, it } from 'vitest';
import { type FrameOffload, OFFLOAD_ALL, OFFLOAD_CSUM, OFFLOAD_TSO6 } from '../../../src/hub/index.js';
import { pseudoHeaderSumAt } from '../../../src/wire/checksum.js';
import { TcpFlags } from '../../../src/wire/index.js';
import { GUEST_IP, GUEST_IP6, GuestTcp, decode, ethFrame, ip, ip6, ipv4Packet, parseFrame, setup, tcpFrame, text, udpFrame } from './guest.js';
import { REMOTE, firstDifference, openConn, pattern } from './tcp-helpers.js';
import { Link } from '../../../src/netdev/user/link.js';
import { resolveUserNetOptions } from '../../../src/netdev/user/options.js';
import { newUserNetStats } from '../../../src/netdev/user/stats.js';
import { validateRxChecksums } from '../../../src/wire/offload.js';

const ACK = TcpFlags.ACK;
const PSH = TcpFlags.PSH;

/** Replace the transport checksum at `l4 + at` by the folded pseudo-header sum (what a NEEDS_CSUM driver leaves). */
function makePartial(frame: Uint8Array, l4: number, at: number, proto: number): Uint8Array {
  const f = frame.slice();
  let s = pseudoHeaderSumAt(f, 26, 34, proto, f.length - l4);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  f[l4 + at] = s >>> 8;
  f[l4 + at + 1] = s & 0xff;
  return f;
}

const gso = (size = 1460): FrameOffload => ({ csumStart: 34, csumOffset: 16, gso: 'tcpv4', gsoSize: size });

describe('user-mode stack: frames with offload work left', () => {
  it('a 60000-byte GSO segment with a partial checksum reaches the host socket in one piece', async () => {
    const o = await openConn();
    const t = o.conn.tcb;
    const data = pattern(60000);
    const f = makePartial(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: t.sndNxt, ack: t.rcvNxt, flags: ACK | PSH, payload: data }), 34, 16, 6);
    expect(o.guest.nic.sendOffloaded(f, gso())).toBe(true);
    expect(firstDifference(o.stream.data(), data)).toBe(-1);
    expect(o.net.stats).toMatchObject({ rxOffloaded: 1, tcpBadChecksum: 0 });
    // The stack acknowledges all of it (to a guest TCP that never sent it: kept away from it).
    o.drop = () => true;
    o.clock.advance(1e6);
    expect(o.frames.some((fr) => fr.tcp && fr.tcp.ack === ((t.sndNxt + 60000) >>> 0))).toBe(true);
  });

  it('the same frame sent as a plain frame is a bad checksum (the promise comes with the offload info only)', async () => {
    const o = await openConn();
    const t = o.conn.tcb;
    const f = makePartial(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: t.sndNxt, ack: t.rcvNxt, flags: ACK | PSH, payload: text('partial') }), 34, 16, 6);
    o.guest.send(f);
    expect(o.stream.writtenBytes).toBe(0);
    expect(o.net.stats).toMatchObject({ rxOffloaded: 0, tcpBadChecksum: 1 });
  });

  it('segments the header prediction does not take (IPv4 options) go the general way, checksum not verified', async () => {
    const o = await openConn();
    const t = o.conn.tcb;
    const plain = tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: t.sndNxt, ack: t.rcvNxt, flags: ACK | PSH, payload: text('with options') });
    // The same TCP segment behind a 24-byte IPv4 header (one NOP option word).
    const l4bytes = plain.subarray(34);
    const withOpts = ethFrame(0x0800, ipv4Packet(ip('10.0.2.15'), REMOTE, 6, l4bytes, { options: Uint8Array.of(1, 1, 1, 0) }));
    const f = makePartial(withOpts, 38, 16, 6);
    expect(o.guest.nic.sendOffloaded(f, { csumStart: 38, csumOffset: 16, gso: 'none', gsoSize: 0 })).toBe(true);
    expect(decode(o.stream.data())).toBe('with options');
    expect(o.net.stats.tcpBadChecksum).toBe(0);
  });

  it('IPv6: a GSO segment with a partial checksum reaches the host whole; a payload length that does not describe the frame is declined', async () => {
    const s = await setup();
    s.guest.deferred = true;
    const c = new GuestTcp(s.clock, (f) => s.guest.send(f), { addr: GUEST_IP6, port: 50000 }, { addr: ip6('2001:db8::80'), port: 80 });
    s.guest.onFrame = (f) => c.input(parseFrame(f));
    const st = s.host.lastStream();
    st.connect();
    s.clock.advance(10e6);
    expect(c.tcb.state).toBe('established');
    const data = pattern(40_000, 3);
    const full = tcpFrame({ src: GUEST_IP6, dst: ip6('2001:db8::80'), sport: 50000, dport: 80, seq: c.tcb.sndNxt, ack: c.tcb.rcvNxt, flags: ACK | PSH, payload: data });
    // The partial checksum: the pseudo-header sum over the IPv6 addresses.
    const f = full.slice();
    let sum = pseudoHeaderSumAt(f, 22, 54, 6, f.length - 54);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    f[70] = sum >>> 8;
    f[71] = sum & 0xff;
    const o: FrameOffload = { csumStart: 54, csumOffset: 16, gso: 'tcpv6', gsoSize: 1440 };
    const short = f.slice();
    short[18] = 0;
    short[19] = 100;
    expect(s.guest.nic.sendOffloaded(short, o), 'payload length 100').toBe(false);
    expect(s.guest.nic.sendOffloaded(f, { ...o, gso: 'tcpv4' }), 'GSO naming IPv4').toBe(false);
    expect(s.guest.nic.sendOffloaded(f, o)).toBe(true);
    expect(firstDifference(st.data(), data)).toBe(-1);
    expect(s.net.stats).toMatchObject({ rxOffloaded: 1, tcpBadChecksum: 0 });
  });

  it('IPv4 GSO frames whose total length or header checksum does not describe the frame are declined', async () => {
    const o = await openConn();
    const t = o.conn.tcb;
    const seg = makePartial(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: t.sndNxt, ack: t.rcvNxt, flags: ACK, payload: pattern(5000) }), 34, 16, 6);
    const zeroLen = seg.slice();
    zeroLen[16] = 0;
    zeroLen[17] = 0;
    const staleSum = seg.slice();
    staleSum[24] = staleSum[24]! ^ 0xff;
    expect(o.guest.nic.sendOffloaded(zeroLen, gso())).toBe(false);
    expect(o.guest.nic.sendOffloaded(staleSum, gso())).toBe(false);
    expect(o.net.stats.rxOffloaded).toBe(0);
    expect(o.stream.writtenBytes).toBe(0);
  });

  it('a UDP datagram with a partial checksum leaves through the NAT', async () => {
    const { guest, host, net } = await setup();
    guest.announce();
    const f = makePartial(udpFrame(GUEST_IP, 4000, ip('8.8.8.8'), 123, text('ntp?')), 34, 6, 17);
    expect(guest.nic.sendOffloaded(f, { csumStart: 34, csumOffset: 6, gso: 'none', gsoSize: 0 })).toBe(true);
    expect(host.udp[0]!.sent.map((s) => decode(s.data))).toEqual(['ntp?']);
    expect(net.stats.udpBadChecksum).toBe(0);
  });

  it('declines what it cannot vouch for: nothing taken, nothing counted', async () => {
    const o = await openConn();
    const t = o.conn.tcb;
    const seg = makePartial(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: t.sndNxt, ack: t.rcvNxt, flags: ACK, payload: pattern(3000) }), 34, 16, 6);
    const frag = seg.slice();
    frag[14 + 6] = 0x20; // more fragments
    const v6label: FrameOffload = { ...gso(), gso: 'tcpv6' };
    const cases: Array<[string, Uint8Array, FrameOffload]> = [
      ['the checksum field elsewhere than the TCP header', seg, { ...gso(), csumOffset: 6 }],
      ['a checksum start inside the IP header', seg, { ...gso(), csumStart: 30 }],
      ['no partial checksum', seg, { ...gso(), csumStart: -1 }],
      ['GSO naming the other IP version', seg, v6label],
      ['an IPv4 fragment', frag, gso()],
      ['a runt', seg.subarray(0, 40), gso()],
    ];
    const rx = o.net.stats.rxFrames;
    for (const [what, f, off] of cases) expect(o.guest.nic.sendOffloaded(f, off), what).toBe(false);
    expect(o.net.stats).toMatchObject({ rxFrames: rx, rxOffloaded: 0, tcpBadChecksum: 0 });
    expect(o.stream.writtenBytes).toBe(0);
    o.net.close();
    expect(o.guest.nic.sendOffloaded(seg, gso())).toBe(false);
  });
});

describe('user-mode stack: GSO frames toward the guest', () => {
  /** Host data into an open connection; returns what the guest application read. */
  function pump(o: Awaited<ReturnType<typeof openConn>>, data: Uint8Array, chunk = 100_000, batched = false): void {
    for (let off = 0; off < data.length; off += chunk) {
      o.stream.send(data.subarray(off, off + chunk));
      for (let i = 0; i < 20; i++) {
        o.clock.advance(1e6);
        if (batched) o.host.runSoon();
      }
    }
    for (let i = 0; i < 200 && o.conn.receivedBytes < data.length; i++) {
      o.clock.advance(10e6);
      if (batched) o.host.runSoon();
    }
  }

  it('host data goes to a NIC that takes TCP GSO as frames of up to 64 KiB with partial checksums, byte-exact', async () => {
    const o = await openConn();
    o.guest.offloads = OFFLOAD_ALL;
    const data = pattern(1_000_000, 7);
    pump(o, data);
    expect(firstDifference(o.conn.data(), data)).toBe(-1);
    const w = o.guest.whole;
    expect(w.length).toBeGreaterThan(0);
    for (const x of w) {
      expect(x.checksumOk).toBe(true);
      expect(x.offload).toMatchObject({ csumStart: 34, csumOffset: 16, gso: 'tcpv4', gsoSize: o.conn.tcb.params.mss });
      expect(x.length).toBeLessThanOrEqual(14 + 0xffff);
    }
    const wholeBytes = w.reduce((s, x) => s + x.length - 54, 0);
    // Most of the data rides in GSO frames; the rest (window edges) in plain ones.
    expect(wholeBytes / data.length).toBeGreaterThan(0.8);
    expect(Math.max(...w.map((x) => x.length))).toBeGreaterThan(40_000);
    expect(o.net.stats).toMatchObject({ txOffloaded: w.length, txGsoFallback: 0 });
    expect(o.frames.every((f) => f.raw.length <= 14 + 0xffff)).toBe(true);
    // IPv4 identification: a GSO frame takes one per wire segment it stands for, and the next frame goes on from there.
    let next = -1;
    for (const f of o.frames) {
      if (!f.ip || f.ip.family !== 4) continue;
      const id = (f.raw[18]! << 8) | f.raw[19]!;
      if (next >= 0) expect(id).toBe(next);
      const payload = f.raw.length - 54;
      next = (id + Math.max(1, Math.ceil(payload / o.conn.tcb.params.mss))) & 0xffff;
    }
  });

  it('a GSO segment to a guest whose MAC is not known yet is cut, held, and sent once the neighbour answers', () => {
    const out: Uint8Array[] = [];
    const offered: number[] = [];
    const stats = newUserNetStats();
    const link = new Link(resolveUserNetOptions({}), stats, (f) => (out.push(f.slice()), true), () => 0, {
      now: () => OFFLOAD_ALL,
      later: () => OFFLOAD_ALL,
      send: (f) => (offered.push(f.length), true),
    });
    const payload = pattern(10_000, 2);
    const fill = (b: Uint8Array): void => {
      b[12] = 5 << 4;
      b.set(payload, 20);
    };
    link.sendTcpGso(ip('10.0.2.2'), GUEST_IP, 20 + payload.length, 1460, fill);
    expect(offered).toEqual([]);
    // One ARP request; the seven pieces wait for the answer.
    expect(out).toHaveLength(1);
    expect(out[0]![12]).toBe(0x08);
    expect(out[0]![13]).toBe(0x06);
    expect(link.pendingCount).toBe(Math.ceil(10_000 / 1460));
    link.learn4(0x0a00020f, Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56));
    const pieces = out.slice(1);
    expect(pieces).toHaveLength(7);
    expect(pieces.map((f) => validateRxChecksums(f).l4)).toEqual(new Array(7).fill('ok'));
    // With the MAC known, the next one goes whole.
    link.sendTcpGso(ip('10.0.2.2'), GUEST_IP, 20 + payload.length, 1460, fill);
    expect(offered).toEqual([14 + 20 + 20 + 10_000]);
    expect(stats.txOffloaded).toBe(1);
  });

  it('a NIC without receive offloads, or a capture on either side, gets MTU-sized frames only', async () => {
    for (const variant of ['none', 'capture', 'capture at the NIC'] as const) {
      const o = await openConn();
      if (variant !== 'none') {
        o.guest.offloads = OFFLOAD_ALL;
        (variant === 'capture' ? o.net.client : o.guest.nic).observe(() => {});
      }
      const data = pattern(300_000, 3);
      pump(o, data);
      expect(firstDifference(o.conn.data(), data)).toBe(-1);
      expect(o.guest.whole).toHaveLength(0);
      expect(o.net.stats.txOffloaded).toBe(0);
      expect(Math.max(...o.frames.map((f) => f.raw.length))).toBeLessThanOrEqual(1514);
    }
  });

  it('only the kinds the NIC takes: TSO for IPv6 only leaves IPv4 connections on plain frames', async () => {
    const o = await openConn();
    o.guest.offloads = OFFLOAD_CSUM | OFFLOAD_TSO6;
    pump(o, pattern(200_000));
    expect(o.guest.whole).toHaveLength(0);
    expect(o.conn.receivedBytes).toBe(200_000);
  });

  it('a NIC that declines a GSO frame after all gets it cut into MSS segments with valid checksums', async () => {
    const o = await openConn();
    o.guest.offloads = OFFLOAD_ALL;
    o.guest.declineWhole = true;
    const data = pattern(500_000, 11);
    pump(o, data);
    expect(firstDifference(o.conn.data(), data)).toBe(-1);
    expect(o.guest.whole).toHaveLength(0);
    expect(o.net.stats.txGsoFallback).toBeGreaterThan(0);
    expect(o.net.stats.txOffloaded).toBe(0);
    const sizes = o.frames.map((f) => f.raw.length);
    expect(Math.max(...sizes)).toBe(1514);
    // The IPv4 identification of the cut segments runs on without repeats.
    const ids = o.frames.filter((f) => f.ip && f.tcp && f.tcp.payload.length > 0).map((f) => (f.raw[18]! << 8) | f.raw[19]!);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('IPv6: GSO frames with the IPv6 payload length describing the whole frame', async () => {
    const s = await setup();
    s.guest.deferred = true;
    s.guest.offloads = OFFLOAD_ALL;
    const c = new GuestTcp(s.clock, (f) => s.guest.send(f), { addr: GUEST_IP6, port: 50000 }, { addr: ip6('2001:db8::80'), port: 80 });
    s.guest.onFrame = (f) => c.input(parseFrame(f));
    const st = s.host.lastStream();
    st.connect();
    s.clock.advance(10e6);
    const data = pattern(400_000, 5);
    st.send(data);
    for (let i = 0; i < 200 && c.receivedBytes < data.length; i++) s.clock.advance(10e6);
    expect(firstDifference(c.data(), data)).toBe(-1);
    expect(s.guest.whole.length).toBeGreaterThan(0);
    for (const x of s.guest.whole) {
      expect(x.checksumOk).toBe(true);
      expect(x.offload).toMatchObject({ csumStart: 54, csumOffset: 16, gso: 'tcpv6', gsoSize: 1440 });
    }
  });

  it("ACKs that arrive during the NIC's own I/O: the data they release waits for the burst's end and goes as GSO frames", async () => {
    const run = async (batched: boolean): Promise<number> => {
      // A guest application that reads only when told: its window updates release the data.
      const o = await openConn({}, { rcvBufSize: 128 * 1024 }, 40000, batched);
      o.guest.offloads = OFFLOAD_ALL;
      o.conn.autoRead = false;
      // Everything the guest sends reaches the stack inside the NIC's I/O (a TX kick).
      const nic = o.guest.nic;
      const send = o.guest.send.bind(o.guest);
      o.guest.send = (f) => {
        nic.enterIo();
        try {
          send(f);
        } finally {
          nic.exitIo();
        }
      };
      const data = pattern(1_000_000, 9);
      let off = 0;
      for (let i = 0; i < 400 && o.conn.receivedBytes < data.length; i++) {
        // The host writes while the stack takes it: the guest's window is what holds the data back.
        while (off < data.length && o.stream.paused === false) {
          o.stream.send(data.subarray(off, off + 64 * 1024));
          off += 64 * 1024;
        }
        o.clock.advance(1e6);
        if (batched) o.host.runSoon();
        o.conn.read();
        if (batched) o.host.runSoon();
      }
      expect(firstDifference(o.conn.data(), data)).toBe(-1);
      return o.guest.whole.reduce((s, x) => s + x.length - 54, 0) / data.length;
    };
    const batched = await run(true);
    const unbatched = await run(false);
    expect(batched).toBeGreaterThan(0.8);
    // Without a burst end to wait for, what the window updates release goes at once, as plain frames.
    expect(unbatched).toBeLessThan(batched / 2);
  });
});
