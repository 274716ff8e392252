/**
 * Saved state of an e1000: named, versioned fields (src/state), PCI
 * configuration included. Timers are saved as the virtual time left (ns),
 * so a restore on a machine whose clock reads differently re-arms them
 * correctly.
 */
import { bool, bytes, defineState, enumOf, int, list, optional, record, string, u16, u16array, u32, u32array, u8, type StateOf } from '../../state/index.js';
import { REG_SLOTS } from './regs.js';

const context = record({
  ipcss: u8(),
  ipcso: u8(),
  ipcse: u16(),
  tucss: u8(),
  tucso: u8(),
  tucse: u16(),
  paylen: int(0, 0xfffff),
  hdrLen: u8(),
  mss: u16(),
  ip: bool(),
  tcp: bool(),
});

/** Time left on a timer in ns, or null when it is not armed. */
const timer = optional(int(0, Number.MAX_SAFE_INTEGER));

export const E1000_STATE = defineState({
  name: 'e1000',
  version: 1,
  fields: {
    /** PCI device ID of the model that saved it (0x100e, 0x100c, 0x100f). */
    deviceId: u16(),
    macAddress: bytes(6),
    pci: record({
      config: string({ maxLength: 512 }),
      barSizing: list(int(0, 5), { maxLength: 6 }),
      intxLevel: bool(),
    }),
    regs: u32array(REG_SLOTS),
    phy: u16array(32),
    eeprom: u16array(64),
    microwire: record({
      phase: enumOf('idle', 'command', 'reading', 'ignoring'),
      bitsIn: u16(),
      valueIn: u16(),
      bitOut: u16(),
      lastEecd: u32(),
    }),
    link: enumOf('down', 'negotiating', 'up'),
    carrier: bool(),
    ioaddr: u32(),
    tx: record({
      /** The frame being assembled (only `size` bytes). */
      data: bytes({ maxLength: 0x10000 }),
      header: bytes(256),
      vlanTag: int(-1, 0xffffffff),
      sumNeeded: u8(),
      cptse: bool(),
      /** Gathering a TSO frame whole for a peer that segments it (absent in older states: false). */
      whole: optional(bool()),
      props: context,
      tsoProps: context,
      tsoFrames: u16(),
    }),
    rxWaitCounted: bool(),
    interrupts: record({
      level: bool(),
      mitigationWindow: timer,
    }),
    timers: record({
      autoneg: timer,
      rctlFlush: timer,
      rxRelative: timer,
      rxAbsolute: timer,
      txRelative: timer,
      txAbsolute: timer,
    }),
  },
});

export type E1000SavedFields = StateOf<typeof E1000_STATE>;
