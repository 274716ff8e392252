/**
 * Receive (virtio 1.2 §5.1.6.3-4): write the virtio-net header and the frame
 * into the receive queue's buffers. Without MRG_RXBUF a frame uses exactly
 * one chain; with it, as many as it needs, each but the last filled
 * completely, `num_buffers` written before any of them is returned.
 *
 * Backpressure: when there are not enough buffers, every chain taken for
 * the frame is put back (nothing returned, nothing lost) and the caller
 * answers `busy`: the frame waits in the network queue until the driver
 * adds buffers and notifies the queue.
 *
 * A bad chain met while placing a frame (device-readable buffers, room for
 * less than the header, descriptor errors) is returned with length 0, as
 * are the chains already filled for that frame; the frame is dropped and
 * the queue goes on (CVE-2021-3748, CVE-2022-26353: popped elements are
 * always released on error).
 */
import type { ReceiveResult } from '../../hub/client.js';
import { afterBurst, inBurst, type BurstListener } from '../../virtio/burst.js';
import type { VirtioCore } from '../../virtio/core.js';
import { Chain, Pop } from '../../virtio/queue/chain.js';
import type { RingMark } from '../../virtio/queue/ring.js';
import type { NetCounters } from './counters.js';
import { HDR, VNET_HDR_F_DATA_VALID, VNET_HDR_LEN, VNET_HDR_LEN_LEGACY, newHdr, writeHdr, type VnetHdr } from '../../wire/vnet-hdr.js';
import { validateRxChecksums } from '../../wire/offload.js';

export interface RxState {
  readonly chain: Chain;
  readonly hdr: Uint8Array;
  /** Header fields of a frame with offload work left (`receiveOffloadedInto`), filled by the device. */
  readonly fields: VnetHdr;
  /** Ready-made headers for a frame in one buffer: legacy 10 bytes, 12 bytes with num_buffers 1. */
  readonly hdr10: Uint8Array;
  readonly hdr12: Uint8Array;
  readonly mark: RingMark;
  /** Chains taken for the frame being placed. */
  readonly heads: Uint32Array;
  readonly slots: Uint32Array;
  readonly lens: Uint32Array;
  /** Receive queues whose publish waits for the end of the current burst (src/virtio/burst.ts), and whether we are waiting. */
  readonly deferred: number[];
  readonly isDeferred: Uint8Array;
  waiting: boolean;
  /**
   * A small frame is copied behind its header here and the two go to guest
   * memory in one write (cheaper than two below ~256 bytes). Views of it by
   * total length, made once.
   */
  readonly stage: Uint8Array;
  readonly stageViews: Array<Uint8Array | undefined>;
}

/** Frames up to this length are staged behind their header (`RxState.stage`). */
const STAGE_MAX = 256;

export function newRxState(maxQueueSize: number, queues: number): RxState {
  return {
    deferred: [],
    isDeferred: new Uint8Array(queues),
    waiting: false,
    stage: new Uint8Array(VNET_HDR_LEN + STAGE_MAX),
    stageViews: [],
    chain: new Chain(),
    hdr: new Uint8Array(VNET_HDR_LEN),
    fields: newHdr(),
    hdr10: new Uint8Array(VNET_HDR_LEN_LEGACY),
    hdr12: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0),
    mark: { nextAvail: 0, availWrap: true, inFlight: 0 },
    heads: new Uint32Array(maxQueueSize + 1),
    slots: new Uint32Array(maxQueueSize + 1),
    lens: new Uint32Array(maxQueueSize + 1),
  };
}

/** The device, which is called back (`burstEnded` -> `publishDeferred`) when a burst it received in ends. */
export interface RxHost extends BurstListener {
  readonly core: VirtioCore;
  readonly rx: RxState;
  readonly stats: NetCounters;
  readonly hdrLen: number;
  readonly mergeable: boolean;
  /** GUEST_CSUM is on: the header may say DATA_VALID. */
  readonly guestCsum: boolean;
}

/**
 * The header's flags for a received frame: DATA_VALID when the guest took
 * GUEST_CSUM and the frame's TCP or UDP checksum (and IPv4 header checksum)
 * checks out (§5.1.6.4.1), so the driver need not verify it again; else 0.
 */
function rxFlags(h: RxHost, frame: Uint8Array): number {
  if (!h.guestCsum) return 0;
  const r = validateRxChecksums(frame);
  return r.l4 === 'ok' && r.ipv4 !== 'bad' ? VNET_HDR_F_DATA_VALID : 0;
}

