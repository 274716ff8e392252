export {
  PCAP_MAGIC_USEC,
  PCAP_MAGIC_NSEC,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
  DLT_EN10MB,
  DEFAULT_SNAPLEN,
  GLOBAL_HEADER_LEN,
  RECORD_HEADER_LEN,
  type TimestampResolution,
} from './format.js';
export { PcapWriter, type PcapSink, type PcapWriterOptions, type FrameRecorder } from './writer.js';
export { capture, type CaptureDirection, type CaptureOptions } from './capture.js';
export { readPcap, describePcapError, type PcapHeader, type PcapRecord, type PcapReadError, type PcapReadResult } from './reader.js';
