/**
 * The device status field (virtio 1.2 §2.1) as a state machine. The driver
 * writes a bit mask; the phase is the furthest step of the initialization
 * sequence (§3.1.1) the bits describe. A write is accepted when the
 * transition table allows the phase change, no bit the driver set before is
 * cleared, and every earlier step's bit is present. Writing 0 resets the
 * device from any phase. DEVICE_NEEDS_RESET is the device's own bit and is
 * not part of the phase.
 */

export const STATUS = {
  ACKNOWLEDGE: 0x01,
  DRIVER: 0x02,
  DRIVER_OK: 0x04,
  FEATURES_OK: 0x08,
  DEVICE_NEEDS_RESET: 0x40,
  FAILED: 0x80,
} as const;

/** Bits the driver owns (everything but DEVICE_NEEDS_RESET). */
export const DRIVER_STATUS_BITS = 0xff & ~STATUS.DEVICE_NEEDS_RESET;

export type DevicePhase = 'reset' | 'acknowledged' | 'driver' | 'features-ok' | 'driver-ok' | 'failed';

/** Phase changes a status write may make (writes of 0 are resets and always allowed). */
export const VALID_TRANSITIONS: Readonly<Record<DevicePhase, readonly DevicePhase[]>> = {
  reset: ['reset', 'acknowledged', 'driver', 'failed'],
  acknowledged: ['acknowledged', 'driver', 'features-ok', 'failed'],
  driver: ['driver', 'features-ok', 'driver-ok', 'failed'],
  'features-ok': ['features-ok', 'driver-ok', 'failed'],
  'driver-ok': ['driver-ok', 'failed'],
  failed: ['failed'],
};

/** Bits a phase requires, per interface (a legacy driver never sets FEATURES_OK, §4.1.4.8 legacy notes). */
function required(phase: DevicePhase, legacy: boolean): number {
  switch (phase) {
    case 'reset':
    case 'failed':
      return 0;
    case 'acknowledged':
      return STATUS.ACKNOWLEDGE;
    case 'driver':
      return STATUS.ACKNOWLEDGE | STATUS.DRIVER;
    case 'features-ok':
      return STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK;
    case 'driver-ok':
      return STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.DRIVER_OK | (legacy ? 0 : STATUS.FEATURES_OK);
    default: {
      const never: never = phase;
      return never;
    }
  }
}

export function phaseOf(status: number): DevicePhase {
  if (status & STATUS.FAILED) return 'failed';
  if (status & STATUS.DRIVER_OK) return 'driver-ok';
  if (status & STATUS.FEATURES_OK) return 'features-ok';
  if (status & STATUS.DRIVER) return 'driver';
  if (status & STATUS.ACKNOWLEDGE) return 'acknowledged';
  return 'reset';
}

export type StatusWrite =
  | { readonly kind: 'reset' }
  | {
    readonly kind: 'accept';
    readonly phase: DevicePhase;
    /** The new driver-owned bits. */
    readonly bits: number;
    /** FEATURES_OK newly set: the device must validate the features now. */
    readonly featuresOk: boolean;
    /** DRIVER_OK newly set: the device goes live. */
    readonly driverOk: boolean;
  }
  | { readonly kind: 'reject'; readonly reason: 'clears-bits' | 'bad-transition' | 'missing-step'; readonly from: DevicePhase; readonly to: DevicePhase };

/**
 * Decide a status write. `current` holds the driver-owned bits now; `legacy`
 * is true when the driver uses the legacy interface (no FEATURES_OK step).
 */
export function statusWrite(current: number, written: number, legacy: boolean): StatusWrite {
  const bits = written & DRIVER_STATUS_BITS;
  if (bits === 0) return { kind: 'reset' };
  const from = phaseOf(current);
  const to = phaseOf(bits);
  if (to === 'failed') {
    // The driver gave up (§3.1.1 step 8): always taken, keeping what was set.
    return { kind: 'accept', phase: 'failed', bits: bits | (current & DRIVER_STATUS_BITS), featuresOk: false, driverOk: false };
  }
  if ((current & ~bits & DRIVER_STATUS_BITS) !== 0) return { kind: 'reject', reason: 'clears-bits', from, to };
  if (!VALID_TRANSITIONS[from].includes(to)) return { kind: 'reject', reason: 'bad-transition', from, to };
  const need = required(to, legacy);
  if ((bits & need) !== need) return { kind: 'reject', reason: 'missing-step', from, to };
  return {
    kind: 'accept',
    phase: to,
    bits,
    featuresOk: (bits & STATUS.FEATURES_OK) !== 0 && (current & STATUS.FEATURES_OK) === 0,
    driverOk: (bits & STATUS.DRIVER_OK) !== 0 && (current & STATUS.DRIVER_OK) === 0,
  };
}
