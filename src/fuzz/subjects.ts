/**
 * The devices the fuzzer knows: the test device and every NIC model.
 */
import { NIC_MODELS } from '../devices/models.js';
import type { NicModel } from '../devices/nic.js';
import { TestDevice } from '../devices/testdev/device.js';
import { REGS } from '../devices/testdev/regs.js';
import type { FuzzSubject } from './harness.js';
import type { FuzzOp, FuzzRing } from './ops.js';

const FUZZ_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);

export function subjectFromModel(model: NicModel): FuzzSubject {
  return {
    name: model.driver,
    registers: model.registers ?? [],
    create: (ctx) => model.create(ctx, { mac: FUZZ_MAC, name: model.driver }),
    ...(model.driver === 'virtio-net-pci' ? { bringUp: virtioLegacyBringUp } : {}),
    ...(model.driver.startsWith('e1000') ? { bringUp: e1000BringUp } : {}),
    ...(model.driver === 'rtl8139' ? { bringUp: rtl8139BringUp } : {}),
  };
}

/** Legacy virtio-net register offsets in the I/O BAR (BAR 0 of the transitional device; virtio 1.2 §4.1.4.8). */
const VQ = { GUEST_FEATURES: 0x04, QUEUE_PFN: 0x08, QUEUE_SEL: 0x0e, QUEUE_NOTIFY: 0x10, STATUS: 0x12 } as const;
/** CSUM, GUEST_CSUM, MAC, GUEST_TSO4/6, GUEST_ECN, HOST_TSO4/6, HOST_ECN, MRG_RXBUF, STATUS, INDIRECT_DESC. */
const VIRTIO_FUZZ_FEATURES = [0, 1, 5, 7, 8, 9, 11, 12, 13, 15, 16, 28].reduce((a, b) => a | (1 << b), 0) >>> 0;
const QUEUE_SIZE = 256;

/**
 * What Linux's legacy virtio-pci + virtio_net do before traffic: reset,
 * ACKNOWLEDGE | DRIVER, the features (offloads both ways, mergeable receive
 * buffers, indirect descriptors), the receive and transmit rings at
 * page-aligned addresses (legacy layout, §4.1.5.1.1.2), DRIVER_OK. The
 * generator then fills the rings (receive buffers into one data area,
 * transmit buffers into another) and kicks them.
 */
function virtioLegacyBringUp(): { ops: FuzzOp[]; rings: FuzzRing[] } {
  const w = (offset: number, size: 1 | 2 | 4, value: number): FuzzOp => ({ op: 'write', bar: 0, offset, size, value });
  const ops: FuzzOp[] = [w(VQ.STATUS, 1, 0), w(VQ.STATUS, 1, 1), w(VQ.STATUS, 1, 3), w(VQ.GUEST_FEATURES, 4, VIRTIO_FUZZ_FEATURES)];
  const rings: FuzzRing[] = [];
  for (const q of [0, 1]) {
    const base = 0x100000 + q * 0x4000;
    ops.push(w(VQ.QUEUE_SEL, 2, q), w(VQ.QUEUE_PFN, 4, base >>> 12));
    rings.push({
      kind: 'virtio',
      desc: base,
      avail: base + 16 * QUEUE_SIZE,
      size: QUEUE_SIZE,
      data: 0x200000 + q * 0x100000,
      dataSize: 0x100000,
      writable: q === 0,
      notify: { bar: 0, offset: VQ.QUEUE_NOTIFY, size: 2, value: q },
      next: 0,
    });
  }
  ops.push(w(VQ.STATUS, 1, 7));
  return { ops, rings };
}

export const TESTDEV_SUBJECT: FuzzSubject = {
  name: 'nicemu-testdev',
  registers: REGS.flatMap((r) => [
    { bar: 0, offset: r.offset, width: 4 as const, name: r.name },
    { bar: 1, offset: r.offset, width: 4 as const, name: r.name },
  ]),
  create: (ctx) => new TestDevice(ctx, 'fuzz'),
};

