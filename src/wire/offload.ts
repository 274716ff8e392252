/**
 * NIC offload work done in software: checksum insertion (e1000 context
 * descriptors, virtio partial checksums), TCP segmentation (TSO), UDP
 * fragmentation (UFO) and receive checksum validation.
 *
 * Everything here takes guest-controlled offsets and headers, so every offset
 * is checked against the frame before use and nothing throws: a request that
 * does not fit the frame does nothing (`false`) or comes back as a
 * `WireError`. Refusing headers whose lengths disagree with the frame is what
 * CVE-2015-5165 (rtl8139 C+ TSO reading past its buffer) was missing.
 */
import { be16, be32, setBe16, setBe32 } from './bytes.js';
import { checksumFinish, checksumFinishNonZero, internetChecksum, onesSum, pseudoHeaderSumAt } from './checksum.js';
import { EtherType } from './ethernet.js';
import { type WireError, isWireError, malformed, tooMany, truncated } from './error.js';
import { IpProtocol } from './ip.js';
import { IPV4_HEADER_LEN, Ipv4Field, ipv4CopiedOptions } from './ipv4.js';
import { IPV6_FRAGMENT_HEADER_LEN, IPV6_HEADER_LEN, type Ipv6ExtWalk, Ipv6Field, walkIpv6Extensions } from './ipv6.js';
import { TCP_HEADER_LEN, TcpField, TcpFlags } from './tcp.js';
import { UDP_HEADER_LEN, UdpField } from './udp.js';
import { VNET_HDR_F_NEEDS_CSUM, VNET_HDR_GSO, type VnetHdr } from './vnet-hdr.js';

