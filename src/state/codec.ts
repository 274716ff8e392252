/**
 * Encoding of live values to their saved JSON form and back, walking the
 * kind descriptors. Decoding checks everything (type, range, length,
 * encoding, unknown and missing keys) and reports the first fault as a value
 * naming the field path; it never throws on any JSON value, and its depth is
 * bounded by the schema, not by the input.
 */
import { decodeBase64, encodeBase64 } from './base64.js';
import { describeKind, type EnumKind, type Kind, type ListKind, type RecordKind } from './kinds.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

export type RestoreErrorKind =
  /** Not a saved state / container at all (not an object, `name` not a string, ...). */
  | 'bad-format'
  /** Saved by a different device or container. */
  | 'wrong-name'
  /** `version` is not a positive integer. */
  | 'bad-version'
  /** Saved by a newer build than this one. */
  | 'version-too-new'
  /** An older version with no migration path to the current one. */
  | 'no-migration'
  /** A migration threw or returned something that is not an object. */
  | 'migration-failed'
  | 'missing-field'
  | 'unknown-field'
  | 'wrong-type'
  | 'out-of-range'
  | 'wrong-length'
  /** A string that should be base64 / a decimal integer / a special number is not. */
  | 'bad-encoding'
  | 'not-in-enum'
  /** Container: a device the caller expects is not there / a device the caller does not know. */
  | 'missing-device'
  | 'unknown-device';

export interface RestoreError {
  kind: RestoreErrorKind;
  /** Where: `e1000.regs`, `e1000.rxQueue[3]`, `nic0/e1000.mac`. */
  path: string;
  why: string;
}

export type RestoreResult<T> = { ok: true; value: T } | { ok: false; error: RestoreError };

/** `path: why`, the message of a restore error. */
export function formatRestoreError(e: RestoreError): string {
  return `${e.path}: ${e.why}`;
}

/** @internal A failed step; never a live value, so `instanceof` tells them apart. */
export class Fail {
  constructor(readonly error: RestoreError) {}
}

