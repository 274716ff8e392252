/**
 * The two option-string grammars of QEMU 7.2.
 *
 * QemuOpts (util/qemu-option.c, used by -netdev, -nic, -net, -device):
 * - `key=value` items separated by ','; in a value ",," stands for one ','.
 * - The first item may omit `key=` when the option list has an implied key
 *   (`type` for -netdev/-nic/-net, `driver` for -device); its value may
 *   contain ",," escapes but the item must not have '=' before its first ','.
 * - A later item without '=' is a flag: `key` means key=on, `nokey` key=off;
 *   both are deprecated short forms and produce a warning (bare `help`/`?`
 *   do not warn). Key names never unescape ",,".
 * - `id=` is taken out of the list: the first occurrence is the id and must
 *   be an identifier ("Parameter 'id' expects an identifier"); all are removed.
 * - Repeated keys are all kept, in order (the consumer decides: scalars use
 *   the last one, lists use all).
 *
 * keyval (util/keyval.c, used by -netdev stream/dgram in 7.2):
 * - Keys are QAPI names joined by '.' into a tree (`addr.host=...`); numeric
 *   fragments make lists. A repeated key replaces the earlier value.
 * - The implied first key takes the raw text up to the first ',' or '='.
 * - A bare `help` or `?` requests help.
 *
 * All parsers here are total: they return errors, never throw.
 */
import { idWellformed, isAlnum, isAlpha, isHelpOption, qemuStrtoul } from './cutils.js';

export interface QemuOpt {
  readonly name: string;
  readonly value: string;
}

/** A warning QEMU prints but does not fail on. */
export interface OptionWarning {
  readonly message: string;
  readonly hint?: string;
}

export interface QemuOptsList {
  readonly id: string | undefined;
  readonly opts: readonly QemuOpt[];
  readonly warnings: readonly OptionWarning[];
}

export type OptsParse =
  | { readonly ok: true; readonly value: QemuOptsList }
  | { readonly ok: false; readonly error: string; readonly hint?: string };

export interface QemuOptsParseOptions {
  /** The implied first key (`type`, `driver`), if the option list has one. */
  readonly impliedKey?: string;
  /** Warn about short-form booleans, as the command line does (default true). */
  readonly warnOnFlag?: boolean;
  /**
   * Take `id=` out as the list's id and check it (default true). False is
   * qemu_opts_do_parse into an existing list: id items are dropped unchecked.
   */
  readonly extractId?: boolean;
}

/** C strings stop at NUL; the command line cannot carry one anyway. */
export function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** get_opt_value(): read a value up to a single ',' with ",," unescaped. */
function getOptValue(s: string, p: number): { value: string; end: number } {
  let value = '';
  let i = p;
  while (i < s.length) {
    const ch = s[i] as string;
    if (ch === ',') {
      if (s[i + 1] !== ',') break;
      i++;
    }
    value += ch;
    i++;
  }
  return { value, end: i };
}

interface NameValue {
  readonly name: string;
  readonly value: string;
  readonly next: number;
  readonly isHelp: boolean;
  readonly warning?: OptionWarning;
}

/** get_opt_name_value(). */
function getOptNameValue(s: string, p: number, firstname: string | undefined, warnOnFlag: boolean): NameValue {
  let len = 0;
  while (p + len < s.length && s[p + len] !== '=' && s[p + len] !== ',') len++;
  let name: string;
  let value: string;
  let end: number;
  let isHelp = false;
  let warning: OptionWarning | undefined;
  if (s[p + len] !== '=') {
    if (firstname !== undefined) {
      name = firstname;
      ({ value, end } = getOptValue(s, p));
    } else {
      name = s.slice(p, p + len);
      end = p + len;
      let prefix = '';
      if (name.startsWith('no')) {
        name = name.slice(2);
        value = 'off';
        prefix = 'no';
      } else {
        value = 'on';
        isHelp = isHelpOption(name);
      }
      if (!isHelp && warnOnFlag) {
        warning = {
          message: `short-form boolean option '${prefix}${name}' deprecated`,
          hint: name === 'delay'
            ? `Please use nodelay=${prefix ? 'on' : 'off'} instead`
            : `Please use ${name}=${value} instead`,
        };
      }
    }
  } else {
    name = s.slice(p, p + len);
    ({ value, end } = getOptValue(s, p + len + 1));
  }
  const next = s[end] === ',' ? end + 1 : end;
  return warning ? { name, value, next, isHelp, warning } : { name, value, next, isHelp };
}

/**
 * Parse a QemuOpts string for an option list that accepts any key
 * (qemu_opts_parse_noisily with permit_abbrev): returns the id and the
 * remaining key/value pairs in order.
 */
