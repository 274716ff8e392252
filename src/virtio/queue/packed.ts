/**
 * Packed virtqueues (virtio 1.2 §2.8): one descriptor ring read and written
 * by both sides, with AVAIL/USED flag bits and wrap counters, plus the
 * driver and device event suppression structures. State: addresses and
 * indices only; every function takes the guest memory; every walk is bounded
 * by the ring size (lists) or the table size (indirect).
 *
 *   descriptor: addr u64, len u32, id u16, flags u16
 *   event suppression: off_wrap u16 (offset 15 bits, wrap bit 15), flags u16
 */
import type { GuestMemory } from '../../dma/memory.js';
import type { RingFeatures } from '../features.js';
import {
  Chain,
  DESC_SIZE,
  Pop,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_USED,
  VIRTQ_DESC_F_WRITE,
  descAddr,
  descLen,
  descU16,
  type ChainError,
  type RingError,
} from './chain.js';

export const RING_EVENT_FLAGS_ENABLE = 0;
export const RING_EVENT_FLAGS_DISABLE = 1;
export const RING_EVENT_FLAGS_DESC = 2;

/** §2.8.10.1: descriptor ring 16, both event suppression structures 4. */
export const PACKED_ALIGN = { desc: 16, driver: 4, device: 4 } as const;
/** §2.8: packed virtqueues have at most 2^15 entries. */
export const PACKED_MAX_SIZE = 0x8000;

export interface PackedRing {
  readonly kind: 'packed';
  readonly size: number;
  readonly desc: number;
  /** Driver Event Suppression (driver area, read by the device). */
  readonly driver: number;
  /** Device Event Suppression (device area, written by the device). */
  readonly device: number;
  nextAvail: number;
  availWrap: boolean;
  nextUsed: number;
  usedWrap: boolean;
  signalledUsed: number;
  signalledWrap: boolean;
  signalledValid: boolean;
  inFlight: number;
  /** Slot of the first used descriptor of the unpublished batch (its flags go last, §2.8.13), or -1. */
  pendingSlot: number;
  pendingFlags: number;
  error: RingError | undefined;
  /**
   * A copy of guest descriptors, not ring state: a run of descriptors read
   * in one go and seen available, positions [winFrom, winTo) of the lap whose
   * wrap counter is `winWrap`. An available descriptor does not change until
   * the device uses it (the device may read it at once, §2.8.21.1), so pops
   * inside the run need no further read. `winWant`: descriptors to read at
   * the next refill (grows while runs are consumed whole, shrinks to what
   * the driver makes available at a time).
   */
  win: DataView | undefined;
  winFrom: number;
  winTo: number;
  winWrap: boolean;
  winWant: number;
}

export function packedAreaSizes(size: number): { desc: number; driver: number; device: number } {
  return { desc: DESC_SIZE * size, driver: 4, device: 4 };
}

export function newPackedRing(size: number, desc: number, driver: number, device: number): PackedRing {
  return {
    kind: 'packed',
    size,
    desc,
    driver,
    device,
    nextAvail: 0,
    availWrap: true,
    nextUsed: 0,
    usedWrap: true,
    signalledUsed: 0,
    signalledWrap: true,
    signalledValid: true,
    inFlight: 0,
    pendingSlot: -1,
    pendingFlags: 0,
    error: undefined,
    win: undefined,
    winFrom: 0,
    winTo: 0,
    winWrap: true,
    winWant: 1,
  };
}

const scratch = new Uint8Array(DESC_SIZE);
const scratchView = new DataView(scratch.buffer);
const entry = new Uint8Array(DESC_SIZE);
/** Most descriptors read ahead at once (1 KiB). */
const WIN_MAX = 64;
/** len and id of a used descriptor, written together. */
const usedLenId = new Uint8Array(6);

function isAvail(flags: number, wrap: boolean): boolean {
  return ((flags & VIRTQ_DESC_F_AVAIL) !== 0) === wrap && ((flags & VIRTQ_DESC_F_USED) !== 0) !== wrap;
}

/** Position `pos` of the current lap (wrap counter `wrap`) is in the read-ahead run. */
function inWindow(r: PackedRing, pos: number, wrap: boolean): boolean {
  return pos >= r.winFrom && pos < r.winTo && wrap === r.winWrap;
}

/**
 * Read up to `winWant` descriptors from `nextAvail` (not past the ring's
 * end) and keep the available run at its start. Returns the run's length,
 * or -1 when the ring cannot be read.
 */
function refill(mem: GuestMemory, r: PackedRing): number {
  const p = r.nextAvail;
  const wrap = r.availWrap;
  const n = Math.min(r.winWant, r.size - p);
  let w = r.win;
  if (w === undefined) {
    w = new DataView(new ArrayBuffer(DESC_SIZE * r.size));
    r.win = w;
  }
  r.winTo = r.winFrom;
  const at = r.desc + DESC_SIZE * p;
  if (n === 1) {
    // One descriptor: through the fixed scratch (no view to make).
    if (mem.read(at, scratch) !== undefined) return -1;
    for (let k = 0; k < DESC_SIZE; k++) w.setUint8(DESC_SIZE * p + k, scratch[k]!);
  } else if (mem.read(at, new Uint8Array(w.buffer, DESC_SIZE * p, DESC_SIZE * n)) !== undefined) {
    return -1;
  }
  let m = 0;
  while (m < n && isAvail(w.getUint16(DESC_SIZE * (p + m) + 14, true), wrap)) m++;
  r.winFrom = p;
  r.winTo = p + m;
  r.winWrap = wrap;
  if (m === n) r.winWant = Math.min(2 * r.winWant, WIN_MAX);
  else if (m > 0) r.winWant = m;
  return m;
}

