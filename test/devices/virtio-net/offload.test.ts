/**
 * Frames handed whole to a peer that does the offload work itself
 * (`NetClient.sendOffloaded`, the user-mode stack): partial checksums and
 * TCP GSO frames go over as the driver wrote them, with the header's fields;
 * everything else, and every frame a peer does not take, is finished in
 * software as before.
 */
import { describe, expect, it } from 'vitest';
import { VIRTIO_NET_F } from '../../../src/devices/virtio-net/features.js';
import { completeChecksum, validateRxChecksums } from '../../../src/wire/offload.js';
import { type FrameOffload, OFFLOAD_CSUM, OFFLOAD_TSO4, OFFLOAD_TSO6 } from '../../../src/hub/index.js';
import { firstDifference } from '../../netdev/user/tcp-helpers.js';
import { SeededRandom } from '../../../src/time/random.js';
import { COMBOS, DEFAULT_MAC, Driver, INDIRECT, MockSplitQueue, NEXT, RAM, WRITE } from './driver.js';
import { ipFrame } from './packets.js';

const TSO = [VIRTIO_NET_F.CSUM, VIRTIO_NET_F.HOST_TSO4, VIRTIO_NET_F.HOST_TSO6, VIRTIO_NET_F.HOST_UFO];

function tso4(payload = 20000) {
  const { frame, l4, csumOffset } = ipFrame({ payload, partial: true, tcpFlags: 0x19 });
  return { frame, hdr: { flags: 1, gsoType: 1, hdrLen: 54, gsoSize: 1448, csumStart: l4, csumOffset } };
}

describe.each(COMBOS)('virtio-net offload hand-over: $name', (combo) => {
  it('a TCPv4 GSO frame goes over whole, bytes untouched, with the header fields', () => {
    const d = new Driver({ combo, features: TSO });
    d.peer.takesOffloaded = true;
    const { frame, hdr } = tso4();
    expect(d.send(frame, hdr)).toEqual([expect.objectContaining({ len: 0 })]);
    expect(d.peer.frames).toHaveLength(0);
    expect(d.peer.whole).toHaveLength(1);
    expect(d.peer.whole[0]!.frame).toEqual(frame);
    expect(d.peer.whole[0]!.offload).toEqual({ csumStart: 34, csumOffset: 16, gso: 'tcpv4', gsoSize: 1448 });
    expect(d.counters()).toMatchObject({ txOffloaded: 1, txGsoFrames: 1, txGsoSegments: 0, txFrames: 1, txBytes: frame.length });
    expect(d.dev.net.stats).toMatchObject({ txFrames: 1, txBytes: frame.length });
  });

  it('TCPv6 GSO and a partial checksum without GSO go over whole too', () => {
    const d = new Driver({ combo, features: TSO });
    d.peer.takesOffloaded = true;
    const t6 = ipFrame({ payload: 5000, partial: true, ipv6: true });
    d.send(t6.frame, { flags: 1, gsoType: 4, hdrLen: 74, gsoSize: 1000, csumStart: t6.l4, csumOffset: t6.csumOffset });
    const u = ipFrame({ payload: 300, partial: true, udp: true });
    d.send(u.frame, { flags: 1, csumStart: u.l4, csumOffset: u.csumOffset });
    expect(d.peer.whole.map((w) => w.offload)).toEqual([
      { csumStart: 54, csumOffset: 16, gso: 'tcpv6', gsoSize: 1000 },
      { csumStart: 34, csumOffset: 6, gso: 'none', gsoSize: 0 },
    ]);
    expect(validateRxChecksums(d.peer.whole[1]!.frame).l4, 'the checksum is left to the peer').toBe('bad');
    expect(d.counters()).toMatchObject({ txOffloaded: 2, txChecksumsCompleted: 0 });
  });

  it('a peer that declines gets MSS-sized segments with valid checksums, as without the hand-over', () => {
    const d = new Driver({ combo, features: TSO });
    const { frame, hdr } = tso4();
    d.send(frame, hdr);
    expect(d.peer.whole).toHaveLength(0);
    expect(d.peer.frames).toHaveLength(Math.ceil(20000 / 1448));
    for (const seg of d.peer.frames) expect(validateRxChecksums(seg).l4).toBe('ok');
    expect(d.counters()).toMatchObject({ txOffloaded: 0, txGsoFrames: 1 });
  });

  it('with a capture on the NIC the wire frames are sent (the capture sees what a wire would carry)', () => {
    const d = new Driver({ combo, features: TSO });
    d.peer.takesOffloaded = true;
    const seen: number[] = [];
    d.dev.net.observe((dir, f) => seen.push(f.length));
    const { frame, hdr } = tso4(3000);
    d.send(frame, hdr);
    expect(d.peer.whole).toHaveLength(0);
    expect(d.peer.frames).toHaveLength(3);
    expect(seen).toEqual(d.peer.frames.map((f) => f.length));
  });

  it('UDP fragmentation offload, GSO without NEEDS_CSUM and frames behind queued ones are done in software', () => {
    const d = new Driver({ combo, features: TSO });
    d.peer.takesOffloaded = true;
    const u = ipFrame({ payload: 4000, partial: true, udp: true });
    d.send(u.frame, { flags: 1, gsoType: 3, hdrLen: 42, gsoSize: 1480, csumStart: u.l4, csumOffset: u.csumOffset });
    expect(d.peer.frames).toHaveLength(3);
    const plain = ipFrame({ payload: 3000 });
    d.send(plain.frame, { flags: 0, gsoType: 1, hdrLen: 54, gsoSize: 1448, csumStart: 0, csumOffset: 0 });
    expect(d.peer.frames).toHaveLength(3 + 3);
    expect(d.peer.whole).toHaveLength(0);
    // The peer is busy: a frame waits in its queue; the next GSO frame queues behind it, in order.
    d.peer.busy = true;
    const first = ipFrame({ payload: 100, seed: 1 });
    d.send(first.frame);
    const { frame, hdr } = tso4(3000);
    d.send(frame, hdr);
    d.peer.busy = false;
    d.peer.client.flushQueue();
    expect(d.peer.whole).toHaveLength(0);
    expect(d.peer.frames.slice(6).map((f) => f.length)).toEqual([first.frame.length, 1502, 1502, 54 + 3000 - 2 * 1448]);
    expect(d.counters()['txOffloaded']).toBe(0);
  });
});

