/**
 * Writes frames as a classic pcap stream (QEMU net/dump.c, smoltcp
 * `PcapWriter`): the global header once, on creation, then a record per
 * frame stamped with the injected clock's time. The output goes to a sink,
 * one chunk per header or record, so a file, a memory buffer or a browser
 * download can all take it.
 */
import { OptionError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import {
  DEFAULT_SNAPLEN,
  DLT_EN10MB,
  GLOBAL_HEADER_LEN,
  GlobalHeader,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
  RECORD_HEADER_LEN,
  RecordHeader,
  magicFor,
  type TimestampResolution,
} from './format.js';

/**
 * Takes each chunk of output. A chunk is freshly allocated and never touched
 * again by the writer, so the sink may keep it.
 */
export type PcapSink = (chunk: Uint8Array) => void;

/** Anything that records frames: a `PcapWriter`, or a test double. */
export interface FrameRecorder {
  write(frame: Uint8Array): void;
}

export interface PcapWriterOptions {
  /** Longest stored prefix of a frame (1 .. 2^32-1); default 65536 as QEMU's dump. */
  snaplen?: number;
  /** Timestamp resolution; `nsec` writes magic 0xa1b23c4d. Default `usec`. */
  resolution?: TimestampResolution;
  /** Link type of the file; default DLT_EN10MB (1). */
  linktype?: number;
  /**
   * Seconds added to every timestamp, e.g. the wall-clock time at which the
   * virtual clock read 0, so that tools show a real date. Default 0.
   */
  epochSec?: number;
}

const NS_PER_SEC = 1_000_000_000;
const U32_MAX = 0xffff_ffff;

function checkU32(what: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min || v > U32_MAX) {
    throw new OptionError(`pcap ${what} must be an integer in ${min}..${U32_MAX}, got ${v}`);
  }
  return v;
}

export class PcapWriter implements FrameRecorder {
  readonly snaplen: number;
  readonly resolution: TimestampResolution;
  readonly linktype: number;
  readonly epochSec: number;
  private recordCount = 0;

  constructor(
    private readonly sink: PcapSink,
    private readonly clock: Clock,
    opts: PcapWriterOptions = {},
  ) {
    this.snaplen = checkU32('snaplen', opts.snaplen ?? DEFAULT_SNAPLEN, 1);
    this.linktype = checkU32('linktype', opts.linktype ?? DLT_EN10MB, 0);
    this.epochSec = checkU32('epochSec', opts.epochSec ?? 0, 0);
    const res = opts.resolution ?? 'usec';
    if (res !== 'usec' && res !== 'nsec') throw new OptionError(`pcap resolution must be 'usec' or 'nsec', got ${String(res)}`);
    this.resolution = res;

    const h = new Uint8Array(GLOBAL_HEADER_LEN);
    const v = new DataView(h.buffer);
    v.setUint32(GlobalHeader.magic, magicFor(res), true);
    v.setUint16(GlobalHeader.versionMajor, PCAP_VERSION_MAJOR, true);
    v.setUint16(GlobalHeader.versionMinor, PCAP_VERSION_MINOR, true);
    v.setInt32(GlobalHeader.thiszone, 0, true);
    v.setUint32(GlobalHeader.sigfigs, 0, true);
    v.setUint32(GlobalHeader.snaplen, this.snaplen, true);
    v.setUint32(GlobalHeader.network, this.linktype, true);
    this.sink(h);
  }

  /** Frames recorded so far. */
  get records(): number {
    return this.recordCount;
  }

  /** Record one frame, stamped with the clock's current time. */
  write(frame: Uint8Array): void {
    this.writeAt(this.clock.now(), frame);
  }

  /** Record one frame with an explicit time in ns (replay, merging captures). */
  writeAt(timeNs: number, frame: Uint8Array): void {
    const ns = Number.isFinite(timeNs) && timeNs > 0 ? Math.floor(timeNs) : 0;
    const sec = Math.floor(ns / NS_PER_SEC);
    const fracNs = ns - sec * NS_PER_SEC;
    const frac = this.resolution === 'nsec' ? fracNs : Math.floor(fracNs / 1000);
    const incl = Math.min(frame.length, this.snaplen);

    const rec = new Uint8Array(RECORD_HEADER_LEN + incl);
    const v = new DataView(rec.buffer);
    // ts_sec is 32 bits: it wraps in 2106, as in every classic pcap writer.
    v.setUint32(RecordHeader.tsSec, (sec + this.epochSec) >>> 0, true);
    v.setUint32(RecordHeader.tsFrac, frac, true);
    v.setUint32(RecordHeader.inclLen, incl, true);
    v.setUint32(RecordHeader.origLen, frame.length, true);
    rec.set(incl === frame.length ? frame : frame.subarray(0, incl), RECORD_HEADER_LEN);
    this.recordCount++;
    this.sink(rec);
  }
}
