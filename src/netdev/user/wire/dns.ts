/**
 * DNS glue (RFC 1035 §4): the message header and question section, enough
 * to validate a guest query before it is handed to the host resolver, plus
 * the uncompressed and compressed name encodings DHCP option 119 (RFC 3397)
 * and DHCPv6 option 24 (RFC 8415 §10) need. Answers are built by the host
 * resolver (the Node host uses the dns-packet library).
 */
import { be16, setBe16 } from '../../../wire/bytes.js';
import { type AppWireError, appMalformed, appTooMany, appTruncated } from './error.js';

export const DNS_HEADER_LEN = 12;
export const DnsField = { ID: 0, FLAGS: 2, QDCOUNT: 4, ANCOUNT: 6, NSCOUNT: 8, ARCOUNT: 10, QUESTION: 12 } as const;
export const DNS_FLAG_QR = 0x8000;
export const DnsOpcode = { QUERY: 0 } as const;
export const DnsRcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** Longest name on the wire (RFC 1035 §2.3.4). */
export const DNS_MAX_NAME = 255;
export const DNS_MAX_LABEL = 63;
/** Compression pointers followed before giving up (a loop guard). */
const MAX_POINTERS = 16;

/** A view of a DNS message; `checked` guarantees the 12-byte header. */
export class DnsMessage {
  private constructor(readonly buffer: Uint8Array) {}

  static checked(buffer: Uint8Array): DnsMessage | AppWireError {
    if (buffer.length < DNS_HEADER_LEN) return appTruncated('dns', DNS_HEADER_LEN, buffer.length);
    return new DnsMessage(buffer);
  }

  get id(): number {
    return be16(this.buffer, DnsField.ID);
  }
  get flags(): number {
    return be16(this.buffer, DnsField.FLAGS);
  }
  get isResponse(): boolean {
    return (this.flags & DNS_FLAG_QR) !== 0;
  }
  get opcode(): number {
    return (this.flags >>> 11) & 0xf;
  }
  get rcode(): number {
    return this.flags & 0xf;
  }
  get qdcount(): number {
    return be16(this.buffer, DnsField.QDCOUNT);
  }
  get ancount(): number {
    return be16(this.buffer, DnsField.ANCOUNT);
  }
  get nscount(): number {
    return be16(this.buffer, DnsField.NSCOUNT);
  }
  get arcount(): number {
    return be16(this.buffer, DnsField.ARCOUNT);
  }
  /** The first question, parsed. */
  firstQuestion(): DnsQuestion | AppWireError {
    if (this.qdcount < 1) return appMalformed('dns', 'qdcount', 0);
    return parseDnsQuestion(this.buffer, DNS_HEADER_LEN);
  }
}

export interface DnsQuestion {
  /** Dotted name without the trailing dot ('' for the root). */
  name: string;
  type: number;
  class: number;
  /** Offset just past the question. */
  end: number;
}

/** Read a (possibly compressed) name at `offset`; returns it and the offset after it in the original position. */
export function parseDnsName(buf: Uint8Array, offset: number): { name: string; end: number } | AppWireError {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let total = 1;
  for (let pointers = 0; ; ) {
    if (pos >= buf.length) return appTruncated('dns', pos + 1, buf.length);
    const len = buf[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 2 > buf.length) return appTruncated('dns', pos + 2, buf.length);
      if (++pointers > MAX_POINTERS) return appTooMany('dns', 'compression pointers', MAX_POINTERS);
      if (end < 0) end = pos + 2;
      pos = be16(buf, pos) & 0x3fff;
      continue;
    }
    if (len > DNS_MAX_LABEL) return appMalformed('dns', 'label-length', len);
    if (pos + 1 + len > buf.length) return appTruncated('dns', pos + 1 + len, buf.length);
    total += len + 1;
    if (total > DNS_MAX_NAME) return appMalformed('dns', 'name-length', total);
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(buf[pos + 1 + i]!);
    labels.push(s);
    pos += 1 + len;
  }
  return { name: labels.join('.'), end };
}

export function parseDnsQuestion(buf: Uint8Array, offset: number): DnsQuestion | AppWireError {
  const n = parseDnsName(buf, offset);
  if ('kind' in n) return n;
  if (n.end + 4 > buf.length) return appTruncated('dns', n.end + 4, buf.length);
  return { name: n.name, type: be16(buf, n.end), class: be16(buf, n.end + 2), end: n.end + 4 };
}

/** Why a name cannot be encoded. */
export interface NameError {
  reason: string;
}

function labelsOf(name: string): string[] | NameError {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return [];
  const labels = trimmed.split('.');
  let total = 1;
  for (const l of labels) {
    if (l.length === 0) return { reason: `empty label in '${name}'` };
    if (l.length > DNS_MAX_LABEL) return { reason: `label '${l.slice(0, 16)}…' longer than 63 bytes` };
    for (let i = 0; i < l.length; i++) if (l.charCodeAt(i) > 0x7f) return { reason: `non-ASCII character in '${name}'` };
    total += l.length + 1;
  }
  if (total > DNS_MAX_NAME) return { reason: `name '${name.slice(0, 32)}…' longer than 255 bytes` };
  return labels;
}

/** A name as uncompressed wire labels (RFC 1035 §3.1). */
export function encodeDnsName(name: string): Uint8Array | NameError {
  const labels = labelsOf(name);
  if (!Array.isArray(labels)) return labels;
  const out: number[] = [];
  for (const l of labels) {
    out.push(l.length);
    for (let i = 0; i < l.length; i++) out.push(l.charCodeAt(i));
  }
  out.push(0);
  return Uint8Array.from(out);
}

/**
 * A domain search list as RFC 3397 encodes it for DHCP option 119: names
 * back to back, each suffix already written replaced by a compression pointer
 * (offsets from the start of the list). Case is kept; matching ignores it.
 */
export function encodeDomainSearch(names: readonly string[]): Uint8Array | NameError {
  const out: number[] = [];
  /** Lower-cased suffix ("apple.com") -> offset where it was written. */
  const written = new Map<string, number>();
  for (const name of names) {
    const labels = labelsOf(name);
    if (!Array.isArray(labels)) return labels;
    let pointer = -1;
    let i = 0;
    for (; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const at = written.get(suffix);
      if (at !== undefined) {
        pointer = at;
        break;
      }
      if (out.length <= 0x3fff) written.set(suffix, out.length);
      const l = labels[i]!;
      out.push(l.length);
      for (let k = 0; k < l.length; k++) out.push(l.charCodeAt(k));
    }
    if (pointer >= 0) out.push(0xc0 | (pointer >>> 8), pointer & 0xff);
    else out.push(0);
  }
  return Uint8Array.from(out);
}

/** Decode an option-119 search list (for tests and diagnostics). */
export function decodeDomainSearch(data: Uint8Array): string[] | AppWireError {
  const names: string[] = [];
  let off = 0;
  for (let count = 0; off < data.length; count++) {
    if (count > 256) return appTooMany('dns', 'search names', 256);
    const n = parseDnsName(data, off);
    if ('kind' in n) return n;
    names.push(n.name);
    off = n.end;
  }
  return names;
}

/** Overwrite the ID of a DNS message in place. */
export function setDnsId(buf: Uint8Array, id: number): void {
  setBe16(buf, DnsField.ID, id);
}
