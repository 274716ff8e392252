/**
 * Field kinds of a saved-state schema, declared as data. Each builder returns
 * a small frozen descriptor; `ValueOf` maps a descriptor to the TypeScript
 * type of the live value, so a schema gives its state type for free.
 *
 * How each kind looks in saved (JSON) form:
 *
 * | kind                    | live value                | saved as                                   |
 * | ----------------------- | ------------------------- | ------------------------------------------ |
 * | bool                    | boolean                   | boolean                                    |
 * | u8 u16 u32 i8 i16 i32 int | number (range-checked)  | number                                     |
 * | f64                     | number                    | number; `"NaN"`, `"Infinity"`, `"-Infinity"`, `"-0"` |
 * | u64 i64                 | bigint (range-checked)    | decimal string                             |
 * | string                  | string                    | string                                     |
 * | bytes, u8array          | Uint8Array                | base64 string                              |
 * | u16array, u32array      | Uint16Array, Uint32Array  | base64 of the little-endian bytes          |
 * | list                    | array                     | array                                      |
 * | record                  | object                    | object with exactly the declared keys      |
 * | optional                | value or undefined        | value or null (or an absent record key)    |
 * | enumOf                  | one of the string values  | string                                     |
 */

export interface BoolKind {
  readonly kind: 'bool';
}
export interface IntKind {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
  /** Name used in messages: `u8`, `u32`, `int`. */
  readonly label: string;
}
export interface F64Kind {
  readonly kind: 'f64';
}
export interface BigIntKind {
  readonly kind: 'bigint';
  readonly min: bigint;
  readonly max: bigint;
  readonly label: string;
}
export interface StringKind {
  readonly kind: 'string';
  readonly maxLength: number;
}
export interface BytesKind {
  readonly kind: 'bytes';
  /** Exact length, or null for variable length. */
  readonly length: number | null;
  /** Longest accepted when the length is variable. */
  readonly maxLength: number;
}
export interface U16ArrayKind {
  readonly kind: 'u16array';
  readonly length: number;
}
export interface U32ArrayKind {
  readonly kind: 'u32array';
  readonly length: number;
}
export interface ListKind<E extends Kind = Kind> {
  readonly kind: 'list';
  readonly of: E;
  readonly maxLength: number;
}
export interface RecordKind<F extends FieldKinds = FieldKinds> {
  readonly kind: 'record';
  readonly fields: F;
}
export interface OptionalKind<E extends Kind = Kind> {
  readonly kind: 'optional';
  readonly of: E;
}
export interface EnumKind<V extends string = string> {
  readonly kind: 'enum';
  readonly values: readonly V[];
}

export type Kind =
  | BoolKind
  | IntKind
  | F64Kind
  | BigIntKind
  | StringKind
  | BytesKind
  | U16ArrayKind
  | U32ArrayKind
  | ListKind
  | RecordKind
  | OptionalKind
  | EnumKind;

export type FieldKinds = { readonly [name: string]: Kind };

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type OptionalKeys<F extends FieldKinds> = { [K in keyof F]: F[K] extends OptionalKind ? K : never }[keyof F];

/** The live object type of a record: keys of `optional` fields may be left out. */
export type RecordValue<F extends FieldKinds> = Simplify<
  { -readonly [K in Exclude<keyof F, OptionalKeys<F>>]: ValueOf<F[K]> } & {
    -readonly [K in OptionalKeys<F>]?: ValueOf<F[K]>;
  }
>;

/**
 * The live value type of a kind. The wide `Kind` itself (a schema whose
 * fields are not known statically) maps to `unknown`, which also keeps the
 * recursion through `list`/`record`/`optional` finite.
 */
export type ValueOf<K> = Kind extends K ? unknown : ValueOfKnown<K>;

type ValueOfKnown<K> = K extends BoolKind
  ? boolean
  : K extends IntKind | F64Kind
    ? number
    : K extends BigIntKind
      ? bigint
      : K extends StringKind
        ? string
        : K extends BytesKind
          ? Uint8Array
          : K extends U16ArrayKind
            ? Uint16Array
            : K extends U32ArrayKind
              ? Uint32Array
              : K extends EnumKind<infer V>
                ? V
                : K extends ListKind<infer E>
                  ? ValueOf<E>[]
                  : K extends OptionalKind<infer E>
                    ? ValueOf<E> | undefined
                    : K extends RecordKind<infer F>
                      ? RecordValue<F>
                      : never;

const MAX_LEN = Number.MAX_SAFE_INTEGER;

function checkLength(what: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
  return n;
}

function intKind(label: string, min: number, max: number): IntKind {
  return Object.freeze({ kind: 'int', min, max, label });
}

export const bool = (): BoolKind => Object.freeze({ kind: 'bool' });
export const u8 = (): IntKind => intKind('u8', 0, 0xff);
export const u16 = (): IntKind => intKind('u16', 0, 0xffff);
export const u32 = (): IntKind => intKind('u32', 0, 0xffff_ffff);
export const i8 = (): IntKind => intKind('i8', -0x80, 0x7f);
export const i16 = (): IntKind => intKind('i16', -0x8000, 0x7fff);
export const i32 = (): IntKind => intKind('i32', -0x8000_0000, 0x7fff_ffff);

