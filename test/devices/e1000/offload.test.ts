/**
 * e1000 TSO frames handed whole to a peer that segments and checksums itself
 * (`NetClient.sendOffloaded`, the user-mode stack): the frame is the one the
 * driver described, with the IP length and the TCP pseudo-header sum made
 * right for the whole of it; cut up in software it gives exactly the segments
 * the streaming engine sends to any other peer. A peer that declines gets
 * those segments.
 */
import { describe, expect, it } from 'vitest';
import { type FrameOffload, NetClient, type ReceiveResult } from '../../../src/hub/client.js';
import { completeChecksum, isWireError, segmentTcp } from '../../../src/wire/index.js';
import { CMD, contextDesc, CTX, dataDesc, Driver, legacyDesc, makeBench, R } from './driver.js';
import { be16, ipv4, ipv4ChecksumsOk, ipv6, ipv6ChecksumOk, pattern } from './packets.js';

type Peer = 'plain' | 'takes' | 'declines';

/** A bench whose NIC is connected to a peer of the given kind; returns what it received. */
function bench(kind: Peer) {
  const b = makeBench();
  const got = { plain: [] as Uint8Array[], whole: [] as Array<{ frame: Uint8Array; offload: FrameOffload }> };
  const client = new NetClient('peer', {
    canReceive: () => true,
    receive: (f): ReceiveResult => {
      got.plain.push(f.slice());
      return 'ok';
    },
    ...(kind === 'plain'
      ? {}
      : {
          receiveOffloaded: (f: Uint8Array, o: FrameOffload): boolean => {
            if (kind === 'declines') return false;
            got.whole.push({ frame: f.slice(), offload: { ...o } });
            return true;
          },
        }),
  });
  b.nic.net.disconnect();
  NetClient.connect(b.nic.net, client);
  const d = new Driver(b);
  d.initTx();
  d.r(R.ICR);
  return { b, d, got };
}

const ctx4 = (paylen: number, mss: number) => contextDesc({ ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 50, paylen, cmd: CTX.TSE | CTX.IP | CTX.TCP, hdrLen: 54, mss });
const ctx6 = (paylen: number, mss: number) => contextDesc({ ipcss: 14, tucss: 54, tucso: 70, paylen, cmd: CTX.TSE | CTX.TCP, hdrLen: 74, mss });

interface Case {
  name: string;
  frame: Uint8Array;
  ctx: Uint8Array;
  /** Descriptor boundaries in the frame. */
  cuts: number[];
  popts: number;
  v6?: boolean;
  mss: number;
  vlan?: boolean;
}

const CASES: Case[] = [
  { name: 'IPv4, 4000 B over odd descriptors', frame: ipv4({ data: pattern(4000, 9), mode: 'tso', flags: 0x19, seq: 0xffffff00, ident: 0xfffe }), ctx: ctx4(4000, 1448), cuts: [30, 54, 1000, 3001], popts: 3, mss: 1448 },
  { name: 'IPv4, an exact multiple of the MSS', frame: ipv4({ data: pattern(3000, 1), mode: 'tso' }), ctx: ctx4(3000, 1000), cuts: [], popts: 3, mss: 1000 },
  { name: 'IPv4, 60000 B', frame: ipv4({ data: pattern(60000, 5), mode: 'tso', flags: 0x18 }), ctx: ctx4(60000, 1448), cuts: [54, 20000, 40000], popts: 3, mss: 1448 },
  { name: 'IPv6, 2500 B', frame: ipv6({ data: pattern(2500, 4), mode: 'tso', flags: 0x18 }), ctx: ctx6(2500, 1200), cuts: [74], popts: 2, v6: true, mss: 1200 },
];

function run(kind: Peer, c: Case) {
  const s = bench(kind);
  if (c.vlan) s.d.w(R.CTRL, s.d.r(R.CTRL) | (1 << 30));
  const a = s.d.txBuffer(c.frame);
  s.d.putTx(c.ctx);
  const cuts = [0, ...c.cuts, c.frame.length];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const last = i + 2 === cuts.length;
    s.d.putTx(dataDesc(a + cuts[i]!, cuts[i + 1]! - cuts[i]!, { tse: true, popts: c.popts, eop: last, rs: last, vle: !!c.vlan, special: 0x6005 }));
  }
  s.d.kick();
  const stats = { TPT: s.d.r(R.TPT), GPTC: s.d.r(R.GPTC), GOTCL: s.d.r(R.GOTCL), TSCTC: s.d.r(R.TSCTC) };
  return { ...s, stats };
}

