/**
 * The saved state of a whole machine or adapter: one `SavedState` per
 * device, keyed by the device id (`nic0`, `hub0`), in a small versioned
 * envelope:
 *
 *     { "format": "nicemu-state", "version": 1, "devices": { "nic0": { "name": "e1000", ... } } }
 */
import { Fail, childPath, describeValue, fail, isPlainObject, type JsonObject, type RestoreResult } from './codec.js';
import { restore, type SavedState, type StateOf, type StateSchema } from './schema.js';

export const STATE_FORMAT = 'nicemu-state';
export const STATE_FORMAT_VERSION = 1;

export interface StateContainer {
  format: typeof STATE_FORMAT;
  version: typeof STATE_FORMAT_VERSION;
  devices: { [id: string]: SavedState };
}

const ROOT = STATE_FORMAT;
const CONTAINER_KEYS: ReadonlySet<string> = new Set(['format', 'version', 'devices']);
const SAVED_KEYS: ReadonlySet<string> = new Set(['name', 'version', 'fields']);

/** Put saved device states (from `save`) into a container. */
export function saveContainer(devices: Readonly<Record<string, SavedState>>): StateContainer {
  // fromEntries defines own properties, so any id (even "__proto__") is kept as a key.
  return { format: STATE_FORMAT, version: STATE_FORMAT_VERSION, devices: Object.fromEntries(Object.entries(devices)) };
}

function checkDeviceShape(id: string, v: unknown): SavedState | Fail {
  if (!isPlainObject(v)) return fail('bad-format', id, `expected a saved state object, got ${describeValue(v)}`);
  for (const key of Object.keys(v)) {
    if (!SAVED_KEYS.has(key)) return fail('unknown-field', childPath(id, key), 'unknown key in saved state (expected name, version, fields)');
  }
  if (typeof v.name !== 'string') return fail('bad-format', id, `expected "name" to be a string, got ${describeValue(v.name)}`);
  if (typeof v.version !== 'number' || !Number.isSafeInteger(v.version) || v.version < 1) {
    return fail('bad-version', id, `expected "version" to be a positive integer, got ${describeValue(v.version)}`);
  }
  if (!isPlainObject(v.fields)) return fail('bad-format', id, `expected "fields" to be an object, got ${describeValue(v.fields)}`);
  return { name: v.name, version: v.version, fields: v.fields as JsonObject };
}

/**
 * Check the envelope and the outline of every device entry (name, version,
 * fields object); the fields themselves are checked by `restoreDevice`.
 * Never throws.
 */
export function parseContainer(input: unknown): RestoreResult<StateContainer> {
  if (!isPlainObject(input)) return { ok: false, error: { kind: 'bad-format', path: ROOT, why: `expected an object, got ${describeValue(input)}` } };
  for (const key of Object.keys(input)) {
    if (!CONTAINER_KEYS.has(key)) {
      return { ok: false, error: { kind: 'unknown-field', path: childPath(ROOT, key), why: 'unknown key (expected format, version, devices)' } };
    }
  }
  if (input.format !== STATE_FORMAT) {
    return { ok: false, error: { kind: 'wrong-name', path: ROOT, why: `expected "format": "${STATE_FORMAT}", got ${describeValue(input.format)}` } };
  }
  const v = input.version;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    return { ok: false, error: { kind: 'bad-version', path: ROOT, why: `expected "version" to be a positive integer, got ${describeValue(v)}` } };
  }
  if (v > STATE_FORMAT_VERSION) {
    return { ok: false, error: { kind: 'version-too-new', path: ROOT, why: `container version ${v}, this build supports up to ${STATE_FORMAT_VERSION}` } };
  }
  if (!isPlainObject(input.devices)) {
    return { ok: false, error: { kind: 'bad-format', path: childPath(ROOT, 'devices'), why: `expected an object, got ${describeValue(input.devices)}` } };
  }
  const devices: [string, SavedState][] = [];
  for (const [id, d] of Object.entries(input.devices)) {
    const s = checkDeviceShape(id, d);
    if (s instanceof Fail) return { ok: false, error: s.error };
    devices.push([id, s]);
  }
  return { ok: true, value: { format: STATE_FORMAT, version: STATE_FORMAT_VERSION, devices: Object.fromEntries(devices) } };
}

/** Restore device `id` from a parsed container; error paths read `id/name.field`. Never throws. */
export function restoreDevice<S extends StateSchema>(container: StateContainer, id: string, schema: S): RestoreResult<StateOf<S>> {
  if (!Object.hasOwn(container.devices, id)) {
    return { ok: false, error: { kind: 'missing-device', path: id, why: `no saved state for this device (expected ${JSON.stringify(schema.name)})` } };
  }
  const r = restore(schema, container.devices[id]);
  if (!r.ok) return { ok: false, error: { ...r.error, path: `${id}/${r.error.path}` } };
  return r;
}

/**
 * Restore every device of a machine: `schemas` maps each device id to its
 * schema. A device missing from the saved state, or one the machine does
 * not have, is an error. Never throws.
 */
export function restoreContainer<M extends { readonly [id: string]: StateSchema }>(
  input: unknown,
  schemas: M,
): RestoreResult<{ [K in keyof M]: StateOf<M[K]> }> {
  const parsed = parseContainer(input);
  if (!parsed.ok) return parsed;
  const container = parsed.value;
  for (const [id, d] of Object.entries(container.devices)) {
    if (!Object.hasOwn(schemas, id)) {
      return { ok: false, error: { kind: 'unknown-device', path: id, why: `saved state has a device ${JSON.stringify(d.name)} this machine does not have` } };
    }
  }
  const out: [string, unknown][] = [];
  for (const [id, schema] of Object.entries(schemas)) {
    const r = restoreDevice(container, id, schema);
    if (!r.ok) return r;
    out.push([id, r.value]);
  }
  return { ok: true, value: Object.fromEntries(out) as { [K in keyof M]: StateOf<M[K]> } };
}
