/**
 * Transmit: the four normal-mode descriptors (TSD0-3/TSAD0-3, RTL8139C
 * datasheet §6.2) and the C+ mode descriptor rings (TNPDS normal priority,
 * THPDS high priority, RTL8139C+ datasheet §9.2.1) with VLAN tag insertion,
 * IPv4 header / TCP / UDP checksum offload and large send (TSO).
 *
 * Every walk is bounded: at most 4 normal-mode descriptors and at most 64 C+
 * descriptors per kick (CVE-2016-8910); a C+ frame is assembled in a 64 KiB
 * buffer and anything beyond is cut off. Offload requests whose IPv4 header
 * length, total length or TCP data offset disagree with the frame, and large
 * send with MSS 0, are not performed: the frame goes out as the driver built
 * it (CVE-2015-5165, QEMU 792676c165). A large send bound for a peer that
 * segments and checksums itself (the user-mode stack:
 * `NetClient.sendOffloaded`) is handed over whole, with a partial checksum.
 */
import { addr64, type GuestMemory } from '../../dma/memory.js';
import { type FrameOffload, newFrameOffload } from '../../hub/client.js';
import { be16, setBe16 } from '../../wire/bytes.js';
import { checksumFinish, checksumFinishNonZero, internetChecksum, onesSum, pseudoHeaderSumAt } from '../../wire/checksum.js';
import { isWireError } from '../../wire/error.js';
import { IpProtocol } from '../../wire/ip.js';
import { planTso, writeTsoSegment } from '../../wire/offload.js';
import { DESC, INT, REG, TSD, TXD, type RegFile } from './regs.js';
import { CP_RING_SIZE } from './rx.js';
import type { Tally } from './tally.js';

/** The C+ assembly buffer (QEMU CP_TX_BUFFER_SIZE). */
export const CP_TX_BUFFER = 0x10000;

export interface CpRing {
  /** Index of the next descriptor. */
  desc: number;
  /** Bytes of the frame being assembled. */
  offset: number;
  /** A DMA error hit the frame being assembled. */
  bad: boolean;
  readonly buf: Uint8Array;
}

export interface TxState {
  /** Normal mode: the descriptor the transmitter looks at next (0..3). */
  cur: number;
  normal: CpRing;
  high: CpRing;
  /** What is left to do on a frame handed over whole (reused). */
  readonly offload: FrameOffload;
}

function newRing(): CpRing {
  return { desc: 0, offset: 0, bad: false, buf: new Uint8Array(CP_TX_BUFFER) };
}

export function newTxState(): TxState {
  return { cur: 0, normal: newRing(), high: newRing(), offload: newFrameOffload() };
}

export function resetTxState(t: TxState): void {
  t.cur = 0;
  for (const r of [t.normal, t.high]) {
    r.desc = 0;
    r.offset = 0;
    r.bad = false;
  }
}

export interface TxCounters {
  txFrames: number;
  txDescriptors: number;
  txDmaErrors: number;
  txTruncatedBytes: number;
  txEmptyFrames: number;
  txTsoFrames: number;
  txTsoSegments: number;
  /** Large sends handed whole to a peer that segments them (`TxHost.transmitOffloaded`). */
  txOffloaded: number;
  txOffloadRefused: number;
  txBudgetStops: number;
}

export function newTxCounters(): TxCounters {
  return { txFrames: 0, txDescriptors: 0, txDmaErrors: 0, txTruncatedBytes: 0, txEmptyFrames: 0, txTsoFrames: 0, txTsoSegments: 0, txOffloaded: 0, txOffloadRefused: 0, txBudgetStops: 0 };
}

export interface TxHost {
  readonly memory: GuestMemory;
  readonly regs: RegFile;
  readonly tx: TxState;
  readonly tally: Tally;
  readonly events: TxCounters;
  /** Scratch for a tagged copy (CP_TX_BUFFER + 4 bytes). */
  readonly scratch: Uint8Array;
  /** Scratch for a TSO segment (CP_TX_BUFFER + 4 bytes). */
  readonly segment: Uint8Array;
  /** Put a frame on the wire (or loop it back); the buffer is reused after the call. */
  transmit(frame: Uint8Array): void;
  /** Hand a frame with offload work left to a peer that does it; false: not taken (send segments). */
  transmitOffloaded(frame: Uint8Array, offload: FrameOffload): boolean;
  raise(cause: number): void;
}

// ------------------------------------------------------------------ normal mode

/**
 * Send what the driver handed over (OWN = 0), starting at the current
 * descriptor, in order, at most all four. Each sent descriptor gets OWN and
 * TOK and raises TOK; a DMA failure gets OWN and TABT and raises TER.
 */
