/** PCI type-0 function, capabilities, MSI-X table and register constants. */
export { PciFunction, type PciFunctionOptions, type PowerState, type MappingChange } from './function.js';
export { MsixTable, type MsiResult, type MsiDeliver } from './msix.js';
export type { BarSpec, ActiveBar, RomMapping } from './bars.js';
export type { CapabilitySpec, PmCapSpec, MsiCapSpec, MsixCapSpec, VendorCapSpec, CapWindow, PlacedCap } from './caps.js';
export type { AccessSize } from './config.js';
export type { PciFunctionState, PciStateError } from './state.js';
export * from './regs.js';
