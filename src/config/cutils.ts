/**
 * The C number and boolean parsers QEMU 7.2 option handling is built on,
 * reproduced with their exact acceptance rules: glibc strtol/strtoull
 * (whitespace, sign, base-0 prefixes, wrap-around of negatives), QEMU's
 * util/cutils.c wrappers (qemu_strtou64, qemu_strtoi, parse_uint, qemu_strtosz)
 * and qapi/qapi-util.c (qapi_bool_parse). Nothing here throws; results carry
 * an errno-style code ('EINVAL' / 'ERANGE') the callers turn into QEMU's words.
 *
 * 64-bit values are bigints; a C `long` is 64 bits (LP64, the x86_64 host).
 */

export const U64_MAX = (1n << 64n) - 1n;
export const I64_MAX = (1n << 63n) - 1n;
export const I64_MIN = -(1n << 63n);
export const I32_MAX = 2147483647;
export const I32_MIN = -2147483648;

export type Errno = 'EINVAL' | 'ERANGE';

/** C isspace() in the "C" locale. */
export function isCSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\v' || ch === '\f' || ch === '\r';
}

export function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

export function isXDigit(ch: string | undefined): boolean {
  return ch !== undefined && /^[0-9a-fA-F]$/.test(ch);
}

export function isAlpha(ch: string | undefined): boolean {
  return ch !== undefined && /^[A-Za-z]$/.test(ch);
}

export function isAlnum(ch: string | undefined): boolean {
  return ch !== undefined && /^[A-Za-z0-9]$/.test(ch);
}

function digitValue(ch: string | undefined): number {
  if (ch === undefined) return 99;
  const c = ch.charCodeAt(0);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return 99;
}

/** The shared scanner behind strtol/strtoul: sign, magnitude and end offset. */
interface Scan {
  readonly negative: boolean;
  readonly magnitude: bigint;
  /** Offset just past the last digit; `start` when nothing was converted. */
  readonly end: number;
  readonly converted: boolean;
}

