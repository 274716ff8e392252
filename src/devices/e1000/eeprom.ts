/**
 * The 82540EM's serial EEPROM: a 64-word Microwire part (93C46 style, SDM
 * 5.3 and 13.4.3) read either through EERD (one word per request, SDM
 * 13.4.4) or by bit-banging EECD: CS high, then on each rising SK edge one
 * bit of DI is shifted in (start bit, 2-bit opcode, 6-bit address); after
 * the address a READ shifts the addressed word out on DO, MSB first, one bit
 * per falling edge, continuing into the following words.
 *
 * The image follows QEMU's template (words the Linux and Windows drivers
 * read: MAC, init control words, device ID, checksum) so drivers see the
 * same EEPROM on both; word 63 makes the 64-word sum 0xBABA (SDM 5.6.20).
 */
import { EECD, EERD } from './regs.js';

export const EEPROM_WORDS = 64;
export const EEPROM_CHECKSUM_WORD = 0x3f;
export const EEPROM_SUM = 0xbaba;
/** Microwire opcodes after the start bit (SDM table 5-3). */
export const MICROWIRE_READ = 0b10;

/** Words 0..63; MAC (0..2), device ID (11, 13) and checksum (63) are filled in. */
const TEMPLATE: readonly number[] = [
  0x0000, 0x0000, 0x0000, 0x0000, 0xffff, 0x0000, 0x0000, 0x0000,
  0x3000, 0x1000, 0x6403, 0x0000, 0x8086, 0x0000, 0x8086, 0x3040,
  0x0008, 0x2000, 0x7e14, 0x0048, 0x1000, 0x00d8, 0x0000, 0x2700,
  0x6cc9, 0x3150, 0x0722, 0x040b, 0x0984, 0x0000, 0xc000, 0x0706,
  0x1008, 0x0000, 0x0f04, 0x7fff, 0x4d01, 0xffff, 0xffff, 0xffff,
  0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
  0x0100, 0x4000, 0x121c, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
  0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0x0000,
];

/** Build the EEPROM image for a MAC address and PCI device ID. */
export function buildEepromImage(mac: Uint8Array, deviceId: number): Uint16Array {
  const w = Uint16Array.from(TEMPLATE);
  for (let i = 0; i < 3; i++) w[i] = ((mac[2 * i + 1] ?? 0) << 8) | (mac[2 * i] ?? 0);
  w[11] = deviceId;
  w[13] = deviceId;
  let sum = 0;
  for (let i = 0; i < EEPROM_CHECKSUM_WORD; i++) sum = (sum + w[i]!) & 0xffff;
  w[EEPROM_CHECKSUM_WORD] = (EEPROM_SUM - sum) & 0xffff;
  return w;
}

/**
 * The Microwire interface state. `phase` is the protocol state; the
 * transition table below lists which edges move it.
 *
 *  - `idle`: nothing selected since power-on.
 *  - `command`: CS high, shifting in start bit + opcode + address.
 *  - `reading`: a READ was decoded; DO carries the addressed bits.
 *  - `ignoring`: another opcode (EWEN, WRITE, ERASE...): this part is
 *    read-only, so further bits are accepted and dropped.
 * Only a rising CS starts over; while CS is low the shift register holds
 * (DO keeps showing the current bit), as QEMU's model does.
 */
export type MicrowirePhase = 'idle' | 'command' | 'reading' | 'ignoring';

export type MicrowireEvent = 'cs-rise' | 'command-read' | 'command-other';

/** Allowed transitions; an event missing for a phase leaves the phase unchanged. */
export const MICROWIRE_TRANSITIONS: { readonly [P in MicrowirePhase]: { readonly [E in MicrowireEvent]?: MicrowirePhase } } = {
  idle: { 'cs-rise': 'command' },
  command: { 'cs-rise': 'command', 'command-read': 'reading', 'command-other': 'ignoring' },
  reading: { 'cs-rise': 'command' },
  ignoring: { 'cs-rise': 'command' },
};

/** Bits in a command: start bit, 2 opcode bits, 6 address bits (64-word part). */
const COMMAND_BITS = 9;

export interface MicrowireState {
  phase: MicrowirePhase;
  /** Bits shifted in since CS rose. */
  bitsIn: number;
  valueIn: number;
  /** Bit position being output: word = bitOut >> 4, bit = 15 - (bitOut & 15). */
  bitOut: number;
  /** EECD bits the driver last wrote (SK, CS, DI, FWE, REQ). */
  lastEecd: number;
}

export function microwireReset(s: MicrowireState): void {
  s.phase = 'idle';
  s.bitsIn = 0;
  s.valueIn = 0;
  s.bitOut = 0;
  s.lastEecd = 0;
}

export function newMicrowireState(): MicrowireState {
  return { phase: 'idle', bitsIn: 0, valueIn: 0, bitOut: 0, lastEecd: 0 };
}

function move(s: MicrowireState, e: MicrowireEvent): void {
  const next = MICROWIRE_TRANSITIONS[s.phase][e];
  if (next !== undefined) s.phase = next;
}

const WRITABLE = EECD.SK | EECD.CS | EECD.DI | EECD.FWE_MASK | EECD.REQ;

/** A driver write to EECD (SDM 13.4.3). */
export function eecdWrite(s: MicrowireState, value: number): void {
  const old = s.lastEecd;
  s.lastEecd = value & WRITABLE;
  if (!(value & EECD.CS)) return;
  if ((value ^ old) & EECD.CS) {
    // Chip select rose: a new command starts.
    move(s, 'cs-rise');
    s.bitsIn = 0;
    s.valueIn = 0;
    s.bitOut = 0;
  }
  if (!((value ^ old) & EECD.SK)) return;
  if (!(value & EECD.SK)) {
    // Falling edge: the next output bit.
    s.bitOut = (s.bitOut + 1) & 0xffff;
    return;
  }
  // Rising edge: sample DI.
  if (s.phase !== 'command') return;
  s.valueIn = ((s.valueIn << 1) | (value & EECD.DI ? 1 : 0)) & 0xffff;
  s.bitsIn++;
  if (s.bitsIn === COMMAND_BITS) {
    const opcode = (s.valueIn >> 6) & 7; // start bit + opcode
    const addr = s.valueIn & 0x3f;
    // The dummy bit before D15 occupies the position just before the word.
    s.bitOut = ((addr << 4) - 1) & 0xffff;
    move(s, opcode === (4 | MICROWIRE_READ) ? 'command-read' : 'command-other');
  }
}

/** EECD as the driver reads it: PRES and GNT always set, DO from the shift register. */
export function eecdRead(s: MicrowireState, image: Uint16Array): number {
  let v = EECD.PRES | EECD.GNT | s.lastEecd;
  if (s.phase !== 'reading') return v | EECD.DO;
  const word = image[(s.bitOut >> 4) & 0x3f]!;
  if ((word >> ((s.bitOut & 0xf) ^ 0xf)) & 1) v |= EECD.DO;
  return v;
}

/** EERD read (SDM 13.4.4): once START was written, DONE and the data of the addressed word. */
export function eerdRead(stored: number, image: Uint16Array): number {
  if (!(stored & EERD.START)) return stored >>> 0;
  const r = stored & ~EERD.START;
  // Bits above the address field count as address bits too (as QEMU does): such a word does not exist.
  const addr = r >>> EERD.ADDR_SHIFT;
  if (addr > EEPROM_CHECKSUM_WORD) return (r | EERD.DONE) >>> 0;
  return ((image[addr]! << EERD.DATA_SHIFT) | EERD.DONE | r) >>> 0;
}