/** An integer in [min, max] (safe integers; default: every non-negative safe integer, e.g. byte counters). */
export function int(min = 0, max = Number.MAX_SAFE_INTEGER): IntKind {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
    throw new RangeError(`int(${min}, ${max}): bounds must be safe integers with min <= max`);
  }
  return intKind('int', min, max);
}

/** Any JavaScript number, NaN and infinities included. */
export const f64 = (): F64Kind => Object.freeze({ kind: 'f64' });

export const u64 = (): BigIntKind => Object.freeze({ kind: 'bigint', min: 0n, max: 0xffff_ffff_ffff_ffffn, label: 'u64' });
export const i64 = (): BigIntKind =>
  Object.freeze({ kind: 'bigint', min: -0x8000_0000_0000_0000n, max: 0x7fff_ffff_ffff_ffffn, label: 'i64' });

export function string(opts: { maxLength?: number } = {}): StringKind {
  return Object.freeze({ kind: 'string', maxLength: checkLength('string maxLength', opts.maxLength ?? MAX_LEN) });
}

/** Bytes of a fixed `length`, or of variable length (at most `maxLength`). */
export function bytes(length?: number | { maxLength?: number }): BytesKind {
  if (typeof length === 'number') {
    const n = checkLength('bytes length', length);
    return Object.freeze({ kind: 'bytes', length: n, maxLength: n });
  }
  return Object.freeze({ kind: 'bytes', length: null, maxLength: checkLength('bytes maxLength', length?.maxLength ?? MAX_LEN) });
}

/** A Uint8Array of exactly `length` entries (the same as `bytes(length)`). */
export const u8array = (length: number): BytesKind => bytes(length);

export function u16array(length: number): U16ArrayKind {
  return Object.freeze({ kind: 'u16array', length: checkLength('u16array length', length) });
}

export function u32array(length: number): U32ArrayKind {
  return Object.freeze({ kind: 'u32array', length: checkLength('u32array length', length) });
}

export function list<E extends Kind>(of: E, opts: { maxLength?: number } = {}): ListKind<E> {
  checkKind(of, 'list element');
  return Object.freeze({ kind: 'list', of, maxLength: checkLength('list maxLength', opts.maxLength ?? MAX_LEN) });
}

export function record<const F extends FieldKinds>(fields: F): RecordKind<F> {
  checkFields(fields, 'record');
  return Object.freeze({ kind: 'record', fields: Object.freeze({ ...fields }) });
}

export function optional<E extends Kind>(of: E): OptionalKind<E> {
  checkKind(of, 'optional');
  return Object.freeze({ kind: 'optional', of });
}

/** One of a fixed set of strings (`enum` is a reserved word). */
export function enumOf<const V extends readonly [string, ...string[]]>(...values: V): EnumKind<V[number]> {
  if (values.length === 0 || values.some((v) => typeof v !== 'string') || new Set(values).size !== values.length) {
    throw new RangeError('enumOf needs one or more distinct strings');
  }
  return Object.freeze({ kind: 'enum', values: Object.freeze([...values]) });
}

const KIND_TAGS: ReadonlySet<string> = new Set<Kind['kind']>([
  'bool',
  'int',
  'f64',
  'bigint',
  'string',
  'bytes',
  'u16array',
  'u32array',
  'list',
  'record',
  'optional',
  'enum',
]);

/** A field of this name could not be assigned to a plain object. */
const RESERVED = new Set(['__proto__']);

function checkKind(k: unknown, where: string): void {
  if (typeof k !== 'object' || k === null || !KIND_TAGS.has((k as { kind?: unknown }).kind as string)) {
    throw new TypeError(`${where}: not a state field kind (use bool(), u32(), bytes(), ...)`);
  }
}

/** @internal Check the field map of a record or schema. */
export function checkFields(fields: unknown, where: string): void {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw new TypeError(`${where}: fields must be an object`);
  for (const [name, k] of Object.entries(fields)) {
    if (name === '' || RESERVED.has(name)) throw new RangeError(`${where}: '${name}' cannot be a field name`);
    checkKind(k, `${where}.${name}`);
  }
}

/** How a kind is named in messages. */
export function describeKind(k: Kind): string {
  switch (k.kind) {
    case 'bool':
      return 'a boolean';
    case 'int':
      return `a ${k.label} (integer ${k.min}..${k.max})`;
    case 'f64':
      return 'a number';
    case 'bigint':
      return `a ${k.label} as a decimal string`;
    case 'string':
      return 'a string';
    case 'bytes':
      return k.length === null ? 'bytes as a base64 string' : `${k.length} bytes as a base64 string`;
    case 'u16array':
      return `${k.length} u16 entries as a base64 string`;
    case 'u32array':
      return `${k.length} u32 entries as a base64 string`;
    case 'list':
      return 'an array';
    case 'record':
      return 'an object';
    case 'optional':
      return `${describeKind(k.of)} or null`;
    case 'enum':
      return `one of ${k.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default: {
      const never: never = k;
      return String(never);
    }
  }
}
