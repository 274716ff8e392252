/**
 * Saved state of an rtl8139: named, versioned fields (src/state), PCI
 * configuration included. Times are saved relative to the clock (time left
 * on a timer, time since the TCTR base), so a restore on a machine whose
 * clock reads differently keeps them.
 */
import { bool, bytes, defineState, enumOf, int, list, optional, record, string, u16, u16array, u32, u8, type StateOf } from '../../state/index.js';
import { CP_TX_BUFFER } from './tx.js';

const timer = optional(int(0, Number.MAX_SAFE_INTEGER));
const count = int(0, Number.MAX_SAFE_INTEGER);

const cpRing = record({
  desc: int(0, 63),
  /** The frame being assembled (only the bytes so far). */
  data: bytes({ maxLength: CP_TX_BUFFER }),
  bad: bool(),
});

export const RTL8139_STATE = defineState({
  name: 'rtl8139',
  version: 1,
  fields: {
    revision: u8(),
    macAddress: bytes(6),
    pci: record({
      config: string({ maxLength: 512 }),
      barSizing: list(int(0, 5), { maxLength: 6 }),
      intxLevel: bool(),
    }),
    /** The 256-byte register file (stored values; computed registers are derived on read). */
    regs: bytes(256),
    cplusMap: bool(),
    clockRunning: bool(),
    carrier: bool(),
    eeprom: u16array(64),
    eepromWire: record({
      phase: enumOf('idle', 'start', 'command', 'reading', 'writing'),
      cs: bool(),
      sk: bool(),
      di: bool(),
      dout: bool(),
      bits: u8(),
      input: u16(),
      output: u16(),
      address: u8(),
      writeAll: bool(),
      writeEnabled: bool(),
    }),
    rx: record({
      bufPtr: int(0, 0xffff),
      bufAddr: int(0, 0x10000 + 0x1000),
      cpDesc: int(0, 63),
      waitReported: bool(),
    }),
    tx: record({
      cur: int(0, 3),
      normal: cpRing,
      high: cpRing,
    }),
    tally: record({
      txOk: count,
      rxOk: count,
      txErr: count,
      rxErr: count,
      missPkt: count,
      fae: count,
      tx1Col: count,
      txMCol: count,
      rxOkPhy: count,
      rxOkBrd: count,
      rxOkMul: count,
      txAbt: count,
      txUndrn: count,
    }),
    /** ns since the TCTR base (TCTR = this / 30). */
    tctrElapsed: int(0, Number.MAX_SAFE_INTEGER),
    interrupts: record({
      level: bool(),
      rxHeld: u32(),
      txHeld: u32(),
    }),
    timers: record({
      tctr: timer,
      rxMitigation: timer,
      txMitigation: timer,
      rxPoll: timer,
    }),
  },
});

export type Rtl8139SavedFields = StateOf<typeof RTL8139_STATE>;
