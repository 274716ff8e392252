/**
 * bad-input.md item 9, QEMU 792676c165 / GitLab #1582: C+ large send with
 * MSS 0 divided by zero. The rule: skip the offload, send the frame
 * unchanged, no exception, the ring keeps going.
 */
import { describe, expect, it } from 'vitest';
import { Bench, Cp, DESC } from '../devices/rtl8139/driver.js';
import { hex, ipv4Frame, payload } from '../devices/rtl8139/packets.js';

describe('GitLab #1582: C+ TSO with MSS 0', () => {
  it('sends the frame unchanged and keeps working', () => {
    const b = new Bench();
    const d = new Cp(b);
    d.open();
    const f = ipv4Frame({ data: payload(3000) });
    expect(() => d.xmit(f, { opts1: DESC.LGSEN })).not.toThrow();
    expect(b.sent().map(hex)).toEqual([hex(f)]);
    expect(d.txClean()).toBe(1);
    d.xmit(f, { opts1: DESC.LGSEN | (1 << 16) });
    // MSS 1: 3000 one-byte segments, all of them well-formed.
    expect(b.sent().length).toBe(3000);
  });
});
