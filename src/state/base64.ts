/**
 * Base64 (RFC 4648 §4, with padding) without Node's Buffer, so the core runs
 * in a browser. Decoding is strict: only the canonical encoding of some byte
 * string is accepted, so a saved value has exactly one spelling.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let line = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    line += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + ALPHABET[(v >>> 6) & 63]! + ALPHABET[v & 63]!;
    // Join in pieces: long string concatenation stays cheap, and so does the final join.
    if (line.length >= 4096) {
      parts.push(line);
      line = '';
    }
  }
  const rest = n - i;
  if (rest === 1) {
    const v = bytes[i]! << 16;
    line += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + '==';
  } else if (rest === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    line += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + ALPHABET[(v >>> 6) & 63]! + '=';
  }
  parts.push(line);
  return parts.join('');
}

function sextet(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? DECODE[c]! : -1;
}

/** Decode canonical base64; `null` for anything else (bad character, padding, length or non-zero spare bits). */
export function decodeBase64(s: string): Uint8Array | null {
  if (s.length % 4 !== 0) return null;
  if (s.length === 0) return new Uint8Array(0);
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  const full = s.length - (pad ? 4 : 0);
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const a = sextet(s, i);
    const b = sextet(s, i + 1);
    const c = sextet(s, i + 2);
    const d = sextet(s, i + 3);
    if ((a | b | c | d) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  if (pad) {
    const a = sextet(s, full);
    const b = sextet(s, full + 1);
    if ((a | b) < 0) return null;
    if (pad === 2) {
      if (b & 0x0f) return null;
      out[o] = (a << 2) | (b >>> 4);
    } else {
      const c = sextet(s, full + 2);
      if (c < 0 || c & 0x03) return null;
      const v = (a << 10) | (b << 4) | (c >>> 2);
      out[o++] = v >>> 8;
      out[o] = v & 0xff;
    }
  }
  return out;
}
