/**
 * Split virtqueues (virtio 1.2 §2.7): descriptor table, available ring and
 * used ring in guest memory. The ring state holds addresses and indices
 * only; every function takes the guest memory. Every walk is bounded: a
 * direct chain by the queue size, an indirect table by its entry count.
 *
 *   avail: flags u16, idx u16, ring[size] u16, used_event u16
 *   used:  flags u16, idx u16, ring[size] {id u32, len u32}, avail_event u16
 */
import type { GuestMemory } from '../../dma/memory.js';
import type { RingFeatures } from '../features.js';
import { Chain, DESC_SIZE, Pop, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, type ChainError, type RingError } from './chain.js';

export const VRING_AVAIL_F_NO_INTERRUPT = 1;
export const VRING_USED_F_NO_NOTIFY = 1;

/** Alignment of each part (§2.7 table): descriptor table 16, avail 2, used 4. */
export const SPLIT_ALIGN = { desc: 16, avail: 2, used: 4 } as const;

export interface SplitRing {
  readonly kind: 'split';
  readonly size: number;
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
  /** Next avail ring entry the device reads (free-running u16). */
  nextAvail: number;
  /** avail.idx as last read (QEMU's shadow_avail_idx): entries before it need no re-read of avail.idx. */
  shadowAvail: number;
  /** Next used ring entry the device writes (free-running u16). */
  nextUsed: number;
  /** used.idx at the last notification decision (EVENT_IDX). */
  signalledUsed: number;
  signalledValid: boolean;
  /** Chains popped and not yet returned. */
  inFlight: number;
  error: RingError | undefined;
}

/** Bytes of each area for `size` entries (EVENT_IDX fields included, §2.7). */
export function splitAreaSizes(size: number): { desc: number; avail: number; used: number } {
  return { desc: DESC_SIZE * size, avail: 6 + 2 * size, used: 6 + 8 * size };
}

export function newSplitRing(size: number, desc: number, avail: number, used: number): SplitRing {
  // A new ring has signalled nothing and used nothing: the event-index arithmetic starts exact (§2.7.10).
  return { kind: 'split', size, desc, avail, used, nextAvail: 0, shadowAvail: 0, nextUsed: 0, signalledUsed: 0, signalledValid: true, inFlight: 0, error: undefined };
}

const usedElem = new Uint8Array(8);

function fail(r: SplitRing, e: RingError): Pop {
  r.error = e;
  return Pop.BadRing;
}

/** True when the driver made a chain available that the device has not taken. */
export function splitHasAvailable(mem: GuestMemory, r: SplitRing): boolean {
  if (r.shadowAvail !== r.nextAvail) return true;
  const idx = mem.readU16(r.avail + 2);
  return typeof idx === 'number' && idx !== r.nextAvail;
}

/**
 * Take the next available chain into `chain`. Ring errors (avail.idx more
 * than a ring ahead, head out of range, more chains in flight than entries)
 * consume nothing; chain errors consume the head, which must be returned.
 */
export function splitPop(mem: GuestMemory, r: SplitRing, f: RingFeatures, chain: Chain): Pop {
  if (r.shadowAvail === r.nextAvail) {
    const idx = mem.readU16(r.avail + 2);
    if (typeof idx !== 'number') return fail(r, { kind: 'ring-unreadable', addr: r.avail + 2 });
    const pending = (idx - r.nextAvail) & 0xffff;
    if (pending === 0) return Pop.Empty;
    // §2.7.13.3: the driver never makes more than `size` chains available at once.
    if (pending > r.size) return fail(r, { kind: 'avail-idx-ahead', availIdx: idx, lastAvail: r.nextAvail, size: r.size });
    r.shadowAvail = idx;
  }
  if (r.inFlight >= r.size) return fail(r, { kind: 'too-many-in-flight', size: r.size });
  const slot = r.avail + 4 + 2 * (r.nextAvail % r.size);
  const head = mem.readU16(slot);
  if (typeof head !== 'number') return fail(r, { kind: 'ring-unreadable', addr: slot });
  if (head >= r.size) return fail(r, { kind: 'head-out-of-range', head, size: r.size });
  r.nextAvail = (r.nextAvail + 1) & 0xffff;
  r.inFlight++;
  chain.clear(head);
  const e = walk(mem, r, f, chain, head);
  if (e) {
    chain.error = e;
    return Pop.BadChain;
  }
  return Pop.Ok;
}

