import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/clock.js';
import { PcapWriter, describePcapError, readPcap, type PcapReadResult } from '../../src/pcap/index.js';

function writeCapture(frames: Uint8Array[], stepNs = 1_000, resolution: 'usec' | 'nsec' = 'usec'): Uint8Array {
  const chunks: Uint8Array[] = [];
  const clock = new VirtualClock();
  const w = new PcapWriter((c) => chunks.push(c), clock, { resolution });
  for (const f of frames) {
    clock.advance(stepNs);
    w.write(f);
  }
  return Uint8Array.from(chunks.flatMap((c) => [...c]));
}

/** A big-endian file built by hand, as a big-endian host would write it. */
function bigEndianFile(magic: number): Uint8Array {
  const b = new Uint8Array(24 + 16 + 3);
  const v = new DataView(b.buffer);
  v.setUint32(0, magic, false);
  v.setUint16(4, 2, false);
  v.setUint16(6, 4, false);
  v.setUint32(16, 1500, false);
  v.setUint32(20, 1, false);
  v.setUint32(24, 7, false); // ts_sec
  v.setUint32(28, 42, false); // fraction
  v.setUint32(32, 3, false);
  v.setUint32(36, 100, false);
  b.set([9, 8, 7], 40);
  return b;
}

describe('readPcap', () => {
  it('round-trips what PcapWriter writes', () => {
    const frames = [new Uint8Array(60).fill(1), new Uint8Array(1514).fill(2), new Uint8Array(0)];
    const r = readPcap(writeCapture(frames, 250_000));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.header).toEqual({
      byteOrder: 'le',
      resolution: 'usec',
      versionMajor: 2,
      versionMinor: 4,
      thiszone: 0,
      sigfigs: 0,
      snaplen: 65536,
      linktype: 1,
      network: 1,
    });
    expect(r.records.map((x) => x.data)).toEqual(frames);
    expect(r.records.map((x) => x.tsNsec)).toEqual([250_000, 500_000, 750_000]);
  });

  it('reads big-endian files with microsecond and nanosecond magic', () => {
    const us = readPcap(bigEndianFile(0xa1b2c3d4));
    expect(us.ok && us.header).toMatchObject({ byteOrder: 'be', resolution: 'usec', snaplen: 1500, linktype: 1 });
    expect(us.records[0]).toMatchObject({ tsSec: 7, tsNsec: 42_000, origLen: 100 });
    expect([...us.records[0]!.data]).toEqual([9, 8, 7]);
    const ns = readPcap(bigEndianFile(0xa1b23c4d));
    expect(ns.ok && ns.header.resolution).toBe('nsec');
    expect(ns.records[0]?.tsNsec).toBe(42);
  });

  it('an empty capture (header only) has no records', () => {
    const r = readPcap(writeCapture([]));
    expect(r).toMatchObject({ ok: true, records: [] });
  });

  it('a short header is truncated-header', () => {
    const r = readPcap(new Uint8Array(10));
    expect(r).toMatchObject({ ok: false, error: { kind: 'truncated-header', length: 10 }, header: null });
  });

  it('an unknown magic is bad-magic', () => {
    const b = writeCapture([]);
    b[0] = 0x0a;
    b[1] = 0x0d;
    b[2] = 0x0d;
    b[3] = 0x0a; // pcapng section header block
    const r = readPcap(b);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toEqual({ kind: 'bad-magic', magic: 0x0a0d0d0a });
    expect(describePcapError(r.error)).toBe('pcap: unknown magic number 0x0a0d0d0a');
  });

  it('a major version other than 2 is bad-version', () => {
    const b = writeCapture([]);
    b[4] = 3;
    expect(readPcap(b)).toMatchObject({ ok: false, error: { kind: 'bad-version', major: 3, minor: 4 } });
  });

  it('a record whose captured length exceeds its original length is bad-record', () => {
    const b = writeCapture([new Uint8Array(4)]);
    new DataView(b.buffer).setUint32(24 + 12, 2, true);
    const r = readPcap(b);
    expect(r).toMatchObject({ ok: false, error: { kind: 'bad-record', index: 0, offset: 24 } });
  });

  it('every truncation of a valid file is an error carrying the whole records before it', () => {
    const frames = [new Uint8Array(60).fill(1), new Uint8Array(61).fill(2)];
    const full = writeCapture(frames);
    const firstEnd = 24 + 16 + 60;
    for (let n = 0; n < full.length; n++) {
      const r = readPcap(full.subarray(0, n));
      if (n === 24 || n === firstEnd) {
        expect(r.ok, `prefix of ${n} bytes ends on a record boundary`).toBe(true);
        continue;
      }
      expect(r.ok, `prefix of ${n} bytes`).toBe(false);
      if (r.ok) continue;
      expect(r.error.kind).toBe(n < 24 ? 'truncated-header' : 'truncated-record');
      expect(r.records.length).toBe(n > firstEnd ? 1 : 0);
      expect(describePcapError(r.error)).toMatch(/^pcap: /);
    }
  });

  it('never throws on arbitrary bytes, and reads at most one record per 16 bytes', () => {
    const header = writeCapture([]);
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      // a valid header followed by garbage reaches the record parser
      fc.uint8Array({ maxLength: 300 }).map((tail) => Uint8Array.from([...header, ...tail])),
      // big-endian header followed by garbage
      fc.uint8Array({ maxLength: 300 }).map((tail) => Uint8Array.from([...bigEndianFile(0xa1b23c4d).subarray(0, 24), ...tail])),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        let r: PcapReadResult | undefined;
        expect(() => {
          r = readPcap(bytes);
        }).not.toThrow();
        expect(r!.records.length).toBeLessThanOrEqual(Math.max(0, bytes.length - 24) / 16);
        if (!r!.ok) expect(typeof describePcapError(r!.error)).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a view into a larger buffer (non-zero byteOffset)', () => {
    const file = writeCapture([Uint8Array.of(5, 6)]);
    const big = new Uint8Array(file.length + 7);
    big.set(file, 7);
    const r = readPcap(big.subarray(7));
    expect(r.ok).toBe(true);
    expect([...r.records[0]!.data]).toEqual([5, 6]);
  });
});
