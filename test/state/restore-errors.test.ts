import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/errors.js';
import {
  bool,
  bytes,
  defineState,
  enumOf,
  f64,
  list,
  optional,
  record,
  restore,
  restoreOrThrow,
  save,
  string,
  u16array,
  u32,
  u32array,
  u64,
  u8,
  formatRestoreError,
  type RestoreErrorKind,
  type StateOf,
} from '../../src/state/index.js';

const E1000 = defineState({
  name: 'e1000',
  version: 2,
  fields: {
    mac: bytes(6),
    regs: u32array(0x8000),
    rxQueue: list(bytes({ maxLength: 16 }), { maxLength: 4 }),
    link: bool(),
    tdh: u32(),
    irqLevel: u8(),
    eeprom: u16array(64),
    timerNs: u64(),
    ratio: f64(),
    model: string({ maxLength: 8 }),
    phase: enumOf('idle', 'tx'),
    ring: record({ base: u64(), size: u32() }),
    pending: optional(record({ at: u64() })),
  },
});

function live(): StateOf<typeof E1000> {
  return {
    mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56),
    regs: new Uint32Array(0x8000),
    rxQueue: [Uint8Array.of(1, 2)],
    link: true,
    tdh: 0,
    irqLevel: 0,
    eeprom: new Uint16Array(64),
    timerNs: 0n,
    ratio: 1,
    model: '82540EM',
    phase: 'idle',
    ring: { base: 0n, size: 0 },
    pending: undefined,
  };
}

const saved = (): { name: string; version: number; fields: Record<string, unknown> } =>
  JSON.parse(JSON.stringify(save(E1000, live())));

function withField(name: string, value: unknown): unknown {
  const s = saved();
  s.fields[name] = value;
  return s;
}

function without(name: string): unknown {
  const s = saved();
  delete s.fields[name];
  return s;
}

function expectError(input: unknown, kind: RestoreErrorKind, path: string, why: string | RegExp): void {
  const r = restore(E1000, input);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.error.kind).toBe(kind);
  expect(r.error.path).toBe(path);
  if (typeof why === 'string') expect(r.error.why).toBe(why);
  else expect(r.error.why).toMatch(why);
}

