import { expect } from 'vitest';
import type { HelpRequest, ParseResult } from '../../src/config/index.js';

/** The value of a successful parse; fails the test otherwise. */
export function ok<V>(r: ParseResult<V>): V {
  if (!r.ok) throw new Error(`expected success, got error: ${r.error}`);
  if (r.kind !== 'value') throw new Error(`expected a value, got help ${r.help.topic}`);
  return r.value;
}

/** The error message of a failed parse; fails the test otherwise. */
export function err<V>(r: ParseResult<V>): string {
  if (r.ok) throw new Error(`expected an error, got ${r.kind}`);
  return r.error;
}

export function helpOf<V>(r: ParseResult<V>): HelpRequest {
  expect(r.ok).toBe(true);
  if (!r.ok || r.kind !== 'help') throw new Error('expected a help request');
  return r.help;
}
