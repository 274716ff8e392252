/**
 * One interface over both ring layouts: pop a chain, push used elements,
 * publish them, decide about notifications, and checkpoint/rewind the
 * consumer position (a frame that needs more buffers than are available is
 * put back, not half-delivered).
 */
import type { GuestMemory } from '../../dma/memory.js';
import type { RingFeatures } from '../features.js';
import type { Chain, Pop, RingError } from './chain.js';
import { newPackedRing, packedHasAvailable, packedPop, packedPublish, packedPush, packedSetNotify, packedShouldNotify, type PackedRing } from './packed.js';
import { newSplitRing, splitHasAvailable, splitPop, splitPublish, splitPush, splitSetNotify, splitShouldNotify, type SplitRing } from './split.js';

export type Ring = SplitRing | PackedRing;

export function pop(mem: GuestMemory, r: Ring, f: RingFeatures, chain: Chain): Pop {
  return r.kind === 'split' ? splitPop(mem, r, f, chain) : packedPop(mem, r, f, chain);
}

/** Return a chain (`head`: split head index / packed buffer id; `slots`: packed ring entries it took) with `len` bytes written. */
export function push(mem: GuestMemory, r: Ring, head: number, slots: number, len: number): boolean {
  return r.kind === 'split' ? splitPush(mem, r, head, len) : packedPush(mem, r, head, slots, len);
}

/** Make pushed elements visible; false when the ring could not be written (`r.error`). */
export function publish(mem: GuestMemory, r: Ring): boolean {
  return r.kind === 'split' ? splitPublish(mem, r) : packedPublish(mem, r);
}

/** True when used elements were pushed and not yet published. */
export function hasUnpublished(r: Ring): boolean {
  return r.kind === 'split' ? r.nextUsed !== r.publishedUsed : r.staged > 0;
}

export function hasAvailable(mem: GuestMemory, r: Ring): boolean {
  return r.kind === 'split' ? splitHasAvailable(mem, r) : packedHasAvailable(mem, r);
}

export function shouldNotify(mem: GuestMemory, r: Ring, f: RingFeatures): boolean {
  return r.kind === 'split' ? splitShouldNotify(mem, r, f) : packedShouldNotify(mem, r, f);
}

export function setNotify(mem: GuestMemory, r: Ring, f: RingFeatures, enable: boolean): void {
  if (r.kind === 'split') splitSetNotify(mem, r, f, enable);
  else packedSetNotify(mem, r, f, enable);
}

export function ringError(r: Ring): RingError | undefined {
  return r.error;
}

/** Consumer position, for putting popped chains back. */
export interface RingMark {
  nextAvail: number;
  availWrap: boolean;
  inFlight: number;
}

export function mark(r: Ring, out: RingMark): RingMark {
  out.nextAvail = r.nextAvail;
  out.availWrap = r.kind === 'packed' ? r.availWrap : true;
  out.inFlight = r.inFlight;
  return out;
}

/** Undo pops since `m` (nothing popped since may have been pushed). */
export function rewind(r: Ring, m: RingMark): void {
  r.nextAvail = m.nextAvail;
  // (a split ring's shadow of avail.idx stays: the chains are still available)
  r.inFlight = m.inFlight;
  if (r.kind === 'packed') r.availWrap = m.availWrap;
}

export function newRing(kind: 'split' | 'packed', size: number, desc: number, driver: number, device: number): Ring {
  return kind === 'split' ? newSplitRing(size, desc, driver, device) : newPackedRing(size, desc, driver, device);
}

export { type SplitRing, type PackedRing };
