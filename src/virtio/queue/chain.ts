/**
 * A descriptor chain popped from a virtqueue, as a fixed-capacity list of
 * guest buffers: device-readable ones first, then device-writable ones
 * (virtio 1.2 §2.7.4.2). One `Chain` is allocated per consumer and reused for
 * every pop, so the hot paths allocate nothing. Errors are values: the kinds
 * below, each named after the rule it breaks.
 */
import type { GuestMemory } from '../../dma/memory.js';

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
/** Packed ring only (§2.8.1). */
export const VIRTQ_DESC_F_AVAIL = 1 << 7;
export const VIRTQ_DESC_F_USED = 1 << 15;

export const DESC_SIZE = 16;

/**
 * Most buffers one chain may describe, indirect tables included (QEMU's
 * VIRTQUEUE_MAX_SIZE). Direct chains are also bounded by the queue size.
 */
export const MAX_CHAIN_SEGMENTS = 1024;

/** A chain's bytes must stay below 2^32 in total (§2.7.5.2). */
export const MAX_CHAIN_BYTES = 0xffffffff;

/** Something wrong with one chain: it is completed with used length 0 and the queue goes on. */
export type ChainError =
  | { readonly kind: 'next-out-of-range'; readonly next: number; readonly tableSize: number }
  | { readonly kind: 'chain-too-long'; readonly limit: number }
  | { readonly kind: 'zero-length'; readonly addr: number }
  | { readonly kind: 'buffer-outside-ram'; readonly addr: number; readonly len: number }
  | { readonly kind: 'chain-too-many-bytes' }
  | { readonly kind: 'readable-after-writable' }
  | { readonly kind: 'indirect-not-negotiated' }
  | { readonly kind: 'indirect-nested' }
  | { readonly kind: 'indirect-with-next' }
  | { readonly kind: 'indirect-not-first' }
  | { readonly kind: 'indirect-bad-length'; readonly len: number }
  | { readonly kind: 'indirect-outside-ram'; readonly addr: number; readonly len: number };

/** Something wrong with the ring itself: the device cannot go on and needs a reset. */
export type RingError =
  | { readonly kind: 'avail-idx-ahead'; readonly availIdx: number; readonly lastAvail: number; readonly size: number }
  | { readonly kind: 'head-out-of-range'; readonly head: number; readonly size: number }
  | { readonly kind: 'buffer-id-out-of-range'; readonly id: number; readonly size: number }
  | { readonly kind: 'too-many-in-flight'; readonly size: number }
  | { readonly kind: 'ring-unreadable'; readonly addr: number }
  | { readonly kind: 'ring-unwritable'; readonly addr: number }
  | { readonly kind: 'packed-list-broken'; readonly at: number };

/** What a pop produced. */
export const Pop = {
  /** A chain is in `chain`. */
  Ok: 0,
  /** Nothing available. */
  Empty: 1,
  /** `chain.head` is valid and must be completed (length 0); `chain.error` says why. */
  BadChain: 2,
  /** The ring is broken (`ring.error`); nothing was consumed. */
  BadRing: 3,
} as const;
export type Pop = (typeof Pop)[keyof typeof Pop];

export class Chain {
  /** Split ring: head descriptor index. Packed ring: buffer id. */
  head = 0;
  /** Ring slots the chain occupied (packed: used index advance; split: 1). */
  ringSlots = 1;
  /** Number of buffers in `addr`/`len`. */
  count = 0;
  /** The first `readable` buffers are device-readable, the rest device-writable. */
  readable = 0;
  readableBytes = 0;
  writableBytes = 0;
  error: ChainError | undefined;
  readonly addr: Float64Array;
  readonly len: Uint32Array;

  constructor(readonly capacity = MAX_CHAIN_SEGMENTS) {
    this.addr = new Float64Array(capacity);
    this.len = new Uint32Array(capacity);
  }

  clear(head: number): void {
    this.head = head;
    this.ringSlots = 1;
    this.count = 0;
    this.readable = 0;
    this.readableBytes = 0;
    this.writableBytes = 0;
    this.error = undefined;
  }

