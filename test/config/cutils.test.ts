import { describe, expect, it } from 'vitest';
import {
  formatIpv4, formatIpv6, idWellformed, inetAton, inetPton6, parseNumber, parseSize, qapiBoolParse, qemuStrtosz,
  qemuStrtou64,
} from '../../src/config/index.js';

describe('qemu_strtosz (QEMU 7.2 util/cutils.c)', () => {
  const size = (s: string) => {
    const r = qemuStrtosz(s);
    if (!r.ok) throw new Error(`${s}: ${r.err}`);
    return r.value;
  };
  const bad = (s: string) => {
    const r = qemuStrtosz(s);
    return r.ok ? 'ok' : r.err;
  };

  it('reads decimal values with k/M/G/T/P/E/B suffixes (binary units, any case)', () => {
    expect(size('64M')).toBe(64n << 20n);
    expect(size('1G')).toBe(1n << 30n);
    expect(size('2t')).toBe(2n << 40n);
    expect(size('1k')).toBe(1024n);
    expect(size('1K')).toBe(1024n);
    expect(size('3P')).toBe(3n << 50n);
    expect(size('1E')).toBe(1n << 60n);
    expect(size('512b')).toBe(512n);
    expect(size('4096')).toBe(4096n);
    expect(size(' 10')).toBe(10n);
  });

  it('reads fractions with a suffix, rounding half up; 1.k works', () => {
    expect(size('1.5k')).toBe(1536n);
    expect(size('1.k')).toBe(1024n);
    expect(size('0.5M')).toBe(512n * 1024n);
    expect(size('1.0009765625k')).toBe(1025n);
  });

  it('reads hex without a suffix; with a suffix it is accepted in 7.2 with a warning', () => {
    expect(size('0x10')).toBe(16n);
    const r = qemuStrtosz('0x10M');
    expect(r).toEqual({ ok: true, value: 16n << 20n, warnings: ['Using a multiplier suffix on hex numbers is deprecated: 0x10M'] });
    expect(bad('0x1.8')).toBe('EINVAL');
  });

  it('rejects negatives, fractions of bytes, exponents, junk; overflow is ERANGE', () => {
    expect(bad('-1')).toBe('EINVAL');
    expect(bad('-0')).toBe('EINVAL');
    expect(bad('1.5')).toBe('EINVAL');
    expect(bad('1.5B')).toBe('EINVAL');
    expect(bad('1e3')).toBe('EINVAL');
    expect(bad('1.5e3k')).toBe('EINVAL');
    expect(bad('12x')).toBe('EINVAL');
    expect(bad('1kk')).toBe('EINVAL');
    expect(bad('')).toBe('EINVAL');
    expect(bad('k')).toBe('EINVAL');
    expect(bad('.5M')).toBe('EINVAL');
    expect(bad('16E')).toBe('ERANGE');
    expect(bad('18446744073709551616')).toBe('ERANGE');
    expect(size('18446744073709551615')).toBe((1n << 64n) - 1n);
    expect(bad('99999999999999999999x')).toBe('EINVAL');
  });

  it("parseSize words errors like QEMU's QemuOpts size options (-m)", () => {
    expect(parseSize('64M', 'size')).toEqual({ ok: true, value: 64n << 20n, warnings: [] });
    expect(parseSize('64Q', 'size')).toEqual({
      ok: false,
      error: "Parameter 'size' expects a non-negative number below 2^64",
      hint: 'Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.',
    });
    expect(parseSize('20E', 'size')).toEqual({ ok: false, error: "Value '20E' is out of range for parameter 'size'" });
  });
});