function isOffset(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

// ---------------------------------------------------------------------------
// Offload work handed over whole.

/**
 * What is left to do on a frame handed over whole (`NetClient.sendOffloaded`),
 * after the virtio-net header a NIC gets from its driver (virtio 1.2
 * §5.1.6.2), as QEMU passes it to a tap opened with IFF_VNET_HDR:
 * - `csumStart`/`csumOffset`: the transport checksum at csumStart +
 *   csumOffset holds only the pseudo-header sum (the driver's NEEDS_CSUM);
 *   -1: the frame's checksums are complete;
 * - `gso`: the frame is one TCP segment, larger than the link's MTU, that a
 *   wire would carry cut into segments of `gsoSize` payload bytes each
 *   ('none': an ordinary frame).
 * Valid during the call only (senders reuse it).
 */
export interface FrameOffload {
  csumStart: number;
  csumOffset: number;
  gso: 'none' | 'tcpv4' | 'tcpv6';
  gsoSize: number;
}

/** A `FrameOffload` for a sender to fill and reuse. */
export function newFrameOffload(): FrameOffload {
  return { csumStart: -1, csumOffset: 0, gso: 'none', gsoSize: 0 };
}

/**
 * Whether `o` describes `frame`, as a receiver that takes the frame whole
 * must know: the partial checksum is the TCP or UDP checksum of the datagram
 * the (untagged) frame carries (`partialL4Checksum`), and a GSO frame is a
 * TCP segment of the IP version its type names, with a gso_size, whose IP
 * header describes the whole frame (length field and, for IPv4, header
 * checksum: a segmenter would rewrite them per segment, so the receiver
 * trusts them from here on). Returns that protocol, or -1.
 */
export function checkOffload(frame: Uint8Array, o: FrameOffload): number {
  if (o.csumStart < 0) return -1;
  const proto = partialL4Checksum(frame, o.csumStart, o.csumOffset);
  if (proto < 0 || o.gso === 'none') return proto;
  const v4 = be16(frame, 12) === EtherType.IPV4;
  if (proto !== IpProtocol.TCP || (o.gso === 'tcpv4') !== v4 || o.gsoSize < 1 || o.gsoSize > 0xffff) return -1;
  const n = frame.length - 14;
  if (v4 ? be16(frame, 14 + Ipv4Field.LENGTH) !== n || onesSum(frame, 14, o.csumStart) !== 0xffff : be16(frame, 14 + Ipv6Field.LENGTH) !== n - IPV6_HEADER_LEN) return -1;
  return proto;
}

/**
 * The virtio-net header that hands `o`'s work over with its frame (virtio
 * 1.2 §5.1.6.4 towards a driver, IFF_VNET_HDR towards a kernel):
 * NEEDS_CSUM, csum_start/offset, hdr_len, and for GSO the type (with the
 * ECN bit when the frame has CWR set) and gso_size. False, `out` unusable,
 * when `o` does not describe `frame` (`checkOffload`).
 */
export function offloadToHdr(frame: Uint8Array, o: FrameOffload, out: VnetHdr): boolean {
  if (checkOffload(frame, o) < 0) return false;
  const start = o.csumStart;
  out.flags = VNET_HDR_F_NEEDS_CSUM;
  out.csumStart = start;
  out.csumOffset = o.csumOffset;
  if (o.gso === 'none') {
    out.gsoType = VNET_HDR_GSO.NONE;
    out.gsoSize = 0;
    out.hdrLen = start + o.csumOffset + 2;
    return true;
  }
  out.hdrLen = start + ((frame[start + TcpField.DATA_OFF]! >>> 4) << 2);
  if (out.hdrLen < start + TCP_HEADER_LEN || out.hdrLen > frame.length) return false;
  out.gsoType = (o.gso === 'tcpv4' ? VNET_HDR_GSO.TCPV4 : VNET_HDR_GSO.TCPV6) | (frame[start + TcpField.FLAGS]! & TcpFlags.CWR ? VNET_HDR_GSO.ECN : 0);
  out.gsoSize = o.gsoSize;
  return true;
}

/**
 * The offload info of a header whose work can be handed over whole: NEEDS_CSUM
 * without GSO, or with TCP GSO and a gso_size. False otherwise (UDP GSO, GSO
 * without NEEDS_CSUM, no work at all): the frame is finished in software.
 */
export function hdrToOffload(hdr: VnetHdr, out: FrameOffload): boolean {
  if ((hdr.flags & VNET_HDR_F_NEEDS_CSUM) === 0) return false;
  const gso = hdr.gsoType & ~VNET_HDR_GSO.ECN;
  const kind = gso === VNET_HDR_GSO.NONE ? 'none' : gso === VNET_HDR_GSO.TCPV4 ? 'tcpv4' : gso === VNET_HDR_GSO.TCPV6 ? 'tcpv6' : undefined;
  if (kind === undefined || (kind !== 'none' && hdr.gsoSize === 0)) return false;
  out.csumStart = hdr.csumStart;
  out.csumOffset = hdr.csumOffset;
  out.gso = kind;
  out.gsoSize = kind === 'none' ? 0 : hdr.gsoSize;
  return true;
}

// ---------------------------------------------------------------------------
// Checksum insertion.

/**
 * e1000-style checksum offload (8254x SDM, TCP/IP context descriptor
 * fields CSS/CSO/CSE): the Internet checksum of frame[css..cse] (CSE inclusive; 0, or
 * past the end, means "to the end of the frame") is stored big-endian at
 * `cso`. Whatever the field holds (the pseudo-header sum the driver put
 * there, or zero) is part of the sum. A result of 0 is stored as 0xffff, as
 * QEMU does. Returns false, changing nothing, when CSS is not before the end
 * or the field does not fit in the frame.
 */
export function insertChecksum(frame: Uint8Array, css: number, cso: number, cse = 0): boolean {
  if (!isOffset(css) || !isOffset(cso) || !isOffset(cse)) return false;
  const end = cse !== 0 && cse < frame.length ? cse + 1 : frame.length;
  if (css >= end || cso + 2 > frame.length) return false;
  setBe16(frame, cso, checksumFinishNonZero(onesSum(frame, css, end)));
  return true;
}

/**
 * virtio-net VIRTIO_NET_HDR_F_NEEDS_CSUM completion (virtio 1.2 §5.1.6.2):
 * checksum frame[csumStart..end] (the field at csumStart + csumOffset already
 * holds the pseudo-header sum) and store it there. 0 is stored as 0xffff,
 * as Linux does (`CSUM_MANGLED_0`). Returns false, changing nothing, when
 * the field does not lie inside the frame.
 */
export function completeChecksum(frame: Uint8Array, csumStart: number, csumOffset: number): boolean {
  if (!isOffset(csumStart) || !isOffset(csumOffset)) return false;
  const at = csumStart + csumOffset;
  if (csumStart >= frame.length || at + 2 > frame.length) return false;
  setBe16(frame, at, checksumFinishNonZero(onesSum(frame, csumStart, frame.length)));
  return true;
}

// ---------------------------------------------------------------------------
// Shared header checks for TSO and UFO.

export interface SegmentOptions {
  /** Offset of the IP header in the frame (14, or 18 behind a VLAN tag). */
  l3Offset: number;
  /** Offset of the TCP/UDP header: l3Offset + IHL×4 for IPv4, past any extension headers for IPv6. */
  l4Offset: number;
  /** TSO: most payload bytes per segment. UFO: most fragmentable bytes per fragment (rounded down to a multiple of 8). */
  mss: number;
  ipv6: boolean;
  /**
   * Where the payload ends: false (default) at the end of the frame, as e1000
   * and virtio do; true at the IP header's length, as rtl8139 does. Either way
   * a non-zero IP length that disagrees with the headers or runs past the
   * frame is refused (e1000 drivers leave the IPv4 total length 0).
   */
  useIpLength?: boolean;
  /** Refuse a frame that would need more segments than this (default 65536). */
  maxSegments?: number;
}

export interface UfoOptions extends SegmentOptions {
  /** Identification for the IPv6 Fragment header (from the caller's source: no hidden randomness). Default 0. */
  fragmentId?: number;
}

const DEFAULT_MAX_SEGMENTS = 65536;

interface Layout {
  l3: number;
  l4: number;
  /** End of the L4 header (TSO) or of the UDP header (UFO). */
  hdrEnd: number;
  /** End of the data to split. */
  end: number;
  ipHeaderLen: number;
  /** IPv6 only: the extension-header walk that reached the L4 header. */
  walk?: Ipv6ExtWalk;
}

/** Validate the IP and TCP/UDP headers of `frame` for segmentation against each other and the frame. */
function layout(frame: Uint8Array, o: SegmentOptions, protocol: number): Layout | WireError {
  const { l3Offset: l3, l4Offset: l4, mss } = o;
  if (!isOffset(l3)) return malformed('offload', 'l3-offset', l3);
  if (!isOffset(l4)) return malformed('offload', 'l4-offset', l4);
  if (!Number.isSafeInteger(mss) || mss < 1) return malformed('offload', 'mss', mss);
  const n = frame.length;
  let ipHeaderLen: number;
  let ipEnd: number; // from the IP length field, or 0 when the field is 0
  let walk: Ipv6ExtWalk | undefined;
  if (!o.ipv6) {
    if (l3 + IPV4_HEADER_LEN > n) return truncated('ipv4', l3 + IPV4_HEADER_LEN, n);
    const vihl = frame[l3]!;
    if (vihl >>> 4 !== 4) return malformed('ipv4', 'version', vihl >>> 4);
    ipHeaderLen = (vihl & 0x0f) * 4;
    if (ipHeaderLen < IPV4_HEADER_LEN) return malformed('ipv4', 'ihl', vihl & 0x0f);
    if (l3 + ipHeaderLen > n) return truncated('ipv4', l3 + ipHeaderLen, n);
    if (l4 !== l3 + ipHeaderLen) return malformed('offload', 'l4-offset', l4);
    const proto = frame[l3 + Ipv4Field.PROTOCOL]!;
    if (proto !== protocol) return malformed('offload', 'protocol', proto);
    const tl = be16(frame, l3 + Ipv4Field.LENGTH);
    ipEnd = tl === 0 ? 0 : l3 + tl;
  } else {
    if (l3 + IPV6_HEADER_LEN > n) return truncated('ipv6', l3 + IPV6_HEADER_LEN, n);
    const version = frame[l3]! >>> 4;
    if (version !== 6) return malformed('ipv6', 'version', version);
    ipHeaderLen = IPV6_HEADER_LEN;
    const pl = be16(frame, l3 + Ipv6Field.LENGTH);
    ipEnd = pl === 0 ? 0 : l3 + IPV6_HEADER_LEN + pl;
    const w = walkIpv6Extensions(frame, l3, ipEnd !== 0 && ipEnd < n ? ipEnd : n);
    if (isWireError(w)) return w;
    walk = w;
    if (walk.fragment) return malformed('offload', 'already-fragmented', walk.fragment.headerOffset);
    if (walk.protocol !== protocol) return malformed('offload', 'protocol', walk.protocol);
    if (walk.offset !== l4) return malformed('offload', 'l4-offset', l4);
  }
  let hdrEnd: number;
  if (protocol === IpProtocol.TCP) {
    if (l4 + TCP_HEADER_LEN > n) return truncated('tcp', l4 + TCP_HEADER_LEN, n);
    const doff = frame[l4 + TcpField.DATA_OFF]! >>> 4;
    if (doff < 5) return malformed('tcp', 'data-offset', doff);
    hdrEnd = l4 + doff * 4;
    if (hdrEnd > n) return truncated('tcp', hdrEnd, n);
  } else {
    hdrEnd = l4 + UDP_HEADER_LEN;
    if (hdrEnd > n) return truncated('udp', hdrEnd, n);
  }
  if (ipEnd !== 0) {
    if (ipEnd < hdrEnd) {
      return o.ipv6 ? malformed('ipv6', 'payload-length', ipEnd - l3 - IPV6_HEADER_LEN) : malformed('ipv4', 'total-length', ipEnd - l3);
    }
    if (ipEnd > n) return truncated(o.ipv6 ? 'ipv6' : 'ipv4', ipEnd, n);
  } else if (o.useIpLength) {
    return malformed(o.ipv6 ? 'ipv6' : 'ipv4', o.ipv6 ? 'payload-length' : 'total-length', 0);
  }
  const end = o.useIpLength ? ipEnd : n;
  return walk ? { l3, l4, hdrEnd, end, ipHeaderLen, walk } : { l3, l4, hdrEnd, end, ipHeaderLen };
}

// ---------------------------------------------------------------------------
// TSO.

/** A validated TSO job: how `frame` splits into segments. */
export interface TsoPlan {
  readonly l3Offset: number;
  readonly l4Offset: number;
  readonly ipv6: boolean;
  /** Bytes of headers (Ethernet through TCP options) copied into every segment. */
  readonly headerLen: number;
  readonly payloadLen: number;
  readonly mss: number;
  readonly segments: number;
}

/** Check a TSO request against its frame; a plan, or why it is refused. */
export function planTso(frame: Uint8Array, o: SegmentOptions): TsoPlan | WireError {
  const lay = layout(frame, o, IpProtocol.TCP);
  if (isWireError(lay)) return lay;
  const payloadLen = lay.end - lay.hdrEnd;
  const segments = Math.max(1, Math.ceil(payloadLen / o.mss));
  const max = o.maxSegments ?? DEFAULT_MAX_SEGMENTS;
  if (segments > max) return tooMany('offload', 'segments', max);
  const biggest = lay.hdrEnd - lay.l3 - (o.ipv6 ? IPV6_HEADER_LEN : 0) + Math.min(payloadLen, o.mss);
  if (biggest > 0xffff) return malformed('offload', 'segment-length', biggest);
  return { l3Offset: lay.l3, l4Offset: lay.l4, ipv6: o.ipv6, headerLen: lay.hdrEnd, payloadLen, mss: o.mss, segments };
}

/** Length of segment `i` of a plan. */
export function tsoSegmentLen(plan: TsoPlan, i: number): number {
  const start = i * plan.mss;
  return plan.headerLen + Math.min(plan.mss, plan.payloadLen - start);
}

/**
 * Write segment `i` (0-based) of `plan` into `out` (at least
 * `tsoSegmentLen(plan, i)` bytes); returns its length. The headers are
 * copied and then fixed: IPv4 total length, identification (+i) and header
 * checksum, or IPv6 payload length; TCP sequence number (+ i × mss); FIN and
 * PSH only on the last segment and CWR only on the first (as Linux GSO);
 * TCP checksum computed afresh over the segment's pseudo-header.
 */
export function writeTsoSegment(frame: Uint8Array, plan: TsoPlan, i: number, out: Uint8Array): number {
  const { l3Offset: l3, l4Offset: l4, headerLen: hl } = plan;
  const start = i * plan.mss;
  const segLen = Math.min(plan.mss, plan.payloadLen - start);
  const len = hl + segLen;
  out.set(frame.subarray(0, hl));
  out.set(frame.subarray(hl + start, hl + start + segLen), hl);
  if (!plan.ipv6) {
    setBe16(out, l3 + Ipv4Field.LENGTH, len - l3);
    setBe16(out, l3 + Ipv4Field.IDENT, (be16(frame, l3 + Ipv4Field.IDENT) + i) & 0xffff);
    setBe16(out, l3 + Ipv4Field.CHECKSUM, 0);
    setBe16(out, l3 + Ipv4Field.CHECKSUM, internetChecksum(out, l3, l4));
  } else {
    setBe16(out, l3 + Ipv6Field.LENGTH, len - l3 - IPV6_HEADER_LEN);
  }
  setBe32(out, l4 + TcpField.SEQ_NUM, (be32(frame, l4 + TcpField.SEQ_NUM) + start) >>> 0);
  let flags = frame[l4 + TcpField.FLAGS]!;
  if (i !== plan.segments - 1) flags &= ~(TcpFlags.FIN | TcpFlags.PSH);
  if (i !== 0) flags &= ~TcpFlags.CWR;
  out[l4 + TcpField.FLAGS] = flags;
  setBe16(out, l4 + TcpField.CHECKSUM, 0);
  const ph = plan.ipv6
    ? pseudoHeaderSumAt(out, l3 + Ipv6Field.SRC, l3 + IPV6_HEADER_LEN, IpProtocol.TCP, len - l4)
    : pseudoHeaderSumAt(out, l3 + Ipv4Field.SRC, l3 + IPV4_HEADER_LEN, IpProtocol.TCP, len - l4);
  setBe16(out, l4 + TcpField.CHECKSUM, checksumFinish(onesSum(out, l4, len, ph)));
  return len;
}

/**
 * Software TSO: split one large TCP frame (IPv4 or IPv6) into frames of at
 * most `mss` payload bytes each. Returns fresh arrays, or a WireError (and
 * nothing else happens) when the headers are inconsistent with the frame.
 */
export function segmentTcp(frame: Uint8Array, o: SegmentOptions): Uint8Array[] | WireError {
  const plan = planTso(frame, o);
  if (isWireError(plan)) return plan;
  const out: Uint8Array[] = [];
  for (let i = 0; i < plan.segments; i++) {
    const seg = new Uint8Array(tsoSegmentLen(plan, i));
    writeTsoSegment(frame, plan, i, seg);
    out.push(seg);
  }
  return out;
}

/**
 * As `segmentTcp`, handing each segment to `sink` in a scratch buffer that is
 * reused for the next one (copy it if you keep it). Validation happens before
 * the first call, so a refused frame produces no segments. Returns the count.
 */
export function forEachTcpSegment(
  frame: Uint8Array,
  o: SegmentOptions,
  sink: (segment: Uint8Array, index: number) => void,
): number | WireError {
  const plan = planTso(frame, o);
  if (isWireError(plan)) return plan;
  const scratch = new Uint8Array(plan.headerLen + Math.min(plan.mss, plan.payloadLen));
  for (let i = 0; i < plan.segments; i++) {
    const len = writeTsoSegment(frame, plan, i, scratch);
    sink(scratch.subarray(0, len), i);
  }
  return plan.segments;
}

// ---------------------------------------------------------------------------
// A virtio-net header's GSO request.

/** Offset of the IP header after up to two VLAN tags (802.1Q, 802.1ad), and the ethertype there. */
export function l3Of(frame: Uint8Array): { l3: number; type: number } {
  let l3 = 14;
  let type = frame.length >= 14 ? be16(frame, 12) : 0;
  for (let tags = 0; tags < 2 && (type === EtherType.VLAN || type === EtherType.QINQ) && l3 + 4 <= frame.length; tags++) {
    type = be16(frame, l3 + 2);
    l3 += 4;
  }
  return { l3, type };
}

/**
 * Software GSO for a frame whose virtio-net header asks for it (virtio 1.2
 * §5.1.6.2 item 3; a tap with IFF_VNET_HDR uses the same header): TCP
 * segmentation (GSO_TCPV4/TCPV6) or UDP fragmentation (GSO_UDP), every
 * piece with its checksum. The transport header is at csum_start when
 * NEEDS_CSUM is set, else found from the IP header. `sink` gets each piece
 * (TCP pieces in a reused scratch buffer: copy what you keep). Returns the
 * number of pieces, or a WireError (nothing sent) when the request does not
 * fit the frame: an IP version other than the GSO type's, a zero gso_size,
 * inconsistent headers.
 */
export function segmentByVnetHdr(frame: Uint8Array, hdr: VnetHdr, fragmentId: number, sink: (piece: Uint8Array) => void): number | WireError {
  const gso = hdr.gsoType & ~VNET_HDR_GSO.ECN;
  const { l3, type } = l3Of(frame);
  const ipv6 = type === EtherType.IPV6;
  const ipOk = (gso === VNET_HDR_GSO.TCPV4 && type === EtherType.IPV4) || (gso === VNET_HDR_GSO.TCPV6 && ipv6) || (gso === VNET_HDR_GSO.UDP && (ipv6 || type === EtherType.IPV4));
  if (!ipOk) return malformed('offload', 'gso-type', hdr.gsoType);
  if (hdr.gsoSize === 0) return malformed('offload', 'mss', 0);
  let l4: number;
  if (hdr.flags & VNET_HDR_F_NEEDS_CSUM) l4 = hdr.csumStart;
  else if (!ipv6) l4 = l3 + ((frame[l3]! & 0x0f) << 2);
  else {
    const w = walkIpv6Extensions(frame, l3);
    if (isWireError(w)) return w;
    l4 = w.offset;
  }
  const opts = { l3Offset: l3, l4Offset: l4, mss: hdr.gsoSize, ipv6 };
  if (gso === VNET_HDR_GSO.UDP) {
    const pieces = segmentUdp(frame, { ...opts, fragmentId });
    if (isWireError(pieces)) return pieces;
    for (const p of pieces) sink(p);
    return pieces.length;
  }
  return forEachTcpSegment(frame, opts, sink);
}

// ---------------------------------------------------------------------------
// UFO.

/** UDP checksum of the datagram frame[l4..end], computed with its checksum field as zero. */
function udpChecksum(frame: Uint8Array, l3: number, l4: number, end: number, ipv6: boolean, udpLen: number): number {
  const ph = ipv6
    ? pseudoHeaderSumAt(frame, l3 + Ipv6Field.SRC, l3 + IPV6_HEADER_LEN, IpProtocol.UDP, udpLen)
    : pseudoHeaderSumAt(frame, l3 + Ipv4Field.SRC, l3 + IPV4_HEADER_LEN, IpProtocol.UDP, udpLen);
  // Header with the length field as it will be sent and the checksum as zero.
  let s = onesSum(frame, l4, l4 + UdpField.LENGTH, ph);
  s = onesSum(frame, l4 + UDP_HEADER_LEN, end, s + udpLen);
  return checksumFinishNonZero(s);
}

/**
 * Software UFO: fill in the UDP length and checksum of one large datagram,
 * then fragment it at the IP layer — IPv4 fragments (RFC 791 §3.2: same
 * identification, MF on all but the last, only "copied" options after the
 * first) or IPv6 fragments with a Fragment header after the unfragmentable
 * part (RFC 8200 §4.5). Each fragment carries at most `mss` rounded down to
 * a multiple of 8 bytes of fragmentable data. A datagram that already fits is
 * sent whole. IPv4 with DF set, an already fragmented packet, or headers
 * inconsistent with the frame are refused.
 */
export function segmentUdp(frame: Uint8Array, o: UfoOptions): Uint8Array[] | WireError {
  const lay = layout(frame, o, IpProtocol.UDP);
  if (isWireError(lay)) return lay;
  const { l3, l4, end } = lay;
  const udpLen = end - l4;
  if (udpLen > 0xffff) return malformed('udp', 'length', udpLen);
  const csum = udpChecksum(frame, l3, l4, end, o.ipv6, udpLen);
  const unit = o.mss & ~7;
  const max = o.maxSegments ?? DEFAULT_MAX_SEGMENTS;

  if (!o.ipv6) {
    const flg = be16(frame, l3 + Ipv4Field.FLG_OFF);
    if (flg & 0x4000) return malformed('ipv4', 'dont-fragment', 1);
    if (flg & 0x3fff) return malformed('offload', 'already-fragmented', flg & 0x3fff);
    const hl = lay.ipHeaderLen;
    if (hl + udpLen > 0xffff) return malformed('offload', 'datagram-length', hl + udpLen);
    const whole = udpLen <= o.mss;
    if (!whole && unit < 8) return malformed('offload', 'mss', o.mss);
    const count = whole ? 1 : Math.ceil(udpLen / unit);
    if (count > max) return tooMany('offload', 'segments', max);
    let laterOpts: Uint8Array | undefined;
    if (!whole && hl > IPV4_HEADER_LEN) {
      const copied = ipv4CopiedOptions(frame.subarray(l3 + IPV4_HEADER_LEN, l3 + hl));
      if (isWireError(copied)) return copied;
      laterOpts = copied;
    }
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const off = whole ? 0 : i * unit;
      const dataLen = whole ? udpLen : Math.min(unit, udpLen - off);
      const ihl = i === 0 ? hl : IPV4_HEADER_LEN + (laterOpts?.length ?? 0);
      const seg = new Uint8Array(l3 + ihl + dataLen);
      seg.set(frame.subarray(0, l3 + IPV4_HEADER_LEN));
      if (i === 0) seg.set(frame.subarray(l3 + IPV4_HEADER_LEN, l3 + hl), l3 + IPV4_HEADER_LEN);
      else if (laterOpts) seg.set(laterOpts, l3 + IPV4_HEADER_LEN);
      seg[l3] = 0x40 | (ihl >>> 2);
      seg.set(frame.subarray(l4 + off, l4 + off + dataLen), l3 + ihl);
      if (i === 0) {
        setBe16(seg, l3 + ihl + UdpField.LENGTH, udpLen);
        setBe16(seg, l3 + ihl + UdpField.CHECKSUM, csum);
      }
      setBe16(seg, l3 + Ipv4Field.LENGTH, ihl + dataLen);
      setBe16(seg, l3 + Ipv4Field.FLG_OFF, (i < count - 1 ? 0x2000 : 0) | (off >>> 3));
      setBe16(seg, l3 + Ipv4Field.CHECKSUM, 0);
      setBe16(seg, l3 + Ipv4Field.CHECKSUM, internetChecksum(seg, l3, l3 + ihl));
      out.push(seg);
    }
    return out;
  }

  // IPv6: the walk in `layout` checked that the chain reaches UDP at l4 with no Fragment header.
  const walk = lay.walk!;
  const unfragEnd = walk.unfragmentableEnd;
  const fragLen = end - unfragEnd;
  const extLen = unfragEnd - l3 - IPV6_HEADER_LEN;
  if (extLen + fragLen > 0xffff) return malformed('offload', 'datagram-length', extLen + fragLen);
  const whole = fragLen <= o.mss;
  // The first fragment must hold the whole header chain, UDP header included (RFC 8200 §4.5, RFC 7112).
  if (!whole && (unit < 8 || l4 + UDP_HEADER_LEN - unfragEnd > unit)) return malformed('offload', 'mss', o.mss);
  const count = whole ? 1 : Math.ceil(fragLen / unit);
  if (count > max) return tooMany('offload', 'segments', max);
  const out: Uint8Array[] = [];
  if (whole) {
    const seg = frame.slice(0, end);
    setBe16(seg, l3 + Ipv6Field.LENGTH, end - l3 - IPV6_HEADER_LEN);
    setBe16(seg, l4 + UdpField.LENGTH, udpLen);
    setBe16(seg, l4 + UdpField.CHECKSUM, csum);
    out.push(seg);
    return out;
  }
  const nhOff = walk.unfragmentableNextHeaderOffset;
  const innerNext = frame[nhOff]!;
  const ident = (o.fragmentId ?? 0) >>> 0;
  for (let i = 0; i < count; i++) {
    const off = i * unit;
    const dataLen = Math.min(unit, fragLen - off);
    const seg = new Uint8Array(unfragEnd + IPV6_FRAGMENT_HEADER_LEN + dataLen);
    seg.set(frame.subarray(0, unfragEnd));
    seg[nhOff] = IpProtocol.IPV6_FRAGMENT;
    setBe16(seg, l3 + Ipv6Field.LENGTH, seg.length - l3 - IPV6_HEADER_LEN);
    const fh = unfragEnd;
    seg[fh] = innerNext;
    seg[fh + 1] = 0;
    setBe16(seg, fh + 2, off | (i < count - 1 ? 1 : 0));
    setBe32(seg, fh + 4, ident);
    const data = fh + IPV6_FRAGMENT_HEADER_LEN;
    seg.set(frame.subarray(unfragEnd + off, unfragEnd + off + dataLen), data);
    // The UDP header lies in the first fragment, as far into its data as l4 is past unfragEnd.
    if (i === 0) {
      const u = data + (l4 - unfragEnd);
      setBe16(seg, u + UdpField.LENGTH, udpLen);
      setBe16(seg, u + UdpField.CHECKSUM, csum);
    }
    out.push(seg);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Partial checksums handed on.

/**
 * Whether a partial checksum (virtio's NEEDS_CSUM: csumStart, csumOffset) is
 * the transport checksum of the datagram an untagged Ethernet frame carries:
 * the TCP (offset 16) or UDP (offset 6) checksum right after an IPv4 header
 * of a whole, unfragmented datagram, or right after an IPv6 header without
 * extension headers. Returns that protocol (`IpProtocol.TCP` or `.UDP`), or
 * -1. Reads only inside the frame.
 */
export function partialL4Checksum(frame: Uint8Array, csumStart: number, csumOffset: number): number {
  const n = frame.length;
  if (n < 14 + IPV4_HEADER_LEN) return -1;
  const type = be16(frame, 12);
  let l4: number;
  let proto: number;
  if (type === EtherType.IPV4) {
    const vihl = frame[14]!;
    l4 = 14 + ((vihl & 0x0f) << 2);
    proto = frame[14 + Ipv4Field.PROTOCOL]!;
    // Version 4, a header of 20 bytes or more, not a fragment (MF clear, offset 0).
    if (vihl >> 4 !== 4 || l4 < 14 + IPV4_HEADER_LEN || (be16(frame, 14 + Ipv4Field.FLG_OFF) & 0x3fff) !== 0) return -1;
  } else if (type === EtherType.IPV6 && n >= 14 + IPV6_HEADER_LEN) {
    l4 = 14 + IPV6_HEADER_LEN;
    proto = frame[14 + Ipv6Field.NXT_HDR]!;
    if (frame[14]! >> 4 !== 6) return -1;
  } else return -1;
  const at = proto === IpProtocol.TCP ? TcpField.CHECKSUM : proto === IpProtocol.UDP ? UdpField.CHECKSUM : -1;
  if (at < 0 || csumStart !== l4 || csumOffset !== at || l4 + at + 2 > n) return -1;
  return proto;
}

// ---------------------------------------------------------------------------
// RX checksum validation.

export interface RxChecksumReport {
  l3?: 'ipv4' | 'ipv6';
  /** IPv4 header checksum. */
  ipv4?: 'ok' | 'bad';
  /** TCP or UDP checksum; absent for other protocols, fragments, and IPv4 UDP sent without a checksum. */
  l4?: 'ok' | 'bad';
  /** Upper-layer protocol number (after IPv6 extension headers). */
  proto?: number;
  l3Offset?: number;
  l4Offset?: number;
}

/** Most VLAN tags skipped before the IP header (802.1ad outer + 802.1Q inner). */
const MAX_VLAN_TAGS = 2;

/**
 * What a NIC with RX checksum offload reports for a frame: the IPv4 header
 * checksum and the TCP/UDP checksum, each 'ok' or 'bad', after up to two
 * VLAN tags. A TCP/UDP header too short or with a length past the packet
 * counts as 'bad'. Reads only inside the frame, never throws.
 */
export function validateRxChecksums(frame: Uint8Array): RxChecksumReport {
  const n = frame.length;
  if (n < 14) return {};
  let l3 = 14;
  let type = be16(frame, 12);
  for (let tags = 0; tags < MAX_VLAN_TAGS && (type === EtherType.VLAN || type === EtherType.QINQ); tags++) {
    if (l3 + 4 > n) return {};
    type = be16(frame, l3 + 2);
    l3 += 4;
  }
  if (type === EtherType.IPV4) {
    if (l3 + IPV4_HEADER_LEN > n) return {};
    const vihl = frame[l3]!;
    const hl = (vihl & 0x0f) * 4;
    if (vihl >>> 4 !== 4 || hl < IPV4_HEADER_LEN || l3 + hl > n) return {};
    const report: RxChecksumReport = { l3: 'ipv4', l3Offset: l3 };
    report.ipv4 = onesSum(frame, l3, l3 + hl) === 0xffff ? 'ok' : 'bad';
    const proto = frame[l3 + Ipv4Field.PROTOCOL]!;
    report.proto = proto;
    const tl = be16(frame, l3 + Ipv4Field.LENGTH);
    if (tl < hl || l3 + tl > n) return report;
    if (be16(frame, l3 + Ipv4Field.FLG_OFF) & 0x3fff) return report;
    const l4 = l3 + hl;
    report.l4Offset = l4;
    const l4v = checkL4(frame, proto, l4, l3 + tl, l3 + Ipv4Field.SRC, l3 + IPV4_HEADER_LEN, false);
    if (l4v) report.l4 = l4v;
    return report;
  }
  if (type === EtherType.IPV6) {
    if (l3 + IPV6_HEADER_LEN > n || frame[l3]! >>> 4 !== 6) return {};
    const end = l3 + IPV6_HEADER_LEN + be16(frame, l3 + Ipv6Field.LENGTH);
    const report: RxChecksumReport = { l3: 'ipv6', l3Offset: l3 };
    if (end > n) return report;
    const walk = walkIpv6Extensions(frame, l3, end);
    if (isWireError(walk)) return report;
    report.proto = walk.protocol;
    if (walk.fragment) return report;
    report.l4Offset = walk.offset;
    const l4v = checkL4(frame, walk.protocol, walk.offset, end, l3 + Ipv6Field.SRC, l3 + IPV6_HEADER_LEN, true);
    if (l4v) report.l4 = l4v;
    return report;
  }
  return {};
}

function checkL4(frame: Uint8Array, proto: number, l4: number, end: number, addrStart: number, addrEnd: number, ipv6: boolean): 'ok' | 'bad' | undefined {
  if (proto === IpProtocol.TCP) {
    if (end - l4 < TCP_HEADER_LEN) return 'bad';
    const hl = (frame[l4 + TcpField.DATA_OFF]! >>> 4) * 4;
    if (hl < TCP_HEADER_LEN || l4 + hl > end) return 'bad';
    const ph = pseudoHeaderSumAt(frame, addrStart, addrEnd, IpProtocol.TCP, end - l4);
    return onesSum(frame, l4, end, ph) === 0xffff ? 'ok' : 'bad';
  }
  if (proto === IpProtocol.UDP) {
    if (end - l4 < UDP_HEADER_LEN) return 'bad';
    const ulen = be16(frame, l4 + UdpField.LENGTH);
    if (ulen < UDP_HEADER_LEN || l4 + ulen > end) return 'bad';
    if (be16(frame, l4 + UdpField.CHECKSUM) === 0) return ipv6 ? 'bad' : undefined;
    const ph = pseudoHeaderSumAt(frame, addrStart, addrEnd, IpProtocol.UDP, ulen);
    return onesSum(frame, l4, l4 + ulen, ph) === 0xffff ? 'ok' : 'bad';
  }
  return undefined;
}
