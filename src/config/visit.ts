/**
 * Typed reading of parsed option strings against a schema, with the error
 * wording and order of QEMU 7.2's two input visitors:
 *
 * - `visitOpts` is qapi/opts-visitor.c over a QemuOpts list: nested structs
 *   are flattened (their members are looked up by their own short names),
 *   the last occurrence of a scalar wins, lists take every occurrence, and
 *   any key left over is "Invalid parameter 'KEY'".
 * - `visitKeyval` is qapi/qobject-input-visitor.c in keyval mode over a
 *   keyval tree: dotted keys for nested structs, messages name the full
 *   dotted path (range and enum errors only the member name, as
 *   visit_type_uintN/input_type_enum do), a left-over key is
 *   "Parameter 'KEY' is unexpected", a dict where a scalar belongs is
 *   "Parameters 'KEY.*' are unexpected".
 *
 * When several keys are left over QEMU reports whichever its hash table
 * yields first; we report the first in input order.
 *
 * Values come out as plain data keyed by our field names: str/enum → string,
 * bool → boolean, ints up to 32 bits → number, 64-bit ints and sizes →
 * bigint, lists → string[], structs/unions → records.
 */
import { parseUint, qapiBoolParse, qemuStrtoi64, qemuStrtosz, qemuStrtou64, strtoll } from './cutils.js';
import type { KvDict, KvNode, OptionWarning, QemuOptsList } from './opts.js';
import type { Members, TypeSpec } from './schema.js';

export type VisitResult =
  | { readonly ok: true; readonly value: Record<string, unknown>; readonly warnings: readonly OptionWarning[] }
  | { readonly ok: false; readonly error: string };

/** Internal control flow only; always caught in this module. */
class VisitError {
  constructor(readonly message: string) {}
}

function intBounds(bits: number, signed: boolean): { min: bigint; max: bigint } {
  const b = BigInt(bits);
  return signed ? { min: -(1n << (b - 1n)), max: (1n << (b - 1n)) - 1n } : { min: 0n, max: (1n << b) - 1n };
}

/** visit_type_intN/uintN range check: "Parameter 'NAME' expects int32_t". */
function narrow(name: string, v: bigint, bits: number, signed: boolean): number | bigint {
  if (bits === 64) return v;
  const { min, max } = intBounds(bits, signed);
  if (v < min || v > max) throw new VisitError(`Parameter '${name}' expects ${signed ? 'int' : 'uint'}${bits}_t`);
  return Number(v);
}

function checkEnum(name: string, value: string, values: readonly string[]): string {
  if (!values.includes(value)) throw new VisitError(`Parameter '${name}' does not accept value '${value}'`);
  return value;
}

// ---------------------------------------------------------------------------
// OptsVisitor

class OptsVisitor {
  private readonly unprocessed = new Map<string, string[]>();
  readonly warnings: OptionWarning[] = [];

  constructor(list: QemuOptsList) {
    for (const o of list.opts) {
      const q = this.unprocessed.get(o.name);
      if (q) q.push(o.value);
      else this.unprocessed.set(o.name, [o.value]);
    }
    if (list.id !== undefined) {
      const q = this.unprocessed.get('id');
      if (q) q.push(list.id);
      else this.unprocessed.set('id', [list.id]);
    }
  }

  private scalar(name: string): string {
    const q = this.unprocessed.get(name);
    const last = q?.[q.length - 1];
    if (last === undefined) throw new VisitError(`Parameter '${name}' is missing`);
    return last;
  }

  private processed(name: string): void {
    this.unprocessed.delete(name);
  }

  members(members: Members, out: Record<string, unknown>): void {
    for (const [field, m] of Object.entries(members)) {
      if (m.optional && !this.unprocessed.has(m.key)) continue;
      out[field] = this.value(m.key, m.type);
    }
  }

