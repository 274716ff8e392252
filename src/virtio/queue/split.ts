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
import { Chain, DESC_SIZE, Pop, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, descAddr, descLen, descU16, type ChainError, type RingError } from './chain.js';

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
  /** used.idx as last written by `splitPublish`. */
  publishedUsed: number;
  error: RingError | undefined;
  /**
   * Copies of guest ring areas, not ring state: `availHeads` holds the avail
   * ring entries (in ring layout) read together with avail.idx, valid from
   * `nextAvail` up to `shadowAvail` (the driver does not change entries it
   * made available, §2.7.13); `usedElems` holds the used elements pushed
   * since the last publish, written to the used ring in one go by
   * `splitPublish` (they are not visible before used.idx anyway, §2.7.14).
   */
  readonly availHeads: Uint8Array;
  readonly usedElems: Uint8Array;
  /** `usedElems` as little-endian words. */
  readonly usedView: DataView;
  /**
   * The descriptor table as read right after avail.idx, when that made many
   * chains available at once (made lazily): the device may read the chains
   * as soon as avail.idx says they are there (§2.7.13.3), and the driver
   * leaves them alone until they are used, so one copy serves every chain up
   * to `shadowAvail`. Valid while `descCopied`; otherwise descriptors are
   * read one by one.
   */
  descTable: DataView | undefined;
  descCopied: boolean;
}

/** Bytes of each area for `size` entries (EVENT_IDX fields included, §2.7). */
export function splitAreaSizes(size: number): { desc: number; avail: number; used: number } {
  return { desc: DESC_SIZE * size, avail: 6 + 2 * size, used: 6 + 8 * size };
}

export function newSplitRing(size: number, desc: number, avail: number, used: number): SplitRing {
  // A new ring has signalled nothing and used nothing: the event-index arithmetic starts exact (§2.7.10).
  const used8 = new Uint8Array(8 * size);
  return {
    kind: 'split',
    size,
    desc,
    avail,
    used,
    nextAvail: 0,
    shadowAvail: 0,
    nextUsed: 0,
    signalledUsed: 0,
    signalledValid: true,
    inFlight: 0,
    publishedUsed: 0,
    error: undefined,
    availHeads: new Uint8Array(2 * size),
    usedElems: used8,
    usedView: new DataView(used8.buffer),
    descTable: undefined,
    descCopied: false,
  };
}

/** One descriptor as read from guest memory, and one used element on its way there (reused: the hot paths allocate nothing). */
const descBuf = new Uint8Array(DESC_SIZE);
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
    const bad = readHeads(mem, r, pending);
    if (bad >= 0) return fail(r, { kind: 'ring-unreadable', addr: bad });
    r.shadowAvail = idx;
    copyTable(mem, r, pending);
  }
  if (r.inFlight >= r.size) return fail(r, { kind: 'too-many-in-flight', size: r.size });
  const at = 2 * (r.nextAvail & (r.size - 1));
  const heads = r.availHeads;
  const head = heads[at]! | (heads[at + 1]! << 8);
  if (head >= r.size) return fail(r, { kind: 'head-out-of-range', head, size: r.size });
  r.nextAvail = (r.nextAvail + 1) & 0xffff;
  r.inFlight++;
  chain.clear(head);
  const t = r.descTable;
  let e: ChainError | undefined;
  if (r.descCopied && t !== undefined && (t.getUint16(DESC_SIZE * head + 12, true) & (VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_INDIRECT)) === 0) {
    // The common chain, one direct descriptor from the copied table: `walk`, unrolled.
    const o = DESC_SIZE * head;
    // >= 2^53 for any high word a RAM address cannot have: contains() then fails.
    e = chain.add(mem, t.getUint32(o + 4, true) * 0x1_0000_0000 + t.getUint32(o, true), t.getUint32(o + 8, true), (t.getUint16(o + 12, true) & VIRTQ_DESC_F_WRITE) !== 0);
  } else {
    e = walk(mem, r, f, chain, head);
  }
  if (e) {
    chain.error = e;
    return Pop.BadChain;
  }
  return Pop.Ok;
}

/**
 * Copy the `n` avail ring entries from `nextAvail` on into `availHeads`
 * (one or two reads, the ring may wrap). Returns -1, or the guest address
 * that could not be read.
 */
