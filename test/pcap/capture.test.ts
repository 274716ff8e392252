import { describe, expect, it } from 'vitest';
import { NetClient, type NetReceiver, type ReceiveResult } from '../../src/hub/index.js';
import { VirtualClock } from '../../src/time/clock.js';
import { PcapWriter, capture, readPcap, type FrameRecorder } from '../../src/pcap/index.js';

function receiver(verdict: () => ReceiveResult = () => 'ok'): NetReceiver & { got: Uint8Array[] } {
  const got: Uint8Array[] = [];
  return {
    got,
    canReceive: () => true,
    receive(frame) {
      const v = verdict();
      if (v === 'ok') got.push(frame.slice());
      return v;
    },
  };
}

function pair(verdictB?: () => ReceiveResult): { a: NetClient; b: NetClient } {
  const a = new NetClient('a', receiver());
  const b = new NetClient('b', receiver(verdictB));
  NetClient.connect(a, b);
  return { a, b };
}

function recorder(): FrameRecorder & { frames: number[][] } {
  const frames: number[][] = [];
  return { frames, write: (f) => frames.push([...f]) };
}

describe('capture', () => {
  it('records the frames a client sends and receives, in order', () => {
    const { a, b } = pair();
    const rec = recorder();
    capture(a, rec);
    a.send(Uint8Array.of(1));
    b.send(Uint8Array.of(2));
    a.send(Uint8Array.of(3));
    expect(rec.frames).toEqual([[1], [2], [3]]);
  });

  it('direction tx / rx selects one side', () => {
    const { a, b } = pair();
    const tx = recorder();
    const rx = recorder();
    capture(a, tx, { direction: 'tx' });
    capture(a, rx, { direction: 'rx' });
    a.send(Uint8Array.of(1));
    b.send(Uint8Array.of(2));
    expect(tx.frames).toEqual([[1]]);
    expect(rx.frames).toEqual([[2]]);
  });

  it('the stop function ends the capture and is idempotent', () => {
    const { a, b } = pair();
    const rec = recorder();
    const stop = capture(a, rec);
    a.send(Uint8Array.of(1));
    stop();
    stop();
    a.send(Uint8Array.of(2));
    b.send(Uint8Array.of(3));
    expect(rec.frames).toEqual([[1]]);
  });

  it('a frame the receiver refuses is tx on the sender, never rx on the receiver', () => {
    const { a, b } = pair(() => 'drop');
    const ra = recorder();
    const rb = recorder();
    capture(a, ra);
    capture(b, rb);
    a.send(Uint8Array.of(7));
    expect(ra.frames).toEqual([[7]]);
    expect(rb.frames).toEqual([]);
  });

  it('writes a pcap stream with virtual-clock timestamps for both directions', () => {
    const clock = new VirtualClock();
    const { a, b } = pair();
    const chunks: Uint8Array[] = [];
    const w = new PcapWriter((c) => chunks.push(c), clock);
    capture(a, w);
    clock.advance(1_000_000);
    a.send(new Uint8Array(60).fill(0xaa));
    clock.advance(1_000_000);
    b.send(new Uint8Array(42).fill(0xbb));
    const bytes = Uint8Array.from(chunks.flatMap((c) => [...c]));
    const r = readPcap(bytes);
    expect(r.ok).toBe(true);
    expect(r.records.map((x) => [x.tsNsec, x.data.length, x.data[0]])).toEqual([
      [1_000_000, 60, 0xaa],
      [2_000_000, 42, 0xbb],
    ]);
  });

  it('rejects an unknown direction', () => {
    const { a } = pair();
    expect(() => capture(a, recorder(), { direction: 'up' as never })).toThrow(/direction/);
  });
});