export function parseQemuOpts(params: string, options: QemuOptsParseOptions = {}): OptsParse {
  const s = cString(params);
  const warnOnFlag = options.warnOnFlag ?? true;
  // opts_parse_id(): first "id" item, parsed without an implied key.
  let id: string | undefined;
  for (let p = 0; options.extractId !== false && p < s.length;) {
    const nv = getOptNameValue(s, p, undefined, false);
    if (nv.name === 'id') {
      id = nv.value;
      break;
    }
    p = nv.next;
  }
  if (id !== undefined && !idWellformed(id)) {
    return {
      ok: false,
      error: "Parameter 'id' expects an identifier",
      hint: "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.",
    };
  }
  const opts: QemuOpt[] = [];
  const warnings: OptionWarning[] = [];
  let firstname = options.impliedKey;
  for (let p = 0; p < s.length;) {
    const nv = getOptNameValue(s, p, firstname, warnOnFlag);
    p = nv.next;
    firstname = undefined;
    if (nv.warning) warnings.push(nv.warning);
    if (nv.name === 'id') continue;
    opts.push({ name: nv.name, value: nv.value });
  }
  return { ok: true, value: { id, opts, warnings } };
}

/** The last value given for `name` (qemu_opt_get). */
export function optGet(opts: readonly QemuOpt[], name: string): string | undefined {
  for (let i = opts.length - 1; i >= 0; i--) {
    const o = opts[i];
    if (o?.name === name) return o.value;
  }
  return undefined;
}

/** Escape a value for QemuOpts/keyval: every ',' doubled. */
export function escapeValue(value: string): string {
  return value.replaceAll(',', ',,');
}

/** Can `value` be written as the implied first item and read back unchanged? */
function impliedSafe(value: string): boolean {
  if (value === '') return false;
  const eq = value.indexOf('=');
  const comma = value.indexOf(',');
  return eq < 0 || (comma >= 0 && comma < eq);
}

export interface FormatOptsOptions {
  readonly impliedKey?: string;
  readonly id?: string;
}

/**
 * Write a QemuOpts string that parseQemuOpts reads back as the same id and
 * list. Names must not contain ',' or '=' (QEMU cannot express those).
 */
export function formatQemuOpts(opts: readonly QemuOpt[], options: FormatOptsOptions = {}): string {
  const items: string[] = [];
  opts.forEach((o, i) => {
    if (i === 0 && options.impliedKey !== undefined && o.name === options.impliedKey && impliedSafe(o.value)) {
      items.push(escapeValue(o.value));
    } else {
      items.push(`${o.name}=${escapeValue(o.value)}`);
    }
  });
  if (options.id !== undefined) items.push(`id=${options.id}`);
  return items.join(',');
}

// ---------------------------------------------------------------------------
// keyval

export type KvNode = KvString | KvDict | KvList;
export interface KvString {
  readonly kind: 'str';
  readonly value: string;
}
export interface KvDict {
  readonly kind: 'dict';
  readonly entries: Map<string, KvNode>;
}
export interface KvList {
  readonly kind: 'list';
  readonly items: readonly KvNode[];
}

export type KeyvalParse =
  | { readonly ok: true; readonly value: KvDict; readonly help: boolean }
  | { readonly ok: false; readonly error: string };

/** qapi/qapi-util.c parse_qapi_name(str, false): length of the name prefix, or -1. */
function parseQapiName(s: string, p: number): number {
  let i = p;
  if (s[i] === '_') {
    i++;
    if (s[i] !== '_') return -1;
    i++;
    while (i < s.length && (isAlnum(s[i]) || s[i] === '-' || s[i] === '.')) i++;
    if (s[i] !== '_') return -1;
    i++;
  }
  if (!isAlpha(s[i])) return -1;
  i++;
  while (i < s.length && (isAlnum(s[i]) || s[i] === '-' || s[i] === '_')) i++;
  return i - p;
}

/** keyval.c key_to_index(): a decimal list index at `p`, with its end. */
function keyToIndex(s: string, p: number, whole: boolean): { index: number; end: number } | undefined {
  const ch = s[p];
  if (ch === undefined || ch < '0' || ch > '9') return undefined;
  const rest = s.slice(p);
  const r = qemuStrtoul(rest, 10, !whole);
  if (r.err === 'EINVAL') return undefined;
  const index = r.err === 'ERANGE' || r.value > 2147483647n ? 2147483647 : Number(r.value);
  return { index, end: p + r.end };
}

function startsWithHelpOption(s: string, p: number): number {
  if (s[p] === '?') return 1;
  if (s.startsWith('help', p)) return 4;
  return 0;
}

class KeyvalError {
  constructor(readonly message: string) {}
}

function kvPut(cur: KvDict, keyInCur: string, value: string | undefined, keyText: string): KvNode {
  const old = cur.entries.get(keyInCur);
  if (old) {
    if (old.kind !== (value !== undefined ? 'str' : 'dict')) {
      throw new KeyvalError(`Parameters '${keyText}.*' used inconsistently`);
    }
    if (value === undefined) return old;
  }
  const node: KvNode = value !== undefined ? { kind: 'str', value } : { kind: 'dict', entries: new Map() };
  cur.entries.set(keyInCur, node);
  return node;
}