  /**
   * Add one buffer after checking it (§2.7.5.2 / §2.8.x): non-empty, inside
   * RAM, readable ones before writable ones, total below 2^32. Returns the
   * error or undefined.
   */
  add(mem: GuestMemory, addr: number, len: number, writable: boolean): ChainError | undefined {
    if (len === 0) return { kind: 'zero-length', addr };
    if (!mem.contains(addr, len)) return { kind: 'buffer-outside-ram', addr, len };
    if (this.count >= this.capacity) return { kind: 'chain-too-long', limit: this.capacity };
    if (writable) {
      this.writableBytes += len;
    } else {
      if (this.count > this.readable) return { kind: 'readable-after-writable' };
      this.readable++;
      this.readableBytes += len;
    }
    if (this.readableBytes + this.writableBytes > MAX_CHAIN_BYTES) return { kind: 'chain-too-many-bytes' };
    this.addr[this.count] = addr;
    this.len[this.count] = len;
    this.count++;
    return undefined;
  }

  /**
   * `clear(head)` then `add` of one buffer, for a chain of a single
   * descriptor (the common case): the checks of `add` that one buffer can fail.
   */
  one(mem: GuestMemory, head: number, addr: number, len: number, writable: boolean): ChainError | undefined {
    this.clear(head);
    if (len === 0) return { kind: 'zero-length', addr };
    if (!mem.contains(addr, len)) return { kind: 'buffer-outside-ram', addr, len };
    if (this.capacity === 0) return { kind: 'chain-too-long', limit: 0 };
    this.addr[0] = addr;
    this.len[0] = len;
    this.count = 1;
    if (writable) {
      this.writableBytes = len;
    } else {
      this.readable = 1;
      this.readableBytes = len;
    }
    return undefined;
  }

  /**
   * Copy `dst.length` device-readable bytes starting `offset` bytes into the
   * readable part. Returns the bytes copied (less when the chain is shorter).
   */
  read(mem: GuestMemory, offset: number, dst: Uint8Array): number {
    if (this.readable > 0 && offset + dst.length <= this.len[0]!) {
      // Fast path: inside the first buffer.
      return mem.read(this.addr[0]! + offset, dst) === undefined ? dst.length : 0;
    }
    let want = dst.length;
    let done = 0;
    let skip = offset;
    for (let i = 0; i < this.readable && want > 0; i++) {
      const l = this.len[i]!;
      if (skip >= l) {
        skip -= l;
        continue;
      }
      const n = Math.min(l - skip, want);
      if (mem.read(this.addr[i]! + skip, n === dst.length && done === 0 ? dst : dst.subarray(done, done + n)) !== undefined) return done;
      done += n;
      want -= n;
      skip = 0;
    }
    return done;
  }

  /**
   * Copy `src` into the device-writable part starting `offset` bytes into it.
   * Returns the bytes written (less when the writable part is shorter).
   */
  write(mem: GuestMemory, offset: number, src: Uint8Array): number {
    const w = this.readable;
    if (w < this.count && offset + src.length <= this.len[w]!) {
      // Fast path: inside the first writable buffer.
      return mem.write(this.addr[w]! + offset, src) === undefined ? src.length : 0;
    }
    let want = src.length;
    let done = 0;
    let skip = offset;
    for (let i = this.readable; i < this.count && want > 0; i++) {
      const l = this.len[i]!;
      if (skip >= l) {
        skip -= l;
        continue;
      }
      const n = Math.min(l - skip, want);
      if (mem.write(this.addr[i]! + skip, n === src.length && done === 0 ? src : src.subarray(done, done + n)) !== undefined) return done;
      done += n;
      want -= n;
      skip = 0;
    }
    return done;
  }
}

/** Little-endian fields of a 16-byte descriptor in `b` at `o`. */
export function descAddr(b: Uint8Array, o: number): number {
  const lo = (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  const hi = (b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16) | (b[o + 7]! << 24)) >>> 0;
  // >= 2^53 for any high word a RAM address cannot have: contains() then fails.
  return hi * 0x1_0000_0000 + lo;
}
export function descLen(b: Uint8Array, o: number): number {
  return (b[o + 8]! | (b[o + 9]! << 8) | (b[o + 10]! << 16) | (b[o + 11]! << 24)) >>> 0;
}
/** Split: flags at 12, next at 14. Packed: id at 12, flags at 14. */
export function descU16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