  private value(name: string, t: TypeSpec): unknown {
    switch (t.kind) {
      case 'str': {
        const v = this.scalar(name);
        this.processed(name);
        return v;
      }
      case 'bool': {
        const v = this.scalar(name);
        const b = qapiBoolParse(v);
        if (!b.ok) throw new VisitError(`Parameter '${name}' expects 'on' or 'off'`);
        this.processed(name);
        return b.value;
      }
      case 'int': {
        const v = this.scalar(name);
        let n: bigint;
        if (t.signed) {
          const r = strtoll(v, 0);
          if (r.errno || r.end === 0 || r.end !== v.length) {
            throw new VisitError(`Parameter '${name}' expects an int64 value`);
          }
          n = r.value;
        } else {
          const r = parseUint(v, 0);
          if (r.err || r.end !== v.length) throw new VisitError(`Parameter '${name}' expects a uint64 value`);
          n = r.value;
        }
        this.processed(name);
        return narrow(name, n, t.bits, t.signed);
      }
      case 'size': {
        const v = this.scalar(name);
        const r = qemuStrtosz(v);
        if (!r.ok) throw new VisitError(`Parameter '${name}' expects a size value`);
        for (const w of r.warnings) this.warnings.push({ message: w });
        this.processed(name);
        return r.value;
      }
      case 'enum': {
        const v = this.scalar(name);
        this.processed(name);
        return checkEnum(name, v, t.values);
      }
      case 'strlist': {
        const q = this.unprocessed.get(name);
        if (!q) throw new VisitError(`Parameter '${name}' is missing`);
        this.processed(name);
        return [...q];
      }
      case 'struct': {
        const rec: Record<string, unknown> = {};
        this.members(t.members, rec);
        return rec;
      }
      case 'union': {
        const rec: Record<string, unknown> = {};
        this.union(t, rec);
        return rec;
      }
      case 'pci-devfn':
      case 'macaddr':
        // qdev property types never appear in option-visitor schemas.
        throw new VisitError(`Parameter '${name}' is not supported here`);
      default: {
        const never: never = t;
        return never;
      }
    }
  }

  union(t: Extract<TypeSpec, { kind: 'union' }>, out: Record<string, unknown>): void {
    this.members(t.base, out);
    const variant = t.variants[String(out[t.tag])];
    if (variant) this.members(variant, out);
  }

  /** opts_check_struct at the outermost level. */
  leftover(): string | undefined {
    for (const name of this.unprocessed.keys()) return name;
    return undefined;
  }
}

/** Visit a QemuOpts list as the top-level struct or union `t`. */
export function visitOpts(list: QemuOptsList, t: TypeSpec): VisitResult {
  const v = new OptsVisitor(list);
  const out: Record<string, unknown> = {};
  try {
    if (t.kind === 'union') v.union(t, out);
    else if (t.kind === 'struct') v.members(t.members, out);
    else throw new VisitError('internal: top-level type must be a struct or union');
    const left = v.leftover();
    if (left !== undefined) throw new VisitError(`Invalid parameter '${left}'`);
  } catch (e) {
    if (e instanceof VisitError) return { ok: false, error: e.message };
    throw e;
  }
  return { ok: true, value: out, warnings: v.warnings };
}

// ---------------------------------------------------------------------------
// Keyval (QObject input visitor, keyval mode)

class KeyvalVisitor {
  readonly warnings: OptionWarning[] = [];

  private static full(path: string, name: string): string {
    return path ? `${path}.${name}` : name;
  }

  /** Visit `members` of the dict `node`, then complain about left-over keys. */
  struct(node: KvDict, path: string, visit: (remaining: Map<string, KvNode>) => Record<string, unknown>):
    Record<string, unknown> {
    const remaining = new Map(node.entries);
    const rec = visit(remaining);
    for (const key of remaining.keys()) {
      throw new VisitError(`Parameter '${KeyvalVisitor.full(path, key)}' is unexpected`);
    }
    return rec;
  }

  members(members: Members, remaining: Map<string, KvNode>, path: string, out: Record<string, unknown>): void {
    for (const [field, m] of Object.entries(members)) {
      if (m.optional && !remaining.has(m.key)) continue;
      out[field] = this.value(m.key, m.type, remaining, path);
    }
  }

