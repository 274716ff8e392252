/** Parse failures of the formats in this folder, returned as values (never thrown). */
export type AppLayer = 'dhcp' | 'dhcp-option' | 'dns' | 'tftp' | 'dhcpv6';

export type AppWireError =
  | { kind: 'truncated'; layer: AppLayer; need: number; have: number }
  | { kind: 'malformed'; layer: AppLayer; field: string; value: number }
  | { kind: 'too-many'; layer: AppLayer; what: string; limit: number };

export function isAppWireError(v: unknown): v is AppWireError {
  return typeof v === 'object' && v !== null && 'kind' in v && 'layer' in v;
}

export function appTruncated(layer: AppLayer, need: number, have: number): AppWireError {
  return { kind: 'truncated', layer, need, have };
}

export function appMalformed(layer: AppLayer, field: string, value: number): AppWireError {
  return { kind: 'malformed', layer, field, value };
}

export function appTooMany(layer: AppLayer, what: string, limit: number): AppWireError {
  return { kind: 'too-many', layer, what, limit };
}
