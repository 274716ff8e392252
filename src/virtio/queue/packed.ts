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
  /**
   * Used descriptors pushed and not yet written (like the split ring's used
   * elements, they go to the ring at publish): `staged` of them, covering
   * `stagedSlots` ring slots from `stageSlot[0]` on (in the lap whose wrap
   * counter is `stageWrap`); `stageSlot` holds each one's slot, in push
   * order. Each is put together in `win`, over the copy of the descriptor
   * read from its slot. `stagedRun`: every one took one slot (so they fill
   * consecutive slots) and `win` held the ring when it was pushed.
   */
  staged: number;
  stagedSlots: number;
  stagedRun: boolean;
  stageWrap: boolean;
  readonly stageSlot: Uint16Array;
  error: RingError | undefined;
  /**
   * A copy of the descriptor ring, not ring state (made when first
   * needed). Positions [winFrom, winTo) of the lap whose wrap counter is
   * `winWrap`: a run of descriptors read in one go and seen available. An
   * available descriptor does not change until the device uses it (the
   * device may read it at once, §2.8.21.1), so pops inside the run need no
   * further read. `winWant`: descriptors to read at the next refill (grows
   * while runs are consumed whole, shrinks to what the driver makes
   * available at a time). Behind `nextAvail`, the copies of descriptors the
   * device took: `packedPush` puts the used descriptors together over them,
   * and a refill never reads over those before they are published.
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
    staged: 0,
    stagedSlots: 0,
    stagedRun: true,
    stageWrap: true,
    stageSlot: new Uint16Array(size),
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
/** Most descriptors read ahead at once (4 KiB, as much as a split ring's table copy of 256 entries). */
const WIN_MAX = 256;
/** len and id of a used descriptor, written together. */
const usedLenId = new Uint8Array(6);

function isAvail(flags: number, wrap: boolean): boolean {
  // AVAIL equal to the wrap counter, USED its inverse (§2.8.1).
  return (flags & (VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED)) === (wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED);
}

/** Position `pos` of the current lap (wrap counter `wrap`) is in the read-ahead run. */
function inWindow(r: PackedRing, pos: number, wrap: boolean): boolean {
  return pos >= r.winFrom && pos < r.winTo && wrap === r.winWrap;
}

/**
 * Read up to `winWant` descriptors from `nextAvail` (not past the ring's
 * end, nor over staged used descriptors) and keep the available run at
 * their start. Returns the run's length, or -1 when the ring cannot be read.
 */
