/**
 * Reads a classic pcap file from memory, for tests and replay. Both magic
 * numbers (micro- and nanosecond timestamps) in both byte orders are
 * understood. The reader never throws: a short or malformed file gives a
 * typed error together with the records read before the fault, and every
 * walk is bounded by the input length.
 */
import {
  GLOBAL_HEADER_LEN,
  GlobalHeader,
  PCAP_MAGIC_NSEC,
  PCAP_MAGIC_USEC,
  RECORD_HEADER_LEN,
  RecordHeader,
  type TimestampResolution,
} from './format.js';

export interface PcapHeader {
  byteOrder: 'le' | 'be';
  resolution: TimestampResolution;
  versionMajor: number;
  versionMinor: number;
  /** GMT offset of the timestamps (always 0 in practice). */
  thiszone: number;
  sigfigs: number;
  snaplen: number;
  /** The link type (the low 16 bits of the header's network field). */
  linktype: number;
  /** The whole 32-bit network field, including the FCS bits above the link type. */
  network: number;
}

export interface PcapRecord {
  tsSec: number;
  /** Fraction of the second in ns, whatever the file's resolution (as stored: not checked against 1 s). */
  tsNsec: number;
  /** Length of the frame on the wire; `data.length` is the captured length. */
  origLen: number;
  /** The captured bytes: a view into the input, not a copy. */
  data: Uint8Array;
}

export type PcapReadError =
  | { kind: 'truncated-header'; length: number }
  | { kind: 'bad-magic'; magic: number }
  | { kind: 'bad-version'; major: number; minor: number }
  | { kind: 'truncated-record'; index: number; offset: number; need: number; have: number }
  | { kind: 'bad-record'; index: number; offset: number; why: string };

export type PcapReadResult =
  | { ok: true; header: PcapHeader; records: PcapRecord[] }
  | { ok: false; error: PcapReadError; header: PcapHeader | null; records: PcapRecord[] };

/** Largest captured length accepted above the file's own snaplen (libpcap's maximum snapshot length). */
const MAX_INCL_LEN = 262_144;

/** A one-line description of a read error. */
export function describePcapError(e: PcapReadError): string {
  switch (e.kind) {
    case 'truncated-header':
      return `pcap: file too short for the global header (${e.length} of ${GLOBAL_HEADER_LEN} bytes)`;
    case 'bad-magic':
      return `pcap: unknown magic number 0x${e.magic.toString(16).padStart(8, '0')}`;
    case 'bad-version':
      return `pcap: unsupported version ${e.major}.${e.minor}`;
    case 'truncated-record':
      return `pcap: record ${e.index} at offset ${e.offset} is cut short (needs ${e.need} bytes, ${e.have} left)`;
    case 'bad-record':
      return `pcap: record ${e.index} at offset ${e.offset}: ${e.why}`;
    default: {
      const never: never = e;
      return String(never);
    }
  }
}

function parseHeader(bytes: Uint8Array): PcapHeader | PcapReadError {
  if (bytes.length < GLOBAL_HEADER_LEN) return { kind: 'truncated-header', length: bytes.length };
  const v = new DataView(bytes.buffer, bytes.byteOffset, GLOBAL_HEADER_LEN);
  const le = v.getUint32(GlobalHeader.magic, true);
  const be = v.getUint32(GlobalHeader.magic, false);
  let littleEndian: boolean;
  let resolution: TimestampResolution;
  if (le === PCAP_MAGIC_USEC || le === PCAP_MAGIC_NSEC) {
    littleEndian = true;
    resolution = le === PCAP_MAGIC_NSEC ? 'nsec' : 'usec';
  } else if (be === PCAP_MAGIC_USEC || be === PCAP_MAGIC_NSEC) {
    littleEndian = false;
    resolution = be === PCAP_MAGIC_NSEC ? 'nsec' : 'usec';
  } else {
    return { kind: 'bad-magic', magic: le };
  }
  const versionMajor = v.getUint16(GlobalHeader.versionMajor, littleEndian);
  const versionMinor = v.getUint16(GlobalHeader.versionMinor, littleEndian);
  if (versionMajor !== 2) return { kind: 'bad-version', major: versionMajor, minor: versionMinor };
  const network = v.getUint32(GlobalHeader.network, littleEndian);
  return {
    byteOrder: littleEndian ? 'le' : 'be',
    resolution,
    versionMajor,
    versionMinor,
    thiszone: v.getInt32(GlobalHeader.thiszone, littleEndian),
    sigfigs: v.getUint32(GlobalHeader.sigfigs, littleEndian),
    snaplen: v.getUint32(GlobalHeader.snaplen, littleEndian),
    linktype: network & 0xffff,
    network,
  };
}

/** Parse a whole pcap file held in memory. */
export function readPcap(bytes: Uint8Array): PcapReadResult {
  const records: PcapRecord[] = [];
  const header = parseHeader(bytes);
  if ('kind' in header) return { ok: false, error: header, header: null, records };

  const little = header.byteOrder === 'le';
  const fracScale = header.resolution === 'nsec' ? 1 : 1000;
  const maxIncl = Math.max(header.snaplen, MAX_INCL_LEN);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  let off = GLOBAL_HEADER_LEN;
  // Each pass consumes at least RECORD_HEADER_LEN bytes, so the loop is bounded by the input length.
  while (off < bytes.length) {
    const index = records.length;
    const left = bytes.length - off;
    if (left < RECORD_HEADER_LEN) {
      return { ok: false, error: { kind: 'truncated-record', index, offset: off, need: RECORD_HEADER_LEN, have: left }, header, records };
    }
    const tsSec = view.getUint32(off + RecordHeader.tsSec, little);
    const frac = view.getUint32(off + RecordHeader.tsFrac, little);
    const inclLen = view.getUint32(off + RecordHeader.inclLen, little);
    const origLen = view.getUint32(off + RecordHeader.origLen, little);
    const bad = (why: string): PcapReadResult => ({ ok: false, error: { kind: 'bad-record', index, offset: off, why }, header, records });
    if (inclLen > origLen) return bad(`captured length ${inclLen} exceeds original length ${origLen}`);
    if (inclLen > maxIncl) return bad(`captured length ${inclLen} exceeds the snapshot length ${header.snaplen}`);
    if (left < RECORD_HEADER_LEN + inclLen) {
      return { ok: false, error: { kind: 'truncated-record', index, offset: off, need: RECORD_HEADER_LEN + inclLen, have: left }, header, records };
    }
    const start = off + RECORD_HEADER_LEN;
    records.push({ tsSec, tsNsec: frac * fracScale, origLen, data: bytes.subarray(start, start + inclLen) });
    off = start + inclLen;
  }
  return { ok: true, header, records };
}
