/**
 * Versioned, named-field device state (the idea of Firecracker's `Persist`
 * and QEMU's vmstate, in our own form). A device declares its state once as
 * data:
 *
 *     const E1000_STATE = defineState({
 *       name: 'e1000', version: 2,
 *       fields: { mac: bytes(6), regs: u32array(0x8000), link: bool() },
 *       migrations: { 1: (v1) => ({ ...v1, link: true }) },
 *     });
 *     type E1000State = StateOf<typeof E1000_STATE>;
 *
 * `save` turns a live state object into plain JSON; `restore` checks saved
 * JSON against the schema, running older versions through the migration
 * chain first, and reports the first fault with its field path.
 */
import { StateError } from '../errors.js';
import {
  Fail,
  childPath,
  decode,
  decodeRecord,
  describeValue,
  encode,
  encodeRecord,
  fail,
  formatRestoreError,
  isPlainObject,
  type JsonObject,
  type JsonValue,
  type RestoreResult,
} from './codec.js';
import { checkFields, type FieldKinds, type Kind, type RecordKind, type RecordValue, type ValueOf } from './kinds.js';

/**
 * Turns the saved fields of version `n` into those of version `n + 1`. It
 * works on the saved (JSON) form, because the live types of old versions no
 * longer exist; `encodeValue` helps to build new fields. It gets its own
 * copy of the fields and may change them.
 */
export type Migration = (fields: JsonObject) => JsonObject;

export interface StateDefinition<F extends FieldKinds> {
  /** The device or component this state belongs to: `e1000`, `virtio-net`. */
  name: string;
  /** Current version, a positive integer; bump it whenever the fields change. */
  version: number;
  fields: F;
  /** `migrations[n]` upgrades version n to n + 1. */
  migrations?: { readonly [fromVersion: number]: Migration };
}

export interface StateSchema<F extends FieldKinds = FieldKinds> {
  readonly name: string;
  readonly version: number;
  readonly fields: F;
  /** The fields as one record kind. */
  readonly root: RecordKind<F>;
  readonly migrations: { readonly [fromVersion: number]: Migration };
}

/** The live state type a schema describes. */
export type StateOf<S> = S extends StateSchema<infer F> ? RecordValue<F> : never;

/** What `save` produces: plain JSON, safe for `JSON.stringify`. */
export interface SavedState {
  name: string;
  version: number;
  fields: JsonObject;
}

export function defineState<const F extends FieldKinds>(def: StateDefinition<F>): StateSchema<F> {
  if (typeof def.name !== 'string' || def.name === '') throw new TypeError('defineState: name must be a non-empty string');
  if (!Number.isSafeInteger(def.version) || def.version < 1) {
    throw new RangeError(`defineState(${def.name}): version must be a positive integer, got ${def.version}`);
  }
  checkFields(def.fields, def.name);
  const migrations = def.migrations ?? {};
  for (const [from, m] of Object.entries(migrations)) {
    const n = Number(from);
    if (!Number.isSafeInteger(n) || n < 1 || n >= def.version || typeof m !== 'function') {
      throw new RangeError(`defineState(${def.name}): migrations[${from}] must be a function upgrading a version in 1..${def.version - 1}`);
    }
  }
  const fields = Object.freeze({ ...def.fields });
  return Object.freeze({
    name: def.name,
    version: def.version,
    fields,
    root: Object.freeze({ kind: 'record', fields }) as RecordKind<F>,
    migrations: Object.freeze({ ...migrations }),
  });
}

/**
 * Save a live state object: the declared fields only (other properties are
 * ignored). A value that does not fit its field is a bug in the caller and
 * throws `StateError` naming the field (`e1000.tdh: 4294967296 is out of range ...`).
 */
export function save<S extends StateSchema>(schema: S, state: StateOf<S>): SavedState {
  const fields = encodeRecord(schema.root, state, schema.name);
  if (fields instanceof Fail) throw new StateError(`cannot save ${formatRestoreError(fields.error)}`, { cause: fields.error });
  return { name: schema.name, version: schema.version, fields };
}

