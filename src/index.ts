/**
 * nicemu: emulated network cards and QEMU-style network backends for
 * JavaScript PC emulators. This entry point is the browser-safe core; Node-only
 * backends are in `nicemu/node`.
 */
export { VERSION, QEMU_COMPAT } from './version.js';
export { NicemuError, OptionError, NotSupportedError, StateError, GuestMemoryError } from './errors.js';
export { type IrqLine, type MsiSink, LevelIrq } from './irq.js';

export { type GuestMemory, type MemError, type RamRegion, RegionMemory, addr64, isMemError, toAddr } from './dma/memory.js';
export { type Clock, type Timer, type TimerHost, VirtualClock } from './time/clock.js';
export { type RandomSource, SeededRandom, CryptoRandom } from './time/random.js';

export * from './hub/index.js';
export * from './pci/index.js';
export * from './pcap/index.js';
export * from './state/index.js';
export * from './trace/index.js';

export type { AccessSize, BarHandler, ActiveBar, PciConfigTarget, PciDevice, DeviceContext } from './machine/device.js';
export { IoSpace, MemorySpace } from './machine/bus.js';
export { buildMachine, defaultMac, type MachineArgs, type Backend, type BackendEnv, type BackendFactory, type BackendFactories, type BuiltMachine } from './machine/build.js';
export { PcMachine, type PcMachineOptions, type AttachedDevice, type DeviceFactory } from './machine/pc.js';
export { QtestSession, type QtestTarget } from './machine/qtest.js';
export { QmpSession, type QmpTarget, type QmpVersion } from './machine/qmp.js';
export { InProcessQtest } from './machine/inprocess.js';
export { WireEnd } from './machine/wire.js';

export type { NicDevice, NicModel, NicProps } from './devices/nic.js';
export { NIC_MODELS, findNicModel } from './devices/models.js';
export { TestDevice } from './devices/testdev/device.js';

export * from './config/index.js';
export * from './wire/index.js';
export * from './fuzz/index.js';
export { LengthPrefixDecoder, lengthPrefix, MAX_STREAM_FRAME } from './netdev/socket/framing.js';
export * from './netdev/user/index.js';
export { L2tpv3Codec, headerLayout as l2tpv3HeaderLayout, L2TPV3_DATA_WORD, type L2tpv3Params } from './netdev/l2tpv3/header.js';
export { ObservedMemory, isWriteOp, type MemObserver, type MemOp } from './dma/observed.js';
