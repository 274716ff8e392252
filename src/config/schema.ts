/**
 * QAPI-like type descriptions, as data. A schema is an ordered record from
 * our (camelCase) field name to the QEMU key, its type, whether it may be
 * omitted, QEMU's default and a one-line description. Visiting order is the
 * record order, which follows the QEMU schema (qapi/net.json, qdev property
 * lists) so errors come out in the same order QEMU reports them.
 */

export type TypeSpec =
  | { readonly kind: 'str' }
  | { readonly kind: 'bool' }
  | { readonly kind: 'int'; readonly bits: 8 | 16 | 32 | 64; readonly signed: boolean }
  | { readonly kind: 'size' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  /** QAPI ['String']: a key that may repeat, all values kept in order. */
  | { readonly kind: 'strlist' }
  | { readonly kind: 'struct'; readonly members: Members }
  | {
    readonly kind: 'union';
    readonly base: Members;
    /** Field (in `base`) whose value picks the variant. */
    readonly tag: string;
    readonly variants: Readonly<Record<string, Members>>;
  }
  /** qdev-only: a PCI `slot[.fn]` in hex (DEFINE_PROP_PCI_DEVFN). */
  | { readonly kind: 'pci-devfn' }
  /** qdev-only: a MAC address (DEFINE_PROP_MACADDR). */
  | { readonly kind: 'macaddr' };

export type DefaultValue = string | number | bigint | boolean;

export interface MemberSpec {
  /** The key as written on the QEMU command line. */
  readonly key: string;
  readonly type: TypeSpec;
  readonly optional: boolean;
  /** QEMU's value when the key is omitted, where it has a fixed one. */
  readonly default?: DefaultValue;
  readonly doc?: string;
}

/** Field name to member; iteration order is the visiting order. */
export type Members = Readonly<Record<string, MemberSpec>>;

/** A members table that names every field of `T`, nothing more. */
export type MembersOf<T> = { readonly [K in keyof T]-?: MemberSpec };

export const T = {
  str: { kind: 'str' },
  bool: { kind: 'bool' },
  int8: { kind: 'int', bits: 8, signed: true },
  int16: { kind: 'int', bits: 16, signed: true },
  int32: { kind: 'int', bits: 32, signed: true },
  int64: { kind: 'int', bits: 64, signed: true },
  uint8: { kind: 'int', bits: 8, signed: false },
  uint16: { kind: 'int', bits: 16, signed: false },
  uint32: { kind: 'int', bits: 32, signed: false },
  uint64: { kind: 'int', bits: 64, signed: false },
  size: { kind: 'size' },
  strlist: { kind: 'strlist' },
  pciDevfn: { kind: 'pci-devfn' },
  macaddr: { kind: 'macaddr' },
} as const satisfies Record<string, TypeSpec>;

export function enumType(values: readonly string[]): TypeSpec {
  return { kind: 'enum', values };
}

interface Extra {
  readonly default?: DefaultValue;
  readonly doc?: string;
}

/** An optional member. */
export function opt(key: string, type: TypeSpec, extra: Extra = {}): MemberSpec {
  return { key, type, optional: true, ...extra };
}

/** A mandatory member. */
export function req(key: string, type: TypeSpec, extra: Extra = {}): MemberSpec {
  return { key, type, optional: false, ...extra };
}

/** `{ type: 'struct', members }` for nested structs. */
export function struct(members: Members): TypeSpec {
  return { kind: 'struct', members };
}

/** Human name of a type, as `-device X,help` style listings print it. */
export function typeName(t: TypeSpec): string {
  switch (t.kind) {
    case 'str': return 'str';
    case 'bool': return 'bool';
    case 'int': return t.bits === 64 ? (t.signed ? 'int' : 'uint64') : `${t.signed ? 'int' : 'uint'}${t.bits}`;
    case 'size': return 'size';
    case 'enum': return t.values.join('/');
    case 'strlist': return 'str (repeatable)';
    case 'struct': return 'struct';
    case 'union': return 'union';
    case 'pci-devfn': return 'int32 (slot[.fn])';
    case 'macaddr': return 'str (MAC)';
    default: {
      const never: never = t;
      return never;
    }
  }
}
