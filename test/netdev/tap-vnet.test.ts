/**
 * The virtio-net header of a tap opened with IFF_VNET_HDR (src/netdev/tap/vnet.ts),
 * without a kernel: the headers written for frames going to it, and what is
 * done with frames coming from it, including ones that lie.
 */
import { describe, expect, it } from 'vitest';
import { type FrameOffload, NetClient, type ReceiveResult } from '../../src/hub/client.js';
import { VnetTapCodec } from '../../src/netdev/tap/vnet.js';
import { validateRxChecksums } from '../../src/wire/offload.js';
import { ipFrame } from '../devices/virtio-net/packets.js';

const le16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const fields = (h: Uint8Array) => ({ flags: h[0], gsoType: h[1], hdrLen: le16(h, 2), gsoSize: le16(h, 4), csumStart: le16(h, 6), csumOffset: le16(h, 8), numBuffers: le16(h, 10) });

/** What the kernel sends: a 12-byte header, then the frame. */
function fromKernel(frame: Uint8Array, h: Partial<ReturnType<typeof fields>>): Uint8Array {
  const b = new Uint8Array(12 + frame.length);
  b[0] = h.flags ?? 0;
  b[1] = h.gsoType ?? 0;
  for (const [o, v] of [[2, h.hdrLen], [4, h.gsoSize], [6, h.csumStart], [8, h.csumOffset]] as const) {
    b[o] = (v ?? 0) & 0xff;
    b[o + 1] = ((v ?? 0) >>> 8) & 0xff;
  }
  b.set(frame, 12);
  return b;
}

/** The tap's client and a NIC behind it that records what arrives (and may take frames whole). */
function setup(takesWhole: boolean) {
  const codec = new VnetTapCodec();
  const plain: Uint8Array[] = [];
  const whole: Array<{ frame: Uint8Array; o: FrameOffload }> = [];
  let busy = false;
  const tap = new NetClient('tap', { canReceive: () => true, receive: () => 'ok' });
  const nic = new NetClient('nic', {
    canReceive: () => !busy,
    receive: (f): ReceiveResult => {
      if (busy) return 'busy';
      plain.push(f.slice());
      return 'ok';
    },
    ...(takesWhole ? { receiveOffloaded: (f: Uint8Array, o: FrameOffload) => (whole.push({ frame: f.slice(), o: { ...o } }), true) } : {}),
  }, { kind: 'nic' });
  NetClient.connect(tap, nic);
  return { codec, tap, plain, whole, setBusy: (b: boolean) => (busy = b), nic };
}

describe('tap virtio-net header: to the kernel', () => {
  it('zeros for a plain frame; NEEDS_CSUM and the GSO fields for a frame handed over whole', () => {
    const c = new VnetTapCodec();
    expect([...c.plainHeader()]).toEqual(new Array(12).fill(0));
    const t = ipFrame({ payload: 30000, partial: true });
    expect(fields(c.offloadedHeader(t.frame, { csumStart: 34, csumOffset: 16, gso: 'tcpv4', gsoSize: 1448 })!)).toEqual({ flags: 1, gsoType: 1, hdrLen: 54, gsoSize: 1448, csumStart: 34, csumOffset: 16, numBuffers: 0 });
    const t6 = ipFrame({ payload: 30000, partial: true, ipv6: true, tcpFlags: 0x98 });
    expect(fields(c.offloadedHeader(t6.frame, { csumStart: 54, csumOffset: 16, gso: 'tcpv6', gsoSize: 1428 })!)).toMatchObject({ gsoType: 0x84, hdrLen: 74 });
    const u = ipFrame({ payload: 100, partial: true, udp: true });
    expect(fields(c.offloadedHeader(u.frame, { csumStart: 34, csumOffset: 6, gso: 'none', gsoSize: 0 })!)).toEqual({ flags: 1, gsoType: 0, hdrLen: 42, gsoSize: 0, csumStart: 34, csumOffset: 6, numBuffers: 0 });
  });

  it('offload info that does not describe the frame gets no header (the NIC finishes the frame itself)', () => {
    const c = new VnetTapCodec();
    const t = ipFrame({ payload: 100, partial: true });
    const ok: FrameOffload = { csumStart: 34, csumOffset: 16, gso: 'tcpv4', gsoSize: 1448 };
    for (const bad of [{ ...ok, csumStart: t.frame.length }, { ...ok, csumStart: 4 }, { ...ok, gsoSize: 0 }, { ...ok, gsoSize: 70000 }, { ...ok, csumStart: t.frame.length - 10, csumOffset: 0 }, { ...ok, csumOffset: 6 }, { ...ok, gso: 'tcpv6' as const }]) {
      expect(c.offloadedHeader(t.frame, bad)).toBeUndefined();
    }
  });
});