function walk(mem: GuestMemory, r: SplitRing, f: RingFeatures, chain: Chain, head: number): ChainError | undefined {
  let table = r.desc;
  let tableSize = r.size;
  let indirect = false;
  let i = head;
  let walked = 0;
  for (;;) {
    // Loop guard (§2.7.5.2): a chain never has more descriptors than its table.
    if (++walked > tableSize) return { kind: 'chain-too-long', limit: tableSize };
    const at = table + DESC_SIZE * i;
    const lo = mem.readU32(at);
    const hi = mem.readU32(at + 4);
    const len = mem.readU32(at + 8);
    const fn = mem.readU32(at + 12);
    if (typeof lo !== 'number' || typeof hi !== 'number' || typeof len !== 'number' || typeof fn !== 'number') return { kind: 'buffer-outside-ram', addr: at, len: DESC_SIZE };
    // >= 2^53 for any high word a RAM address cannot have: contains() then fails.
    const addr = hi * 0x1_0000_0000 + lo;
    const flags = fn & 0xffff;
    const next = fn >>> 16;
    if (flags & VIRTQ_DESC_F_INDIRECT) {
      // §2.7.5.3.1: only with the feature, never nested, never with NEXT; a table of whole descriptors.
      if (!f.indirect) return { kind: 'indirect-not-negotiated' };
      if (indirect) return { kind: 'indirect-nested' };
      if (flags & VIRTQ_DESC_F_NEXT) return { kind: 'indirect-with-next' };
      if (chain.count > 0) return { kind: 'indirect-not-first' };
      if (len === 0 || len % DESC_SIZE !== 0) return { kind: 'indirect-bad-length', len };
      if (!mem.contains(addr, len)) return { kind: 'indirect-outside-ram', addr, len };
      // The WRITE flag of the descriptor that points at the table is ignored (§2.7.5.3.2).
      table = addr;
      tableSize = len / DESC_SIZE;
      indirect = true;
      i = 0;
      walked = 0;
      continue;
    }
    const e = chain.add(mem, addr, len, (flags & VIRTQ_DESC_F_WRITE) !== 0);
    if (e) return e;
    if (!(flags & VIRTQ_DESC_F_NEXT)) return undefined;
    if (next >= tableSize) return { kind: 'next-out-of-range', next, tableSize };
    i = next;
  }
}

/** Put a used element (not yet visible: `splitPublish` writes used.idx). */
export function splitPush(mem: GuestMemory, r: SplitRing, head: number, len: number): boolean {
  const at = r.used + 4 + 8 * (r.nextUsed % r.size);
  const e = usedElem;
  e[0] = head;
  e[1] = head >>> 8;
  e[2] = head >>> 16;
  e[3] = head >>> 24;
  e[4] = len;
  e[5] = len >>> 8;
  e[6] = len >>> 16;
  e[7] = len >>> 24;
  if (mem.write(at, e) !== undefined) {
    r.error = { kind: 'ring-unwritable', addr: at };
    return false;
  }
  r.nextUsed = (r.nextUsed + 1) & 0xffff;
  if (r.inFlight > 0) r.inFlight--;
  return true;
}

/** Make the pushed elements visible: write used.idx. */
export function splitPublish(mem: GuestMemory, r: SplitRing): void {
  if (mem.writeU16(r.used + 2, r.nextUsed) !== undefined) r.error = { kind: 'ring-unwritable', addr: r.used + 2 };
}

/** (u16)(new - event - 1) < (u16)(new - old): did used/avail index pass `event` (§2.7.10)? */
export function needEvent(event: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - event - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}

/** Should the device send a used buffer notification now (§2.7.7, §2.7.10)? */
export function splitShouldNotify(mem: GuestMemory, r: SplitRing, f: RingFeatures): boolean {
  if (f.notifyOnEmpty && !splitHasAvailable(mem, r) && r.nextUsed !== r.signalledUsed) {
    r.signalledUsed = r.nextUsed;
    r.signalledValid = true;
    return true;
  }
  if (!f.eventIdx) {
    const flags = mem.readU16(r.avail);
    return typeof flags === 'number' && (flags & VRING_AVAIL_F_NO_INTERRUPT) === 0;
  }
  const old = r.signalledUsed;
  const valid = r.signalledValid;
  r.signalledUsed = r.nextUsed;
  r.signalledValid = true;
  if (!valid) return true;
  const ev = mem.readU16(r.avail + 4 + 2 * r.size);
  if (typeof ev !== 'number') return true;
  return needEvent(ev, r.nextUsed, old);
}

/**
 * Ask for an available buffer notification when the driver adds a chain
 * (EVENT_IDX: avail_event = the driver's current avail.idx, as QEMU's
 * virtio_queue_set_notification does, so chains the device put back still
 * count as seen; otherwise clear NO_NOTIFY). `enable` false suppresses them
 * (NO_NOTIFY; with EVENT_IDX nothing needs writing).
 */
export function splitSetNotify(mem: GuestMemory, r: SplitRing, f: RingFeatures, enable: boolean): void {
  if (f.eventIdx) {
    if (!enable) return;
    const idx = mem.readU16(r.avail + 2);
    mem.writeU16(r.used + 4 + 8 * r.size, typeof idx === 'number' ? idx : r.nextAvail);
    return;
  }
  mem.writeU16(r.used, enable ? 0 : VRING_USED_F_NO_NOTIFY);
}