function scanInteger(s: string, start: number, base: number): Scan {
  let i = start;
  while (isCSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  let b = base;
  if ((b === 0 || b === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && digitValue(s[i + 2]) < 16) {
    i += 2;
    b = 16;
  } else if (b === 0) {
    b = s[i] === '0' ? 8 : 10;
  }
  const big = BigInt(b);
  let magnitude = 0n;
  const first = i;
  while (digitValue(s[i]) < b) {
    magnitude = magnitude * big + BigInt(digitValue(s[i]));
    i++;
  }
  if (i === first) return { negative: false, magnitude: 0n, end: start, converted: false };
  return { negative, magnitude, end: i, converted: true };
}

export interface StrtoResult {
  readonly value: bigint;
  readonly end: number;
  /** errno as strtol sets it (only ERANGE; "no conversion" shows as end === start). */
  readonly errno: 'ERANGE' | undefined;
}

/** glibc strtoull: negative inputs wrap modulo 2^64, overflow gives ULLONG_MAX/ERANGE. */
export function strtoull(s: string, base: number, start = 0): StrtoResult {
  const r = scanInteger(s, start, base);
  if (r.magnitude > U64_MAX) return { value: U64_MAX, end: r.end, errno: 'ERANGE' };
  const value = r.negative ? (U64_MAX + 1n - r.magnitude) & U64_MAX : r.magnitude;
  return { value, end: r.end, errno: undefined };
}

/** glibc strtoll (and strtol, as long is 64-bit): clamps to the int64 range with ERANGE. */
export function strtoll(s: string, base: number, start = 0): StrtoResult {
  const r = scanInteger(s, start, base);
  const v = r.negative ? -r.magnitude : r.magnitude;
  if (v > I64_MAX) return { value: I64_MAX, end: r.end, errno: 'ERANGE' };
  if (v < I64_MIN) return { value: I64_MIN, end: r.end, errno: 'ERANGE' };
  return { value: v, end: r.end, errno: undefined };
}

export interface QemuStrtoResult<T> {
  /** 0 on success, else the errno QEMU returns (negated in C). */
  readonly err: Errno | undefined;
  readonly value: T;
  readonly end: number;
}

/**
 * util/cutils.c check_strtox_error(): "no conversion" is EINVAL; without an
 * end pointer (`allowTrailing` false) trailing characters are EINVAL too.
 */
function checkStrtox(s: string, start: number, end: number, allowTrailing: boolean, errno: 'ERANGE' | undefined):
  Errno | undefined {
  if (errno === undefined && end === start) return 'EINVAL';
  if (!allowTrailing && end < s.length) return 'EINVAL';
  return errno;
}

/** qemu_strtou64(): strtoull plus QEMU's error rules. */
export function qemuStrtou64(s: string, base: number, allowTrailing = false): QemuStrtoResult<bigint> {
  const r = strtoull(s, base);
  return { err: checkStrtox(s, 0, r.end, allowTrailing, r.errno), value: r.value, end: r.end };
}

/** qemu_strtoul(): identical to qemu_strtou64 on an LP64 host. */
export const qemuStrtoul = qemuStrtou64;

/** qemu_strtoi64() and qemu_strtol() (long is 64-bit). */
export function qemuStrtoi64(s: string, base: number, allowTrailing = false): QemuStrtoResult<bigint> {
  const r = strtoll(s, base);
  return { err: checkStrtox(s, 0, r.end, allowTrailing, r.errno), value: r.value, end: r.end };
}

export const qemuStrtol = qemuStrtoi64;

/** qemu_strtoi(): strtoll clamped to int with ERANGE. */
export function qemuStrtoi(s: string, base: number, allowTrailing = false): QemuStrtoResult<number> {
  const r = strtoll(s, base);
  let errno = r.errno;
  let value: number;
  if (r.value < BigInt(I32_MIN)) {
    value = I32_MIN;
    errno = 'ERANGE';
  } else if (r.value > BigInt(I32_MAX)) {
    value = I32_MAX;
    errno = 'ERANGE';
  } else {
    value = Number(r.value);
  }
  return { err: checkStrtox(s, 0, r.end, allowTrailing, errno), value, end: r.end };
}

/**
 * util/cutils.c parse_uint() as of 7.2 (used by the options visitor): strtoull,
 * "no conversion" is EINVAL, and a leading '-' (after whitespace) is ERANGE.
 */
export function parseUint(s: string, base: number): QemuStrtoResult<bigint> {
  const r = strtoull(s, base);
  if (r.errno) return { err: r.errno, value: r.value, end: r.end };
  if (r.end === 0) return { err: 'EINVAL', value: 0n, end: 0 };
  let i = 0;
  while (isCSpace(s[i])) i++;
  if (s[i] === '-') return { err: 'ERANGE', value: 0n, end: r.end };
  return { err: undefined, value: r.value, end: r.end };
}

/** C `(int)` conversion of a 64-bit value (two's complement truncation). */
export function toInt32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

export type BoolParse = { readonly ok: true; readonly value: boolean } | { readonly ok: false };

/** qapi/qapi-util.c qapi_bool_parse(): exact, case-sensitive spellings. */
export function qapiBoolParse(value: string): BoolParse {
  if (value === 'on' || value === 'yes' || value === 'true' || value === 'y') return { ok: true, value: true };
  if (value === 'off' || value === 'no' || value === 'false' || value === 'n') return { ok: true, value: false };
  return { ok: false };
}

/** qemu/help_option.h is_help_option(). */
export function isHelpOption(s: string | undefined): boolean {
  return s === '?' || s === 'help';
}

/** util/id.c id_wellformed(): a letter, then letters, digits, '-', '.', '_'. */
export function idWellformed(id: string): boolean {
  if (!isAlpha(id[0])) return false;
  for (let i = 1; i < id.length; i++) {
    const ch = id[i];
    if (!isAlnum(ch) && ch !== '-' && ch !== '.' && ch !== '_') return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// qemu_strtosz()

export type SizeParse =
  | { readonly ok: true; readonly value: bigint; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly err: Errno };

function suffixMul(ch: string | undefined, unit: bigint): bigint {
  switch (ch?.toUpperCase()) {
    case 'B': return 1n;
    case 'K': return unit;
    case 'M': return unit ** 2n;
    case 'G': return unit ** 3n;
    case 'T': return unit ** 4n;
    case 'P': return unit ** 5n;
    case 'E': return unit ** 6n;
    default: return -1n;
  }
}

/** strtod() applied at a '.', as do_strtosz uses it: `.digits` with an optional exponent. */
function strtodFraction(s: string, at: number): { value: number; end: number; exponent: boolean } | undefined {
  const m = /^\.(\d+)([eE][+-]?\d+)?/.exec(s.slice(at));
  if (!m) return undefined;
  return { value: Number(m[0]), end: at + m[0].length, exponent: m[2] !== undefined };
}

/**
 * QEMU 7.2 qemu_strtosz() (util/cutils.c do_strtosz, unit 1024, default
 * suffix 'B'): decimal with an optional fraction and a k/M/G/T/P/E/B suffix
 * (case-insensitive), or hex with no fraction. A hex value with a suffix is
 * still accepted in 7.2 but warns (removed in 8.0). Negative values,
 * octal-looking trailing digits, exponents and trailing junk are EINVAL;
 * results of 2^64 or more are ERANGE.
 */
export function qemuStrtosz(s: string): SizeParse {
  const unit = 1024n;
  // Every early exit goes through do_strtosz's `out:`, where trailing
  // characters turn any result (even ERANGE) into EINVAL.
  const out = (err: Errno, end: number): SizeParse => ({ ok: false, err: end < s.length ? 'EINVAL' : err });
  const first = qemuStrtou64(s, 10, true);
  if (first.err) return out(first.err, first.err === 'ERANGE' ? first.end : 0);
  let end = first.end;
  let val = first.value;
  if (s.slice(0, end).includes('-')) return out('EINVAL', 0);
  let valf = 0n;
  let hex = false;
  if (val === 0n && (s[end] === 'x' || s[end] === 'X')) {
    const h = qemuStrtou64(s, 16, true);
    if (h.err) return out(h.err, h.end);
    val = h.value;
    end = h.end;
    if (s[end] === '.') return out('EINVAL', 0);
    hex = true;
  } else if (s[end] === '.') {
    const f = strtodFraction(s, end);
    if (!f) {
      end++;
    } else if (f.exponent) {
      return out('EINVAL', 0);
    } else {
      end = f.end;
      const scaled = f.value * 2 ** 64;
      valf = scaled >= 2 ** 64 ? 0n : BigInt(Math.trunc(scaled));
    }
  }
  const warnings: string[] = [];
  let mul = suffixMul(s[end], unit);
  if (mul > 0n) {
    if (hex) warnings.push(`Using a multiplier suffix on hex numbers is deprecated: ${s}`);
    end++;
  } else {
    mul = 1n;
  }
  if (mul === 1n) {
    if (valf !== 0n) return out('EINVAL', 0);
  } else {
    const frac = valf * mul;
    val = val * mul + (frac >> 64n) + ((frac >> 63n) & 1n);
    if (val > U64_MAX) return out('ERANGE', end);
  }
  if (end < s.length) return out('EINVAL', end);
  return { ok: true, value: val, warnings };
}

export type SizeResult =
  | { readonly ok: true; readonly value: bigint; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly hint?: string };

/**
 * A size option value as QemuOpts reports it (util/qemu-option.c
 * parse_option_size), e.g. `-m 64M`; `name` is the option name in messages.
 */
export function parseSize(value: string, name = 'size'): SizeResult {
  const r = qemuStrtosz(value);
  if (r.ok) return r;
  if (r.err === 'ERANGE') return { ok: false, error: `Value '${value}' is out of range for parameter '${name}'` };
  return {
    ok: false,
    error: `Parameter '${name}' expects a non-negative number below 2^64`,
    hint: 'Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.',
  };
}

export type NumberResult =
  | { readonly ok: true; readonly value: bigint }
  | { readonly ok: false; readonly error: string };

/**
 * A number option value as QemuOpts reports it (parse_option_number):
 * qemu_strtou64 base 0, so `0x10` is hex, `010` octal and `-1` wraps.
 */
export function parseNumber(value: string, name = 'number'): NumberResult {
  const r = qemuStrtou64(value, 0);
  if (r.err === 'ERANGE') return { ok: false, error: `Value '${value}' is too large for parameter '${name}'` };
  if (r.err) return { ok: false, error: `Parameter '${name}' expects a number` };
  return { ok: true, value: r.value };
}
