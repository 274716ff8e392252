/**
 * The devices the fuzzer knows: the test device and every NIC model.
 */
import { NIC_MODELS } from '../devices/models.js';
import type { NicModel } from '../devices/nic.js';
import { TestDevice } from '../devices/testdev/device.js';
import { REGS } from '../devices/testdev/regs.js';
import type { FuzzSubject } from './harness.js';

const FUZZ_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);

export function subjectFromModel(model: NicModel): FuzzSubject {
  return {
    name: model.driver,
    registers: model.registers ?? [],
    create: (ctx) => model.create(ctx, { mac: FUZZ_MAC, name: model.driver }),
  };
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
