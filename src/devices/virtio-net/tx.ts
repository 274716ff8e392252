/**
 * Transmit (virtio 1.2 §5.1.6.2): take every available chain of a transmit
 * queue, strip the virtio-net header, complete partial checksums and split
 * GSO frames in software (so the offload features work behind any backend),
 * send, and return the chain with used length 0. A peer that does that work
 * itself (the user-mode stack: `NetClient.sendOffloaded`) gets a frame with a
 * partial TCP/UDP checksum, or a TCP GSO frame, whole with what the header
 * says is left, as QEMU hands the header to a tap with IFF_VNET_HDR. A bad chain (writable
 * buffers, shorter than the header, runt or oversized frame, bad GSO
 * request) is returned with length 0 and counted; the queue keeps going.
 */
import { type FrameOffload, newFrameOffload } from '../../hub/client.js';
import type { VirtioCore } from '../../virtio/core.js';
import { Chain, Pop } from '../../virtio/queue/chain.js';
import { completeChecksum, hdrToOffload, segmentByVnetHdr } from '../../wire/offload.js';
import { isWireError } from '../../wire/error.js';
import type { NetCounters } from './counters.js';
import { HDR, newHdr, parseHdr, VNET_HDR_F_NEEDS_CSUM, VNET_HDR_GSO, VNET_HDR_LEN, type VnetHdr } from '../../wire/vnet-hdr.js';

/** Largest frame after the header: 64 KiB of IP plus link headers (§5.1.6.3: 65589 bytes, VLAN tag added). */
export const MAX_TX_FRAME = 65589 + 4;
export const ETH_HLEN = 14;

export interface TxState {
  readonly chain: Chain;
  /** Header and frame as gathered from the chain (reused). */
  readonly buf: Uint8Array;
  readonly hdr: VnetHdr;
  /**
   * Views of `buf` by length (whole chain from 0; frame from the 10- or
   * 12-byte header on), made once: `subarray` per frame costs more than
   * the copy of a small frame.
   */
  readonly wholeViews: Array<Uint8Array | undefined>;
  readonly frameViews10: Array<Uint8Array | undefined>;
  readonly frameViews12: Array<Uint8Array | undefined>;
  /** IPv6 fragment identification for software UFO (seeded from the machine's random source). */
  ufoId: number;
  /** What is left to do on a frame handed over whole (reused). */
  readonly offload: FrameOffload;
}

export function newTxState(ufoSeed: number): TxState {
  return {
    chain: new Chain(),
    buf: new Uint8Array(VNET_HDR_LEN + MAX_TX_FRAME),
    hdr: newHdr(),
    wholeViews: [],
    frameViews10: [],
    frameViews12: [],
    ufoId: ufoSeed >>> 0,
    offload: newFrameOffload(),
  };
}

function view(cache: Array<Uint8Array | undefined>, buf: Uint8Array, start: number, len: number): Uint8Array {
  let v = cache[len];
  if (v === undefined) {
    v = buf.subarray(start, start + len);
    cache[len] = v;
  }
  return v;
}

export interface TxHost {
  readonly core: VirtioCore;
  readonly tx: TxState;
  readonly stats: NetCounters;
  /** Current virtio-net header length (10 or 12). */
  readonly hdrLen: number;
  /** Put a frame on the wire; `pair` is the queue pair it came from. */
  transmit(frame: Uint8Array, pair: number): void;
  /** Hand a frame with offload work left to a peer that does it; false: not taken (send plain frames). */
  transmitOffloaded(frame: Uint8Array, pair: number, offload: FrameOffload): boolean;
}

