/** Shared setup for the virtio bad-input regression tests (bad-input.md items 13-27). */
import { expect } from 'vitest';
import { COMBOS, RAM, CountingMemory, DEFAULT_MAC, Driver, ethFrame, BROADCAST, MockSplitQueue, NEXT, WRITE, INDIRECT, type Combo, type DriverOptions } from '../devices/virtio-net/driver.js';
import { STATUS } from '../../src/virtio/status.js';

export const RAM_END = RAM;

export { CountingMemory, Driver, MockSplitQueue, NEXT, WRITE, INDIRECT, DEFAULT_MAC, BROADCAST, ethFrame, STATUS };

export function combo(name: string): Combo {
  const c = COMBOS.find((x) => x.name === name);
  if (!c) throw new Error(`no combo ${name}`);
  return c;
}

export const MODERN = combo('modern plain');
export const LEGACY_PLAIN = combo('legacy plain');
export const INDIRECT_COMBO = combo('modern indirect');
export const MRG = combo('modern MRG_RXBUF');
export const PACKED_ALL = combo('modern packed + MRG + EVENT_IDX + indirect');

/** A driver whose device memory accesses are counted. */
export function counted(opts: DriverOptions): { d: Driver; mem: CountingMemory } {
  let mem: CountingMemory | undefined;
  const d = new Driver({ ...opts, deviceMemory: (ram) => (mem = new CountingMemory(ram)) });
  return { d, mem: mem! };
}

export function split(d: Driver, q: number): MockSplitQueue {
  const m = d.queues[q];
  if (!(m instanceof MockSplitQueue)) throw new Error('not a split queue');
  return m;
}

/** A TX payload (header of the negotiated length + a 60-byte frame) placed in guest memory; its address. */
export function txBytes(d: Driver, frameLen = 60, seed = 1): { addr: number; len: number; frame: Uint8Array } {
  const frame = ethFrame(BROADCAST, DEFAULT_MAC, frameLen - 14, seed);
  const buf = new Uint8Array(d.hdrLen + frame.length);
  buf.set(frame, d.hdrLen);
  const addr = d.alloc.take(buf.length, 16);
  d.mem.write(addr, buf);
  return { addr, len: buf.length, frame };
}

/** Descriptor indices the mock never hands out in these short tests. */
export const RAW = 200;

/** The queue still works: a good frame goes out and its chain comes back. */
export function expectTxWorks(d: Driver): void {
  const before = d.peer.frames.length;
  const frame = ethFrame(BROADCAST, DEFAULT_MAC, 50, 0x77);
  d.queueTx(frame);
  d.kick(1);
  d.txq.takeUsed();
  expect(d.peer.frames.length).toBe(before + 1);
  expect(d.peer.frames.at(-1)).toEqual(frame);
}

export function needsReset(d: Driver): boolean {
  return (d.status & STATUS.DEVICE_NEEDS_RESET) !== 0;
}
