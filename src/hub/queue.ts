/**
 * A bounded FIFO of frames waiting for a client (QEMU net/queue.c). Frames
 * are copied on entry, because a sender may reuse its buffer.
 */
export interface QueueLimits {
  /** Most frames held at once. */
  maxFrames: number;
  /** Most bytes held at once. */
  maxBytes: number;
  /** Largest single frame accepted (bigger frames are refused). */
  maxFrameBytes: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = {
  maxFrames: 10_000,
  maxBytes: 16 * 1024 * 1024,
  maxFrameBytes: 65_536 + 256,
};

export class NetQueue {
  readonly limits: QueueLimits;
  private frames: Uint8Array[] = [];
  private head = 0;
  private bytes = 0;

  constructor(limits: Partial<QueueLimits> = {}) {
    this.limits = { ...DEFAULT_QUEUE_LIMITS, ...limits };
  }

  get length(): number {
    return this.frames.length - this.head;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** Copy a frame in; false when a bound would be exceeded (the caller counts the drop). */
  push(frame: Uint8Array): boolean {
    const l = this.limits;
    if (frame.length > l.maxFrameBytes || this.length >= l.maxFrames || this.bytes + frame.length > l.maxBytes) return false;
    this.frames.push(frame.slice());
    this.bytes += frame.length;
    return true;
  }

  /** Put a frame back at the front (a receiver turned it down after all). */
  unshift(frame: Uint8Array): boolean {
    const l = this.limits;
    if (frame.length > l.maxFrameBytes || this.length >= l.maxFrames || this.bytes + frame.length > l.maxBytes) return false;
    const copy = frame.slice();
    if (this.head > 0) this.frames[--this.head] = copy;
    else this.frames.unshift(copy);
    this.bytes += frame.length;
    return true;
  }

  peek(): Uint8Array | undefined {
    return this.frames[this.head];
  }

  shift(): Uint8Array | undefined {
    const f = this.frames[this.head];
    if (!f) return undefined;
    this.frames[this.head] = EMPTY;
    this.head++;
    this.bytes -= f.length;
    if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    return f;
  }

  purge(): number {
    const n = this.length;
    this.frames = [];
    this.head = 0;
    this.bytes = 0;
    return n;
  }
}

const EMPTY = new Uint8Array(0);
