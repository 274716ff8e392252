/**
 * struct virtio_net_hdr (virtio 1.2 §5.1.6): 10 bytes for a legacy driver
 * without MRG_RXBUF, 12 (num_buffers included) with MRG_RXBUF or VERSION_1.
 *
 *   0 flags u8   1 gso_type u8   2 hdr_len   4 gso_size   6 csum_start
 *   8 csum_offset   10 num_buffers (all le16)
 */
import { le16, setLe16 } from './bytes.js';

export const VNET_HDR_F_NEEDS_CSUM = 1;
export const VNET_HDR_F_DATA_VALID = 2;
export const VNET_HDR_F_RSC_INFO = 4;

export const VNET_HDR_GSO = {
  NONE: 0,
  TCPV4: 1,
  UDP: 3,
  TCPV6: 4,
  UDP_L4: 5,
  ECN: 0x80,
} as const;

export const VNET_HDR_LEN_LEGACY = 10;
export const VNET_HDR_LEN = 12;

export const HDR = { FLAGS: 0, GSO_TYPE: 1, HDR_LEN: 2, GSO_SIZE: 4, CSUM_START: 6, CSUM_OFFSET: 8, NUM_BUFFERS: 10 } as const;

/** A header's fields (TX). */
export interface VnetHdr {
  flags: number;
  gsoType: number;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
}

export function parseHdr(b: Uint8Array, out: VnetHdr): VnetHdr {
  out.flags = b[HDR.FLAGS]!;
  out.gsoType = b[HDR.GSO_TYPE]!;
  out.hdrLen = le16(b, HDR.HDR_LEN);
  out.gsoSize = le16(b, HDR.GSO_SIZE);
  out.csumStart = le16(b, HDR.CSUM_START);
  out.csumOffset = le16(b, HDR.CSUM_OFFSET);
  return out;
}

/** Write a header's fields into `b` (num_buffers, where there is one, is left as it is). */
export function writeHdr(b: Uint8Array, h: VnetHdr): void {
  b[HDR.FLAGS] = h.flags;
  b[HDR.GSO_TYPE] = h.gsoType;
  setLe16(b, HDR.HDR_LEN, h.hdrLen);
  setLe16(b, HDR.GSO_SIZE, h.gsoSize);
  setLe16(b, HDR.CSUM_START, h.csumStart);
  setLe16(b, HDR.CSUM_OFFSET, h.csumOffset);
}

export function newHdr(): VnetHdr {
  return { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 };
}