const SAVED_KEYS: ReadonlySet<string> = new Set(['name', 'version', 'fields']);

/** Run `fields` of `version` through the migration chain up to `schema.version`. */
function migrate(schema: StateSchema, version: number, fields: JsonObject): JsonObject | Fail {
  let current = fields;
  for (let v = version; v < schema.version; v++) {
    const m = Object.hasOwn(schema.migrations, v) ? schema.migrations[v] : undefined;
    if (!m) {
      return fail('no-migration', schema.name, `cannot restore version ${version}: no migration from version ${v} to ${v + 1}`);
    }
    let next: unknown;
    try {
      // Each migration gets its own copy: the caller's saved state stays as it was.
      next = m(structuredClone(current));
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      return fail('migration-failed', schema.name, `migration from version ${v} to ${v + 1} failed: ${msg}`);
    }
    if (!isPlainObject(next)) {
      return fail('migration-failed', schema.name, `migration from version ${v} to ${v + 1} returned ${describeValue(next)}, not an object`);
    }
    current = next as JsonObject;
  }
  return current;
}

/**
 * Check `saved` (any value: typically from `JSON.parse`) against `schema` and
 * build the live state. Never throws; the first fault comes back as
 * `{ kind, path, why }`.
 */
export function restore<S extends StateSchema>(schema: S, saved: unknown): RestoreResult<StateOf<S>> {
  const r = restoreFields(schema, saved);
  if (r instanceof Fail) return { ok: false, error: r.error };
  return { ok: true, value: r as StateOf<S> };
}

function restoreFields(schema: StateSchema, saved: unknown): Record<string, unknown> | Fail {
  const here = schema.name;
  if (!isPlainObject(saved)) return fail('bad-format', here, `expected a saved state object, got ${describeValue(saved)}`);
  for (const key of Object.keys(saved)) {
    if (!SAVED_KEYS.has(key)) return fail('unknown-field', childPath(here, key), 'unknown key in saved state (expected name, version, fields)');
  }
  const { name, version, fields } = saved;
  if (typeof name !== 'string') return fail('bad-format', here, `expected "name" to be a string, got ${describeValue(name)}`);
  if (name !== schema.name) return fail('wrong-name', here, `saved state is for ${JSON.stringify(name)}, not ${JSON.stringify(schema.name)}`);
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    return fail('bad-version', here, `expected "version" to be a positive integer, got ${describeValue(version)}`);
  }
  if (version > schema.version) {
    return fail('version-too-new', here, `saved by version ${version}, this build supports up to version ${schema.version}`);
  }
  if (!isPlainObject(fields)) return fail('bad-format', here, `expected "fields" to be an object, got ${describeValue(fields)}`);
  const current = version < schema.version ? migrate(schema, version, fields as JsonObject) : (fields as JsonObject);
  if (current instanceof Fail) return current;
  return decodeRecord(schema.root, current, here);
}

/** `restore` for the public API: throws `StateError` (with the `RestoreError` as `cause`). */
export function restoreOrThrow<S extends StateSchema>(schema: S, saved: unknown): StateOf<S> {
  const r = restore(schema, saved);
  if (!r.ok) throw new StateError(formatRestoreError(r.error), { cause: r.error });
  return r.value;
}

/** Encode one value of a kind to its saved form (for migrations); throws `StateError` if it does not fit. */
export function encodeValue<K extends Kind>(kind: K, value: ValueOf<K>, path = 'value'): JsonValue {
  const e = encode(kind, value, path);
  if (e instanceof Fail) throw new StateError(formatRestoreError(e.error), { cause: e.error });
  return e;
}

/** Decode one saved value of a kind (for migrations and tools); never throws. */
export function decodeValue<K extends Kind>(kind: K, saved: unknown, path = 'value'): RestoreResult<ValueOf<K>> {
  const r = decode(kind, saved, path);
  if (r instanceof Fail) return { ok: false, error: r.error };
  return { ok: true, value: r as ValueOf<K> };
}
