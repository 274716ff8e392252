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
