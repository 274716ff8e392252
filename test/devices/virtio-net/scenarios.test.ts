/**
 * Guest-driver scenarios, each run across the feature combinations
 * (legacy/modern, plain, MRG_RXBUF, EVENT_IDX, indirect, packed). The mock
 * checks every completion: used.id < queue size, used.len <= capacity.
 */
import { describe, expect, it } from 'vitest';
import { VIRTIO_NET_F } from '../../../src/devices/virtio-net/features.js';
import { validateRxChecksums } from '../../../src/wire/offload.js';
import { BROADCAST, COMBOS, DEFAULT_MAC, Driver, ethFrame, OTHER_MAC } from './driver.js';
import { ipFrame } from './packets.js';

function same(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

describe.each(COMBOS)('virtio-net scenarios: $name', (combo) => {
  it('transmits a frame: the header is stripped, used.len is 0, the queue interrupt fires', () => {
    const d = new Driver({ combo });
    const frame = ethFrame(BROADCAST, DEFAULT_MAC, 46, 0x11);
    const used = d.send(frame);
    expect(used).toHaveLength(1);
    expect(used[0]!.len).toBe(0);
    expect(d.peer.frames).toEqual([frame]);
    expect(d.irq.level).toBe(true);
    expect(d.readIsr()).toBe(1);
    expect(d.irq.level).toBe(false);
    expect(d.readIsr()).toBe(0);
  });

  it('receives a frame: zero header, num_buffers 1, used.len = header + frame', () => {
    const d = new Driver({ combo });
    d.postRx(4, 2048);
    d.kick(0);
    const frame = ethFrame(DEFAULT_MAC, OTHER_MAC, 46, 0x33);
    expect(d.peer.send(frame)).toBe('delivered');
    const got = d.receive();
    expect(got).toHaveLength(1);
    expect(got[0]!.frame).toEqual(frame);
    expect(got[0]!.numBuffers).toBe(1);
    expect([...got[0]!.hdr.subarray(0, 10)]).toEqual(new Array(10).fill(0));
    expect(d.irq.level).toBe(true);
    expect(d.readIsr()).toBe(1);
  });

  it('a 1514-byte frame: spread over 512-byte buffers with MRG_RXBUF, dropped without (buffer kept)', () => {
    const d = new Driver({ combo });
    d.postRx(8, 512);
    d.kick(0);
    const big = ethFrame(DEFAULT_MAC, OTHER_MAC, 1500, 0x55);
    const r = d.peer.send(big);
    if (combo.mrg) {
      expect(r).toBe('delivered');
      const got = d.receive();
      expect(got).toHaveLength(1);
      expect(got[0]!.numBuffers).toBe(Math.ceil((d.hdrLen + big.length) / 512));
      expect(got[0]!.frame).toEqual(big);
    } else {
      expect(r).toBe('dropped');
      expect(d.counters()['rxTooBig']).toBe(1);
      const small = ethFrame(DEFAULT_MAC, OTHER_MAC, 100, 1);
      expect(d.peer.send(small)).toBe('delivered');
      const got = d.receive();
      expect(got.map((g) => g.frame)).toEqual([small]);
    }
  });

  it('backpressure: with no receive buffer the frame waits and arrives after the kick', () => {
    const d = new Driver({ combo });
    const frames = [ethFrame(DEFAULT_MAC, OTHER_MAC, 60, 1), ethFrame(BROADCAST, OTHER_MAC, 70, 2), ethFrame(DEFAULT_MAC, OTHER_MAC, 80, 3)];
    for (const f of frames) expect(d.peer.send(f)).toBe('queued');
    expect(d.dev.net.incoming.length).toBe(3);
    expect(d.counters()['rxNoBuffers']).toBeGreaterThan(0);
    d.postRx(2, 2048);
    d.kick(0);
    expect(d.receive().map((g) => g.frame)).toEqual(frames.slice(0, 2));
    expect(d.dev.net.incoming.length).toBe(1);
    d.postRx(2, 2048);
    d.kick(0);
    expect(d.receive().map((g) => g.frame)).toEqual(frames.slice(2));
    expect(d.dev.net.incoming.length).toBe(0);
  });

  it('backpressure with MRG_RXBUF: a frame larger than the posted buffers waits for more', () => {
    if (!combo.mrg) return;
    const d = new Driver({ combo });
    d.postRx(1, 256);
    d.kick(0);
    const big = ethFrame(DEFAULT_MAC, OTHER_MAC, 1000, 9);
    expect(d.peer.send(big)).toBe('queued');
    expect(d.rxq.takeUsed()).toEqual([]);
    d.postRx(4, 256);
    d.kick(0);
    const got = d.receive();
    expect(got).toHaveLength(1);
    expect(got[0]!.frame).toEqual(big);
  });

  it('a starved receive queue asks to be kicked, also when part of a frame\'s buffers were there', () => {
    const d = new Driver({ combo });
    d.postRx(1, combo.mrg ? 256 : 2048);
    d.rxq.needsKick();
    d.kick(0);
    const big = ethFrame(DEFAULT_MAC, OTHER_MAC, combo.mrg ? 1000 : 60, 7);
    d.peer.send(ethFrame(DEFAULT_MAC, OTHER_MAC, 60, 6));
    if (!combo.mrg) d.receive();
    expect(d.peer.send(big)).toBe('queued');
    d.postRx(8, 256);
    expect(d.rxq.needsKick()).toBe(true);
    d.kick(0);
    const got = d.receive();
    expect(got.at(-1)!.frame).toEqual(big);
  });

  it('2000 frames each way: rings wrap, order kept, every completion valid', () => {
    const d = new Driver({ combo });
    const sent: Uint8Array[] = [];
    const received: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) {
      if (d.rxq.free > 0) {
        d.postRx(Math.min(d.rxq.free, 8), 2048);
        d.kick(0);
      }
      const out = ethFrame(BROADCAST, DEFAULT_MAC, 50 + (i % 1400), i);
      d.queueTx(out);
      if (i % 3 === 0) d.kick(1);
      sent.push(out);
      const inn = ethFrame(DEFAULT_MAC, OTHER_MAC, 40 + ((i * 13) % 1400), i);
      if (d.peer.send(inn) === 'dropped') throw new Error(`frame ${i} dropped`);
      received.push(inn);
      for (const g of d.receive()) if (!same(g.frame, received.shift())) throw new Error(`frame ${i}: wrong data`);
      d.txq.takeUsed();
    }
    d.kick(1);
    d.txq.takeUsed();
    for (let i = 0; i < 10 && received.length > 0; i++) {
      d.postRx(Math.min(d.rxq.free, 16), 2048);
      d.kick(0);
      for (const g of d.receive()) expect(same(g.frame, received.shift())).toBe(true);
    }
    expect(received).toEqual([]);
    expect(d.peer.frames.length).toBe(sent.length);
    expect(d.peer.frames.every((f, i) => same(f, sent[i]))).toBe(true);
    const c = d.counters();
    expect(c['chainErrors']).toBe(0);
    expect(c['needsReset']).toBe(0);
  });

  it('used buffer notifications can be suppressed and re-enabled', () => {
    const d = new Driver({ combo });
    d.postRx(8, 2048);
    d.kick(0);
    d.rxq.setInterrupts(false);
    d.readIsr();
    d.peer.send(ethFrame(DEFAULT_MAC, OTHER_MAC, 60, 1));
    expect(d.irq.level).toBe(false);
    expect(d.receive()).toHaveLength(1);
    d.rxq.setInterrupts(true);
    d.peer.send(ethFrame(DEFAULT_MAC, OTHER_MAC, 60, 2));
    expect(d.irq.level).toBe(true);
  });

  it('the device asks for a kick once it has drained the transmit queue', () => {
    const d = new Driver({ combo });
    d.queueTx(ethFrame(BROADCAST, DEFAULT_MAC, 60, 1));
    d.kick(1);
    d.txq.takeUsed();
    d.queueTx(ethFrame(BROADCAST, DEFAULT_MAC, 60, 2));
    expect(d.txq.needsKick()).toBe(true);
  });

  it('NEEDS_CSUM: the device completes the TCP checksum', () => {
    const d = new Driver({ combo, features: [VIRTIO_NET_F.CSUM] });
    const { frame, l4, csumOffset } = ipFrame({ payload: 300, partial: true });
    expect(validateRxChecksums(frame).l4).toBe('bad');
    d.send(frame, { flags: 1, csumStart: l4, csumOffset });
    expect(d.peer.frames).toHaveLength(1);
    expect(validateRxChecksums(d.peer.frames[0]!).l4).toBe('ok');
  });

  it('TSO: a 20000-byte TCPv4 send goes out as MSS-sized segments with valid checksums', () => {
    const d = new Driver({ combo, features: [VIRTIO_NET_F.CSUM, VIRTIO_NET_F.HOST_TSO4, VIRTIO_NET_F.HOST_TSO6] });
    const { frame, l4, csumOffset } = ipFrame({ payload: 20000, partial: true, tcpFlags: 0x19 });
    d.send(frame, { flags: 1, gsoType: 1, hdrLen: 54, gsoSize: 1448, csumStart: l4, csumOffset });
    expect(d.peer.frames).toHaveLength(Math.ceil(20000 / 1448));
    let total = 0;
    for (const [i, seg] of d.peer.frames.entries()) {
      const r = validateRxChecksums(seg);
      expect(r.ipv4).toBe('ok');
      expect(r.l4).toBe('ok');
      expect(seg.length).toBeLessThanOrEqual(54 + 1448);
      const flags = seg[l4 + 13]!;
      expect(flags & 1, 'FIN only on the last segment').toBe(i === d.peer.frames.length - 1 ? 1 : 0);
      total += seg.length - 54;
    }
    expect(total).toBe(20000);
  });

  it('TSO over IPv6 and UFO over IPv4', () => {
    const d = new Driver({ combo, features: [VIRTIO_NET_F.CSUM, VIRTIO_NET_F.HOST_TSO6, VIRTIO_NET_F.HOST_UFO] });
    const t6 = ipFrame({ payload: 5000, partial: true, ipv6: true });
    d.send(t6.frame, { flags: 1, gsoType: 4, hdrLen: 74, gsoSize: 1000, csumStart: t6.l4, csumOffset: t6.csumOffset });
    expect(d.peer.frames).toHaveLength(5);
    for (const s of d.peer.frames) expect(validateRxChecksums(s).l4).toBe('ok');
    const u = ipFrame({ payload: 4000, partial: true, udp: true });
    d.peer.frames.length = 0;
    d.send(u.frame, { flags: 1, gsoType: 3, hdrLen: 42, gsoSize: 1480, csumStart: u.l4, csumOffset: u.csumOffset });
    expect(d.peer.frames.length).toBe(Math.ceil((4000 + 8) / 1480));
    expect(d.counters()['txGsoErrors']).toBe(0);
  });

  it('link down and up: status bit and a configuration change interrupt', () => {
    const d = new Driver({ combo });
    d.readIsr();
    expect(d.cfg(6, 2) & 1).toBe(1);
    d.peer.client.setLinkUp(false);
    expect(d.cfg(6, 2) & 1).toBe(0);
    expect(d.irq.level).toBe(true);
    expect(d.readIsr()).toBe(2);
    d.peer.client.setLinkUp(true);
    expect(d.cfg(6, 2) & 1).toBe(1);
    expect(d.readIsr()).toBe(2);
  });

  it('control queue: promiscuous off, then only our MAC, broadcast and the table pass', () => {
    const d = new Driver({ combo });
    d.postRx(16, 2048);
    d.kick(0);
    expect(d.ctrl(0, 0, Uint8Array.of(0))).toBe(0);
    const table = new Uint8Array(4 + 6 + 4 + 6);
    table[0] = 1;
    table.set(OTHER_MAC, 4);
    table[10] = 1;
    table.set([0x01, 0x00, 0x5e, 0, 0, 1], 14);
    expect(d.ctrl(1, 0, table)).toBe(0);
    const frames = [
      ethFrame(DEFAULT_MAC, OTHER_MAC, 60, 1),
      ethFrame(Uint8Array.of(2, 9, 9, 9, 9, 9), OTHER_MAC, 60, 2),
      ethFrame(BROADCAST, OTHER_MAC, 60, 3),
      ethFrame(OTHER_MAC, DEFAULT_MAC, 60, 4),
      ethFrame(Uint8Array.of(0x01, 0x00, 0x5e, 0, 0, 1), OTHER_MAC, 60, 5),
      ethFrame(Uint8Array.of(0x01, 0x00, 0x5e, 0, 0, 2), OTHER_MAC, 60, 6),
    ];
    for (const f of frames) d.peer.send(f);
    expect(d.receive().map((g) => g.frame[14 + 0])).toEqual([1, 3, 4, 5].map((s) => s & 0xff));
    expect(d.counters()['rxFiltered']).toBe(2);
  });
});

