/** The device status state machine (virtio 1.2 §2.1, §3.1.1) as a transition table. */
import { describe, expect, it } from 'vitest';
import { phaseOf, STATUS, statusWrite, VALID_TRANSITIONS, type DevicePhase } from '../../src/virtio/status.js';

const A = STATUS.ACKNOWLEDGE;
const D = STATUS.DRIVER;
const FO = STATUS.FEATURES_OK;
const OK = STATUS.DRIVER_OK;

describe('virtio status state machine', () => {
  it('walks the modern sequence ACK, DRIVER, FEATURES_OK, DRIVER_OK', () => {
    let s = 0;
    for (const bits of [A, A | D, A | D | FO, A | D | FO | OK]) {
      const w = statusWrite(s, bits, false);
      expect(w.kind).toBe('accept');
      if (w.kind === 'accept') s = w.bits;
    }
    expect(phaseOf(s)).toBe('driver-ok');
  });

  it('reports FEATURES_OK and DRIVER_OK once, when they are newly set', () => {
    expect(statusWrite(A | D, A | D | FO, false)).toMatchObject({ kind: 'accept', featuresOk: true, driverOk: false });
    expect(statusWrite(A | D | FO, A | D | FO, false)).toMatchObject({ kind: 'accept', featuresOk: false });
    expect(statusWrite(A | D | FO, A | D | FO | OK, false)).toMatchObject({ kind: 'accept', driverOk: true });
  });

  it('a legacy driver goes from DRIVER to DRIVER_OK without FEATURES_OK; a modern one may not', () => {
    expect(statusWrite(A | D, A | D | OK, true).kind).toBe('accept');
    expect(statusWrite(A | D, A | D | OK, false)).toMatchObject({ kind: 'reject', reason: 'missing-step' });
  });

  it('writing 0 resets from any phase', () => {
    for (const s of [0, A, A | D, A | D | FO | OK, 0x80]) expect(statusWrite(s, 0, false).kind).toBe('reset');
  });

  it('refuses writes that clear bits, skip steps or go backwards', () => {
    expect(statusWrite(A | D | FO | OK, A | D | FO, false)).toMatchObject({ kind: 'reject', reason: 'clears-bits' });
    expect(statusWrite(0, A | D | FO | OK, false)).toMatchObject({ kind: 'reject', reason: 'bad-transition' });
    expect(statusWrite(0, D, false)).toMatchObject({ kind: 'reject', reason: 'missing-step' });
  });

  it('FAILED is always taken and keeps the bits already set', () => {
    expect(statusWrite(A | D, STATUS.FAILED, false)).toEqual({ kind: 'accept', phase: 'failed', bits: A | D | STATUS.FAILED, featuresOk: false, driverOk: false });
  });

  it('DEVICE_NEEDS_RESET written by the driver is ignored (it is the device bit)', () => {
    expect(statusWrite(A, A | STATUS.DEVICE_NEEDS_RESET, false)).toMatchObject({ kind: 'accept', bits: A });
  });

  it('the table is closed: every target is a phase and failed is terminal', () => {
    const phases = Object.keys(VALID_TRANSITIONS) as DevicePhase[];
    for (const p of phases) for (const t of VALID_TRANSITIONS[p]) expect(phases).toContain(t);
    expect(VALID_TRANSITIONS.failed).toEqual(['failed']);
  });

  it('every byte written from every phase gives a decision and never throws', () => {
    for (const cur of [0, A, A | D, A | D | FO, A | D | FO | OK, 0x80 | A]) {
      for (let v = 0; v < 256; v++) {
        for (const legacy of [false, true]) {
          const w = statusWrite(cur, v, legacy);
          expect(['reset', 'accept', 'reject']).toContain(w.kind);
          if (w.kind === 'accept' && w.phase !== 'failed') expect(w.bits & cur).toBe(cur & 0xbf);
        }
      }
    }
  });
});
