/**
 * The 93C46 serial EEPROM behind Cfg9346 (RTL8139C datasheet §5.13 and §7):
 * 64 words of 16 bits, Microwire protocol, 6-bit addresses. In programming
 * mode (EEM = 10) the EECS, EESK and EEDI bits of Cfg9346 drive the chip's
 * pins and EEDO reads its data-out pin.
 *
 * On each rising edge of SK with CS high the chip takes one bit: it waits
 * for the start bit (1), then takes two opcode and six address bits. READ
 * answers a dummy 0 and then 16 data bits, most significant first; after
 * the 16th bit it waits for a new start bit, as QEMU's model does (the BSD
 * drivers never drop CS between reads). WRITE/ERASE/WRAL/ERAL change the
 * contents only after EWEN. Raising CS restarts the protocol.
 *
 * The image follows QEMU's: word 0 = 0x8129 (the signature Linux 8139too
 * checks to pick 6-bit addressing), words 1-2 the PCI vendor and device IDs,
 * words 7-9 the MAC address, little-endian within each word.
 */

/** Protocol phase (the transitions are the `switch` in `clock`). */
export type EepromPhase = 'idle' | 'start' | 'command' | 'reading' | 'writing';

export interface EepromState {
  phase: EepromPhase;
  /** Pins as last written. */
  cs: boolean;
  sk: boolean;
  di: boolean;
  /** The data-out pin. */
  dout: boolean;
  /** Bits taken in the current phase. */
  bits: number;
  /** Shift register of bits taken in. */
  input: number;
  /** Shift register of bits to send out. */
  output: number;
  /** Word address of the current command. */
  address: number;
  /** Which write command is collecting data. */
  writeAll: boolean;
  /** EWEN given (erase/write enabled). */
  writeEnabled: boolean;
}

export const EEPROM_WORDS = 64;
const ADDR_MASK = EEPROM_WORDS - 1;

export function newEepromState(): EepromState {
  return { phase: 'idle', cs: false, sk: false, di: false, dout: false, bits: 0, input: 0, output: 0, address: 0, writeAll: false, writeEnabled: false };
}

export function eepromReset(s: EepromState): void {
  Object.assign(s, newEepromState());
}

/** The power-on image for a MAC address (QEMU rtl8139_reset's layout). */
export function buildEepromImage(mac: Uint8Array, deviceId = 0x8139): Uint16Array {
  const w = new Uint16Array(EEPROM_WORDS);
  w[0] = 0x8129;
  w[1] = 0x10ec;
  w[2] = deviceId;
  for (let i = 0; i < 3; i++) w[7 + i] = (mac[2 * i] ?? 0) | ((mac[2 * i + 1] ?? 0) << 8);
  return w;
}

/** Decode the 8 bits after the start bit: opcode (2) and address (6). */
function decode(s: EepromState, contents: Uint16Array, cmd: number): void {
  const op = cmd >>> 6;
  const addr = cmd & ADDR_MASK;
  s.bits = 0;
  s.input = 0;
  switch (op) {
    case 2: // READ: a dummy 0 bit first, then the word
      s.phase = 'reading';
      s.address = addr;
      s.output = contents[addr]!;
      s.dout = false;
      return;
    case 1: // WRITE
      s.phase = 'writing';
      s.address = addr;
      s.writeAll = false;
      return;
    case 3: // ERASE
      if (s.writeEnabled) contents[addr] = 0xffff;
      s.dout = true;
      s.phase = 'start';
      return;
    default: // extended: the top two address bits select the command
      switch (addr >>> 4) {
        case 3: // EWEN
          s.writeEnabled = true;
          s.phase = 'start';
          return;
        case 0: // EWDS
          s.writeEnabled = false;
          s.phase = 'start';
          return;
        case 2: // ERAL
          if (s.writeEnabled) contents.fill(0xffff);
          s.dout = true;
          s.phase = 'start';
          return;
        default: // WRAL
          s.phase = 'writing';
          s.writeAll = true;
          return;
      }
  }
}

/** One rising edge of SK with CS high. */
function clock(s: EepromState, contents: Uint16Array): void {
  const bit = s.di ? 1 : 0;
  const phase = s.phase;
  switch (phase) {
    case 'idle':
      return;
    case 'start':
      if (bit) {
        s.phase = 'command';
        s.bits = 0;
        s.input = 0;
      }
      return;
    case 'command':
      s.input = ((s.input << 1) | bit) & 0xff;
      if (++s.bits === 8) decode(s, contents, s.input);
      return;
    case 'reading':
      s.dout = (s.output & 0x8000) !== 0;
      s.output = (s.output << 1) & 0xffff;
      if (++s.bits === 16) {
        s.phase = 'start';
        s.bits = 0;
        s.input = 0;
      }
      return;
    case 'writing':
      s.input = ((s.input << 1) | bit) & 0xffff;
      if (++s.bits === 16) {
        if (s.writeEnabled) {
          if (s.writeAll) contents.fill(s.input);
          else contents[s.address] = s.input;
        }
        s.dout = true; // ready
        s.phase = 'start';
        s.bits = 0;
        s.input = 0;
      }
      return;
    default: {
      const never: never = phase;
      return never;
    }
  }
}

/** New pin levels from a Cfg9346 write in programming mode. */
export function eepromSetPins(s: EepromState, contents: Uint16Array, cs: boolean, sk: boolean, di: boolean): void {
  const rising = !s.sk && sk;
  if (!s.cs && cs) {
    // Chip select rising: synchronise, wait for a start bit.
    s.phase = 'start';
    s.bits = 0;
    s.input = 0;
    s.output = 0;
  } else if (!cs) {
    s.phase = 'idle';
  }
  s.cs = cs;
  s.sk = sk;
  s.di = di;
  if (cs && rising) clock(s, contents);
}

/** The data-out pin (0 while the chip is not selected). */
export function eepromDataOut(s: EepromState): boolean {
  return s.cs && s.dout;
}