const GUEST_OFFLOADS = [VIRTIO_NET_F.GUEST_CSUM, VIRTIO_NET_F.GUEST_TSO4, VIRTIO_NET_F.GUEST_TSO6];

/** A TCP GSO frame from a peer (the user-mode stack) to the device's MAC, with its offload info. */
function gsoFrame(payload: number, opts: { ipv6?: boolean; tcpFlags?: number; mss?: number } = {}) {
  const { frame, l4, csumOffset } = ipFrame({ payload, partial: true, dst: DEFAULT_MAC, ipv6: opts.ipv6, tcpFlags: opts.tcpFlags ?? 0x18 });
  const offload: FrameOffload = { csumStart: l4, csumOffset, gso: opts.ipv6 ? 'tcpv6' : 'tcpv4', gsoSize: opts.mss ?? 1460 };
  return { frame, offload, l4 };
}

/** Receive buffers a driver posts with guest receive offloads: 1526-byte ones with MRG_RXBUF, else "big" chains of 65562 bytes (§5.1.6.3.1). */
function postForGso(d: Driver, n: number): void {
  if (d.combo.mrg) d.postRx(n * 44, 1526);
  else d.postRx(n, 65562, d.combo.indirect ? 17 : 1);
}

function hdrFields(h: Uint8Array) {
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
  return { flags: h[0], gsoType: h[1], hdrLen: v.getUint16(2, true), gsoSize: v.getUint16(4, true), csumStart: v.getUint16(6, true), csumOffset: v.getUint16(8, true) };
}

