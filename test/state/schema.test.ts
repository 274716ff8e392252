import { describe, expect, expectTypeOf, it } from 'vitest';
import { StateError } from '../../src/errors.js';
import {
  bool,
  bytes,
  defineState,
  enumOf,
  f64,
  i16,
  i32,
  i64,
  i8,
  int,
  list,
  optional,
  record,
  restore,
  restoreOrThrow,
  save,
  string,
  u16,
  u16array,
  u32,
  u32array,
  u64,
  u8,
  u8array,
  type StateOf,
} from '../../src/state/index.js';

const ALL = defineState({
  name: 'all-kinds',
  version: 1,
  fields: {
    flag: bool(),
    b: u8(),
    w: u16(),
    d: u32(),
    sb: i8(),
    sw: i16(),
    sd: i32(),
    counter: int(),
    ratio: f64(),
    big: u64(),
    signedBig: i64(),
    label: string(),
    mac: bytes(6),
    blob: bytes(),
    eeprom: u8array(4),
    words: u16array(3),
    regs: u32array(5),
    queue: list(bytes()),
    ring: record({ head: u16(), tail: u16(), pending: list(record({ addr: u64(), len: u16() })) }),
    maybe: optional(u32()),
    absent: optional(string()),
    phase: enumOf('idle', 'running', 'stopped'),
  },
});

type All = StateOf<typeof ALL>;

function sample(): All {
  return {
    flag: true,
    b: 255,
    w: 0xffff,
    d: 0xffff_ffff,
    sb: -128,
    sw: -32768,
    sd: -0x8000_0000,
    counter: Number.MAX_SAFE_INTEGER,
    ratio: 0.1,
    big: 0xffff_ffff_ffff_ffffn,
    signedBig: -0x8000_0000_0000_0000n,
    label: 'héllo "world"\n',
    mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56),
    blob: new Uint8Array(1000).map((_, i) => (i * 7) & 0xff),
    eeprom: Uint8Array.of(1, 2, 3, 4),
    words: Uint16Array.of(0, 0x1234, 0xffff),
    regs: Uint32Array.of(0, 1, 0x8000_0000, 0xdead_beef, 0xffff_ffff),
    queue: [new Uint8Array(0), Uint8Array.of(1), Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3)],
    ring: { head: 3, tail: 7, pending: [{ addr: 0x1_0000_0000n, len: 1514 }] },
    maybe: 42,
    absent: undefined,
    phase: 'running',
  };
}

const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('schema types', () => {
  it('StateOf infers the live type from the schema', () => {
    expectTypeOf<All['flag']>().toEqualTypeOf<boolean>();
    expectTypeOf<All['d']>().toEqualTypeOf<number>();
    expectTypeOf<All['big']>().toEqualTypeOf<bigint>();
    expectTypeOf<All['mac']>().toEqualTypeOf<Uint8Array>();
    expectTypeOf<All['words']>().toEqualTypeOf<Uint16Array>();
    expectTypeOf<All['regs']>().toEqualTypeOf<Uint32Array>();
    expectTypeOf<All['queue']>().toEqualTypeOf<Uint8Array[]>();
    expectTypeOf<All['ring']['pending'][number]>().toEqualTypeOf<{ addr: bigint; len: number }>();
    expectTypeOf<All['maybe']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<All['phase']>().toEqualTypeOf<'idle' | 'running' | 'stopped'>();
    // optional fields may be left out of the object
    const s: Omit<All, 'maybe' | 'absent'> = sample();
    expectTypeOf(s).toMatchTypeOf<Partial<All>>();
  });
});