function readHeads(mem: GuestMemory, r: SplitRing, n: number): number {
  const size = r.size;
  const first = r.nextAvail & (size - 1);
  const heads = r.availHeads;
  if (n === 1) {
    const h = mem.readU16(r.avail + 4 + 2 * first);
    if (typeof h !== 'number') return r.avail + 4 + 2 * first;
    heads[2 * first] = h;
    heads[2 * first + 1] = h >>> 8;
    return -1;
  }
  const a = Math.min(n, size - first);
  if (mem.read(r.avail + 4 + 2 * first, heads.subarray(2 * first, 2 * (first + a))) !== undefined) return r.avail + 4 + 2 * first;
  if (a < n && mem.read(r.avail + 4, heads.subarray(0, 2 * (n - a))) !== undefined) return r.avail + 4;
  return -1;
}

/**
 * Copy the whole descriptor table when `pending` chains justify it (a
 * quarter of the ring or more: at most 64 bytes copied per chain);
 * otherwise mark the copy stale.
 */
function copyTable(mem: GuestMemory, r: SplitRing, pending: number): void {
  r.descCopied = false;
  if (4 * pending < r.size) return;
  let t = r.descTable;
  if (t === undefined) {
    t = new DataView(new ArrayBuffer(DESC_SIZE * r.size));
    r.descTable = t;
  }
  r.descCopied = mem.read(r.desc, new Uint8Array(t.buffer)) === undefined;
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
    let addr: number;
    let len: number;
    let flags: number;
    let next: number;
    const t = r.descTable;
    if (!indirect && r.descCopied && t !== undefined) {
      const o = DESC_SIZE * i;
      // >= 2^53 for any high word a RAM address cannot have: contains() then fails.
      addr = t.getUint32(o + 4, true) * 0x1_0000_0000 + t.getUint32(o, true);
      len = t.getUint32(o + 8, true);
      flags = t.getUint16(o + 12, true);
      next = t.getUint16(o + 14, true);
    } else {
      const at = table + DESC_SIZE * i;
      const d = descBuf;
      if (mem.read(at, d) !== undefined) return { kind: 'buffer-outside-ram', addr: at, len: DESC_SIZE };
      addr = descAddr(d, 0);
      len = descLen(d, 0);
      flags = descU16(d, 12);
      next = descU16(d, 14);
    }
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

/** Put a used element (not yet visible: `splitPublish` writes it, then used.idx). */
export function splitPush(_mem: GuestMemory, r: SplitRing, head: number, len: number): boolean {
  const o = 8 * (r.nextUsed & (r.size - 1));
  r.usedView.setUint32(o, head, true);
  r.usedView.setUint32(o + 4, len, true);
  r.nextUsed = (r.nextUsed + 1) & 0xffff;
  if (r.inFlight > 0) r.inFlight--;
  return true;
}

/**
 * Make the pushed elements visible: write them (at most one ring's worth,
 * later pushes to a slot replace earlier ones), then used.idx (§2.7.8).
 * False when the used ring cannot be written (`r.error` says where).
 */
export function splitPublish(mem: GuestMemory, r: SplitRing): boolean {
  const size = r.size;
  const n = Math.min((r.nextUsed - r.publishedUsed) & 0xffff, size);
  if (n > 0) {
    const e = r.usedElems;
    const first = (r.nextUsed - n) & (size - 1);
    const at = r.used + 4 + 8 * first;
    let bad = -1;
    if (n === 1) {
      // One element (a received frame): through a fixed scratch, no view to make.
      const u = usedElem;
      for (let k = 0; k < 8; k++) u[k] = e[8 * first + k]!;
      if (mem.write(at, u) !== undefined) bad = at;
    } else {
      const a = Math.min(n, size - first);
      if (mem.write(at, e.subarray(8 * first, 8 * (first + a))) !== undefined) bad = at;
      else if (a < n && mem.write(r.used + 4, e.subarray(0, 8 * (n - a))) !== undefined) bad = r.used + 4;
    }
    if (bad >= 0) {
      r.error = { kind: 'ring-unwritable', addr: bad };
      return false;
    }
  }
  if (mem.writeU16(r.used + 2, r.nextUsed) !== undefined) {
    r.error = { kind: 'ring-unwritable', addr: r.used + 2 };
    return false;
  }
  r.publishedUsed = r.nextUsed;
  return true;
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