describe.each(COMBOS)('virtio-net receive offloads from a peer: $name', (combo) => {
  it('a TCPv4 GSO frame is placed whole with NEEDS_CSUM and the GSO fields; the driver finishes it', () => {
    const d = new Driver({ combo, features: GUEST_OFFLOADS });
    expect(d.peer.client.peerOffloads()).toBe(0); // no buffers yet
    expect(d.peer.client.peerOffloadsLater()).toBe(OFFLOAD_CSUM | OFFLOAD_TSO4 | OFFLOAD_TSO6);
    // Asking counts nothing (no frame waited).
    expect(d.counters()['rxNoBuffers']).toBe(0);
    postForGso(d, 2);
    expect(d.peer.client.peerOffloads()).toBe(OFFLOAD_CSUM | OFFLOAD_TSO4 | OFFLOAD_TSO6);
    const { frame, offload } = gsoFrame(60000);
    expect(d.peer.client.sendOffloaded(frame, offload)).toBe(true);
    const got = d.receive();
    expect(got).toHaveLength(1);
    expect(hdrFields(got[0]!.hdr)).toEqual({ flags: 1, gsoType: 1, hdrLen: 54, gsoSize: 1460, csumStart: 34, csumOffset: 16 });
    expect(firstDifference(got[0]!.frame, frame)).toBe(-1);
    if (combo.mrg) expect(got[0]!.numBuffers).toBe(Math.ceil((frame.length + 12) / 1526));
    // What the driver's stack does with it: complete the checksum once, over the whole segment.
    const done = got[0]!.frame.slice();
    expect(completeChecksum(done, 34, 16)).toBe(true);
    expect(validateRxChecksums(done).l4).toBe('ok');
    expect(d.counters()).toMatchObject({ rxOffloaded: 1, rxGsoFrames: 1, rxFrames: 1, rxBytes: frame.length, rxNoBuffers: 0 });
    expect(d.dev.net.stats).toMatchObject({ rxFrames: 1, rxBytes: frame.length });
  });

  it('TCPv6 GSO, a partial checksum without GSO, and CWR with GUEST_ECN', () => {
    const d = new Driver({ combo, features: [...GUEST_OFFLOADS, VIRTIO_NET_F.GUEST_ECN] });
    postForGso(d, 4);
    const v6 = gsoFrame(30000, { ipv6: true, mss: 1440 });
    expect(d.peer.client.sendOffloaded(v6.frame, v6.offload)).toBe(true);
    const u = ipFrame({ payload: 300, partial: true, udp: true, dst: DEFAULT_MAC });
    expect(d.peer.client.sendOffloaded(u.frame, { csumStart: u.l4, csumOffset: u.csumOffset, gso: 'none', gsoSize: 0 })).toBe(true);
    const cwr = gsoFrame(10000, { tcpFlags: 0x98 });
    expect(d.peer.client.sendOffloaded(cwr.frame, cwr.offload)).toBe(true);
    const got = d.receive().map((r) => hdrFields(r.hdr));
    expect(got).toEqual([
      { flags: 1, gsoType: 4, hdrLen: 74, gsoSize: 1440, csumStart: 54, csumOffset: 16 },
      { flags: 1, gsoType: 0, hdrLen: 42, gsoSize: 0, csumStart: 34, csumOffset: 6 },
      { flags: 1, gsoType: 0x81, hdrLen: 54, gsoSize: 1460, csumStart: 34, csumOffset: 16 },
    ]);
    expect(d.counters()).toMatchObject({ rxOffloaded: 3, rxGsoFrames: 2 });
  });

  it('declined, nothing taken or counted: offloads not negotiated, switched off by the driver, CWR without GUEST_ECN, bad offsets', () => {
    const none = new Driver({ combo });
    postForGso(none, 1);
    const { frame, offload } = gsoFrame(20000);
    expect(none.peer.client.peerOffloads()).toBe(0);
    expect(none.peer.client.sendOffloaded(frame, offload)).toBe(false);
    expect(none.receive()).toHaveLength(0);

    const d = new Driver({ combo, features: [...GUEST_OFFLOADS, VIRTIO_NET_F.CTRL_GUEST_OFFLOADS] });
    postForGso(d, 1);
    const cwr = gsoFrame(10000, { tcpFlags: 0x98 });
    expect(d.peer.client.sendOffloaded(cwr.frame, cwr.offload)).toBe(false);
    // Offload info that does not describe its frame: the checksum field elsewhere, the other IP version's GSO type, no gso_size,
    // an IPv4 length that does not cover the frame, a bad IPv4 header checksum.
    const zeroLen = ipFrame({ payload: 20000, partial: true, dst: DEFAULT_MAC, zeroIpLen: true }).frame;
    const badIpSum = frame.slice();
    badIpSum[24]! ^= 0xff;
    for (const [f, bad] of [
      [frame, { ...offload, csumStart: frame.length }],
      [frame, { ...offload, csumOffset: 7 }],
      [frame, { ...offload, csumOffset: 6 }],
      [frame, { ...offload, gsoSize: 0 }],
      [frame, { ...offload, csumStart: 10 }],
      [frame, { ...offload, csumStart: 38 }],
      [frame, { ...offload, gso: 'tcpv6' as const }],
      [zeroLen, offload],
      [badIpSum, offload],
    ] as const) {
      expect(d.peer.client.sendOffloaded(f, bad), JSON.stringify(bad)).toBe(false);
    }
    // VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET (class 5, command 0) to GUEST_CSUM only: TSO is off, partial checksums still go.
    const bits = new Uint8Array(8);
    bits[0] = 1 << VIRTIO_NET_F.GUEST_CSUM;
    expect(d.ctrl(5, 0, bits)).toBe(0);
    expect(d.peer.client.peerOffloads()).toBe(OFFLOAD_CSUM);
    expect(d.peer.client.sendOffloaded(frame, offload)).toBe(false);
    expect(d.receive()).toHaveLength(0);
    expect(d.counters()).toMatchObject({ rxOffloaded: 0, rxFrames: 0, rxNoBuffers: 0, rxTooBig: 0 });
    // Plain frames are unaffected.
    expect(d.peer.send(ipFrame({ payload: 100, dst: DEFAULT_MAC }).frame)).toBe('delivered');
    expect(d.receive()).toHaveLength(1);
  });

  it('buffers that cannot hold the frame now: declined without a trace, then the plain frames it is cut into wait or go in as usual', () => {
    const d = new Driver({ combo, features: GUEST_OFFLOADS });
    // Too few (MRG_RXBUF) or too small (one chain per frame) buffers for 20 kB.
    d.postRx(3, 1526);
    const { frame, offload } = gsoFrame(20000);
    expect(d.peer.client.sendOffloaded(frame, offload)).toBe(false);
    expect(d.receive()).toHaveLength(0);
    expect(d.counters()).toMatchObject({ rxOffloaded: 0, rxNoBuffers: 0, rxTooBig: 0, rxFrames: 0 });
    // The ring is untouched: the buffers still take plain frames.
    for (let i = 0; i < 3; i++) expect(d.peer.send(ipFrame({ payload: 1400, dst: DEFAULT_MAC, seed: i }).frame)).toBe('delivered');
    expect(d.receive()).toHaveLength(3);
  });

  it('with a capture on the device the peer is told nothing is taken whole', () => {
    const d = new Driver({ combo, features: GUEST_OFFLOADS });
    postForGso(d, 1);
    d.dev.net.observe(() => {});
    expect(d.peer.client.peerOffloads()).toBe(0);
    expect(d.peer.client.peerOffloadsLater()).toBe(0);
    const { frame, offload } = gsoFrame(20000);
    expect(d.peer.client.sendOffloaded(frame, offload)).toBe(false);
  });
});