describe('tap virtio-net header: from the kernel', () => {
  it('a plain frame goes on as it is', () => {
    const s = setup(false);
    const f = ipFrame({ payload: 100 }).frame;
    expect(s.codec.fromKernel(fromKernel(f, {}), s.tap)).toBe(false);
    expect(s.plain).toEqual([f]);
    expect(s.codec.stats.fromKernelOffloaded).toBe(0);
  });

  it('a TCPv4 GSO frame goes whole to a NIC that takes it, else cut into segments with valid checksums', () => {
    const t = ipFrame({ payload: 20000, partial: true, tcpFlags: 0x19 });
    const h = { flags: 1, gsoType: 1, hdrLen: 54, gsoSize: 1448, csumStart: 34, csumOffset: 16 };
    const taker = setup(true);
    taker.codec.fromKernel(fromKernel(t.frame, h), taker.tap);
    expect(taker.whole).toHaveLength(1);
    expect(taker.whole[0]!.o).toEqual({ csumStart: 34, csumOffset: 16, gso: 'tcpv4', gsoSize: 1448 });
    expect(taker.whole[0]!.frame).toEqual(t.frame);
    expect(taker.codec.stats).toMatchObject({ fromKernelOffloaded: 1, fromKernelWhole: 1, gsoSegments: 0 });
    const plain = setup(false);
    plain.codec.fromKernel(fromKernel(t.frame, h), plain.tap);
    expect(plain.plain).toHaveLength(Math.ceil(20000 / 1448));
    for (const seg of plain.plain) {
      expect(seg.length).toBeLessThanOrEqual(1502);
      expect(validateRxChecksums(seg)).toMatchObject({ ipv4: 'ok', l4: 'ok' });
    }
    // FIN only on the last segment.
    expect(plain.plain.map((f) => f[47]! & 1)).toEqual([...new Array(plain.plain.length - 1).fill(0), 1]);
    expect(plain.codec.stats).toMatchObject({ fromKernelWhole: 0, gsoSegments: plain.plain.length });
  });

  it('a partial checksum without GSO is completed for a NIC that does not take it whole', () => {
    const u = ipFrame({ payload: 300, partial: true, udp: true });
    const s = setup(false);
    s.codec.fromKernel(fromKernel(u.frame, { flags: 1, csumStart: 34, csumOffset: 6 }), s.tap);
    expect(s.plain).toHaveLength(1);
    expect(validateRxChecksums(s.plain[0]!).l4).toBe('ok');
    expect(s.codec.stats.checksumsCompleted).toBe(1);
  });

  it('UDP GSO from the kernel becomes IP fragments', () => {
    const u = ipFrame({ payload: 4000, partial: true, udp: true });
    const s = setup(true);
    s.codec.fromKernel(fromKernel(u.frame, { flags: 1, gsoType: 3, gsoSize: 1480, csumStart: 34, csumOffset: 6 }), s.tap);
    expect(s.whole).toHaveLength(0);
    expect(s.plain).toHaveLength(3);
    expect(s.plain.map((f) => ((f[20]! << 8) | f[21]!) & 0x2000)).toEqual([0x2000, 0x2000, 0]);
  });

  it('lies are dropped and counted, nothing thrown: a short buffer, a GSO type of the other IP version, a checksum field past the end', () => {
    const s = setup(false);
    const t = ipFrame({ payload: 3000, partial: true });
    expect(s.codec.fromKernel(new Uint8Array(20), s.tap)).toBe(false);
    s.codec.fromKernel(fromKernel(t.frame, { flags: 1, gsoType: 4, gsoSize: 1000, csumStart: 34, csumOffset: 16 }), s.tap);
    s.codec.fromKernel(fromKernel(t.frame, { flags: 1, csumStart: 34, csumOffset: 5000 }), s.tap);
    s.codec.fromKernel(fromKernel(t.frame, { gsoType: 1, gsoSize: 0 }), s.tap);
    expect(s.plain).toHaveLength(0);
    expect(s.codec.stats.fromKernelBad).toBe(4);
    // And the next good frame goes through.
    s.codec.fromKernel(fromKernel(ipFrame({ payload: 10 }).frame, {}), s.tap);
    expect(s.plain).toHaveLength(1);
  });

  it('reports a frame that had to wait at the NIC (the relay stops reading until it drains)', () => {
    const s = setup(false);
    s.setBusy(true);
    const t = ipFrame({ payload: 3000, partial: true });
    expect(s.codec.fromKernel(fromKernel(t.frame, { flags: 1, gsoType: 1, gsoSize: 1448, csumStart: 34, csumOffset: 16 }), s.tap)).toBe(true);
    s.setBusy(false);
    s.nic.flushQueue();
    expect(s.plain).toHaveLength(3);
  });
});
