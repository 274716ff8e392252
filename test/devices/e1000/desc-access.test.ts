/**
 * The TX engine reads a descriptor in one 16-byte access and falls back to
 * four dword reads when that access fails. The fallback keeps the old
 * behaviour exactly: a descriptor that straddles two RAM regions is still
 * read, and one partly outside RAM still reads as zeros and counts one DMA
 * error (bad-input rule: never throw, count, carry on).
 */
import { describe, expect, it } from 'vitest';
import { RegionMemory } from '../../../src/dma/memory.js';
import { NetClient } from '../../../src/hub/client.js';
import { LevelIrq } from '../../../src/irq.js';
import { WireEnd } from '../../../src/machine/wire.js';
import type { DeviceContext } from '../../../src/machine/device.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { SeededRandom } from '../../../src/time/random.js';
import { E1000, E1000_82540EM } from '../../../src/devices/e1000/index.js';
import { CMD, legacyDesc, MAC, R } from './driver.js';
import { eth } from './packets.js';

const RING = 0x10000;
const BUF = 0x20000;

/** An e1000 over RAM made of two regions that meet at `split`. */
function splitBench(split: number, size = 0x40000) {
  const memory = new RegionMemory([
    { base: 0, bytes: new Uint8Array(split) },
    { base: split, bytes: new Uint8Array(size - split) },
  ]);
  const ctx: DeviceContext = { memory, clock: new VirtualClock(), random: new SeededRandom(1), intx: new LevelIrq(), msi: () => {} };
  const nic = new E1000(ctx, E1000_82540EM, { mac: MAC, name: 'nic0' }, { rctlFlushMs: 0 });
  const wire = new WireEnd('wire');
  NetClient.connect(nic.net, wire.client);
  nic.pci.configWrite(0x04, 2, 0x0007);
  const w = (off: number, v: number): void => nic.bar(0)!.write(off, 4, v >>> 0);
  return { memory, nic, wire, w };
}

describe('e1000 TX descriptor reads', () => {
  it('a descriptor straddling two RAM regions is read dword by dword and sent', () => {
    const { memory, nic, wire, w } = splitBench(RING + 8); // descriptor 0 spans both regions
    const out = eth('ff:ff:ff:ff:ff:ff', 60, 0x42);
    memory.write(BUF, out);
    const desc = legacyDesc(BUF, out.length, CMD.IFCS | CMD.EOP | CMD.RS);
    expect(memory.write(RING, desc.subarray(0, 8))).toBeUndefined();
    expect(memory.write(RING + 8, desc.subarray(8))).toBeUndefined();
    w(R.TDBAL, RING);
    w(R.TDLEN, 8 * 16);
    w(R.TCTL, 0x0004010a);
    w(R.TDT, 1);
    expect(wire.take()).toEqual(out);
    expect(memory.readU8(RING + 12)).toBe(1); // DD
    expect(nic.counters()['txDmaErrors']).toBe(0);
  });

  it('a descriptor partly outside RAM reads as zeros and counts one DMA error', () => {
    const size = 0x40008; // RAM ends 8 bytes into the ring's second descriptor
    const { nic, wire, w } = splitBench(0x30000, size);
    w(R.TDBAL, 0x3fff0);
    w(R.TDLEN, 128); // a multiple of 128 bytes: the low bits of TDLEN read as 0
    w(R.TCTL, 0x0004010a);
    w(R.TDT, 1); // descriptor 0: inside RAM, all zeros (an empty legacy descriptor)
    expect(nic.counters()['txDmaErrors']).toBe(0);
    expect(nic.counters()['txDescriptors']).toBe(1);
    w(R.TDT, 2); // descriptor 1: its upper 8 bytes are outside RAM
    expect(wire.take()).toBeUndefined();
    expect(nic.counters()['txDmaErrors']).toBe(1);
    expect(nic.counters()['txDescriptors']).toBe(2);
  });
});
