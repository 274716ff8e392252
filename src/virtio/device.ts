/**
 * What a virtio device model (net, and later others) offers to a transport,
 * and what the transport offers back. The model never sees registers: the
 * transport maps common configuration, notifications and the device
 * configuration window onto the core and calls these hooks.
 */
import type { FeatureDependency } from './features.js';

export interface VirtioDeviceModel {
  /** Virtio device ID (§5): 1 = network card. */
  readonly deviceType: number;
  /** Largest size of each virtqueue, by index; the array length is the number of queues. */
  readonly queueMaxSizes: readonly number[];
  /** Features offered (device-specific and transport bits, VERSION_1 included, legacy-only bits included). */
  offeredFeatures(): bigint;
  /** Device-specific bits that only exist for legacy drivers (hidden from the modern feature window). */
  readonly legacyOnlyFeatures: bigint;
  /** Feature dependencies a driver must respect (FEATURES_OK is refused otherwise). */
  readonly featureDependencies: readonly FeatureDependency[];
  /** Bytes of device configuration space. */
  configSize(): number;
  /** One byte of device configuration (offset < configSize()). */
  configReadByte(offset: number): number;
  /** A driver write of one byte of device configuration; `legacy` when through the legacy interface. */
  configWriteByte(offset: number, value: number, legacy: boolean): void;
  /** Extra checks of a feature set at FEATURES_OK: a reason to refuse, or undefined. */
  validateFeatures?(features: bigint): string | undefined;
  /** The negotiated feature set changed (modern: at FEATURES_OK; legacy: each write). */
  featuresChanged(features: bigint): void;
  /** DRIVER_OK was set. */
  driverOk(): void;
  /** Available buffer notification for queue `index`. */
  queueNotify(index: number): void;
  /** Queue `index` was made ready (enabled). */
  queueEnabled?(index: number): void;
  /** Device reset (status 0 written, or a machine reset): every device-side state back to its initial value. */
  deviceReset(): void;
  /** Queue `index` alone was reset (VIRTIO_F_RING_RESET, §2.6.1). */
  queueReset?(index: number): void;
}
