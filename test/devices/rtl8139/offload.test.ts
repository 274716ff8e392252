/**
 * rtl8139 C+ large sends handed whole to a peer that segments and checksums
 * itself (`NetClient.sendOffloaded`, the user-mode stack): one frame with a
 * partial checksum that, cut up in software, gives exactly the segments the
 * device sends to any other peer; a peer that declines gets those segments.
 */
import { describe, expect, it } from 'vitest';
import { type FrameOffload, NetClient, type ReceiveResult } from '../../../src/hub/client.js';
import { completeChecksum, isWireError, segmentTcp } from '../../../src/wire/index.js';
import { Bench, Cp, DESC } from './driver.js';
import { checksumsOk, expectedSegments, hex, ipv4Frame, payload } from './packets.js';

function open(kind: 'takes' | 'declines') {
  const b = new Bench({}, { connect: false });
  const whole: Array<{ frame: Uint8Array; offload: FrameOffload }> = [];
  const plain: Uint8Array[] = [];
  const peer = new NetClient('peer', {
    canReceive: () => true,
    receive: (f): ReceiveResult => {
      plain.push(f.slice());
      return 'ok';
    },
    receiveOffloaded: (f, o) => {
      if (kind === 'declines') return false;
      whole.push({ frame: f.slice(), offload: { ...o } });
      return true;
    },
  });
  NetClient.connect(b.dev.net, peer);
  const d = new Cp(b);
  d.open();
  return { b, d, whole, plain };
}

const CASES = [
  [3000, 1000, 0x19, 1000],
  [5000, 1448, 0x98, 0x12345678],
  [60000, 1448, 0x18, 0xfffff000],
] as const;

describe('rtl8139 C+: large sends handed over whole', () => {
  for (const [len, mss, flags, seq] of CASES) {
    it(`${len} B, MSS ${mss}: one frame whose segments are the device's own`, () => {
      const { b, d, whole, plain } = open('takes');
      const f = ipv4Frame({ proto: 'tcp', data: payload(len, len & 0xff), flags, seq, ident: 0xfffe });
      d.xmit(f, { opts1: DESC.LGSEN | (mss << 16), parts: 3 });
      expect(plain).toHaveLength(0);
      expect(whole).toHaveLength(1);
      const { frame, offload } = whole[0]!;
      expect(offload).toEqual({ csumStart: 34, csumOffset: 16, gso: 'tcpv4', gsoSize: mss });
      const done = frame.slice();
      expect(completeChecksum(done, 34, 16)).toBe(true);
      expect(checksumsOk(done)).toBe(true);
      const segs = segmentTcp(frame, { l3Offset: 14, l4Offset: 34, mss, ipv6: false });
      if (isWireError(segs)) throw new Error(`segmentTcp: ${segs.kind}`);
      expect(segs.map(hex)).toEqual(expectedSegments(f, mss).map(hex));
      expect(b.dev.counters()).toMatchObject({ txOffloaded: 1, txTsoFrames: 1, txTsoSegments: 0 });
    });
  }

  it('a peer that declines gets the segments; tagged large sends are segmented', () => {
    const { b, d, whole, plain } = open('declines');
    const f = ipv4Frame({ proto: 'tcp', data: payload(5000, 3), flags: 0x18, seq: 5 });
    d.xmit(f, { opts1: DESC.LGSEN | (1448 << 16), parts: 2 });
    expect(whole).toHaveLength(0);
    expect(plain.map(hex)).toEqual(expectedSegments(f, 1448).map(hex));
    for (const s of plain) expect(checksumsOk(s)).toBe(true);
    expect(b.dev.counters()).toMatchObject({ txOffloaded: 0, txTsoSegments: 4 });
    d.txClean();
    const t = open('takes');
    t.d.xmit(f, { opts1: DESC.LGSEN | (1448 << 16), vlan: 0x0700 });
    expect(t.whole).toHaveLength(0);
    expect(t.plain).toHaveLength(4);
  });
});
