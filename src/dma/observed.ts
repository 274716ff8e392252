/**
 * Guest memory with an observer on every access: counting, budgets, DMA
 * tracing and tests that watch where a device reads and writes all wrap the
 * RAM with this instead of re-implementing the interface.
 */
import type { GuestMemory, MemError } from './memory.js';

export type MemOp =
  | 'read' | 'write' | 'fill'
  | 'readU8' | 'readU16' | 'readU32' | 'readU64'
  | 'writeU8' | 'writeU16' | 'writeU32' | 'writeU64'
  | 'contains';

export interface MemObserver {
  /** Before the access (a test can make something happen just before a DMA write lands). */
  before?(op: MemOp, addr: number, len: number): void;
  /** After the access; `failed` when it was refused (outside every RAM region). */
  after?(op: MemOp, addr: number, len: number, failed: boolean): void;
}

const failed = (r: unknown): boolean => typeof r === 'object' && r !== null;

export class ObservedMemory implements GuestMemory {
  constructor(
    readonly inner: GuestMemory,
    private readonly observer: MemObserver,
  ) {}

  private run<T>(op: MemOp, addr: number, len: number, access: () => T): T {
    this.observer.before?.(op, addr, len);
    const r = access();
    this.observer.after?.(op, addr, len, failed(r));
    return r;
  }

  read(addr: number, dst: Uint8Array): MemError | undefined {
    return this.run('read', addr, dst.length, () => this.inner.read(addr, dst));
  }
  write(addr: number, src: Uint8Array): MemError | undefined {
    return this.run('write', addr, src.length, () => this.inner.write(addr, src));
  }
  fill(addr: number, len: number, value: number): MemError | undefined {
    return this.run('fill', addr, len, () => this.inner.fill(addr, len, value));
  }
  readU8(addr: number): number | MemError {
    return this.run('readU8', addr, 1, () => this.inner.readU8(addr));
  }
  readU16(addr: number): number | MemError {
    return this.run('readU16', addr, 2, () => this.inner.readU16(addr));
  }
  readU32(addr: number): number | MemError {
    return this.run('readU32', addr, 4, () => this.inner.readU32(addr));
  }
  readU64(addr: number): bigint | MemError {
    return this.run('readU64', addr, 8, () => this.inner.readU64(addr));
  }
  writeU8(addr: number, value: number): MemError | undefined {
    return this.run('writeU8', addr, 1, () => this.inner.writeU8(addr, value));
  }
  writeU16(addr: number, value: number): MemError | undefined {
    return this.run('writeU16', addr, 2, () => this.inner.writeU16(addr, value));
  }
  writeU32(addr: number, value: number): MemError | undefined {
    return this.run('writeU32', addr, 4, () => this.inner.writeU32(addr, value));
  }
  writeU64(addr: number, value: bigint): MemError | undefined {
    return this.run('writeU64', addr, 8, () => this.inner.writeU64(addr, value));
  }
  contains(addr: number, len: number): boolean {
    this.observer.after?.('contains', addr, len, false);
    return this.inner.contains(addr, len);
  }
}

/** Reads and writes, by kind of op. */
export function isWriteOp(op: MemOp): boolean {
  return op === 'write' || op === 'fill' || op.startsWith('writeU');
}
