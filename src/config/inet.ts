/**
 * Address parsing with the host C library's rules, as QEMU 7.2 calls it:
 * glibc inet_aton() (1 to 4 parts, each decimal/octal/hex, trailing
 * whitespace-separated junk ignored) and inet_pton() (strict), plus the few
 * helpers net/slirp.c and net/socket.c use on the results.
 */
import { isCSpace, isDigit, strtoull } from './cutils.js';

/** An IPv4 address as a host-order 32-bit unsigned integer. */
export type Ipv4 = number;

/** glibc inet_aton(): returns the address, or undefined when it is rejected. */
export function inetAton(s: string): Ipv4 | undefined {
  const parts: number[] = [];
  let i = 0;
  let val = 0n;
  for (;;) {
    if (!isDigit(s[i])) return undefined;
    const r = strtoull(s, 0, i);
    if (r.errno || r.value > 0xffffffffn) return undefined;
    val = r.value;
    i = r.end;
    if (s[i] === '.') {
      if (parts.length > 2 || val > 0xffn) return undefined;
      parts.push(Number(val));
      i++;
    } else {
      break;
    }
  }
  const c = s[i];
  if (c !== undefined && !isCSpace(c)) return undefined;
  const max = [0xffffffffn, 0xffffffn, 0xffffn, 0xffn][parts.length] ?? 0n;
  if (val > max) return undefined;
  let addr = Number(val);
  parts.forEach((p, n) => {
    addr += p * 2 ** (24 - 8 * n);
  });
  return addr >>> 0;
}

/** inet_ntoa(): dotted quad. */
export function formatIpv4(a: Ipv4): string {
  return [a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff].join('.');
}

/** IN_MULTICAST() on a host-order address: 224.0.0.0/4. */
export function isIpv4Multicast(a: Ipv4): boolean {
  return (a >>> 28) === 0xe;
}

/** glibc inet_pton(AF_INET): exactly four decimal octets, no leading zeros. */
export function inetPton4(s: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let octets = 0;
  let sawDigit = false;
  let cur = 0;
  for (const ch of s) {
    if (isDigit(ch)) {
      if (sawDigit && cur === 0) return undefined;
      cur = cur * 10 + (ch.charCodeAt(0) - 48);
      if (cur > 255) return undefined;
      if (!sawDigit) {
        if (++octets > 4) return undefined;
        sawDigit = true;
      }
      out[octets - 1] = cur;
    } else if (ch === '.' && sawDigit) {
      if (octets === 4) return undefined;
      cur = 0;
      sawDigit = false;
    } else {
      return undefined;
    }
  }
  return octets === 4 ? out : undefined;
}

function hexVal(ch: string | undefined): number {
  if (ch === undefined) return -1;
  const v = parseInt(ch, 16);
  return Number.isNaN(v) || !/^[0-9a-fA-F]$/.test(ch) ? -1 : v;
}

/** glibc inet_pton(AF_INET6). */
export function inetPton6(s: string): Uint8Array | undefined {
  const tp = new Uint8Array(16);
  let ti = 0;
  let colonp = -1;
  let i = 0;
  if (s[0] === ':') {
    if (s[1] !== ':') return undefined;
    i = 1;
  }
  let curtok = i;
  let sawXdigit = false;
  let digits = 0;
  let val = 0;
  while (i < s.length) {
    const ch = s[i++];
    const d = hexVal(ch);
    if (d >= 0) {
      if (digits === 4) return undefined;
      val = (val << 4) | d;
      digits++;
      sawXdigit = true;
      continue;
    }
    if (ch === ':') {
      curtok = i;
      if (!sawXdigit) {
        if (colonp >= 0) return undefined;
        colonp = ti;
        continue;
      }
      if (i >= s.length) return undefined;
      if (ti + 2 > 16) return undefined;
      tp[ti++] = (val >> 8) & 0xff;
      tp[ti++] = val & 0xff;
      sawXdigit = false;
      digits = 0;
      val = 0;
      continue;
    }
    if (ch === '.' && ti + 4 <= 16) {
      const v4 = inetPton4(s.slice(curtok));
      if (!v4) return undefined;
      tp.set(v4, ti);
      ti += 4;
      sawXdigit = false;
      break;
    }
    return undefined;
  }
  if (sawXdigit) {
    if (ti + 2 > 16) return undefined;
    tp[ti++] = (val >> 8) & 0xff;
    tp[ti++] = val & 0xff;
  }
  if (colonp >= 0) {
    if (ti === 16) return undefined;
    const n = ti - colonp;
    for (let k = 1; k <= n; k++) {
      tp[16 - k] = tp[colonp + n - k] ?? 0;
      tp[colonp + n - k] = 0;
    }
    ti = 16;
  }
  return ti === 16 ? tp : undefined;
}

/** Compressed IPv6 text (RFC 5952 style), for resolved configuration only. */
export function formatIpv6(a: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((a[i] ?? 0) << 8) | (a[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** in6_equal_net(): the first `prefixLen` bits of `a` and `b` agree. */
export function in6EqualNet(a: Uint8Array, b: Uint8Array, prefixLen: number): boolean {
  const whole = Math.floor(prefixLen / 8);
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = prefixLen % 8;
  if (rest === 0) return true;
  return ((a[whole] ?? 0) >> (8 - rest)) === ((b[whole] ?? 0) >> (8 - rest));
}