/** Place `frame` in receive queue `q`. */
export function receiveInto(h: RxHost, q: number, frame: Uint8Array): ReceiveResult {
  const core = h.core;
  const rx = h.rx;
  if (!core.markInto(q, rx.mark)) return 'busy';
  const hl = h.hdrLen;
  const total = hl + frame.length;
  // Fast path, both modes: the next chain is one good buffer list with room for everything.
  const chain = rx.chain;
  const p = core.pop(q, chain);
  if (p === Pop.Empty) return core.needsReset ? 'drop' : starve(h, q);
  if (p === Pop.Ok && chain.readable === 0 && chain.writableBytes >= total) {
    const mem = core.mem;
    const flags = rxFlags(h, frame);
    if (frame.length <= STAGE_MAX) {
      // Header (flags; num_buffers 1 with the 12-byte header, §5.1.6.4) and frame in one write.
      const st = rx.stage;
      st[HDR.FLAGS] = flags;
      st[HDR.NUM_BUFFERS] = hl === VNET_HDR_LEN ? 1 : 0;
      st[HDR.NUM_BUFFERS + 1] = 0;
      st.set(frame, hl);
      let v = rx.stageViews[total];
      if (v === undefined) {
        v = st.subarray(0, total);
        rx.stageViews[total] = v;
      }
      chain.write(mem, 0, v);
    } else {
      const hdr = hl === VNET_HDR_LEN ? rx.hdr12 : rx.hdr10;
      hdr[HDR.FLAGS] = flags;
      chain.write(mem, 0, hdr);
      chain.write(mem, hl, frame);
    }
    core.push(q, chain, total);
    publishRx(h, q);
    h.stats.rxFrames++;
    h.stats.rxBytes += frame.length;
    return 'ok';
  }
  core.rewind(q, rx.mark);
  rx.hdr.fill(0);
  rx.hdr[HDR.FLAGS] = rxFlags(h, frame);
  return h.mergeable ? mergeable(h, q, frame, total) : single(h, q, frame, total);
}

/**
 * Place a frame with offload work left in receive queue `q` behind `hdr`
 * (`offloadToHdr`: NEEDS_CSUM with csum_start/csum_offset, and for a GSO
 * frame gso_type, gso_size and hdr_len; §5.1.6.4). The caller checked that
 * the driver enabled those offloads. Tentative: when the buffers cannot
 * hold the frame now (too few, or a chain too small without MRG_RXBUF),
 * nothing is written or counted and the answer is 'busy': the sender then
 * sends plain frames, which wait or are cut to size as usual. (Bad chains
 * met on the way are returned and counted as for any frame.)
 */
export function receiveOffloadedInto(h: RxHost, q: number, frame: Uint8Array, hdr: VnetHdr): ReceiveResult {
  const core = h.core;
  const rx = h.rx;
  if (!core.markInto(q, rx.mark)) return 'busy';
  rx.hdr.fill(0);
  writeHdr(rx.hdr, hdr);
  const total = h.hdrLen + frame.length;
  const r = h.mergeable ? mergeable(h, q, frame, total, true) : single(h, q, frame, total, true);
  if (r === 'ok') {
    h.stats.rxOffloaded++;
    if (hdr.gsoType !== 0) h.stats.rxGsoFrames++;
  }
  return r;
}

/**
 * Publish receive queue `q` now, or, inside a burst (a peer draining its
 * transmit queue into us), once when the burst ends: one used.idx update
 * and one interrupt decision for the whole burst.
 */
function publishRx(h: RxHost, q: number): void {
  if (!inBurst()) {
    h.core.publish(q);
    return;
  }
  const rx = h.rx;
  if (rx.isDeferred[q] === 0) {
    rx.isDeferred[q] = 1;
    rx.deferred.push(q);
  }
  if (!rx.waiting) {
    rx.waiting = true;
    afterBurst(h);
  }
}

/** The burst ended: publish what was held back. */
export function publishDeferred(h: RxHost): void {
  const rx = h.rx;
  rx.waiting = false;
  for (let q = rx.deferred.pop(); q !== undefined; q = rx.deferred.pop()) {
    rx.isDeferred[q] = 0;
    // (a queue reset since has nothing to publish)
    if (h.core.hasUnpublished(q)) h.core.publish(q);
  }
}

/**
 * No buffers: put back what was taken and ask the driver to notify when it
 * adds some. `tentative` (an offloaded frame): not counted, the sender
 * sends plain frames instead, which count if they have to wait.
 */
function starve(h: RxHost, q: number, tentative = false): ReceiveResult {
  h.core.rewind(q, h.rx.mark);
  h.core.setNotify(q, true);
  if (!tentative) h.stats.rxNoBuffers++;
  return 'busy';
}