describe('qemu_strtou64 base 0 / parse_option_number', () => {
  it('reads decimal, 0x hex and leading-0 octal; negatives wrap', () => {
    expect(qemuStrtou64('42', 0)).toMatchObject({ err: undefined, value: 42n });
    expect(qemuStrtou64('0x10', 0)).toMatchObject({ err: undefined, value: 16n });
    expect(qemuStrtou64('010', 0)).toMatchObject({ err: undefined, value: 8n });
    expect(qemuStrtou64('-1', 0)).toMatchObject({ err: undefined, value: (1n << 64n) - 1n });
    expect(qemuStrtou64('08', 0).err).toBe('EINVAL');
    expect(qemuStrtou64('0x', 0).err).toBe('EINVAL');
    expect(qemuStrtou64('', 0).err).toBe('EINVAL');
    expect(qemuStrtou64('18446744073709551616', 0).err).toBe('ERANGE');
  });

  it("parseNumber uses QEMU's number-option messages", () => {
    expect(parseNumber('0x10', 'n')).toEqual({ ok: true, value: 16n });
    expect(parseNumber('ten', 'n')).toEqual({ ok: false, error: "Parameter 'n' expects a number" });
    expect(parseNumber('99999999999999999999', 'n')).toEqual({
      ok: false, error: "Value '99999999999999999999' is too large for parameter 'n'",
    });
  });
});

describe('qapi_bool_parse', () => {
  it('accepts on/yes/true/y and off/no/false/n, case-sensitively', () => {
    for (const t of ['on', 'yes', 'true', 'y']) expect(qapiBoolParse(t)).toEqual({ ok: true, value: true });
    for (const f of ['off', 'no', 'false', 'n']) expect(qapiBoolParse(f)).toEqual({ ok: true, value: false });
    for (const x of ['ON', '1', '0', '', 'enable']) expect(qapiBoolParse(x)).toEqual({ ok: false });
  });
});

describe('id_wellformed', () => {
  it('wants a letter first, then letters, digits, - . _', () => {
    expect(idWellformed('net0')).toBe(true);
    expect(idWellformed('a-b.c_d')).toBe(true);
    expect(idWellformed('0net')).toBe(false);
    expect(idWellformed('net 0')).toBe(false);
    expect(idWellformed('')).toBe(false);
  });
});

describe('glibc inet_aton / inet_pton', () => {
  it('inet_aton takes 1-4 parts in any C base and ignores text after whitespace', () => {
    const a = (s: string) => {
      const v = inetAton(s);
      return v === undefined ? undefined : formatIpv4(v);
    };
    expect(a('10.0.2.15')).toBe('10.0.2.15');
    expect(a('127.1')).toBe('127.0.0.1');
    expect(a('10.0.515')).toBe('10.0.2.3');
    expect(a('0x7f.1')).toBe('127.0.0.1');
    expect(a('010.0.0.1')).toBe('8.0.0.1');
    expect(a('167772687')).toBe('10.0.2.15');
    expect(a('1.2.3.4 junk')).toBe('1.2.3.4');
    expect(a('1.2.3.256')).toBeUndefined();
    expect(a('256.1.1.1')).toBeUndefined();
    expect(a('1.2.3.4.5')).toBeUndefined();
    expect(a('1..2')).toBeUndefined();
    expect(a('08.1.1.1')).toBeUndefined();
    expect(a('')).toBeUndefined();
    expect(a(' 1.2.3.4')).toBeUndefined();
    expect(a('1.2.3.4x')).toBeUndefined();
  });

  it('inet_pton(AF_INET6) is strict', () => {
    const p = (s: string) => {
      const v = inetPton6(s);
      return v === undefined ? undefined : formatIpv6(v);
    };
    expect(p('fec0::')).toBe('fec0::');
    expect(p('::1')).toBe('::1');
    expect(p('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(p('::ffff:10.0.2.2')).toBe('::ffff:a00:202');
    expect(p('1:2:3:4:5:6:7:8')).toBe('1:2:3:4:5:6:7:8');
    expect(p(':1')).toBeUndefined();
    expect(p('1::2::3')).toBeUndefined();
    expect(p('12345::')).toBeUndefined();
    expect(p('1:2:3:4:5:6:7:8:9')).toBeUndefined();
    expect(p('1:')).toBeUndefined();
    expect(p('fec0::/64')).toBeUndefined();
    expect(p('::ffff:01.2.3.4')).toBeUndefined();
  });
});