describe('virtio-net receive offloads: a hostile receive ring', () => {
  const SPLIT = COMBOS.filter((c) => !c.packed);
  it.each(SPLIT)('$name: GSO frames meet random descriptors and avail entries; nothing throws, nothing comes back twice, a reset device works again', (combo) => {
    let takenAll = 0;
    let badChains = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const rnd = new SeededRandom(seed);
      const below = (n: number): number => rnd.nextU32() % n;
      const d = new Driver({ combo, features: GUEST_OFFLOADS, queueSize: 64 });
      const q = d.rxq as MockSplitQueue;
      const lens = [0, 1, 5, 12, 14, 60, 1526, 4096, 65562, 0xffffffff];
      const addrs = (): number => [below(RAM), RAM - 8, RAM + below(4096), 2 ** 40, 0][below(5)]!;
      // Most descriptors a usable receive buffer (all of them over one stretch of RAM), the rest garbage.
      const goodLen = combo.mrg ? 1526 : 65562;
      const usable = d.alloc.take(goodLen);
      for (let i = 0; i < q.size; i++) {
        if (below(10) < 7) q.rawDesc(i, usable, goodLen, WRITE, 0);
        else q.rawDesc(i, addrs(), lens[below(lens.length)]!, [WRITE, WRITE | NEXT, NEXT, INDIRECT, WRITE | INDIRECT, 0][below(6)]!, below(q.size + 1));
      }
      let published = 0;
      // Now and then a head out of range or an index that runs ahead: a ring error, after which the device stops.
      for (let i = 0; i < 48; i++) {
        const adv = below(60) === 0 ? q.size + 3 : 1;
        q.rawAvail(below(60) === 0 ? q.size + below(4) : below(q.size), adv);
        published += adv;
      }
      let taken = 0;
      for (let k = 0; k < 6; k++) {
        const g = gsoFrame(1000 + below(40000), { ipv6: below(2) === 1, mss: 1 + below(1460) });
        expect(() => {
          if (d.peer.client.sendOffloaded(g.frame, g.offload)) taken++;
        }).not.toThrow();
      }
      // The device returns at most what was made available (a ring error stops it), each entry once.
      expect(((q.usedIdx - 0) & 0xffff) <= Math.min(published, q.size)).toBe(true);
      expect(d.counters()['rxOffloaded']).toBe(taken);
      takenAll += taken;
      badChains += d.counters()['rxBadChains']! + d.counters()['rxReadableBuffers']!;
      // A driver resets the device and sets it up again: GSO frames go through as before.
      d.init();
      postForGso(d, 1);
      const good = gsoFrame(30000);
      expect(d.peer.client.sendOffloaded(good.frame, good.offload)).toBe(true);
      const got = d.receive();
      expect(got).toHaveLength(1);
      expect(firstDifference(got[0]!.frame, good.frame)).toBe(-1);
    }
    // Both ways were walked: frames placed in buffers the random ring happened to make usable, and bad chains returned.
    expect(takenAll).toBeGreaterThan(0);
    expect(badChains).toBeGreaterThan(0);
  });
});