export function packedHasAvailable(mem: GuestMemory, r: PackedRing): boolean {
  if (inWindow(r, r.nextAvail, r.availWrap)) return true;
  const flags = mem.readU16(r.desc + DESC_SIZE * r.nextAvail + 14);
  return typeof flags === 'number' && isAvail(flags, r.availWrap);
}

function fail(r: PackedRing, e: RingError): Pop {
  r.error = e;
  return Pop.BadRing;
}

/**
 * Take the next available buffer. The whole list is walked (at most `size`
 * descriptors) to find its buffer id and length even when one of its buffers
 * is bad, so a bad buffer can still be returned; a list that is not fully
 * available or runs past the ring is a ring error and consumes nothing.
 */
export function packedPop(mem: GuestMemory, r: PackedRing, f: RingFeatures, chain: Chain): Pop {
  // The first descriptor from the read-ahead run, or a new run read from there.
  if (!inWindow(r, r.nextAvail, r.availWrap)) {
    const m = refill(mem, r);
    if (m < 0) return fail(r, { kind: 'ring-unreadable', addr: r.desc + DESC_SIZE * r.nextAvail });
    if (m === 0) return Pop.Empty;
  }
  if (r.inFlight >= r.size) return fail(r, { kind: 'too-many-in-flight', size: r.size });
  const w = r.win!;
  const o0 = DESC_SIZE * r.nextAvail;
  const flags0 = w.getUint16(o0 + 14, true);
  if ((flags0 & (VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_INDIRECT)) === 0) {
    // The common buffer, one descriptor: the loop below, unrolled.
    const id0 = w.getUint16(o0 + 12, true);
    if (id0 >= r.size) return fail(r, { kind: 'buffer-id-out-of-range', id: id0, size: r.size });
    chain.clear(id0);
    // >= 2^53 for any high word a RAM address cannot have: contains() then fails.
    const e = chain.add(mem, w.getUint32(o0 + 4, true) * 0x1_0000_0000 + w.getUint32(o0, true), w.getUint32(o0 + 8, true), (flags0 & VIRTQ_DESC_F_WRITE) !== 0);
    if (++r.nextAvail === r.size) {
      r.nextAvail = 0;
      r.availWrap = !r.availWrap;
    }
    r.inFlight++;
    if (e) {
      chain.error = e;
      return Pop.BadChain;
    }
    return Pop.Ok;
  }
  chain.clear(0);
  let pos = r.nextAvail;
  let wrap = r.availWrap;
  let slots = 0;
  let id = 0;
  let err: ChainError | undefined;
  for (;;) {
    if (++slots > r.size) return fail(r, { kind: 'packed-list-broken', at: pos });
    let d: DataView;
    let o: number;
    if (inWindow(r, pos, wrap)) {
      d = r.win!;
      o = DESC_SIZE * pos;
    } else {
      const at = r.desc + DESC_SIZE * pos;
      if (mem.read(at, scratch) !== undefined) return fail(r, { kind: 'ring-unreadable', addr: at });
      d = scratchView;
      o = 0;
      // Every descriptor of a list is made available with the same wrap value (§2.8.6).
      if (!isAvail(d.getUint16(14, true), wrap)) return fail(r, { kind: 'packed-list-broken', at: pos });
    }
    const flags = d.getUint16(o + 14, true);
    // >= 2^53 for any high word a RAM address cannot have: contains() then fails.
    const addr = d.getUint32(o + 4, true) * 0x1_0000_0000 + d.getUint32(o, true);
    const len = d.getUint32(o + 8, true);
    id = d.getUint16(o + 12, true);
    if (err === undefined) {
      if (flags & VIRTQ_DESC_F_INDIRECT) err = indirect(mem, f, chain, addr, len, flags, slots);
      else err = chain.add(mem, addr, len, (flags & VIRTQ_DESC_F_WRITE) !== 0);
    }
    pos++;
    if (pos === r.size) {
      pos = 0;
      wrap = !wrap;
    }
    if (!(flags & VIRTQ_DESC_F_NEXT)) break;
  }
  // The buffer id is in the last descriptor (§2.8.6); the driver keeps ids below the queue size.
  if (id >= r.size) return fail(r, { kind: 'buffer-id-out-of-range', id, size: r.size });
  r.nextAvail = pos;
  r.availWrap = wrap;
  r.inFlight++;
  chain.head = id;
  chain.ringSlots = slots;
  if (err) {
    chain.error = err;
    return Pop.BadChain;
  }
  return Pop.Ok;
}