export function transmitNormal(h: TxHost): number {
  const t = h.tx;
  const regs = h.regs;
  const buf = t.normal.buf;
  let sent = 0;
  for (let i = 0; i < 4; i++) {
    const d = t.cur;
    const off = REG.TSD0 + 4 * d;
    let tsd = regs.u32(off);
    if (tsd & TSD.OWN) break;
    const size = tsd & TSD.SIZE_MASK;
    const frame = buf.subarray(0, size);
    h.events.txDescriptors++;
    if (h.memory.read(regs.u32(REG.TSAD0 + 4 * d), frame) !== undefined) {
      h.events.txDmaErrors++;
      h.tally.txErr++;
      h.tally.txAbt++;
      tsd |= TSD.OWN | TSD.TABT;
      regs.set32(off, tsd >>> 0);
      h.raise(INT.TER);
    } else {
      if (size === 0) h.events.txEmptyFrames++;
      else {
        h.events.txFrames++;
        h.transmit(frame);
      }
      h.tally.txOk++;
      tsd |= TSD.OWN | TSD.TOK;
      regs.set32(off, tsd >>> 0);
      h.raise(INT.TOK);
    }
    t.cur = (d + 1) & 3;
    sent++;
  }
  return sent;
}

// ------------------------------------------------------------------ C+ mode

/**
 * Walk one C+ ring from its current descriptor while the NIC owns them, at
 * most 64 descriptors. Returns the number of descriptors processed.
 */
export function transmitCplus(h: TxHost, high: boolean): number {
  const regs = h.regs;
  const m = h.memory;
  const r = high ? h.tx.high : h.tx.normal;
  const base = high ? REG.THPDS : REG.TNPDS;
  const ring = addr64(regs.u32(base), regs.u32(base + 4));
  let done = 0;
  for (; done < CP_RING_SIZE; done++) {
    const desc = ring + 16 * r.desc;
    const w0 = m.readU32(desc);
    if (typeof w0 !== 'number') {
      h.events.txDmaErrors++;
      break;
    }
    if (!(w0 & DESC.OWN)) break;
    const w1 = m.readU32(desc + 4);
    const w2 = m.readU32(desc + 8);
    const w3 = m.readU32(desc + 12);
    h.events.txDescriptors++;
    if (w0 & DESC.FS) {
      r.offset = 0;
      r.bad = false;
    }
    let len = w0 & TXD.LEN_MASK;
    if (r.offset + len > CP_TX_BUFFER) {
      h.events.txTruncatedBytes += r.offset + len - CP_TX_BUFFER;
      len = CP_TX_BUFFER - r.offset;
    }
    if (typeof w1 !== 'number' || typeof w2 !== 'number' || typeof w3 !== 'number' || m.read(addr64(w2, w3), r.buf.subarray(r.offset, r.offset + len)) !== undefined) {
      h.events.txDmaErrors++;
      r.bad = true;
    }
    r.offset += len;
    r.desc = w0 & DESC.EOR ? 0 : (r.desc + 1) % CP_RING_SIZE;
    let status = w0 & ~DESC.OWN & ~TXD.ERRORS;
    if (w0 & DESC.LS) {
      if (r.bad) {
        status |= TXD.TES;
        h.tally.txErr++;
      } else {
        sendCplusFrame(h, r.buf, r.offset, w0, typeof w1 === 'number' ? w1 : 0);
        h.tally.txOk++;
      }
      r.offset = 0;
      r.bad = false;
    }
    if (m.writeU32(desc, status >>> 0) !== undefined) h.events.txDmaErrors++;
  }
  if (done === CP_RING_SIZE) h.events.txBudgetStops++;
  return done;
}

/** Send `frame` with the 802.1Q tag from descriptor dword 1 (low byte first on the wire), or untagged when tag < 0. */
function sendTagged(h: TxHost, frame: Uint8Array, len: number, tag: number): void {
  if (len === 0) {
    h.events.txEmptyFrames++;
    return;
  }
  h.events.txFrames++;
  if (tag < 0 || len < 12) {
    h.transmit(frame.subarray(0, len));
    return;
  }
  const out = h.scratch;
  out.set(frame.subarray(0, 12), 0);
  out[12] = 0x81;
  out[13] = 0x00;
  out[14] = tag & 0xff;
  out[15] = (tag >>> 8) & 0xff;
  out.set(frame.subarray(12, len), 16);
  h.transmit(out.subarray(0, len + 4));
}

const ETH_HLEN = 14;

