/**
 * Frames handed whole to a peer that does the offload work itself
 * (`NetClient.sendOffloaded`, the user-mode stack): partial checksums and
 * TCP GSO frames go over as the driver wrote them, with the header's fields;
 * everything else, and every frame a peer does not take, is finished in
 * software as before.
 */
import { describe, expect, it } from 'vitest';
import { VIRTIO_NET_F } from '../../../src/devices/virtio-net/features.js';
import { validateRxChecksums } from '../../../src/wire/offload.js';
import { COMBOS, Driver } from './driver.js';
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
