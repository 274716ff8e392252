import { describe, expect, it } from 'vitest';
import { formatMac, isMulticastMac, parseLegacyMac, parseMac } from '../../src/config/index.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('parseMac (qdev mac= property)', () => {
  it('reads six two-digit hex groups separated by : or -', () => {
    expect(parseMac('52:54:00:12:34:56')).toEqual({ ok: true, value: bytes(0x52, 0x54, 0, 0x12, 0x34, 0x56) });
    expect(parseMac('AA-bb:CC-dd:EE-ff')).toEqual({ ok: true, value: bytes(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff) });
  });

  it('accepts multicast addresses (QEMU does for -device)', () => {
    const r = parseMac('01:00:5e:00:00:01');
    expect(r.ok && isMulticastMac(r.value)).toBe(true);
  });

  it('rejects anything else', () => {
    for (const s of ['52:54:00:12:34', '52:54:00:12:34:56:78', '5:54:00:12:34:56', '52:54:00:12:34:5g',
      '52.54.00.12.34.56', '52:54:00:12:34:56 ', '', '525400123456']) {
      expect(parseMac(s).ok).toBe(false);
    }
  });
});

describe('parseLegacyMac (net/util.c net_parse_macaddr, -nic mac= / -net nic,macaddr=)', () => {
  it('reads strtol(base 16) groups, so short and prefixed groups are fine', () => {
    expect(parseLegacyMac('52:54:0:12:34:56')).toEqual({ ok: true, value: bytes(0x52, 0x54, 0, 0x12, 0x34, 0x56) });
    expect(parseLegacyMac('0x52-54-00-12-34-56')).toEqual({ ok: true, value: bytes(0x52, 0x54, 0, 0x12, 0x34, 0x56) });
  });

  it('a number up to 0xffffff sets only the last three bytes', () => {
    expect(parseLegacyMac('0x123456')).toEqual({ ok: true, value: bytes(0, 0, 0, 0x12, 0x34, 0x56) });
    expect(parseLegacyMac('')).toEqual({ ok: true, value: bytes(0, 0, 0, 0, 0, 0) });
  });

  it("fails with QEMU's message", () => {
    for (const s of ['52:54:00:12:34', '52:54:00:12:34:56:', 'x', '-1', '52;54:00:12:34:56']) {
      expect(parseLegacyMac(s)).toEqual({ ok: false, error: 'invalid syntax for ethernet address' });
    }
  });
});

describe('formatMac', () => {
  it('prints lower-case colon form', () => {
    expect(formatMac(bytes(0x52, 0x54, 0, 0xab, 0xcd, 0xef))).toBe('52:54:00:ab:cd:ef');
  });
});
