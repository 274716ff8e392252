/**
 * Saved-state kinds for the virtio core and PCI transport, for device
 * schemas to embed (named fields, validated on restore).
 */
import { bool, bytes, enumOf, int, list, optional, record, string, u16, u32, u64, u8, type ValueOf } from '../state/index.js';

export const RING_STATE = record({
  kind: enumOf('split', 'packed'),
  nextAvail: u16(),
  availWrap: bool(),
  nextUsed: u16(),
  usedWrap: bool(),
  signalledUsed: u16(),
  signalledWrap: bool(),
  signalledValid: bool(),
  inFlight: u16(),
});

export const QUEUE_STATE = record({
  size: u16(),
  descLo: u32(),
  descHi: u32(),
  driverLo: u32(),
  driverHi: u32(),
  deviceLo: u32(),
  deviceHi: u32(),
  vector: u16(),
  enabled: bool(),
  ring: optional(RING_STATE),
});

export const CORE_STATE = record({
  status: u8(),
  isr: u8(),
  configGeneration: u8(),
  configVector: u16(),
  driverFeatureLo: u32(),
  driverFeatureHi: u32(),
  negotiated: u64(),
  iface: optional(enumOf('legacy', 'modern')),
  queues: list(QUEUE_STATE, { maxLength: 1024 }),
});

export const PCI_TRANSPORT_STATE = record({
  pci: record({
    config: string({ maxLength: 512 }),
    barSizing: list(int(0, 5), { maxLength: 6 }),
    intxLevel: bool(),
    msixTable: optional(string({ maxLength: 2048 * 32 })),
    msixPba: optional(string({ maxLength: 1024 })),
  }),
  dfselect: u32(),
  gfselect: u32(),
  queueSel: u16(),
  cfgData: bytes(4),
  core: CORE_STATE,
});

export type RingSaved = ValueOf<typeof RING_STATE>;
export type QueueSaved = ValueOf<typeof QUEUE_STATE>;
export type CoreSaved = ValueOf<typeof CORE_STATE>;
export type PciTransportSaved = ValueOf<typeof PCI_TRANSPORT_STATE>;