/** One chain for the frame (no MRG_RXBUF). `tentative`: see `receiveOffloadedInto`. */
function single(h: RxHost, q: number, frame: Uint8Array, total: number, tentative = false): ReceiveResult {
  const core = h.core;
  const rx = h.rx;
  const chain = rx.chain;
  const size = core.queue(q)?.ring?.size ?? 0;
  // Bad chains are returned and skipped; bounded by the ring size.
  for (let tries = 0; tries <= size; tries++) {
    const p = core.pop(q, chain);
    if (p === Pop.Empty) return core.needsReset ? 'drop' : starve(h, q, tentative);
    if (p === Pop.BadChain || chain.readable > 0) {
      if (p === Pop.BadChain) h.stats.rxBadChains++;
      else h.stats.rxReadableBuffers++;
      core.push(q, chain, 0);
      core.publish(q);
      core.markInto(q, rx.mark);
      continue;
    }
    if (chain.writableBytes < total) {
      if (tentative) {
        core.rewind(q, rx.mark);
        return 'busy';
      }
      // §5.1.6.4.2: one buffer per packet without MRG_RXBUF. QEMU drops such a
      // frame and keeps the buffer for the next one; so do we.
      core.rewind(q, rx.mark);
      h.stats.rxTooBig++;
      return 'drop';
    }
    const hl = h.hdrLen;
    if (hl === VNET_HDR_LEN) rx.hdr[HDR.NUM_BUFFERS] = 1; // §5.1.6.4: num_buffers is 1 without MRG_RXBUF
    chain.write(core.mem, 0, hl === VNET_HDR_LEN ? rx.hdr : rx.hdr.subarray(0, hl));
    chain.write(core.mem, hl, frame);
    core.push(q, chain, total);
    core.publish(q);
    h.stats.rxFrames++;
    h.stats.rxBytes += frame.length;
    return 'ok';
  }
  return 'drop';
}

/** As many chains as the frame needs (MRG_RXBUF). `tentative`: see `receiveOffloadedInto`. */
function mergeable(h: RxHost, q: number, frame: Uint8Array, total: number, tentative = false): ReceiveResult {
  const core = h.core;
  const rx = h.rx;
  const chain = rx.chain;
  const mem = core.mem;
  const hl = h.hdrLen;
  let written = 0;
  let n = 0;
  // Where num_buffers lives in guest memory (the first chain's bytes 10 and 11).
  let nbLo = -1;
  let nbHi = -1;
  while (written < total) {
    if (n >= rx.heads.length) return abandon(h, q, n, 'bad');
    const p = core.pop(q, chain);
    if (p === Pop.Empty) return core.needsReset ? abandon(h, q, n, 'ring') : starve(h, q, tentative);
    rx.heads[n] = chain.head;
    rx.slots[n] = chain.ringSlots;
    rx.lens[n] = 0;
    n++;
    if (p === Pop.BadChain) {
      h.stats.rxBadChains++;
      return abandon(h, q, n, 'bad');
    }
    if (chain.readable > 0 || (n === 1 && chain.writableBytes < hl)) {
      // Receive buffers are device-writable, and the first must hold the header (§5.1.6.3.1).
      h.stats.rxReadableBuffers++;
      return abandon(h, q, n, 'bad');
    }
    const room = chain.writableBytes;
    let off = 0;
    if (n === 1) {
      chain.write(mem, 0, rx.hdr.subarray(0, hl));
      nbLo = byteAddress(chain, HDR.NUM_BUFFERS);
      nbHi = byteAddress(chain, HDR.NUM_BUFFERS + 1);
      off = hl;
      written = hl;
    }
    const take = Math.min(room - off, total - written);
    if (take > 0) {
      const from = written - hl;
      chain.write(mem, off, from === 0 && take === frame.length ? frame : frame.subarray(from, from + take));
      written += take;
    }
    rx.lens[n - 1] = off + take;
  }
  // num_buffers before any buffer is returned (§5.1.6.4).
  mem.writeU8(nbLo, n & 0xff);
  mem.writeU8(nbHi, n >>> 8);
  for (let i = 0; i < n; i++) core.pushId(q, rx.heads[i]!, rx.slots[i]!, rx.lens[i]!);
  core.publish(q);
  h.stats.rxFrames++;
  h.stats.rxBytes += frame.length;
  if (n > 1) h.stats.rxMergedBuffers += n - 1;
  return 'ok';
}

/** Guest address of writable byte `off` of a chain (the chain has at least off+1 writable bytes). */
function byteAddress(chain: Chain, off: number): number {
  for (let i = chain.readable; i < chain.count; i++) {
    const l = chain.len[i]!;
    if (off < l) return chain.addr[i]! + off;
    off -= l;
  }
  return -1;
}

/** Return every chain taken for this frame with length 0; the frame is dropped. */
function abandon(h: RxHost, q: number, n: number, why: 'bad' | 'ring'): ReceiveResult {
  const core = h.core;
  if (why === 'bad') {
    for (let i = 0; i < n; i++) core.pushId(q, h.rx.heads[i]!, h.rx.slots[i]!, 0);
    core.publish(q);
  }
  return 'drop';
}