describe('save / restore round trip', () => {
  it('every kind survives save -> JSON.stringify -> JSON.parse -> restore', () => {
    const saved = save(ALL, sample());
    expect(saved.name).toBe('all-kinds');
    expect(saved.version).toBe(1);
    const back = restore(ALL, viaJson(saved));
    expect(back).toEqual({ ok: true, value: sample() });
  });

  it('the saved form is plain JSON: stringify/parse gives the same value back', () => {
    const saved = save(ALL, sample());
    expect(viaJson(saved)).toEqual(saved);
  });

  it('saved forms: bigints as decimal strings, bytes and typed arrays as base64 (little-endian), absent optionals as null', () => {
    const f = save(ALL, sample()).fields;
    expect(f.big).toBe('18446744073709551615');
    expect(f.signedBig).toBe('-9223372036854775808');
    expect(f.mac).toBe('UlQAEjRW');
    expect(f.eeprom).toBe('AQIDBA==');
    expect(f.words).toBe('AAA0Ev//'); // 0000 3412 ffff
    expect(f.regs).toBe('AAAAAAEAAAAAAACA776t3v////8=');
    expect(f.queue).toEqual(['', 'AQ==', 'AQI=', 'AQID']);
    expect(f.maybe).toBe(42);
    expect(f.absent).toBeNull();
    expect(f.phase).toBe('running');
    expect(f.ring).toEqual({ head: 3, tail: 7, pending: [{ addr: '4294967296', len: 1514 }] });
  });

  it('f64 keeps NaN, infinities and -0 across JSON', () => {
    const S = defineState({ name: 'f', version: 1, fields: { xs: list(f64()) } });
    const xs = [NaN, Infinity, -Infinity, -0, 0, 1.5, -1e-300, Number.MAX_VALUE];
    const back = restoreOrThrow(S, viaJson(save(S, { xs })));
    expect(back.xs).toHaveLength(xs.length);
    back.xs.forEach((x, i) => expect(Object.is(x, xs[i])).toBe(true));
  });

  it('restored bytes and typed arrays are fresh copies', () => {
    const S = defineState({ name: 'c', version: 1, fields: { mac: bytes(6), regs: u32array(2) } });
    const live = { mac: new Uint8Array(6), regs: new Uint32Array(2) };
    const saved = save(S, live);
    const a = restoreOrThrow(S, saved);
    const b = restoreOrThrow(S, saved);
    a.mac[0] = 1;
    a.regs[0] = 1;
    expect(b.mac[0]).toBe(0);
    expect(b.regs[0]).toBe(0);
    expect(live.mac[0]).toBe(0);
  });

  it('save takes only the declared fields of a larger live object', () => {
    const S = defineState({ name: 'p', version: 1, fields: { a: u8() } });
    const live = { a: 1, scratch: new Map(), cb: () => 0 };
    expect(save(S, live)).toEqual({ name: 'p', version: 1, fields: { a: 1 } });
  });

  it('optional keys may be absent or null in saved fields', () => {
    const S = defineState({ name: 'o', version: 1, fields: { a: optional(u8()), b: optional(bytes()) } });
    expect(restore(S, { name: 'o', version: 1, fields: {} })).toEqual({ ok: true, value: { a: undefined, b: undefined } });
    expect(restore(S, { name: 'o', version: 1, fields: { a: null, b: 'AQ==' } })).toEqual({
      ok: true,
      value: { a: undefined, b: Uint8Array.of(1) },
    });
    expect(save(S, {})).toEqual({ name: 'o', version: 1, fields: { a: null, b: null } });
  });

  it('a large register file (e1000: 0x8000 u32) round-trips', () => {
    const S = defineState({ name: 'e1000', version: 1, fields: { regs: u32array(0x8000) } });
    const regs = new Uint32Array(0x8000).map((_, i) => Math.imul(i, 0x9e37_79b9) >>> 0);
    const json = JSON.stringify(save(S, { regs }));
    expect(json.length).toBeLessThan(200_000);
    expect(restoreOrThrow(S, JSON.parse(json)).regs).toEqual(regs);
  });
});

describe('save rejects live values that do not fit (a bug in the device)', () => {
  const S = defineState({ name: 'e1000', version: 2, fields: { tdh: u32(), mac: bytes(6), mode: enumOf('a', 'b'), big: u64() } });
  const good = { tdh: 0, mac: new Uint8Array(6), mode: 'a' as const, big: 0n };

  it.each([
    [{ ...good, tdh: 2 ** 32 }, 'cannot save e1000.tdh: 4294967296 is out of range for u32 (0..4294967295)'],
    [{ ...good, tdh: 1.5 }, 'cannot save e1000.tdh: expected a u32 (integer 0..4294967295), got 1.5'],
    [{ ...good, mac: new Uint8Array(5) }, 'cannot save e1000.mac: expected 6 bytes, got 5'],
    [{ ...good, mode: 'c' }, 'cannot save e1000.mode: expected one of "a", "b", got "c"'],
    [{ ...good, big: -1n }, 'cannot save e1000.big: -1 is out of range for u64 (0..18446744073709551615)'],
    [{ tdh: 0, mac: new Uint8Array(6), mode: 'a' }, 'cannot save e1000.big: missing'],
  ])('%#: %s', (live, message) => {
    expect(() => save(S, live as never)).toThrow(StateError);
    expect(() => save(S, live as never)).toThrow(message);
  });
});

describe('defineState rejects bad schemas', () => {
  it('bad name, version, migration keys and field kinds', () => {
    expect(() => defineState({ name: '', version: 1, fields: {} })).toThrow(TypeError);
    expect(() => defineState({ name: 'x', version: 0, fields: {} })).toThrow(RangeError);
    expect(() => defineState({ name: 'x', version: 1.5, fields: {} })).toThrow(RangeError);
    expect(() => defineState({ name: 'x', version: 2, fields: {}, migrations: { 2: (f) => f } })).toThrow(/migrations\[2\]/);
    expect(() => defineState({ name: 'x', version: 2, fields: { a: 'u32' as never } })).toThrow(/not a state field kind/);
    expect(() => defineState({ name: 'x', version: 1, fields: JSON.parse('{"__proto__": {"kind": "bool"}}') })).toThrow(/cannot be a field name/);
    expect(() => bytes(-1)).toThrow(RangeError);
    expect(() => u32array(1.5)).toThrow(RangeError);
    expect(() => int(5, 1)).toThrow(RangeError);
    expect(() => (enumOf as (...v: string[]) => unknown)()).toThrow(RangeError);
    expect(() => enumOf('a', 'a')).toThrow(RangeError);
  });
});
