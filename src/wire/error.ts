/**
 * Parse and build failures in `src/wire`, returned as values. Parsers and
 * offload helpers never throw on bad bytes; they hand back one of these.
 */

export type WireLayer =
  | 'ethernet'
  | 'vlan'
  | 'arp'
  | 'ipv4'
  | 'ipv4-option'
  | 'ipv6'
  | 'ipv6-ext'
  | 'icmpv4'
  | 'icmpv6'
  | 'ndp-option'
  | 'udp'
  | 'tcp'
  | 'tcp-option'
  | 'offload';

export type WireError =
  /** The buffer holds `have` bytes where `need` are required. */
  | { kind: 'truncated'; layer: WireLayer; need: number; have: number }
  /** A field holds a value the format does not allow (IHL < 5, option length 0, ...). */
  | { kind: 'malformed'; layer: WireLayer; field: string; value: number }
  /** A valid value this code does not handle (ARP over non-Ethernet, ...). */
  | { kind: 'unsupported'; layer: WireLayer; field: string; value: number }
  | { kind: 'bad-checksum'; layer: WireLayer; got: number; want: number }
  /** A walk stopped at its bound (extension headers, options, segments). */
  | { kind: 'too-many'; layer: WireLayer; what: string; limit: number };

/** Reprs and views never carry both `kind` and `layer` at top level, so this tells them apart. */
export function isWireError(v: unknown): v is WireError {
  return typeof v === 'object' && v !== null && 'kind' in v && 'layer' in v;
}

export function truncated(layer: WireLayer, need: number, have: number): WireError {
  return { kind: 'truncated', layer, need, have };
}

export function malformed(layer: WireLayer, field: string, value: number): WireError {
  return { kind: 'malformed', layer, field, value };
}

export function unsupported(layer: WireLayer, field: string, value: number): WireError {
  return { kind: 'unsupported', layer, field, value };
}

export function badChecksum(layer: WireLayer, got: number, want: number): WireError {
  return { kind: 'bad-checksum', layer, got, want };
}

export function tooMany(layer: WireLayer, what: string, limit: number): WireError {
  return { kind: 'too-many', layer, what, limit };
}