/** A frame assembled from C+ descriptors: offloads, tag, send. */
function sendCplusFrame(h: TxHost, buf: Uint8Array, len: number, w0: number, w1: number): void {
  const tag = w1 & TXD.TAGC ? w1 & TXD.TAG_MASK : -1;
  const lgsen = (w0 & TXD.LGSEN) !== 0;
  const wants = lgsen || (w0 & (TXD.IPCS | TXD.TCPCS | TXD.UDPCS)) !== 0;
  if (wants) {
    if (!offload(h, buf, len, w0, lgsen, tag)) h.events.txOffloadRefused++;
    else if (lgsen) return;
  }
  sendTagged(h, buf, len, tag);
}

/**
 * Checksums and TSO on an untagged IPv4 frame. Returns false when the
 * headers disagree with the frame or the MSS is 0: nothing is changed then,
 * except an IPv4 header checksum whose header itself is consistent;
 * true when done (for TSO: every segment has been sent). With LGSEN the
 * checksum bits are part of the MSS field and mean nothing on their own.
 */
function offload(h: TxHost, buf: Uint8Array, len: number, w0: number, lgsen: boolean, tag: number): boolean {
  const l3 = ETH_HLEN;
  if (len < l3 + 20 || be16(buf, 12) !== 0x0800) return false;
  const vihl = buf[l3]!;
  const hlen = (vihl & 0x0f) * 4;
  if (vihl >>> 4 !== 4 || hlen < 20 || l3 + hlen > len) return false;
  const ipLen = be16(buf, l3 + 2);
  if (ipLen < hlen || l3 + ipLen > len) return false;
  const proto = buf[l3 + 9]!;
  const l4 = l3 + hlen;
  const end = l3 + ipLen;
  if (lgsen) {
    if (proto !== IpProtocol.TCP) return false;
    const mss = (w0 >>> TXD.MSS_SHIFT) & TXD.MSS_MASK;
    if (mss === 0) return false;
    const frame = buf.subarray(0, len);
    const plan = planTso(frame, { l3Offset: l3, l4Offset: l4, mss, ipv6: false, useIpLength: true, maxSegments: CP_TX_BUFFER });
    if (isWireError(plan)) return false;
    h.events.txTsoFrames++;
    if (tag < 0 && end === len && handOver(h, frame, l4, end, mss)) return true;
    const seg = h.segment;
    for (let i = 0; i < plan.segments; i++) {
      const n = writeTsoSegment(frame, plan, i, seg);
      h.events.txTsoSegments++;
      sendTagged(h, seg, n, tag);
    }
    return true;
  }
  // The IPv4 header checksum needs only a consistent IPv4 header; a TCP/UDP
  // header that does not fit in the IP payload leaves the L4 checksum alone.
  if (w0 & TXD.IPCS) {
    setBe16(buf, l3 + 10, 0);
    setBe16(buf, l3 + 10, internetChecksum(buf, l3, l4));
  }
  if (w0 & TXD.TCPCS && proto === IpProtocol.TCP) {
    if (end - l4 < 20) return false;
    setBe16(buf, l4 + 16, 0);
    const ph = pseudoHeaderSumAt(buf, l3 + 12, l3 + 20, IpProtocol.TCP, end - l4);
    setBe16(buf, l4 + 16, checksumFinish(onesSum(buf, l4, end, ph)));
  } else if (w0 & TXD.UDPCS && proto === IpProtocol.UDP) {
    if (end - l4 < 8) return false;
    setBe16(buf, l4 + 6, 0);
    const ph = pseudoHeaderSumAt(buf, l3 + 12, l3 + 20, IpProtocol.UDP, end - l4);
    setBe16(buf, l4 + 6, checksumFinishNonZero(onesSum(buf, l4, end, ph)));
  }
  return true;
}

/**
 * Offer a large send whole to a peer that segments it: the IPv4 header
 * checksum made right and the TCP checksum field holding the pseudo-header
 * sum (the segments each get both afresh, so nothing the driver left there
 * matters). True when taken; otherwise the frame is segmented (those fields
 * are recomputed per segment).
 */
function handOver(h: TxHost, frame: Uint8Array, l4: number, end: number, mss: number): boolean {
  const l3 = ETH_HLEN;
  setBe16(frame, l3 + 10, 0);
  setBe16(frame, l3 + 10, internetChecksum(frame, l3, l4));
  setBe16(frame, l4 + 16, pseudoHeaderSumAt(frame, l3 + 12, l3 + 20, IpProtocol.TCP, end - l4));
  const o = h.tx.offload;
  o.csumStart = l4;
  o.csumOffset = 16;
  o.gso = 'tcpv4';
  o.gsoSize = mss;
  if (!h.transmitOffloaded(frame, o)) return false;
  h.events.txOffloaded++;
  h.events.txFrames++;
  return true;
}
