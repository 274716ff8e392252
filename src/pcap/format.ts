/**
 * The classic libpcap file format: a 24-byte global header, then one 16-byte
 * record header before each captured frame. Every field is a 32- or 16-bit
 * integer in the byte order of the writer; the magic number tells a reader
 * which order that was, and whether the fraction of a second counts
 * microseconds or nanoseconds (draft-ietf-opsawg-pcap, "File Header" and
 * "Packet Record").
 */

/** Magic number of files whose timestamps carry microseconds. */
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
/** Magic number of files whose timestamps carry nanoseconds. */
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;

export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;

/** LINKTYPE_ETHERNET / DLT_EN10MB. */
export const DLT_EN10MB = 1;

/** Default snapshot length: QEMU's `filter-dump`/`-net dump` default `maxlen`. */
export const DEFAULT_SNAPLEN = 65_536;

export const GLOBAL_HEADER_LEN = 24;
export const RECORD_HEADER_LEN = 16;

/** Field offsets of the global header. */
export const GlobalHeader = {
  magic: 0,
  versionMajor: 4,
  versionMinor: 6,
  thiszone: 8,
  sigfigs: 12,
  snaplen: 16,
  network: 20,
} as const;

/** Field offsets of a record header. */
export const RecordHeader = {
  tsSec: 0,
  tsFrac: 4,
  inclLen: 8,
  origLen: 12,
} as const;

/** What the fraction-of-a-second field counts. */
export type TimestampResolution = 'usec' | 'nsec';

export function magicFor(resolution: TimestampResolution): number {
  return resolution === 'nsec' ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC;
}