export function fuzzSubjects(): FuzzSubject[] {
  return [TESTDEV_SUBJECT, ...NIC_MODELS.map(subjectFromModel)];
}

export function findFuzzSubject(name: string): FuzzSubject | undefined {
  return fuzzSubjects().find((s) => s.name === name);
}

/** e1000 register offsets (8254x SDM 13.4) used by the bring-up. */
const E = { CTRL: 0x0000, IMS: 0x00d0, RCTL: 0x0100, TCTL: 0x0400, RDBAL: 0x2800, RDBAH: 0x2804, RDLEN: 0x2808, RDH: 0x2810, RDT: 0x2818, TDBAL: 0x3800, TDBAH: 0x3804, TDLEN: 0x3808, TDH: 0x3810, TDT: 0x3818 } as const;
const E1000_RING = 64;

/**
 * What Linux's e1000 does before traffic (SDM 14.4, 14.5): link up, a
 * receive ring of 2 KiB buffers (RCTL EN, BAM, SECRC, UPE/MPE so every frame
 * the fuzzer sends is taken), a transmit ring (TCTL EN, PSP), interrupts on.
 * The generator then posts descriptors and moves the tails.
 */
function e1000BringUp(): { ops: FuzzOp[]; rings: FuzzRing[] } {
  const w = (offset: number, value: number): FuzzOp => ({ op: 'write', bar: 0, offset, size: 4, value });
  const rx = 0x100000;
  const tx = 0x104000;
  const ops: FuzzOp[] = [
    w(E.CTRL, 0x40 | 0x20),
    w(E.RDBAL, rx), w(E.RDBAH, 0), w(E.RDLEN, 16 * E1000_RING), w(E.RDH, 0), w(E.RDT, 0),
    w(E.RCTL, (1 << 1) | (1 << 3) | (1 << 4) | (1 << 15) | (1 << 26)),
    w(E.TDBAL, tx), w(E.TDBAH, 0), w(E.TDLEN, 16 * E1000_RING), w(E.TDH, 0), w(E.TDT, 0),
    w(E.TCTL, (1 << 1) | (1 << 3)),
    w(E.IMS, 0x1f),
  ];
  const ring = (desc: number, data: number, writable: boolean, tail: number): FuzzRing => ({
    kind: 'e1000', desc, size: E1000_RING, avail: 0, data, dataSize: 0x100000, writable, notify: { bar: 0, offset: tail, size: 4, value: 0 }, next: 0,
  });
  return { ops, rings: [ring(rx, 0x200000, true, E.RDT), ring(tx, 0x300000, false, E.TDT)] };
}

/** RTL8139 registers (datasheet 5) used by the bring-up. */
const R = { TSD0: 0x10, RBSTART: 0x30, CR: 0x37, CAPR: 0x38, IMR: 0x3c, RCR: 0x44 } as const;

/**
 * What Linux's 8139too does (C mode): a receive buffer (8 KiB + 16, WRAP,
 * accepting every frame), receiver and transmitter on, interrupts on. The
 * generator then fills the four transmit descriptors; the receive side is
 * moved on by the CAPR writes among the register operations.
 */
function rtl8139BringUp(): { ops: FuzzOp[]; rings: FuzzRing[] } {
  const w = (offset: number, size: 1 | 2 | 4, value: number): FuzzOp => ({ op: 'write', bar: 0, offset, size, value });
  const ops: FuzzOp[] = [w(R.RBSTART, 4, 0x100000), w(R.RCR, 4, 0x01 | 0x02 | 0x04 | 0x08 | 0x80), w(R.CR, 1, 0x0c), w(R.CAPR, 2, 0xfff0), w(R.IMR, 2, 0xffff)];
  return { ops, rings: [{ kind: 'rtl8139', desc: 0, avail: 0, size: 4, data: 0x300000, dataSize: 0x100000, writable: false, notify: { bar: 0, offset: R.TSD0, size: 4, value: 0 }, next: 0 }] };
}