export function fail(kind: RestoreErrorKind, path: string, why: string): Fail {
  return new Fail({ kind, path, why });
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `path.key`, or `path["odd key"]` when the key is not an identifier. */
export function childPath(path: string, key: string): string {
  return IDENT.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** How a JSON value (or anything else) is named in messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  switch (typeof v) {
    case 'boolean':
      return String(v);
    case 'number':
      return String(v);
    case 'string':
      return v.length > 40 ? `a string of ${v.length} characters` : `the string ${JSON.stringify(v)}`;
    case 'object':
      return 'an object';
    case 'undefined':
      return 'undefined';
    default:
      return `a ${typeof v}`;
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const SPECIAL_F64: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };
const BIGINT_RE = /^-?(0|[1-9][0-9]{0,19})$/;

function wrongType(k: Kind, v: unknown, path: string): Fail {
  return fail('wrong-type', path, `expected ${describeKind(k)}, got ${describeValue(v)}`);
}

/** A list's entries through `each` (encode or decode), with the type and length checks both directions share. */
function mapList<T>(k: ListKind, v: unknown, path: string, each: (k: Kind, v: unknown, path: string) => T | Fail): T[] | Fail {
  if (!Array.isArray(v)) return wrongType(k, v, path);
  if (v.length > k.maxLength) return fail('wrong-length', path, `expected at most ${k.maxLength} entries, got ${v.length}`);
  const out: T[] = [];
  for (let i = 0; i < v.length; i++) {
    const e = each(k.of, v[i], `${path}[${i}]`);
    if (e instanceof Fail) return e;
    out.push(e);
  }
  return out;
}

function enumValue(k: EnumKind, v: unknown, path: string): string | Fail {
  if (typeof v !== 'string') return wrongType(k, v, path);
  return k.values.includes(v) ? v : fail('not-in-enum', path, `expected ${describeKind(k)}, got ${JSON.stringify(v)}`);
}

function lengthWhy(expected: number, got: number, unit: string): string {
  return `expected ${expected} ${unit}, got ${got}`;
}

// ---------------------------------------------------------------------------
// live value -> JSON

/**
 * Encode a live value. A value that does not fit its kind is a bug in the
 * caller (a device saving a 9-bit value into a u8 field) and fails with the
 * field path.
 */
export function encode(k: Kind, v: unknown, path: string): JsonValue | Fail {
  switch (k.kind) {
    case 'bool':
      return typeof v === 'boolean' ? v : wrongType(k, v, path);
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) return wrongType(k, v, path);
      if (v < k.min || v > k.max) return fail('out-of-range', path, `${v} is out of range for ${k.label} (${k.min}..${k.max})`);
      return v === 0 ? 0 : v; // -0 is 0 here
    case 'f64':
      if (typeof v !== 'number') return wrongType(k, v, path);
      if (Number.isNaN(v)) return 'NaN';
      if (v === Infinity) return 'Infinity';
      if (v === -Infinity) return '-Infinity';
      if (Object.is(v, -0)) return '-0';
      return v;
    case 'bigint':
      if (typeof v !== 'bigint') return wrongType(k, v, path);
      if (v < k.min || v > k.max) return fail('out-of-range', path, `${v} is out of range for ${k.label} (${k.min}..${k.max})`);
      return v.toString(10);
    case 'string':
      if (typeof v !== 'string') return wrongType(k, v, path);
      if (v.length > k.maxLength) return fail('wrong-length', path, `expected at most ${k.maxLength} characters, got ${v.length}`);
      return v;
    case 'bytes':
      if (!(v instanceof Uint8Array)) return wrongType(k, v, path);
      if (k.length !== null && v.length !== k.length) return fail('wrong-length', path, lengthWhy(k.length, v.length, 'bytes'));
      if (v.length > k.maxLength) return fail('wrong-length', path, `expected at most ${k.maxLength} bytes, got ${v.length}`);
      return encodeBase64(v);
    case 'u16array':
    case 'u32array': {
      const isU16 = k.kind === 'u16array';
      if (!(isU16 ? v instanceof Uint16Array : v instanceof Uint32Array)) return wrongType(k, v, path);
      const arr = v as Uint16Array | Uint32Array;
      if (arr.length !== k.length) return fail('wrong-length', path, lengthWhy(k.length, arr.length, 'entries'));
      const size = isU16 ? 2 : 4;
      const out = new Uint8Array(arr.length * size);
      const view = new DataView(out.buffer);
      for (let i = 0; i < arr.length; i++) {
        if (isU16) view.setUint16(i * 2, arr[i]!, true);
        else view.setUint32(i * 4, arr[i]!, true);
      }
      return encodeBase64(out);
    }
    case 'list':
      return mapList(k, v, path, encode);
    case 'record':
      return encodeRecord(k, v, path);
    case 'optional':
      return v === undefined || v === null ? null : encode(k.of, v, path);
    case 'enum':
      return enumValue(k, v, path);
    default: {
      const never: never = k;
      return never;
    }
  }
}

/** Encode the declared keys of `v` (other properties of the live object are not saved). */
export function encodeRecord(k: RecordKind, v: unknown, path: string): JsonObject | Fail {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return wrongType(k, v, path);
  const src = v as Record<string, unknown>;
  const out: JsonObject = {};
  for (const [name, fk] of Object.entries(k.fields)) {
    const fpath = childPath(path, name);
    if (!(name in src) && fk.kind !== 'optional') return fail('missing-field', fpath, 'missing');
    const e = encode(fk, src[name], fpath);
    if (e instanceof Fail) return e;
    out[name] = e;
  }
  return out;
}

// ---------------------------------------------------------------------------
// JSON -> live value

function decodeBytes(k: Kind, v: unknown, path: string): Uint8Array | Fail {
  if (typeof v !== 'string') return wrongType(k, v, path);
  const b = decodeBase64(v);
  return b ?? fail('bad-encoding', path, `expected ${describeKind(k)}, got a string that is not canonical base64`);
}

/** Decode a saved value of kind `k`, checking everything. */
export function decode(k: Kind, v: unknown, path: string): unknown {
  switch (k.kind) {
    case 'bool':
      return typeof v === 'boolean' ? v : wrongType(k, v, path);
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) return wrongType(k, v, path);
      if (v < k.min || v > k.max) return fail('out-of-range', path, `${v} is out of range for ${k.label} (${k.min}..${k.max})`);
      return v === 0 ? 0 : v;
    case 'f64':
      if (typeof v === 'number') return v;
      if (typeof v === 'string') {
        if (Object.hasOwn(SPECIAL_F64, v)) return SPECIAL_F64[v];
        return fail('bad-encoding', path, `expected a number or one of "NaN", "Infinity", "-Infinity", "-0", got ${describeValue(v)}`);
      }
      return wrongType(k, v, path);
    case 'bigint': {
      if (typeof v !== 'string') return wrongType(k, v, path);
      if (!BIGINT_RE.test(v) || v === '-0') return fail('bad-encoding', path, `expected ${describeKind(k)}, got ${describeValue(v)}`);
      const n = BigInt(v);
      if (n < k.min || n > k.max) return fail('out-of-range', path, `${v} is out of range for ${k.label} (${k.min}..${k.max})`);
      return n;
    }
    case 'string':
      if (typeof v !== 'string') return wrongType(k, v, path);
      if (v.length > k.maxLength) return fail('wrong-length', path, `expected at most ${k.maxLength} characters, got ${v.length}`);
      return v;
    case 'bytes': {
      const b = decodeBytes(k, v, path);
      if (b instanceof Fail) return b;
      if (k.length !== null && b.length !== k.length) return fail('wrong-length', path, lengthWhy(k.length, b.length, 'bytes'));
      if (b.length > k.maxLength) return fail('wrong-length', path, `expected at most ${k.maxLength} bytes, got ${b.length}`);
      return b;
    }
    case 'u16array':
    case 'u32array': {
      const b = decodeBytes(k, v, path);
      if (b instanceof Fail) return b;
      const size = k.kind === 'u16array' ? 2 : 4;
      if (b.length !== k.length * size) {
        const why =
          b.length % size === 0
            ? lengthWhy(k.length, b.length / size, 'entries')
            : `expected ${k.length} entries (${k.length * size} bytes), got ${b.length} bytes`;
        return fail('wrong-length', path, why);
      }
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (k.kind === 'u16array') {
        const out = new Uint16Array(k.length);
        for (let i = 0; i < out.length; i++) out[i] = view.getUint16(i * 2, true);
        return out;
      }
      const out = new Uint32Array(k.length);
      for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
      return out;
    }
    case 'list':
      return mapList(k, v, path, decode);
    case 'record':
      return decodeRecord(k, v, path);
    case 'optional':
      return v === null || v === undefined ? undefined : decode(k.of, v, path);
    case 'enum':
      return enumValue(k, v, path);
    default: {
      const never: never = k;
      return never;
    }
  }
}

/**
 * Decode a record: every declared key must be present (an `optional` one may
 * be absent or null), and no other key may be.
 */
export function decodeRecord(k: RecordKind, v: unknown, path: string): Record<string, unknown> | Fail {
  if (!isPlainObject(v)) return wrongType(k, v, path);
  const out: Record<string, unknown> = {};
  for (const [name, fk] of Object.entries(k.fields)) {
    const fpath = childPath(path, name);
    if (!Object.hasOwn(v, name)) {
      if (fk.kind !== 'optional') return fail('missing-field', fpath, `missing (expected ${describeKind(fk)})`);
      out[name] = undefined;
      continue;
    }
    const e = decode(fk, v[name], fpath);
    if (e instanceof Fail) return e;
    out[name] = e;
  }
  for (const name of Object.keys(v)) {
    if (!Object.hasOwn(k.fields, name)) return fail('unknown-field', childPath(path, name), 'unknown field');
  }
  return out;
}
