/** The virtio core (virtqueues, status, features) and its PCI transport, for any virtio device model. */
export { VIRTIO_F, LEGACY_ONLY_FEATURES, bit, hasFeature, featureSet, featureWord, fromWords, featureBits, brokenDependency, ringFeatures, type FeatureDependency, type RingFeatures } from './features.js';
export { STATUS, VALID_TRANSITIONS, phaseOf, statusWrite, type DevicePhase, type StatusWrite } from './status.js';
export { VirtioCore, NO_VECTOR, LEGACY_PAGE, type QueueSlot, type QueueSetupError, type VirtioIrqSink, type VirtioCounters } from './core.js';
export type { VirtioDeviceModel } from './device.js';
export { Chain, Pop, MAX_CHAIN_SEGMENTS, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED, type ChainError, type RingError } from './queue/chain.js';
export { type Ring, type RingMark, pop, push, publish, hasAvailable, hasUnpublished, shouldNotify, setNotify, mark, rewind, newRing } from './queue/ring.js';
export { type BurstListener, afterBurst, asBurst, beginBurst, endBurst, inBurst } from './burst.js';
export { type SplitRing, newSplitRing, needEvent, splitAreaSizes } from './queue/split.js';
export { type PackedRing, newPackedRing, packedAreaSizes, PACKED_MAX_SIZE } from './queue/packed.js';
export { VirtioPciTransport, COMMON_CFG, LEGACY_HEADER, VIRTIO_QUEUE_MAX, type VirtioPciOptions, type AccessGuard } from './pci/transport.js';
export { COMMON, LEGACY, MODERN_LAYOUT, PCI_LAYOUT, VIRTIO_PCI_CAP, type RegDef, type RegTable } from './pci/regs.js';
export { RING_STATE, QUEUE_STATE, CORE_STATE, PCI_TRANSPORT_STATE } from './state.js';