describe('restore validation: each rule names the field path', () => {
  it('a valid saved state restores', () => {
    expect(restore(E1000, saved())).toEqual({ ok: true, value: live() });
  });

  it('not a saved state object', () => {
    expectError(null, 'bad-format', 'e1000', 'expected a saved state object, got null');
    expectError([], 'bad-format', 'e1000', 'expected a saved state object, got an array of 0');
    expectError('e1000', 'bad-format', 'e1000', /got the string "e1000"/);
    expectError({ ...saved(), name: 7 }, 'bad-format', 'e1000', 'expected "name" to be a string, got 7');
    expectError({ ...saved(), fields: [] }, 'bad-format', 'e1000', 'expected "fields" to be an object, got an array of 0');
    expectError({ ...saved(), extra: 1 }, 'unknown-field', 'e1000.extra', /unknown key/);
  });

  it('wrong name: state saved by another device', () => {
    expectError({ ...saved(), name: 'rtl8139' }, 'wrong-name', 'e1000', 'saved state is for "rtl8139", not "e1000"');
  });

  it('version: not a positive integer, or newer than supported', () => {
    expectError({ ...saved(), version: 0 }, 'bad-version', 'e1000', /positive integer, got 0/);
    expectError({ ...saved(), version: '2' }, 'bad-version', 'e1000', /positive integer, got the string "2"/);
    expectError({ ...saved(), version: 2.5 }, 'bad-version', 'e1000', /got 2.5/);
    expectError({ ...saved(), version: 3 }, 'version-too-new', 'e1000', 'saved by version 3, this build supports up to version 2');
  });

  it('an older version without a migration', () => {
    expectError({ ...saved(), version: 1 }, 'no-migration', 'e1000', 'cannot restore version 1: no migration from version 1 to 2');
  });

  it('missing field', () => {
    expectError(without('tdh'), 'missing-field', 'e1000.tdh', 'missing (expected a u32 (integer 0..4294967295))');
  });

  it('unknown field', () => {
    expectError(withField('rdh', 0), 'unknown-field', 'e1000.rdh', 'unknown field');
    expectError(withField('odd key', 0), 'unknown-field', 'e1000["odd key"]', 'unknown field');
    // JSON.parse makes "__proto__" an own key (an assignment would set the prototype instead)
    const proto = JSON.parse(JSON.stringify(saved()).replace('"fields":{', '"fields":{"__proto__":{"tdh":1},'));
    expectError(proto, 'unknown-field', 'e1000.__proto__', 'unknown field');
  });

  it('unknown field in a nested record', () => {
    const s = saved();
    (s.fields.ring as Record<string, unknown>).extra = 1;
    expectError(s, 'unknown-field', 'e1000.ring.extra', 'unknown field');
  });

  it('wrong type', () => {
    expectError(withField('link', 1), 'wrong-type', 'e1000.link', 'expected a boolean, got 1');
    expectError(withField('tdh', '0'), 'wrong-type', 'e1000.tdh', 'expected a u32 (integer 0..4294967295), got the string "0"');
    expectError(withField('tdh', 1.5), 'wrong-type', 'e1000.tdh', /got 1.5/);
    expectError(withField('mac', [1, 2, 3, 4, 5, 6]), 'wrong-type', 'e1000.mac', 'expected 6 bytes as a base64 string, got an array of 6');
    expectError(withField('rxQueue', {}), 'wrong-type', 'e1000.rxQueue', 'expected an array, got an object');
    expectError(withField('ring', null), 'wrong-type', 'e1000.ring', 'expected an object, got null');
    expectError(withField('timerNs', 5), 'wrong-type', 'e1000.timerNs', 'expected a u64 as a decimal string, got 5');
    expectError(withField('ratio', true), 'wrong-type', 'e1000.ratio', 'expected a number, got true');
    expectError(withField('model', null), 'wrong-type', 'e1000.model', 'expected a string, got null');
    expectError(withField('phase', 1), 'wrong-type', 'e1000.phase', 'expected one of "idle", "tx", got 1');
    expectError(withField('pending', 1), 'wrong-type', 'e1000.pending', 'expected an object, got 1');
    expectError(withField('rxQueue', ['AQ==', 5]), 'wrong-type', 'e1000.rxQueue[1]', /got 5/);
  });

  it('out-of-range integer', () => {
    expectError(withField('irqLevel', 256), 'out-of-range', 'e1000.irqLevel', '256 is out of range for u8 (0..255)');
    expectError(withField('tdh', -1), 'out-of-range', 'e1000.tdh', '-1 is out of range for u32 (0..4294967295)');
    expectError(withField('tdh', 2 ** 32), 'out-of-range', 'e1000.tdh', /4294967296 is out of range/);
    expectError(withField('timerNs', '18446744073709551616'), 'out-of-range', 'e1000.timerNs', /out of range for u64/);
    expectError(withField('timerNs', '-1'), 'out-of-range', 'e1000.timerNs', /-1 is out of range for u64/);
  });

  it('wrong length', () => {
    expectError(withField('regs', 'AAAAAA'.repeat(8)), 'wrong-length', 'e1000.regs', 'expected 32768 entries, got 9');
    expectError(
      withField('regs', Buffer.alloc(12 * 4).toString('base64')),
      'wrong-length',
      'e1000.regs',
      'expected 32768 entries, got 12',
    );
    expectError(withField('regs', 'AAAA'), 'wrong-length', 'e1000.regs', 'expected 32768 entries (131072 bytes), got 3 bytes');
    expectError(withField('eeprom', 'AAAA'), 'wrong-length', 'e1000.eeprom', 'expected 64 entries (128 bytes), got 3 bytes');
    expectError(withField('mac', 'AQID'), 'wrong-length', 'e1000.mac', 'expected 6 bytes, got 3');
    expectError(withField('rxQueue', ['', '', '', '', '']), 'wrong-length', 'e1000.rxQueue', 'expected at most 4 entries, got 5');
    expectError(withField('rxQueue', [Buffer.alloc(17).toString('base64')]), 'wrong-length', 'e1000.rxQueue[0]', 'expected at most 16 bytes, got 17');
    expectError(withField('model', '123456789'), 'wrong-length', 'e1000.model', 'expected at most 8 characters, got 9');
  });

  it('bad encoding: base64, decimal strings, special numbers', () => {
    expectError(withField('mac', 'not base64!'), 'bad-encoding', 'e1000.mac', /not canonical base64/);
    expectError(withField('mac', 'UlQAEjRX'.slice(0, 7) + '='), 'bad-encoding', 'e1000.mac', /not canonical base64/);
    expectError(withField('timerNs', '0x10'), 'bad-encoding', 'e1000.timerNs', 'expected a u64 as a decimal string, got the string "0x10"');
    expectError(withField('timerNs', '007'), 'bad-encoding', 'e1000.timerNs', /decimal string/);
    expectError(withField('timerNs', '-0'), 'bad-encoding', 'e1000.timerNs', /decimal string/);
    expectError(withField('timerNs', '1'.repeat(50)), 'bad-encoding', 'e1000.timerNs', /a string of 50 characters/);
    expectError(withField('ratio', 'nan'), 'bad-encoding', 'e1000.ratio', /"NaN"/);
  });

  it('not in enum', () => {
    expectError(withField('phase', 'rx'), 'not-in-enum', 'e1000.phase', 'expected one of "idle", "tx", got "rx"');
  });

  it('restoreOrThrow raises StateError with the message and the error as cause', () => {
    let caught: unknown;
    try {
      restoreOrThrow(E1000, withField('regs', Buffer.alloc(48).toString('base64')));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(StateError);
    const e = caught as StateError;
    expect(e.message).toBe('e1000.regs: expected 32768 entries, got 12');
    expect(e.cause).toEqual({ kind: 'wrong-length', path: 'e1000.regs', why: 'expected 32768 entries, got 12' });
    expect(formatRestoreError(e.cause as never)).toBe(e.message);
  });

  it('restore does not modify its input', () => {
    const s = saved();
    const copy = JSON.parse(JSON.stringify(s));
    restore(E1000, s);
    expect(s).toEqual(copy);
  });
});