/** Process transmit queue `q` (an odd queue index below the control queue). */
export function processTx(h: TxHost, q: number): void {
  const core = h.core;
  const chain = h.tx.chain;
  const slot = core.queue(q);
  if (!slot?.ring) return;
  const pair = q >> 1;
  let pending = false;
  // Bounded: a legal driver never has more than `size` chains available.
  for (let budget = 2 * slot.ring.size + 1; budget > 0; budget--) {
    const p = core.pop(q, chain);
    if (p === Pop.Empty) {
      if (core.needsReset) break;
      // Drained: ask to be notified of the next one, then look once more (§2.7.10).
      core.setNotify(q, true);
      if (core.hasAvailable(q)) continue;
      break;
    }
    pending = true;
    h.stats.txChains++;
    if (p === Pop.BadChain) h.stats.txBadChains++;
    else transmitChain(h, chain, pair);
    core.push(q, chain, 0);
  }
  if (pending) core.publish(q);
}

function transmitChain(h: TxHost, chain: Chain, pair: number): void {
  const s = h.stats;
  const core = h.core;
  if (chain.writableBytes > 0) {
    s.txWritableBuffers++;
    return;
  }
  const hl = h.hdrLen;
  if (chain.readableBytes < hl) {
    s.txShortHeader++;
    return;
  }
  const len = chain.readableBytes - hl;
  if (len < ETH_HLEN) {
    s.txRunt++;
    return;
  }
  if (len > MAX_TX_FRAME) {
    s.txOversize++;
    return;
  }
  const t = h.tx;
  // One gather of header and frame; the header fields are read from the front.
  const whole = view(t.wholeViews, t.buf, 0, hl + len);
  if (chain.read(core.mem, 0, whole) !== whole.length) return;
  const frame = view(hl === VNET_HDR_LEN ? t.frameViews12 : t.frameViews10, t.buf, hl, len);
  // The common header (no offload asked) is all zeros: the other fields are parsed only when needed.
  const flags = t.buf[HDR.FLAGS]!;
  const gso = t.buf[HDR.GSO_TYPE]! & ~VNET_HDR_GSO.ECN;
  if (gso === VNET_HDR_GSO.NONE) {
    if (flags & VNET_HDR_F_NEEDS_CSUM) {
      const hdr = parseHdr(t.buf, t.hdr);
      if (handOver(h, frame, hdr, pair)) return;
      if (completeChecksum(frame, hdr.csumStart, hdr.csumOffset)) s.txChecksumsCompleted++;
      else s.txChecksumErrors++;
    }
    s.txFrames++;
    s.txBytes += len;
    h.transmit(frame, pair);
    return;
  }
  const hdr = parseHdr(t.buf, t.hdr);
  if (handOver(h, frame, hdr, pair)) {
    s.txGsoFrames++;
    return;
  }
  segment(h, frame, hdr, gso, pair);
}

/** Offer a frame whose header asks for a partial checksum (and TCP GSO) whole to a peer that does that work; true when taken. */
function handOver(h: TxHost, frame: Uint8Array, hdr: VnetHdr, pair: number): boolean {
  const o = h.tx.offload;
  if (!hdrToOffload(hdr, o) || !h.transmitOffloaded(frame, pair, o)) return false;
  const s = h.stats;
  s.txOffloaded++;
  s.txFrames++;
  s.txBytes += frame.length;
  return true;
}

/** Software GSO (§5.1.6.2 item 3): TCP segmentation or UDP fragmentation, every segment checksummed. */
function segment(h: TxHost, frame: Uint8Array, hdr: VnetHdr, gso: number, pair: number): void {
  const t = h.tx;
  if (gso === VNET_HDR_GSO.UDP) t.ufoId = (t.ufoId + 1) >>> 0;
  const n = segmentByVnetHdr(frame, hdr, t.ufoId, (seg) => sendSegment(h, seg, pair));
  if (isWireError(n)) h.stats.txGsoErrors++;
  else h.stats.txGsoFrames++;
}

function sendSegment(h: TxHost, seg: Uint8Array, pair: number): void {
  h.stats.txGsoSegments++;
  h.stats.txFrames++;
  h.stats.txBytes += seg.length;
  h.transmit(seg, pair);
}