describe('DATA_VALID on receive (GUEST_CSUM, §5.1.6.4.1)', () => {
  const offloads = (bits: bigint): Uint8Array => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, bits, true);
    return b;
  };
  for (const combo of COMBOS) {
    it(`${combo.name}: set for a good TCP/UDP checksum; not for a bad one, non-IP, without GUEST_CSUM, or with it switched off`, () => {
      const d = new Driver({ combo, features: [VIRTIO_NET_F.GUEST_CSUM, VIRTIO_NET_F.CTRL_GUEST_OFFLOADS] });
      d.postRx(16, 2048);
      d.kick(0);
      const udp = ipFrame({ payload: 100, udp: true, dst: DEFAULT_MAC }).frame;
      const tcp = ipFrame({ payload: 1400, dst: DEFAULT_MAC }).frame; // staged and unstaged paths
      const tcp6 = ipFrame({ payload: 200, ipv6: true, dst: DEFAULT_MAC }).frame;
      const bad = udp.slice();
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
      const plain = ethFrame(DEFAULT_MAC, OTHER_MAC, 46, 1);
      for (const f of [udp, tcp, tcp6, bad, plain]) d.peer.send(f);
      expect(d.receive().map((g) => g.hdr[0])).toEqual([2, 2, 2, 0, 0]);
      // The driver switches the receive offloads off (VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET 0).
      expect(d.ctrl(5, 0, offloads(0n))).toBe(0);
      d.peer.send(udp);
      expect(d.receive().map((g) => g.hdr[0])).toEqual([0]);
      if (combo.mrg) {
        // A frame spread over several mergeable buffers (not the one-buffer fast path).
        const m = new Driver({ combo, features: [VIRTIO_NET_F.GUEST_CSUM] });
        m.postRx(8, 512);
        m.kick(0);
        m.peer.send(tcp);
        const got = m.receive();
        expect(got.map((g) => [g.hdr[0], g.numBuffers > 1])).toEqual([[2, true]]);
      }
      const off = new Driver({ combo });
      off.postRx(4, 2048);
      off.kick(0);
      off.peer.send(udp);
      expect(off.receive().map((g) => [...g.hdr.subarray(0, 10)])).toEqual([new Array(10).fill(0)]);
    });
  }
});
