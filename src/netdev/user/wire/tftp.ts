/**
 * TFTP (RFC 1350) with option negotiation (RFC 2347), blksize (RFC 2348),
 * timeout and tsize (RFC 2349).
 */
import { be16, setBe16 } from '../../../wire/bytes.js';
import { type AppWireError, appMalformed, appTooMany, appTruncated } from './error.js';

export const TFTP_PORT = 69;
export const TftpOpcode = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;
export const TftpErrorCode = {
  NOT_DEFINED: 0,
  FILE_NOT_FOUND: 1,
  ACCESS_VIOLATION: 2,
  DISK_FULL: 3,
  ILLEGAL_OPERATION: 4,
  UNKNOWN_TID: 5,
  FILE_EXISTS: 6,
  NO_SUCH_USER: 7,
  /** RFC 2347: option negotiation refused. */
  OPTION_REFUSED: 8,
} as const;

export const TFTP_DEFAULT_BLKSIZE = 512;
/** RFC 2348 bounds. */
export const TFTP_MIN_BLKSIZE = 8;
export const TFTP_MAX_BLKSIZE = 65464;
/** Options accepted in one request (anything beyond is an error). */
export const TFTP_MAX_OPTIONS = 16;
/** Longest filename / mode / option string. */
export const TFTP_MAX_STRING = 512;

export type TftpPacket =
  | { op: 'rrq' | 'wrq'; filename: string; mode: string; options: Array<[name: string, value: string]> }
  | { op: 'data'; block: number; data: Uint8Array }
  | { op: 'ack'; block: number }
  | { op: 'error'; code: number; message: string }
  | { op: 'oack'; options: Array<[name: string, value: string]> };

/** Read NUL-terminated strings from buf[off..]; a missing NUL is an error. */
function strings(buf: Uint8Array, off: number, max: number): string[] | AppWireError {
  const out: string[] = [];
  while (off < buf.length) {
    if (out.length >= max) return appTooMany('tftp', 'strings', max);
    let end = off;
    while (end < buf.length && buf[end] !== 0) end++;
    if (end >= buf.length) return appMalformed('tftp', 'unterminated-string', off);
    if (end - off > TFTP_MAX_STRING) return appMalformed('tftp', 'string-length', end - off);
    let s = '';
    for (let i = off; i < end; i++) s += String.fromCharCode(buf[i]!);
    out.push(s);
    off = end + 1;
  }
  return out;
}

function pairs(list: string[]): Array<[string, string]> | AppWireError {
  if (list.length % 2 !== 0) return appMalformed('tftp', 'option-without-value', list.length);
  const out: Array<[string, string]> = [];
  for (let i = 0; i < list.length; i += 2) out.push([list[i]!, list[i + 1]!]);
  return out;
}

export function parseTftp(buf: Uint8Array): TftpPacket | AppWireError {
  if (buf.length < 4) return appTruncated('tftp', 4, buf.length);
  const op = be16(buf, 0);
  switch (op) {
    case TftpOpcode.RRQ:
    case TftpOpcode.WRQ: {
      const s = strings(buf, 2, 2 + 2 * TFTP_MAX_OPTIONS);
      if (!Array.isArray(s)) return s;
      if (s.length < 2) return appMalformed('tftp', 'request', s.length);
      const options = pairs(s.slice(2));
      if (!Array.isArray(options)) return options;
      return { op: op === TftpOpcode.RRQ ? 'rrq' : 'wrq', filename: s[0]!, mode: s[1]!, options };
    }
    case TftpOpcode.DATA:
      return { op: 'data', block: be16(buf, 2), data: buf.subarray(4) };
    case TftpOpcode.ACK:
      return { op: 'ack', block: be16(buf, 2) };
    case TftpOpcode.ERROR: {
      const s = buf.length > 4 ? strings(buf, 4, 1) : [''];
      if (!Array.isArray(s)) return s;
      return { op: 'error', code: be16(buf, 2), message: s[0] ?? '' };
    }
    case TftpOpcode.OACK: {
      const s = strings(buf, 2, 2 * TFTP_MAX_OPTIONS);
      if (!Array.isArray(s)) return s;
      const options = pairs(s);
      if (!Array.isArray(options)) return options;
      return { op: 'oack', options };
    }
    default:
      return appMalformed('tftp', 'opcode', op);
  }
}

function putString(out: number[], s: string): void {
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
  out.push(0);
}

export function emitTftp(p: TftpPacket): Uint8Array {
  switch (p.op) {
    case 'data': {
      const b = new Uint8Array(4 + p.data.length);
      setBe16(b, 0, TftpOpcode.DATA);
      setBe16(b, 2, p.block & 0xffff);
      b.set(p.data, 4);
      return b;
    }
    case 'ack': {
      const b = new Uint8Array(4);
      setBe16(b, 0, TftpOpcode.ACK);
      setBe16(b, 2, p.block & 0xffff);
      return b;
    }
    case 'error': {
      const out = [0, TftpOpcode.ERROR, (p.code >>> 8) & 0xff, p.code & 0xff];
      putString(out, p.message);
      return Uint8Array.from(out);
    }
    case 'oack': {
      const out = [0, TftpOpcode.OACK];
      for (const [k, v] of p.options) {
        putString(out, k);
        putString(out, v);
      }
      return Uint8Array.from(out);
    }
    case 'rrq':
    case 'wrq': {
      const out = [0, p.op === 'rrq' ? TftpOpcode.RRQ : TftpOpcode.WRQ];
      putString(out, p.filename);
      putString(out, p.mode);
      for (const [k, v] of p.options) {
        putString(out, k);
        putString(out, v);
      }
      return Uint8Array.from(out);
    }
    default: {
      const never: never = p;
      throw new Error(`unhandled TFTP packet ${String(never)}`);
    }
  }
}
