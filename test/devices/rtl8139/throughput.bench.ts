/**
 * Frames per second through the rtl8139 model, both modes, 64 B and 1514 B,
 * TX (driver queues, device sends to the wire) and RX (wire to driver):
 *   npx vitest bench --run test/devices/rtl8139
 * Each iteration moves 64 frames.
 */
import { bench, describe } from 'vitest';
import { Bench, Cp, MAC, Too } from './driver.js';
import { ethFrame } from './packets.js';

const BATCH = 64;

for (const size of [64, 1514]) {
  describe(`rtl8139 ${size} B frames (x${BATCH} per iteration)`, () => {
    const tooTx = (() => {
      const b = new Bench({ revision: 0x10 });
      const d = new Too(b);
      d.open();
      b.dev.net.peer = null;
      return { b, d, f: ethFrame([2, 0, 0, 0, 0, 9], size - 14) };
    })();
    bench('normal mode TX (8139too)', () => {
      const { d, f } = tooTx;
      for (let i = 0; i < BATCH; i++) {
        if (!d.xmit(f)) {
          d.txClean();
          d.xmit(f);
        }
      }
      d.txClean();
    });

    const tooRx = (() => {
      const b = new Bench({ revision: 0x10 });
      const d = new Too(b);
      d.open();
      return { b, d, f: ethFrame([...MAC], size - 14) };
    })();
    bench('normal mode RX (8139too)', () => {
      const { b, d, f } = tooRx;
      for (let i = 0; i < BATCH; i++) {
        b.inject(f);
        if ((i & 7) === 7) d.rx();
      }
      d.rx();
    });

    const cpTx = (() => {
      const b = new Bench();
      const d = new Cp(b);
      d.open();
      b.dev.net.peer = null;
      return { b, d, f: ethFrame([2, 0, 0, 0, 0, 9], size - 14) };
    })();
    bench('C+ mode TX (8139cp)', () => {
      const { d, f } = cpTx;
      for (let i = 0; i < BATCH; i++) d.queue(f);
      d.kick();
      d.txClean();
    });

    const cpRx = (() => {
      const b = new Bench();
      const d = new Cp(b);
      d.open();
      return { b, d, f: ethFrame([...MAC], size - 14) };
    })();
    bench('C+ mode RX (8139cp)', () => {
      const { b, d, f } = cpRx;
      for (let i = 0; i < BATCH; i++) b.inject(f);
      d.rx();
    });
  });
}
