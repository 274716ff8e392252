/**
 * Device-independent feature bits (virtio 1.2 §6 "Reserved Feature Bits")
 * and helpers over 64-bit feature sets. Feature sets are bigints: they are
 * only touched during negotiation, never on a hot path (the hot paths read
 * booleans computed once, see `RingFeatures`).
 */

export const VIRTIO_F = {
  /** Legacy: notify when the avail ring is empty even when suppressed. */
  NOTIFY_ON_EMPTY: 24,
  /** Legacy: the device accepts any descriptor layout (always true for 1.x). */
  ANY_LAYOUT: 27,
  INDIRECT_DESC: 28,
  EVENT_IDX: 29,
  /** Legacy: a driver that acks this bit is broken (virtio 0.9.5). */
  BAD_FEATURE: 30,
  VERSION_1: 32,
  ACCESS_PLATFORM: 33,
  RING_PACKED: 34,
  IN_ORDER: 35,
  ORDER_PLATFORM: 36,
  SR_IOV: 37,
  NOTIFICATION_DATA: 38,
  NOTIF_CONFIG_DATA: 39,
  RING_RESET: 40,
} as const;

/** Bits that only exist through the legacy interface (QEMU `VIRTIO_LEGACY_FEATURES`). */
export const LEGACY_ONLY_FEATURES: bigint = bit(VIRTIO_F.NOTIFY_ON_EMPTY) | bit(VIRTIO_F.ANY_LAYOUT) | bit(VIRTIO_F.BAD_FEATURE);

export function bit(n: number): bigint {
  return 1n << BigInt(n);
}

export function hasFeature(set: bigint, n: number): boolean {
  return ((set >> BigInt(n)) & 1n) === 1n;
}

/** Set from bit numbers. */
export function featureSet(bits: readonly number[]): bigint {
  let s = 0n;
  for (const b of bits) s |= bit(b);
  return s;
}

/** The 32-bit word `sel` (0 = bits 0..31) of a feature set. */
export function featureWord(set: bigint, sel: number): number {
  if (!Number.isInteger(sel) || sel < 0 || sel > 1) return 0;
  return Number((set >> BigInt(32 * sel)) & 0xffffffffn);
}

export function fromWords(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Bit numbers set in a feature set, ascending. */
export function featureBits(set: bigint): number[] {
  const out: number[] = [];
  for (let i = 0; i < 64; i++) if (hasFeature(set, i)) out.push(i);
  return out;
}

/**
 * A feature that needs others (virtio 1.2 §5.1.3.1 for the network device).
 * `needs`: every bit listed; `needsAny`: at least one of them.
 */
export interface FeatureDependency {
  readonly feature: number;
  readonly needs?: readonly number[];
  readonly needsAny?: readonly number[];
}

/** The first dependency the set breaks, or undefined. */
export function brokenDependency(set: bigint, deps: readonly FeatureDependency[]): FeatureDependency | undefined {
  for (const d of deps) {
    if (!hasFeature(set, d.feature)) continue;
    if (d.needs && !d.needs.every((n) => hasFeature(set, n))) return d;
    if (d.needsAny && !d.needsAny.some((n) => hasFeature(set, n))) return d;
  }
  return undefined;
}

/** What the ring code needs to know about the negotiated features. */
export interface RingFeatures {
  indirect: boolean;
  eventIdx: boolean;
  /** Legacy NOTIFY_ON_EMPTY: interrupt when the avail ring runs empty even if suppressed. */
  notifyOnEmpty: boolean;
}

export function ringFeatures(negotiated: bigint): RingFeatures {
  return {
    indirect: hasFeature(negotiated, VIRTIO_F.INDIRECT_DESC),
    eventIdx: hasFeature(negotiated, VIRTIO_F.EVENT_IDX),
    notifyOnEmpty: hasFeature(negotiated, VIRTIO_F.NOTIFY_ON_EMPTY),
  };
}
