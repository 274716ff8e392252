import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bool,
  bytes,
  defineState,
  enumOf,
  f64,
  i32,
  list,
  optional,
  parseContainer,
  record,
  restore,
  restoreContainer,
  save,
  string,
  u16array,
  u32,
  u32array,
  u64,
  u8,
  type RestoreResult,
} from '../../src/state/index.js';

const S = defineState({
  name: 'e1000',
  version: 3,
  fields: {
    mac: bytes(6),
    regs: u32array(16),
    eeprom: u16array(4),
    rxQueue: list(bytes({ maxLength: 64 }), { maxLength: 8 }),
    link: bool(),
    tdh: u32(),
    level: u8(),
    delta: i32(),
    timer: u64(),
    ratio: f64(),
    model: string(),
    phase: enumOf('idle', 'tx', 'rx'),
    ring: record({ base: u64(), size: u32(), pending: optional(list(u32())) }),
    note: optional(string()),
  },
  migrations: {
    1: (f) => ({ ...f, note: null }),
    2: (f) => {
      if (typeof f.tdh === 'number' && f.tdh > 1000) throw new Error('tdh too large for v2');
      return f;
    },
  },
});

const FIELD_NAMES = Object.keys(S.fields);

const validSaved = (): ReturnType<typeof save> =>
  save(S, {
    mac: new Uint8Array(6),
    regs: new Uint32Array(16),
    eeprom: new Uint16Array(4),
    rxQueue: [Uint8Array.of(1, 2, 3)],
    link: true,
    tdh: 5,
    level: 1,
    delta: -5,
    timer: 123n,
    ratio: 0.5,
    model: '82540EM',
    phase: 'idle',
    ring: { base: 0x1000n, size: 256, pending: [1, 2] },
  });

/** JSON-ish leaves that look like the real encodings, so checks past the type test get exercised. */
const nearValid = fc.oneof(
  fc.jsonValue(),
  fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('base64')),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => n.toString()),
  fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
  fc.constantFrom('NaN', 'Infinity', '-0', 'idle', 'tx', 'bogus', '', '=', 'AA=='),
);

/** Saved states with random top-level parts and random field values. */
const savedLike = fc.record(
  {
    name: fc.oneof(fc.constant('e1000'), fc.jsonValue()),
    version: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.jsonValue()),
    fields: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string()), nearValid), fc.jsonValue()),
  },
  { requiredKeys: [] },
);

/** A valid saved state with one field (possibly nested) replaced or removed. */
const mutated = fc
  .tuple(fc.constantFrom(...FIELD_NAMES), fc.option(nearValid, { nil: undefined }), fc.integer({ min: 1, max: 3 }))
  .map(([field, value, version]) => {
    const s = JSON.parse(JSON.stringify(validSaved())) as { version: number; fields: Record<string, unknown> };
    s.version = version;
    if (value === undefined) delete s.fields[field];
    else if (field === 'ring') (s.fields.ring as Record<string, unknown>).pending = value;
    else s.fields[field] = value;
    return s;
  });

function checkNeverThrows(input: unknown): void {
  let r: RestoreResult<unknown> | undefined;
  expect(() => {
    r = restore(S, input);
  }).not.toThrow();
  if (!r) return;
  if (r.ok) {
    // Whatever restore accepts can be saved again and restores to the same value.
    const again = restore(S, JSON.parse(JSON.stringify(save(S, r.value as never))));
    expect(again).toEqual(r);
  } else {
    expect(typeof r.error.kind).toBe('string');
    expect(r.error.path.startsWith('e1000')).toBe(true);
    expect(r.error.why.length).toBeGreaterThan(0);
  }
}

describe('restore never throws', () => {
  it('on any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), checkNeverThrows), { numRuns: 1000 });
  });

  it('on any value at all (not only JSON)', () => {
    fc.assert(fc.property(fc.anything(), checkNeverThrows), { numRuns: 500 });
  });

  it('on saved-state-shaped objects with random parts', () => {
    fc.assert(fc.property(savedLike, checkNeverThrows), { numRuns: 2000 });
  });

  it('on a valid saved state with one field replaced or removed (all versions, through migrations)', () => {
    fc.assert(fc.property(mutated, checkNeverThrows), { numRuns: 2000 });
  });

  it('containers: parseContainer and restoreContainer never throw', () => {
    const containerLike = fc.record(
      {
        format: fc.oneof(fc.constant('nicemu-state'), fc.jsonValue()),
        version: fc.oneof(fc.constant(1), fc.jsonValue()),
        devices: fc.oneof(fc.dictionary(fc.constantFrom('nic0', 'nic1', '__proto__'), fc.oneof(mutated, fc.jsonValue())), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(containerLike, fc.jsonValue()), (input) => {
        expect(() => parseContainer(input)).not.toThrow();
        expect(() => restoreContainer(input, { nic0: S })).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });
});

describe('save/restore round trip (property)', () => {
  it('random live states survive save -> JSON -> restore', () => {
    const live = fc.record({
      mac: fc.uint8Array({ minLength: 6, maxLength: 6 }),
      regs: fc.uint32Array({ minLength: 16, maxLength: 16 }),
      eeprom: fc.uint16Array({ minLength: 4, maxLength: 4 }),
      rxQueue: fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
      link: fc.boolean(),
      tdh: fc.nat({ max: 0xffff_ffff }),
      level: fc.nat({ max: 255 }),
      delta: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      timer: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      ratio: fc.double(),
      model: fc.string(),
      phase: fc.constantFrom('idle' as const, 'tx' as const, 'rx' as const),
      ring: fc.record({
        base: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        size: fc.nat({ max: 0xffff_ffff }),
        pending: fc.option(fc.array(fc.nat({ max: 0xffff_ffff })), { nil: undefined }),
      }),
      note: fc.option(fc.string(), { nil: undefined }),
    });
    fc.assert(
      fc.property(live, (v) => {
        const back = restore(S, JSON.parse(JSON.stringify(save(S, v))));
        expect(back).toEqual({ ok: true, value: v });
        if (back.ok) expect(Object.is(back.value.ratio, v.ratio)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
