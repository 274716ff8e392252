import { describe, expect, it } from 'vitest';
import {
  bool,
  bytes,
  decodeValue,
  defineState,
  encodeValue,
  list,
  restore,
  restoreOrThrow,
  save,
  u32,
  u32array,
  u8,
  type JsonObject,
} from '../../src/state/index.js';

// Version 1 of a toy NIC: registers as a list of u32 numbers and the link as a u8.
const NIC_V1 = defineState({ name: 'nic', version: 1, fields: { mac: bytes(6), regs: list(u32()), linkUp: u8() } });

// Version 2: registers become a fixed u32array, the link a bool, and a new field tdh.
const from1: (f: JsonObject) => JsonObject = (f) => {
  const regs = decodeValue(list(u32()), f.regs, 'regs');
  if (!regs.ok) throw new Error(regs.error.why);
  return {
    mac: f.mac ?? null,
    regs: encodeValue(u32array(4), Uint32Array.from(regs.value.slice(0, 4))),
    link: f.linkUp === 1,
    tdh: 0,
  };
};
const NIC_V2 = defineState({
  name: 'nic',
  version: 2,
  fields: { mac: bytes(6), regs: u32array(4), link: bool(), tdh: u32() },
  migrations: { 1: from1 },
});

// Version 3 renames tdh to txHead.
const NIC_V3 = defineState({
  name: 'nic',
  version: 3,
  fields: { mac: bytes(6), regs: u32array(4), link: bool(), txHead: u32() },
  migrations: {
    1: from1,
    2: ({ tdh, ...rest }) => ({ ...rest, txHead: tdh ?? 0 }),
  },
});

const MAC = Uint8Array.of(0x52, 0x54, 0, 1, 2, 3);
const v1 = (): unknown => JSON.parse(JSON.stringify(save(NIC_V1, { mac: MAC, regs: [1, 2, 3, 4, 5], linkUp: 1 })));

describe('migrations', () => {
  it('version 1 restores into version 2 through the migration', () => {
    expect(restoreOrThrow(NIC_V2, v1())).toEqual({ mac: MAC, regs: Uint32Array.of(1, 2, 3, 4), link: true, tdh: 0 });
  });

  it('version 1 goes through the whole chain 1 -> 2 -> 3; version 2 through 2 -> 3', () => {
    expect(restoreOrThrow(NIC_V3, v1())).toEqual({ mac: MAC, regs: Uint32Array.of(1, 2, 3, 4), link: true, txHead: 0 });
    const s2 = save(NIC_V2, { mac: MAC, regs: new Uint32Array(4), link: false, tdh: 9 });
    expect(restoreOrThrow(NIC_V3, s2)).toMatchObject({ link: false, txHead: 9 });
  });

  it('the current version needs no migration', () => {
    const s3 = save(NIC_V3, { mac: MAC, regs: new Uint32Array(4), link: true, txHead: 1 });
    expect(restore(NIC_V3, s3).ok).toBe(true);
  });

  it('the migrated fields are validated against the current schema', () => {
    // a migration that forgot to convert regs
    const broken = defineState({ ...NIC_V2, migrations: { 1: (f) => ({ ...f, tdh: 0 }) } });
    expect(restore(broken, v1())).toEqual({
      ok: false,
      error: { kind: 'wrong-type', path: 'nic.regs', why: 'expected 4 u32 entries as a base64 string, got an array of 5' },
    });
    const badRange = defineState({ ...NIC_V2, migrations: { 1: (f) => ({ ...from1(f), tdh: -1 }) } });
    expect(restore(badRange, v1())).toMatchObject({ ok: false, error: { kind: 'out-of-range', path: 'nic.tdh' } });
  });

  it('a migration that throws or returns a non-object is migration-failed, not an exception', () => {
    const throwing = defineState({
      ...NIC_V2,
      migrations: {
        1: () => {
          throw new Error('boom');
        },
      },
    });
    expect(restore(throwing, v1())).toEqual({
      ok: false,
      error: { kind: 'migration-failed', path: 'nic', why: 'migration from version 1 to 2 failed: boom' },
    });
    const returnsArray = defineState({ ...NIC_V2, migrations: { 1: () => [] as unknown as JsonObject } });
    expect(restore(returnsArray, v1())).toMatchObject({ ok: false, error: { kind: 'migration-failed', why: /returned an array of 0, not an object/ } });
    // the v1 regs are checked by the migration itself
    const s = v1() as { fields: JsonObject };
    s.fields.regs = ['x'];
    expect(restore(NIC_V2, s)).toMatchObject({ ok: false, error: { kind: 'migration-failed', why: /expected a u32/ } });
  });

  it('a gap in the chain is no-migration', () => {
    const gap = defineState({ ...NIC_V3, migrations: { 2: NIC_V3.migrations[2]! } });
    expect(restore(gap, v1())).toEqual({
      ok: false,
      error: { kind: 'no-migration', path: 'nic', why: 'cannot restore version 1: no migration from version 1 to 2' },
    });
  });

  it('a migration that mutates its argument does not change the caller\'s saved state', () => {
    const mutating = defineState({
      ...NIC_V2,
      migrations: {
        1: (f) => {
          const out = from1(f);
          delete f.mac;
          f.linkUp = 99;
          return out;
        },
      },
    });
    const input = v1();
    const copy = JSON.parse(JSON.stringify(input));
    expect(restore(mutating, input).ok).toBe(true);
    expect(input).toEqual(copy);
  });
});