/** An indirect table (§2.8.7): consecutive descriptors; only WRITE counts in them. */
function indirect(mem: GuestMemory, f: RingFeatures, chain: Chain, addr: number, len: number, flags: number, slots: number): ChainError | undefined {
  if (!f.indirect) return { kind: 'indirect-not-negotiated' };
  if (flags & VIRTQ_DESC_F_NEXT) return { kind: 'indirect-with-next' };
  if (slots > 1) return { kind: 'indirect-not-first' };
  if (len === 0 || len % DESC_SIZE !== 0) return { kind: 'indirect-bad-length', len };
  if (!mem.contains(addr, len)) return { kind: 'indirect-outside-ram', addr, len };
  const n = len / DESC_SIZE;
  if (n > chain.capacity) return { kind: 'chain-too-long', limit: chain.capacity };
  for (let i = 0; i < n; i++) {
    if (mem.read(addr + DESC_SIZE * i, entry) !== undefined) return { kind: 'indirect-outside-ram', addr, len };
    const e = chain.add(mem, descAddr(entry, 0), descLen(entry, 0), (descU16(entry, 14) & VIRTQ_DESC_F_WRITE) !== 0);
    if (e) return e;
  }
  return undefined;
}

/**
 * Write a used descriptor for buffer `id` that took `slots` ring entries.
 * The flags of the first descriptor of a batch are written by `packedPublish`,
 * after the rest (§2.8.13 multi-buffer requests).
 */
export function packedPush(mem: GuestMemory, r: PackedRing, id: number, slots: number, len: number): boolean {
  const at = r.desc + DESC_SIZE * r.nextUsed;
  const flags = (r.usedWrap ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0) | (len > 0 ? VIRTQ_DESC_F_WRITE : 0);
  // len and id in one write; the flags after them, on their own (the first of a batch's at publish).
  const u = usedLenId;
  u[0] = len;
  u[1] = len >>> 8;
  u[2] = len >>> 16;
  u[3] = len >>> 24;
  u[4] = id;
  u[5] = id >>> 8;
  if (mem.write(at + 8, u) !== undefined) {
    r.error = { kind: 'ring-unwritable', addr: at };
    return false;
  }
  if (r.pendingSlot < 0) {
    r.pendingSlot = r.nextUsed;
    r.pendingFlags = flags;
  } else {
    mem.writeU16(at + 14, flags);
  }
  r.nextUsed += Math.max(1, slots);
  if (r.nextUsed >= r.size) {
    r.nextUsed -= r.size;
    r.usedWrap = !r.usedWrap;
  }
  if (r.inFlight > 0) r.inFlight--;
  return true;
}

/** Write the flags held back by `packedPush`; false when they could not be written (`r.error`). */
export function packedPublish(mem: GuestMemory, r: PackedRing): boolean {
  if (r.pendingSlot < 0) return true;
  const at = r.desc + DESC_SIZE * r.pendingSlot + 14;
  r.pendingSlot = -1;
  if (mem.writeU16(at, r.pendingFlags) !== undefined) {
    r.error = { kind: 'ring-unwritable', addr: at };
    return false;
  }
  return true;
}

/** §2.8.10: consult the Driver Event Suppression structure. */
export function packedShouldNotify(mem: GuestMemory, r: PackedRing, f: RingFeatures): boolean {
  // off_wrap and flags in one load.
  const both = mem.readU32(r.driver);
  const offWrap = typeof both === 'number' ? both & 0xffff : both;
  const flags = typeof both === 'number' ? both >>> 16 : both;
  const old = r.signalledUsed;
  const oldWrap = r.signalledWrap;
  const valid = r.signalledValid;
  r.signalledUsed = r.nextUsed;
  r.signalledWrap = r.usedWrap;
  r.signalledValid = true;
  if (typeof offWrap !== 'number' || typeof flags !== 'number') return true;
  const mode = flags & 3;
  if (mode === RING_EVENT_FLAGS_DISABLE) return false;
  if (mode !== RING_EVENT_FLAGS_DESC || !f.eventIdx || !valid) return true;
  // Linearise positions relative to the current wrap: the event fires when its
  // descriptor lies in [old, new) of the descriptors used since the last check.
  const newPos = r.nextUsed;
  const oldPos = oldWrap === r.usedWrap ? old : old - r.size;
  const ev = (offWrap & 0x7fff) - ((offWrap >> 15 !== 0) === r.usedWrap ? 0 : r.size);
  return ev >= oldPos && ev < newPos;
}

/**
 * §2.8.10: write the Device Event Suppression structure. Enabling asks for
 * a notification on every new buffer (RING_EVENT_FLAGS_ENABLE), even with
 * EVENT_IDX: the device never knows where the driver's next descriptor will
 * be once it has put buffers back, and a descriptor-specific event there
 * could be missed.
 */
export function packedSetNotify(mem: GuestMemory, r: PackedRing, _f: RingFeatures, enable: boolean): void {
  mem.writeU16(r.device + 2, enable ? RING_EVENT_FLAGS_ENABLE : RING_EVENT_FLAGS_DISABLE);
}