describe('e1000: TSO frames handed over whole', () => {
  for (const c of CASES) {
    it(`${c.name}: one frame, offload info, and the same segments and statistics as on a wire`, () => {
      const wire = run('plain', c);
      const whole = run('takes', c);
      expect(whole.got.plain).toHaveLength(0);
      expect(whole.got.whole).toHaveLength(1);
      const { frame, offload } = whole.got.whole[0]!;
      const l4 = c.v6 ? 54 : 34;
      expect(offload).toEqual({ csumStart: l4, csumOffset: 16, gso: c.v6 ? 'tcpv6' : 'tcpv4', gsoSize: c.mss });
      expect(frame.length).toBe(c.frame.length);
      expect(frame.subarray(l4 + 20), 'payload').toEqual(c.frame.subarray(l4 + 20));
      // Completed, the partial checksum is the whole segment's checksum.
      const done = frame.slice();
      expect(completeChecksum(done, l4, 16)).toBe(true);
      if (c.v6) expect(ipv6ChecksumOk(done)).toBe(true);
      else expect(ipv4ChecksumsOk(done)).toEqual({ ip: true, l4: true });
      const segs = segmentTcp(frame, { l3Offset: 14, l4Offset: l4, mss: c.mss, ipv6: !!c.v6 });
      if (isWireError(segs)) throw new Error(`segmentTcp: ${segs.kind}`);
      expect(segs).toEqual(wire.got.plain);
      expect(whole.stats).toEqual(wire.stats);
      expect(whole.b.nic.counters()).toMatchObject({ txOffloaded: 1, txFrames: 1 });
    });

    it(`${c.name}: a peer that declines gets the wire's segments`, () => {
      const wire = run('plain', c);
      const declined = run('declines', c);
      expect(declined.got.whole).toHaveLength(0);
      expect(declined.got.plain).toEqual(wire.got.plain);
      expect(declined.stats).toEqual(wire.stats);
      expect(declined.b.nic.counters()['txOffloaded']).toBe(0);
    });
  }

  it('VLAN-tagged TSO frames and PAYLEN that disagrees with the data go out as the wire segments', () => {
    const cases: Case[] = [
      { ...CASES[0]!, name: 'vlan', vlan: true },
      { ...CASES[0]!, name: 'short paylen', ctx: ctx4(3000, 1448) },
    ];
    for (const c of cases) {
      const wire = run('plain', c);
      const took = run('takes', c);
      expect(took.got.whole, c.name).toHaveLength(0);
      expect(took.got.plain, c.name).toEqual(wire.got.plain);
      expect(took.stats, c.name).toEqual(wire.stats);
    }
    expect(be16(run('takes', cases[0]!).got.plain[0]!, 12)).toBe(0x8100);
  });

  /**
   * Hostile or odd descriptor streams: `script` puts descriptors (and may kick
   * in between and meddle with the bench); the frames and statistics a peer
   * that takes whole frames ends up with, once cut up, match a plain peer's.
   */
  function sameAsWire(script: (s: ReturnType<typeof bench>, f: Uint8Array) => void, data = pattern(4000, 3)) {
    const f = ipv4({ data, mode: 'tso', flags: 0x18 });
    const out = (['plain', 'takes', 'declines'] as const).map((kind) => {
      const s = bench(kind);
      script(s, f);
      s.d.kick();
      const wire = s.got.whole.flatMap(({ frame, offload }) => {
        const segs = segmentTcp(frame, { l3Offset: 14, l4Offset: offload.csumStart, mss: offload.gsoSize, ipv6: offload.gso === 'tcpv6' });
        if (isWireError(segs)) throw new Error(`segmentTcp: ${segs.kind}`);
        return segs;
      });
      return { frames: [...s.got.plain, ...wire], stats: { TPT: s.d.r(R.TPT), GPTC: s.d.r(R.GPTC), GOTCL: s.d.r(R.GOTCL), TSCTC: s.d.r(R.TSCTC) }, whole: s.got.whole.length, counters: s.b.nic.counters() };
    });
    const [plain, takes, declines] = out as [(typeof out)[0], (typeof out)[0], (typeof out)[0]];
    expect(takes.frames, 'a peer that takes whole frames').toEqual(plain.frames);
    expect(declines.frames, 'a peer that declines').toEqual(plain.frames);
    expect(takes.stats).toEqual(plain.stats);
    expect(declines.stats).toEqual(plain.stats);
    return { plain, takes };
  }

  it('a TSO context with MSS 0 in the middle of a frame gathered whole: bounded, the frames a wire gets', () => {
    const { plain, takes } = sameAsWire((s, f) => {
      const a = s.d.txBuffer(f);
      s.d.putTx(ctx4(4000, 1448));
      s.d.putTx(dataDesc(a, 2000, { tse: true, popts: 3 }));
      s.d.putTx(contextDesc({ ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 50, paylen: 4000, cmd: CTX.TSE | CTX.IP | CTX.TCP, hdrLen: 54, mss: 0 }));
      s.d.putTx(dataDesc(a + 2000, f.length - 2000, { tse: true, popts: 3, eop: true, rs: true }));
    });
    expect(plain.frames.length).toBeGreaterThan(0);
    expect(takes.whole).toBe(0);
  });

  it('a legacy descriptor ends a frame gathered whole: the frames a wire gets', () => {
    sameAsWire((s, f) => {
      const a = s.d.txBuffer(f);
      s.d.putTx(ctx4(4000, 1448));
      s.d.putTx(dataDesc(a, 3000, { tse: true, popts: 3 }));
      s.d.putTx(legacyDesc(a + 3000, f.length - 3000, CMD.EOP | CMD.RS));
    });
  });

  it('the ring stops in the middle of a frame and a capture starts before its end: the frames a wire gets', () => {
    const { takes } = sameAsWire((s, f) => {
      const a = s.d.txBuffer(f);
      s.d.putTx(ctx4(4000, 1448));
      s.d.putTx(dataDesc(a, 2500, { tse: true, popts: 3 }));
      s.d.kick();
      s.b.nic.net.observe(() => {});
      s.d.putTx(dataDesc(a + 2500, f.length - 2500, { tse: true, popts: 3, eop: true, rs: true }));
    });
    expect(takes.whole).toBe(0);
  });

  it('a checksum offset outside the headers, PAYLEN larger or smaller than the data: the frames a wire gets', () => {
    for (const ctx of [
      contextDesc({ ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 60, paylen: 4000, cmd: CTX.TSE | CTX.IP | CTX.TCP, hdrLen: 54, mss: 1448 }),
      contextDesc({ ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 30, paylen: 4000, cmd: CTX.TSE | CTX.IP | CTX.TCP, hdrLen: 54, mss: 1448 }),
      ctx4(5000, 1448),
      ctx4(3000, 1448),
    ]) {
      sameAsWire((s, f) => {
        s.d.putTx(ctx);
        s.d.putTx(dataDesc(s.d.txBuffer(f), f.length, { tse: true, popts: 3, eop: true, rs: true }));
      });
    }
  });

  it('PAYLEN understating data past 64 KiB: nothing cut off, the frames a wire gets', () => {
    sameAsWire((s, f) => {
      const a = s.d.txBuffer(f);
      s.d.putTx(ctx4(1000, 1448));
      for (let at = 0; at < f.length; at += 8192) {
        const n = Math.min(8192, f.length - at);
        s.d.putTx(dataDesc(a + at, n, { tse: true, popts: 3, eop: at + n === f.length, rs: at + n === f.length }));
      }
    }, pattern(70_000, 8));
  });

  it('a snapshot in the middle of a frame gathered whole carries on after a restore', () => {
    const data = pattern(4000, 12);
    const f = ipv4({ data, mode: 'tso', flags: 0x18 });
    const wire = run('plain', { ...CASES[0]!, frame: f, cuts: [2500] });
    const s = bench('takes');
    const a = s.d.txBuffer(f);
    s.d.putTx(ctx4(4000, 1448));
    s.d.putTx(dataDesc(a, 2500, { tse: true, popts: 3 }));
    s.d.kick();
    const saved = JSON.parse(JSON.stringify(s.b.nic.saveState())) as unknown;
    s.b.nic.reset();
    expect(s.b.nic.restoreState(saved)).toBeUndefined();
    s.d.putTx(dataDesc(a + 2500, f.length - 2500, { tse: true, popts: 3, eop: true, rs: true }));
    s.d.kick();
    expect(s.got.whole).toHaveLength(1);
    const segs = segmentTcp(s.got.whole[0]!.frame, { l3Offset: 14, l4Offset: 34, mss: 1448, ipv6: false });
    expect(segs).toEqual(wire.got.plain);
  });

  it('TSO without the TCP checksum asked for is not handed over', () => {
    const noSum = run('takes', { ...CASES[1]!, popts: 1 });
    expect(noSum.got.whole).toHaveLength(0);
    expect(noSum.got.plain).toHaveLength(3);
  });
});