  private take(name: string, remaining: Map<string, KvNode>, path: string): KvNode {
    const node = remaining.get(name);
    if (!node) throw new VisitError(`Parameter '${KeyvalVisitor.full(path, name)}' is missing`);
    remaining.delete(name);
    return node;
  }

  /** qobject_input_get_keyval(): a scalar must be a string, not a dict or list. */
  private keyval(name: string, remaining: Map<string, KvNode>, path: string): string {
    const node = this.take(name, remaining, path);
    if (node.kind !== 'str') {
      throw new VisitError(`Parameters '${KeyvalVisitor.full(path, name)}.*' are unexpected`);
    }
    return node.value;
  }

  private value(name: string, t: TypeSpec, remaining: Map<string, KvNode>, path: string): unknown {
    const full = KeyvalVisitor.full(path, name);
    switch (t.kind) {
      case 'str':
        return this.keyval(name, remaining, path);
      case 'enum':
        return checkEnum(name, this.keyval(name, remaining, path), t.values);
      case 'bool': {
        const b = qapiBoolParse(this.keyval(name, remaining, path));
        if (!b.ok) throw new VisitError(`Parameter '${full}' expects 'on' or 'off'`);
        return b.value;
      }
      case 'int': {
        const v = this.keyval(name, remaining, path);
        const r = t.signed ? qemuStrtoi64(v, 0) : qemuStrtou64(v, 0);
        if (r.err) throw new VisitError(`Parameter '${full}' expects integer`);
        return narrow(name, r.value, t.bits, t.signed);
      }
      case 'size': {
        const r = qemuStrtosz(this.keyval(name, remaining, path));
        if (!r.ok) throw new VisitError(`Parameter '${full}' expects size`);
        for (const w of r.warnings) this.warnings.push({ message: w });
        return r.value;
      }
      case 'strlist': {
        const node = this.take(name, remaining, path);
        if (node.kind !== 'list') throw new VisitError(`Invalid parameter type for '${full}', expected: array`);
        return node.items.map((item, i) => {
          const at = `${full}.${i}`;
          if (item.kind !== 'dict') throw new VisitError(`Invalid parameter type for '${at}', expected: object`);
          const rec = this.struct(item, at, (rem) => ({ str: this.value('str', { kind: 'str' }, rem, at) }));
          return rec['str'];
        });
      }
      case 'struct':
      case 'union': {
        const node = this.take(name, remaining, path);
        if (node.kind !== 'dict') throw new VisitError(`Invalid parameter type for '${full}', expected: object`);
        return this.struct(node, full, (rem) => {
          const rec: Record<string, unknown> = {};
          if (t.kind === 'struct') this.members(t.members, rem, full, rec);
          else this.union(t, rem, full, rec);
          return rec;
        });
      }
      case 'pci-devfn':
      case 'macaddr':
        throw new VisitError(`Parameter '${full}' is not supported here`);
      default: {
        const never: never = t;
        return never;
      }
    }
  }

  union(t: Extract<TypeSpec, { kind: 'union' }>, remaining: Map<string, KvNode>, path: string,
    out: Record<string, unknown>): void {
    this.members(t.base, remaining, path, out);
    const variant = t.variants[String(out[t.tag])];
    if (variant) this.members(variant, remaining, path, out);
  }
}

/** Visit a keyval tree as the top-level struct or union `t`. */
export function visitKeyval(root: KvDict, t: TypeSpec): VisitResult {
  const v = new KeyvalVisitor();
  try {
    const value = v.struct(root, '', (rem) => {
      const rec: Record<string, unknown> = {};
      if (t.kind === 'union') v.union(t, rem, '', rec);
      else if (t.kind === 'struct') v.members(t.members, rem, '', rec);
      else throw new VisitError('internal: top-level type must be a struct or union');
      return rec;
    });
    return { ok: true, value, warnings: v.warnings };
  } catch (e) {
    if (e instanceof VisitError) return { ok: false, error: e.message };
    throw e;
  }
}