function keyvalParseOne(root: KvDict, s: string, start: number, impliedKey: string | undefined,
  state: { help: boolean }): number {
  let len = 0;
  while (start + len < s.length && s[start + len] !== '=' && s[start + len] !== ',') len++;
  let keySrc = s;
  let key = start;
  let valEnd = -1;
  if (len && s[start + len] !== '=') {
    if (startsWithHelpOption(s, start) === len) {
      state.help = true;
      const next = start + len;
      return s[next] === ',' ? next + 1 : next;
    }
    if (impliedKey !== undefined) {
      keySrc = impliedKey;
      key = 0;
      valEnd = start + len;
      len = impliedKey.length;
    }
  }
  const keyEnd = key + len;
  const keyText = (end: number): string => keySrc.slice(key, end);
  let cur = root;
  let p = key;
  let keyInCur = '';
  for (;;) {
    let flen: number;
    const idx = p !== key ? keyToIndex(keySrc.slice(0, keyEnd), p, false) : undefined;
    if (idx) {
      flen = idx.end - p;
    } else {
      const r = parseQapiName(keySrc.slice(0, keyEnd), p);
      flen = r < 0 ? 0 : r;
    }
    if (!flen || (p + flen < keyEnd && keySrc[p + flen] !== '.')) {
      throw new KeyvalError(`Invalid parameter '${keyText(keyEnd)}'`);
    }
    if (flen >= 128) {
      const fragment = p !== key || p + flen !== keyEnd ? ' fragment' : '';
      throw new KeyvalError(`Parameter${fragment} '${keySrc.slice(p, p + flen)}' is too long`);
    }
    if (p !== key) {
      const next = kvPut(cur, keyInCur, undefined, keyText(p - 1));
      cur = next as KvDict;
    }
    keyInCur = keySrc.slice(p, p + flen);
    p += flen;
    if (keySrc[p] !== '.') break;
    p++;
  }
  let value: string;
  let next: number;
  if (valEnd >= 0) {
    value = s.slice(start, valEnd);
    next = s[valEnd] === ',' ? valEnd + 1 : valEnd;
  } else {
    if (s[p] !== '=') throw new KeyvalError(`Expected '=' after parameter '${s.slice(key, p)}'`);
    let i = p + 1;
    value = '';
    for (;;) {
      if (i >= s.length) break;
      if (s[i] === ',') {
        i++;
        if (s[i] !== ',') break;
      }
      value += s[i];
      i++;
    }
    next = i;
  }
  kvPut(cur, keyInCur, value, keyText(keyEnd));
  return next;
}

/** keyval_listify(): dicts whose keys are all list indexes become lists. */
function listify(cur: KvDict, path: readonly string[]): KvNode {
  let hasIndex = false;
  let hasMember = false;
  for (const [k, v] of cur.entries) {
    if (keyToIndex(k, 0, true)) hasIndex = true;
    else hasMember = true;
    if (v.kind === 'dict') {
      const l = listify(v, [...path, k]);
      if (l !== v) cur.entries.set(k, l);
    }
  }
  const prefix = path.map((k) => `${k}.`).join('');
  if (hasIndex && hasMember) throw new KeyvalError(`Parameters '${prefix}*' used inconsistently`);
  if (!hasIndex) return cur;
  const nelt = cur.entries.size + 1;
  const elt: (KvNode | undefined)[] = new Array<KvNode | undefined>(nelt).fill(undefined);
  let maxIndex = -1;
  for (const [k, v] of cur.entries) {
    const index = keyToIndex(k, 0, true)?.index ?? 0;
    if (index > maxIndex) maxIndex = index;
    if (index >= nelt - 1) continue;
    elt[index] = v;
  }
  const items: KvNode[] = [];
  for (let i = 0; i < Math.min(nelt, maxIndex + 1); i++) {
    const e = elt[i];
    if (!e) throw new KeyvalError(`Parameter '${prefix}${i}' missing`);
    items.push(e);
  }
  return { kind: 'list', items };
}

/** keyval_parse() with help detection (keyval_parse_into with p_help). */
export function parseKeyval(params: string, impliedKey?: string): KeyvalParse {
  const s = cString(params);
  const root: KvDict = { kind: 'dict', entries: new Map() };
  const state = { help: false };
  try {
    let implied = impliedKey;
    for (let p = 0; p < s.length;) {
      p = keyvalParseOne(root, s, p, implied, state);
      implied = undefined;
    }
    listify(root, []);
  } catch (e) {
    if (e instanceof KeyvalError) return { ok: false, error: e.message };
    throw e;
  }
  return { ok: true, value: root, help: state.help };
}

/** Flatten a keyval tree back into dotted `key=value` text. */
export function formatKeyval(root: KvDict, impliedKey?: string): string {
  const items: string[] = [];
  const walk = (node: KvNode, path: string): void => {
    if (node.kind === 'str') {
      items.push(`${path}=${escapeValue(node.value)}`);
    } else if (node.kind === 'dict') {
      for (const [k, v] of node.entries) walk(v, path ? `${path}.${k}` : k);
    } else {
      node.items.forEach((v, i) => walk(v, `${path}.${i}`));
    }
  };
  for (const [k, v] of root.entries) {
    if (items.length === 0 && k === impliedKey && v.kind === 'str' && /^[^,=]+$/.test(v.value)) {
      items.push(v.value);
      continue;
    }
    walk(v, k);
  }
  return items.join(',');
}