function refill(mem: GuestMemory, r: PackedRing): number {
  const p = r.nextAvail;
  const wrap = r.availWrap;
  let n = Math.min(r.winWant, r.size - p);
  if (r.staged > 0 && r.stageWrap !== wrap) {
    // Staged used descriptors of the previous lap lie ahead: the driver
    // cannot make those slots available again before they are published (§2.8.16).
    n = Math.min(n, r.stageSlot[0]! - p);
  }
  r.winTo = r.winFrom;
  if (n <= 0) return 0;
  const at = r.desc + DESC_SIZE * p;
  // The first one's flags alone first: a ring with nothing new costs one small read.
  const flags = mem.readU16(at + 14);
  if (typeof flags !== 'number') return -1;
  if (!isAvail(flags, wrap)) return 0;
  const w = r.win ?? newWin(r);
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
 *
 * (Lists, indirect tables and errors are handled out of line: the
 * one-descriptor path stays short.)
 */
export function packedPop(mem: GuestMemory, r: PackedRing, f: RingFeatures, chain: Chain): Pop {
  const p = r.nextAvail;
  // The first descriptor from the read-ahead run, or a new run read from
  // there: every buffer's first descriptor is in `win` when it is taken.
  if (!inWindow(r, p, r.availWrap)) {
    const m = refill(mem, r);
    if (m <= 0) return m < 0 ? ringUnreadable(r, r.desc + DESC_SIZE * p) : Pop.Empty;
  }
  if (r.inFlight >= r.size) return tooManyInFlight(r);
  const w = r.win!;
  const o = DESC_SIZE * p;
  const flags = w.getUint16(o + 14, true);
  if ((flags & (VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_INDIRECT)) !== 0) return popList(mem, r, f, chain);
  // The common buffer, one descriptor: the loop of `popList`, unrolled.
  const id = w.getUint16(o + 12, true);
  if (id >= r.size) return badBufferId(r, id);
  // >= 2^53 for any high word a RAM address cannot have: contains() then fails.
  const e = chain.one(mem, id, w.getUint32(o + 4, true) * 0x1_0000_0000 + w.getUint32(o, true), w.getUint32(o + 8, true), (flags & VIRTQ_DESC_F_WRITE) !== 0);
  if (p + 1 === r.size) {
    r.nextAvail = 0;
    r.availWrap = !r.availWrap;
  } else {
    r.nextAvail = p + 1;
  }
  r.inFlight++;
  if (e === undefined) return Pop.Ok;
  chain.error = e;
  return Pop.BadChain;
}

function ringUnreadable(r: PackedRing, addr: number): Pop {
  return fail(r, { kind: 'ring-unreadable', addr });
}

function tooManyInFlight(r: PackedRing): Pop {
  return fail(r, { kind: 'too-many-in-flight', size: r.size });
}

function badBufferId(r: PackedRing, id: number): Pop {
  return fail(r, { kind: 'buffer-id-out-of-range', id, size: r.size });
}

/** The rest of `packedPop`: a list of descriptors or an indirect table. */
function popList(mem: GuestMemory, r: PackedRing, f: RingFeatures, chain: Chain): Pop {
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
  if (id >= r.size) return badBufferId(r, id);
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
 * Return buffer `id`, which took `slots` ring entries, with `len` bytes
 * written: staged at slot `nextUsed`, written to the ring by
 * `packedPublish`. False when staged descriptors had to be written first
 * and could not be (`r.error`).
 */
export function packedPush(mem: GuestMemory, r: PackedRing, id: number, slots: number, len: number): boolean {
  const s = slots > 1 ? Math.min(slots, r.size) : 1;
  // More than a ring's worth between publishes: only a driver that made
  // slots available again before they were used does that. Write out what
  // is staged so far and go on.
  const ok = r.stagedSlots + s <= r.size || writeStaged(mem, r);
  const slot = r.nextUsed;
  let w = r.win;
  if (w === undefined || s > 1) {
    // No copy of the ring yet (a ring restored with buffers in flight), or a list: not a run.
    w ??= newWin(r);
    r.stagedRun = false;
  }
  if (r.staged === 0) r.stageWrap = r.usedWrap;
  r.stageSlot[r.staged++] = slot;
  r.stagedSlots += s;
  // Length, id and flags over the device's copy of this slot; its Element
  // Address is unused in a used descriptor (§2.8.4): it keeps whatever the
  // copy holds (what the device read there, or zeros for a slot it did not
  // read through the window, such as a list's later descriptors).
  const o = DESC_SIZE * slot;
  const flags = (r.usedWrap ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0) | (len > 0 ? VIRTQ_DESC_F_WRITE : 0);
  w.setUint32(o + 8, len, true);
  w.setUint32(o + 12, (id & 0xffff) | (flags << 16), true);
  const next = slot + s;
  if (next >= r.size) {
    r.nextUsed = next - r.size;
    r.usedWrap = !r.usedWrap;
  } else {
    r.nextUsed = next;
  }
  if (r.inFlight > 0) r.inFlight--;
  return ok;
}

function newWin(r: PackedRing): DataView {
  const w = new DataView(new ArrayBuffer(DESC_SIZE * r.size));
  r.win = w;
  return w;
}

/** Write the staged used descriptors; false when they could not be written (`r.error`). */
export function packedPublish(mem: GuestMemory, r: PackedRing): boolean {
  return writeStaged(mem, r);
}

/**
 * From this many staged descriptors in consecutive slots on, they are
 * written as one run (three accesses and two views, against two accesses
 * each one by one).
 */
const RUN_MIN = 4;

/**
 * Write the staged used descriptors: each one's id and length with or
 * before its flags, and the flags of the first one after everything else.
 * The driver polls only the descriptor after the last one it processed
 * (§2.8.2 "Polling of available and used descriptors"), so nothing of the
 * batch is visible before all of it is written (as for a multi-buffer
 * request, §2.8.9); within that, the device may order its descriptor
 * writes as it likes (§2.8.12).
 *
 * Descriptors in consecutive slots (every buffer of one descriptor, the
 * common case) are written whole from `win`, in one write (two across the
 * end of the ring): the Element Address from the device's copy (unused in
 * a used descriptor), the first one's flags as they are in the ring; then
 * those flags. Otherwise,
 * and for a few, one by one: length and id in one write, flags in another,
 * so that nothing is written into the slots skipped after a list (§2.8.6).
 */
function writeStaged(mem: GuestMemory, r: PackedRing): boolean {
  const n = r.staged;
  if (n === 0) return true;
  const run = r.stagedRun && n >= RUN_MIN;
  r.staged = 0;
  r.stagedSlots = 0;
  r.stagedRun = true;
  const slot = r.stageSlot;
  const w = r.win!;
  const from = slot[0]!;
  const first = r.desc + DESC_SIZE * from;
  const firstFlags = w.getUint16(DESC_SIZE * from + 14, true);
  if (run) {
    const now = mem.readU16(first + 14);
    if (typeof now !== 'number') return unwritable(r, first + 14);
    w.setUint16(DESC_SIZE * from + 14, now, true);
    const bytes = new Uint8Array(w.buffer);
    const a = Math.min(n, r.size - from);
    if (mem.write(first, bytes.subarray(DESC_SIZE * from, DESC_SIZE * (from + a))) !== undefined) return unwritable(r, first);
    if (a < n && mem.write(r.desc, bytes.subarray(0, DESC_SIZE * (n - a))) !== undefined) return unwritable(r, r.desc);
  } else {
    const b = usedLenId;
    for (let k = 0; k < n; k++) {
      const o = DESC_SIZE * slot[k]!;
      const at = r.desc + o;
      for (let i = 0; i < 6; i++) b[i] = w.getUint8(o + 8 + i);
      if (mem.write(at + 8, b) !== undefined) return unwritable(r, at + 8);
      if (k > 0 && mem.writeU16(at + 14, w.getUint16(o + 14, true)) !== undefined) return unwritable(r, at + 14);
    }
  }
  if (mem.writeU16(first + 14, firstFlags) !== undefined) return unwritable(r, first + 14);
  return true;
}

function unwritable(r: PackedRing, addr: number): boolean {
  r.error = { kind: 'ring-unwritable', addr };
  return false;
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
