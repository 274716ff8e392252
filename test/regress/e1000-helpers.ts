/**
 * Shared checks for the e1000 bad-guest-input regressions
 * (shared/reference/bad-input.md, items 1-7, 28-29): every test also proves
 * that the device never touched memory outside guest RAM and still moves
 * frames both ways afterwards.
 */
import { expect } from 'vitest';
import { CMD, Driver, legacyDesc, makeBench, R, RCTL, type Bench } from '../devices/e1000/driver.js';
import { eth } from '../devices/e1000/packets.js';

export * from '../devices/e1000/driver.js';
export * from '../devices/e1000/packets.js';

export const OWN = '52:54:00:12:34:56';

/** A device whose peer takes every other frame offered with offload work left (both paths run). */
export function bench(): { b: Bench; d: Driver } {
  let offers = 0;
  const b = makeBench({ wire: { takeOffloaded: () => (offers++ & 1) === 0 } });
  const d = new Driver(b, { txCount: 16, rxCount: 16 });
  return { b, d };
}

/** Successful accesses are all inside RAM; attempts outside were refused (and only those listed). */
export function expectOnlyRefusedOutside(b: Bench, allowed = 0): void {
  expect(b.mem.outside.length).toBeLessThanOrEqual(allowed);
  for (const o of b.mem.outside) expect(b.mem.contains(o.addr, o.len)).toBe(false);
}

/** Re-initialize like a driver after trouble (CTRL.RST, PHY back to normal), then check one frame goes out and one comes in. */
export function expectStillWorks(b: Bench, d: Driver): void {
  b.nic.net.purgeQueue();
  d.w(R.CTRL, 1 << 26);
  d.w(R.MDIC, (1 << 26) | (1 << 21) | 0x1140); // BMCR: no loopback, autonegotiation on
  b.clock.advance(1_000_000_000); // let a negotiation in progress finish
  expect(d.r(R.STATUS) & 2).toBe(2);
  d.initTx();
  d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC);
  while (b.wire.take()) {
    /* drain */
  }
  const out = eth('ff:ff:ff:ff:ff:ff', 60, 0x5a);
  d.putTx(legacyDesc(d.txBuffer(out), out.length, CMD.IFCS | CMD.EOP | CMD.RS));
  d.kick();
  expect(b.wire.take()).toEqual(out);
  const inbound = eth(OWN, 80, 0xa5);
  b.wire.inject(inbound);
  const got = d.receive();
  expect(got.map((r) => r.data)).toEqual([inbound]);
}
