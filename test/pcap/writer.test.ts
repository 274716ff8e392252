import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { VirtualClock } from '../../src/time/clock.js';
import { PcapWriter, readPcap } from '../../src/pcap/index.js';

function collect(): { chunks: Uint8Array[]; sink: (c: Uint8Array) => void; bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    chunks,
    sink: (c) => chunks.push(c),
    bytes() {
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let o = 0;
      for (const c of chunks) {
        out.set(c, o);
        o += c.length;
      }
      return out;
    },
  };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('PcapWriter', () => {
  it('writes the global header once, on creation (golden bytes)', () => {
    const out = collect();
    const w = new PcapWriter(out.sink, new VirtualClock());
    expect(out.chunks).toHaveLength(1);
    // magic a1b2c3d4 LE, v2.4, thiszone 0, sigfigs 0, snaplen 65536, DLT_EN10MB
    expect(hex(out.chunks[0]!)).toBe('d4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000100' + '01000000');
    expect(w.snaplen).toBe(65536);
    expect(w.records).toBe(0);
  });

  it('writes one record per frame (golden bytes)', () => {
    const out = collect();
    const clock = new VirtualClock(1_500_000_000);
    const w = new PcapWriter(out.sink, clock);
    w.write(Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    expect(out.chunks).toHaveLength(2);
    // ts_sec 1, ts_usec 500000 (0x07a120), incl_len 4, orig_len 4, data
    expect(hex(out.chunks[1]!)).toBe('01000000' + '20a10700' + '04000000' + '04000000' + 'deadbeef');
    expect(w.records).toBe(1);
  });

  it('takes timestamps from the virtual clock: 1.5 s -> ts_sec 1, ts_usec 500000', () => {
    const out = collect();
    const clock = new VirtualClock();
    const w = new PcapWriter(out.sink, clock);
    clock.advance(1_500_000_000);
    w.write(new Uint8Array(60));
    clock.advance(2_000_999_999); // 3.500999999 s: microseconds are truncated, not rounded
    w.write(new Uint8Array(60));
    const r = readPcap(out.bytes());
    expect(r.ok).toBe(true);
    expect(r.records.map((x) => [x.tsSec, x.tsNsec])).toEqual([
      [1, 500_000_000],
      [3, 500_999_000],
    ]);
  });

  it('nanosecond resolution writes magic a1b23c4d and ns fractions', () => {
    const out = collect();
    const clock = new VirtualClock(2_000_000_123);
    const w = new PcapWriter(out.sink, clock, { resolution: 'nsec' });
    w.write(new Uint8Array(14));
    expect(hex(out.chunks[0]!.subarray(0, 4))).toBe('4d3cb2a1');
    expect(hex(out.chunks[1]!.subarray(0, 8))).toBe('02000000' + '7b000000');
    const r = readPcap(out.bytes());
    expect(r.ok && r.header.resolution).toBe('nsec');
    expect(r.records[0]).toMatchObject({ tsSec: 2, tsNsec: 123 });
  });

  it('epochSec shifts every timestamp', () => {
    const out = collect();
    const w = new PcapWriter(out.sink, new VirtualClock(250_000_000), { epochSec: 1_700_000_000 });
    w.write(new Uint8Array(1));
    expect(readPcap(out.bytes()).records[0]).toMatchObject({ tsSec: 1_700_000_000, tsNsec: 250_000_000 });
  });

  it('truncates frames longer than snaplen: incl_len = snaplen, orig_len = frame length', () => {
    const out = collect();
    const w = new PcapWriter(out.sink, new VirtualClock(), { snaplen: 64 });
    const frame = new Uint8Array(1514).map((_, i) => i & 0xff);
    w.write(frame);
    w.write(frame.subarray(0, 60));
    const rec = out.chunks[1]!;
    expect(rec.length).toBe(16 + 64);
    const v = new DataView(rec.buffer);
    expect(v.getUint32(8, true)).toBe(64);
    expect(v.getUint32(12, true)).toBe(1514);
    expect(rec.subarray(16)).toEqual(frame.subarray(0, 64));
    const r = readPcap(out.bytes());
    expect(r.ok).toBe(true);
    expect(r.header?.snaplen).toBe(64);
    expect(r.records.map((x) => [x.data.length, x.origLen])).toEqual([
      [64, 1514],
      [60, 60],
    ]);
  });

  it('the default snaplen 65536 keeps a 65536-byte frame whole and truncates a longer one', () => {
    const out = collect();
    const w = new PcapWriter(out.sink, new VirtualClock());
    w.write(new Uint8Array(65536));
    w.write(new Uint8Array(65537));
    const r = readPcap(out.bytes());
    expect(r.records.map((x) => [x.data.length, x.origLen])).toEqual([
      [65536, 65536],
      [65536, 65537],
    ]);
  });

  it('copies the frame: the caller may reuse its buffer', () => {
    const out = collect();
    const w = new PcapWriter(out.sink, new VirtualClock());
    const buf = Uint8Array.of(1, 2, 3);
    w.write(buf);
    buf.fill(9);
    expect([...out.chunks[1]!.subarray(16)]).toEqual([1, 2, 3]);
  });

  it('rejects invalid options with OptionError', () => {
    const out = collect();
    const c = new VirtualClock();
    expect(() => new PcapWriter(out.sink, c, { snaplen: 0 })).toThrow(OptionError);
    expect(() => new PcapWriter(out.sink, c, { snaplen: 2 ** 32 })).toThrow(OptionError);
    expect(() => new PcapWriter(out.sink, c, { snaplen: 1.5 })).toThrow(OptionError);
    expect(() => new PcapWriter(out.sink, c, { resolution: 'msec' as never })).toThrow(OptionError);
    expect(out.chunks).toHaveLength(0);
  });
});
