/**
 * bad-input.md item 7 (QEMU fuzz-e1000e-test.c, LP 1879531): inbound IPv6
 * with crafted extension headers, parsed for RX checksum offload: the walk is
 * bounded and stays inside the frame.
 */
import { describe, expect, it } from 'vitest';
import { bench, concat, expectOnlyRefusedOutside, expectStillWorks, mac, put16, R, RCTL, RXD } from './e1000-helpers.js';

function ipv6WithExt(ext: Uint8Array, firstNext: number, payloadLen: number): Uint8Array {
  const e = new Uint8Array(14);
  e.set(mac('52:54:00:12:34:56'), 0);
  e.set(mac('02:00:00:00:00:01'), 6);
  put16(e, 12, 0x86dd);
  const ip = new Uint8Array(40);
  ip[0] = 0x60;
  put16(ip, 4, payloadLen);
  ip[6] = firstNext;
  ip[7] = 64;
  return concat(e, ip, ext);
}

describe('e1000 RX checksum offload over hostile IPv6', () => {
  it('LP 1879531: 300 chained hop-by-hop/destination headers are walked a bounded number of steps', () => {
    const { b, d } = bench();
    d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC | RCTL.LPE);
    d.w(R.RXCSUM, 0x300);
    const n = 300;
    const ext = new Uint8Array(8 * n);
    for (let i = 0; i < n; i++) {
      ext[8 * i] = i === n - 1 ? 6 : 60; // next: destination options, finally TCP
    }
    const f = ipv6WithExt(ext, 0, ext.length);
    expect(() => b.wire.inject(f)).not.toThrow();
    const [r] = d.receive();
    expect(r!.data).toEqual(f);
    expect(r!.status & RXD.TCPCS).toBe(0);
    expectStillWorks(b, d);
  });

  it('LP 1879531: a routing header whose length runs past the frame reports no checksum and reads nothing past it', () => {
    const { b, d } = bench();
    d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC);
    d.w(R.RXCSUM, 0x300);
    const rh = new Uint8Array(24);
    rh[0] = 6;
    rh[1] = 255; // (255 + 1) * 8 bytes claimed
    rh[2] = 0;
    rh[3] = 3;
    const f = ipv6WithExt(rh, 43, 2040);
    b.wire.inject(f);
    const [r] = d.receive();
    expect(r!.data).toEqual(f);
    expect(r!.errors).toBe(0);
    expect(r!.status & (RXD.TCPCS | RXD.IXSM)).toBe(0);
    expectOnlyRefusedOutside(b);
    expectStillWorks(b, d);
  });
});
