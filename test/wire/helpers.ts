/** Test helpers for src/wire: hex, an independent checksum, and a bounds-guarding byte array. */
import { expect } from 'vitest';
import { type WireError, isWireError } from '../../src/wire/index.js';

export function hex(s: string): Uint8Array {
  const clean = s.replace(/[\s:]/g, '');
  if (clean.length % 2) throw new Error('odd hex length');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
}

/** Unwrap a parse result, failing the test on a WireError. */
export function ok<T>(v: T | WireError): T {
  if (isWireError(v)) throw new Error(`unexpected WireError ${JSON.stringify(v)}`);
  return v;
}

export function err<T>(v: T | WireError): WireError {
  expect(isWireError(v)).toBe(true);
  return v as WireError;
}

/**
 * RFC 1071 checksum written the slow, obvious way (array of words, BigInt-free
 * sum, final fold), independent of src/wire/checksum.ts.
 */
export function naiveChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let seen = 0;
  for (const p of parts) {
    if (seen % 2) throw new Error('parts before the last must have even length');
    for (let i = 0; i < p.length; i++) sum += i % 2 === 0 ? p[i]! * 256 : p[i]!;
    seen += p.length;
  }
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return 0xffff - sum;
}

/** An IPv4 pseudo-header as bytes. */
export function pseudo4(src: Uint8Array, dst: Uint8Array, proto: number, len: number): Uint8Array {
  return Uint8Array.from([...src, ...dst, 0, proto, len >> 8, len & 255]);
}

/** An IPv6 pseudo-header as bytes. */
export function pseudo6(src: Uint8Array, dst: Uint8Array, proto: number, len: number): Uint8Array {
  return Uint8Array.from([...src, ...dst, (len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255, 0, 0, 0, proto]);
}

export class OutOfRange extends Error {}

/**
 * A Proxy over a Uint8Array that throws on any index read or write outside
 * [0, length), and on subarray/slice bounds outside it (where a real typed
 * array would silently clamp). Subarrays and slices are guarded too.
 */
export function guarded(bytes: Uint8Array): Uint8Array {
  const checkRange = (t: Uint8Array, b: unknown, e: unknown): void => {
    const begin = b === undefined ? 0 : Number(b);
    const end = e === undefined ? t.length : Number(e);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end > t.length || begin > end) {
      throw new OutOfRange(`range [${String(b)}, ${String(e)}) outside length ${t.length}`);
    }
  };
  const isIndex = (prop: string | symbol): boolean => {
    if (typeof prop !== 'string' || prop.length === 0) return false;
    const c = prop.charCodeAt(0);
    return (c >= 48 && c <= 57) || c === 45;
  };
  return new Proxy(bytes, {
    get(t, prop) {
      if (isIndex(prop)) {
        const i = Number(prop as string);
        if (!Number.isInteger(i) || i < 0 || i >= t.length) throw new OutOfRange(`read [${String(prop)}] of length ${t.length}`);
        return t[i];
      }
      if (prop === 'subarray') {
        return (b?: number, e?: number) => {
          checkRange(t, b, e);
          return guarded(t.subarray(b, e));
        };
      }
      if (prop === 'slice') {
        return (b?: number, e?: number) => {
          checkRange(t, b, e);
          return t.slice(b, e);
        };
      }
      const v: unknown = Reflect.get(t, prop, t);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
    set(t, prop, value) {
      if (isIndex(prop)) {
        const i = Number(prop as string);
        if (!Number.isInteger(i) || i < 0 || i >= t.length) throw new OutOfRange(`write [${String(prop)}] of length ${t.length}`);
        t[i] = value as number;
        return true;
      }
      return Reflect.set(t, prop, value, t);
    },
  });
}

/** Read every getter a view's class defines (the property tests' "touch every accessor"). */
export function touchGetters(view: object, skip: readonly string[] = []): void {
  const proto = Object.getPrototypeOf(view) as object;
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (skip.includes(name)) continue;
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (d?.get) void (view as Record<string, unknown>)[name];
  }
}
