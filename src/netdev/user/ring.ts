/**
 * A byte FIFO with a fixed maximum capacity whose storage grows on demand
 * (so an idle connection costs a few KiB, not its whole window). Reads copy
 * out; only `contiguous` lends a view of the storage, to a caller that copies
 * from it at once.
 */
export class ByteRing {
  private buf: Uint8Array;
  private head = 0;
  private len = 0;

  constructor(
    /** Most bytes held at once. */
    readonly capacity: number,
    initial = 4096,
  ) {
    this.buf = new Uint8Array(Math.min(capacity, Math.max(16, initial)));
  }

  get length(): number {
    return this.len;
  }

  get free(): number {
    return this.capacity - this.len;
  }

  /** Bytes of storage currently allocated. */
  get allocated(): number {
    return this.buf.length;
  }

  /** Append as much of `src` as fits; returns the count appended. */
  push(src: Uint8Array): number {
    const n = Math.min(src.length, this.capacity - this.len);
    if (n === 0) return 0;
    this.reserve(this.len + n);
    const size = this.buf.length;
    const tail = (this.head + this.len) % size;
    const first = Math.min(n, size - tail);
    // Whole-array `set`s where possible: a view per call is the bulk path's main allocation.
    if (first === src.length) this.buf.set(src, tail);
    else this.buf.set(src.subarray(0, first), tail);
    if (first < n) this.buf.set(src.subarray(first, n), 0);
    this.len += n;
    return n;
  }

  /** Copy `len` bytes starting `offset` bytes after the head into dst[dstOff..]. */
  copyOut(offset: number, len: number, dst: Uint8Array, dstOff = 0): void {
    if (offset < 0 || len < 0 || offset + len > this.len) throw new RangeError(`ring read ${offset}+${len} beyond ${this.len}`);
    const size = this.buf.length;
    const start = (this.head + offset) % size;
    const first = Math.min(len, size - start);
    if (first === 0) return;
    dst.set(start === 0 && first === size ? this.buf : this.buf.subarray(start, start + first), dstOff);
    if (first < len) dst.set(this.buf.subarray(0, len - first), dstOff + first);
  }

  /** A fresh copy of up to `max` bytes from the head (not consumed). */
  peek(max: number, offset = 0): Uint8Array {
    const n = Math.max(0, Math.min(max, this.len - offset));
    const out = new Uint8Array(n);
    if (n) this.copyOut(offset, n, out);
    return out;
  }

  /**
   * A view of up to `max` bytes at the head, as far as the storage runs before
   * it wraps (so possibly fewer than `max` while more are held). Valid until
   * the next change to the ring: copy from it, then `consume`.
   */
  contiguous(max: number): Uint8Array {
    const n = Math.max(0, Math.min(max, this.len, this.buf.length - this.head));
    return this.buf.subarray(this.head, this.head + n);
  }

  /** Drop `n` bytes from the head. */
  consume(n: number): void {
    const k = Math.min(n, this.len);
    this.len -= k;
    this.head = this.len === 0 ? 0 : (this.head + k) % this.buf.length;
  }

  /** Take up to `max` bytes from the head. */
  read(max: number): Uint8Array {
    const out = this.peek(max);
    this.consume(out.length);
    return out;
  }

  clear(): void {
    this.head = 0;
    this.len = 0;
  }

  private reserve(need: number): void {
    if (need <= this.buf.length) return;
    let size = this.buf.length;
    while (size < need) size *= 2;
    size = Math.min(size, this.capacity);
    const next = new Uint8Array(size);
    this.copyOut(0, this.len, next, 0);
    this.buf = next;
    this.head = 0;
  }
}
