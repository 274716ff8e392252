/**
 * Receive: the address filter (RCR.AAP/APM/AM/AB, the MAR hash), the
 * normal-mode ring buffer at RBSTART (RTL8139C datasheet §6.1, §5.6) and the
 * C+ mode descriptor ring at RDSAR (RTL8139C+ datasheet §9.2.2). Functions
 * over explicit state; the device supplies memory, registers and interrupts.
 *
 * Backpressure instead of drops: a frame that does not fit in the free part
 * of the ring, or meets a host-owned C+ descriptor, is refused with 'busy'
 * and waits in the net client's queue. Only a frame that could never fit
 * (larger than the whole ring or than the current C+ buffer) is dropped with
 * RxOverflow and MPC, as QEMU drops every frame that does not fit.
 */
import { addr64, type GuestMemory } from '../../dma/memory.js';
import type { ReceiveResult } from '../../hub/client.js';
import { crc32Update, multicastHashIndex } from '../../wire/crc32.js';
import { validateRxChecksums } from '../../wire/offload.js';
import { IpProtocol } from '../../wire/ip.js';
import { CPCR, DESC, INT, RCR, REG, RXD, RXHDR, type RegFile } from './regs.js';
import type { Tally } from './tally.js';

/** Shortest frame on the wire (without FCS); shorter frames are padded, as the sender's MAC would. */
export const MIN_FRAME = 60;
/** Frames longer than this are never delivered (datasheet: LONG, "packet length > 4 KB"). */
export const MAX_RX_FRAME = 4096;
/** C+ descriptor rings hold at most 64 descriptors (the index wraps there even without EOR). */
export const CP_RING_SIZE = 64;

export interface RxState {
  /** Normal mode: where the driver has read up to (CAPR + 16). */
  bufPtr: number;
  /** Normal mode: where the next packet goes (CBR). */
  bufAddr: number;
  /** C+ mode: index of the next RX descriptor. */
  cpDesc: number;
  /** The wait of the frame at the head of the queue has been reported (counted; RDU raised in C+ mode). */
  waitReported: boolean;
}

export function newRxState(): RxState {
  return { bufPtr: 0, bufAddr: 0, cpDesc: 0, waitReported: false };
}

export interface RxCounters {
  rxFrames: number;
  rxFiltered: number;
  rxOversize: number;
  rxWaits: number;
  /** Ring mode: waits that lasted RX_POLL_NS, reported with RxOverflow. */
  rxOverflowReports: number;
  rxOverflowDrops: number;
  rxDmaErrors: number;
  rxChecksumReports: number;
}

export function newRxCounters(): RxCounters {
  return { rxFrames: 0, rxFiltered: 0, rxOversize: 0, rxWaits: 0, rxOverflowReports: 0, rxOverflowDrops: 0, rxDmaErrors: 0, rxChecksumReports: 0 };
}

export interface RxHost {
  readonly memory: GuestMemory;
  readonly regs: RegFile;
  readonly rx: RxState;
  readonly tally: Tally;
  readonly events: RxCounters;
  /** C+ receive mode is on (CPCR.CPRx with the C+ register map). */
  cplusRx(): boolean;
  /** Raise interrupt causes (through IntrMitigate for ROK). */
  raise(cause: number): void;
  /** Count a missed packet in MPC (24 bits). */
  missed(): void;
}

/** Size of the normal-mode ring: 8, 16, 32 or 64 KiB (RCR.RBLEN). */
export function ringSize(regs: RegFile): number {
  return 8192 << ((regs.u32(REG.RCR) & RCR.RBLEN_MASK) >>> RCR.RBLEN_SHIFT);
}

/** Unread bytes in the ring are none (CR.BUFE). */
export function ringEmpty(regs: RegFile, rx: RxState): boolean {
  const size = ringSize(regs);
  return (size + rx.bufAddr - rx.bufPtr) % size === 0;
}

const ALIGN4 = (x: number): number => (x + 3) & ~3;

/** Address class of a frame that passes the filter: RXHDR.PAM/BAR/MAR, 0 for a promiscuous-only match; -1 when refused. */
export function classify(regs: RegFile, frame: Uint8Array): number {
  const rcr = regs.u32(REG.RCR);
  let kind: number;
  let accept: boolean;
  if (frame[0]! & 1) {
    let bcast = true;
    for (let i = 0; i < 6; i++) if (frame[i] !== 0xff) bcast = false;
    if (bcast) {
      kind = RXHDR.BAR;
      accept = (rcr & RCR.AB) !== 0;
    } else {
      kind = RXHDR.MAR;
      const idx = multicastHashIndex(frame, 0);
      accept = (rcr & RCR.AM) !== 0 && (regs.u8(REG.MAR0 + (idx >>> 3)) & (1 << (idx & 7))) !== 0;
    }
  } else {
    let mine = true;
    for (let i = 0; i < 6; i++) if (frame[i] !== regs.u8(REG.IDR0 + i)) mine = false;
    kind = mine ? RXHDR.PAM : 0;
    accept = mine && (rcr & RCR.APM) !== 0;
  }
  if (rcr & RCR.AAP) return kind;
  return accept ? kind : -1;
}

function countAccepted(t: Tally, kind: number): void {
  t.rxOk++;
  if (kind === RXHDR.PAM) t.rxOkPhy++;
  else if (kind === RXHDR.BAR) t.rxOkBrd++;
  else if (kind === RXHDR.MAR) t.rxOkMul++;
}

/** Length of a frame padded to the 60-byte minimum. */
function paddedLen(n: number): number {
  return n < MIN_FRAME ? MIN_FRAME : n;
}

const ZERO = new Uint8Array(MIN_FRAME);

/** CRC-32 (FCS) of frame[start..end) followed by `pad` zero bytes. */
function fcsOf(frame: Uint8Array, start: number, end: number, pad: number): number {
  let c = crc32Update(0xffffffff, frame, start, end);
  if (pad > 0) c = crc32Update(c, ZERO, 0, pad);
  return ~c >>> 0;
}

/**
 * Offer one frame to the receiver. The caller has checked that the receiver
 * is on. 'busy' means: keep it queued and offer it again later.
 */
export function receiveFrame(h: RxHost, frame: Uint8Array): ReceiveResult {
  if (frame.length < 6) {
    h.events.rxOversize++;
    return 'drop';
  }
  const kind = classify(h.regs, frame);
  if (kind < 0) {
    h.events.rxFiltered++;
    h.tally.rxErr++;
    return 'drop';
  }
  if (frame.length > MAX_RX_FRAME) {
    h.events.rxOversize++;
    h.tally.rxErr++;
    return 'drop';
  }
  return h.cplusRx() ? receiveCplus(h, frame, kind) : receiveRing(h, frame, kind);
}

// ------------------------------------------------------------------ normal mode

const hdr = new Uint8Array(4);

/** Copy src[start..end) into the ring at bufAddr, wrapping as RCR.WRAP says. */
function ringWrite(h: RxHost, base: number, size: number, wrap: boolean, src: Uint8Array, start: number, end: number): boolean {
  const rx = h.rx;
  const len = end - start;
  if (len <= 0) return true;
  const m = h.memory;
  if (rx.bufAddr + len > size && !(wrap && size < 65536)) {
    const wrapped = (rx.bufAddr + len) % size;
    if (wrapped !== 0) {
      const first = len - wrapped;
      let ok = m.write(base + rx.bufAddr, src.subarray(start, start + first)) === undefined;
      ok = m.write(base, src.subarray(start + first, end)) === undefined && ok;
      rx.bufAddr = wrapped;
      return ok;
    }
  }
  const ok = m.write(base + rx.bufAddr, src.subarray(start, end)) === undefined;
  rx.bufAddr += len;
  return ok;
}

function receiveRing(h: RxHost, frame: Uint8Array, kind: number): ReceiveResult {
  const regs = h.regs;
  const rx = h.rx;
  const size = ringSize(regs);
  const n = frame.length;
  const len = paddedLen(n);
  const need = ALIGN4(len + 8);
  if (need >= size) {
    // Could never fit: a real overflow (RxOverflow, MPC), as QEMU.
    h.events.rxOverflowDrops++;
    h.tally.missPkt++;
    h.missed();
    h.raise(INT.RXOVW);
    return 'drop';
  }
  const avail = (size + rx.bufPtr - rx.bufAddr) % size;
  if (avail !== 0 && need >= avail) {
    // Not enough room now: wait for the driver to advance CAPR (no MPC, the
    // frame is not lost). A wait that lasts is reported with RxOverflow by
    // the device's poll timer.
    if (!rx.waitReported) {
      rx.waitReported = true;
      h.events.rxWaits++;
    }
    return 'busy';
  }
  rx.waitReported = false;
  const base = regs.u32(REG.RBSTART);
  const wrap = (regs.u32(REG.RCR) & RCR.WRAP) !== 0;
  const status = RXHDR.ROK | kind;
  const wireLen = len + 4;
  hdr[0] = status;
  hdr[1] = status >>> 8;
  hdr[2] = wireLen;
  hdr[3] = wireLen >>> 8;
  const fcs = fcsOf(frame, 0, n, len - n);
  let ok = ringWrite(h, base, size, wrap, hdr, 0, 4);
  ok = ringWrite(h, base, size, wrap, frame, 0, n) && ok;
  if (len > n) ok = ringWrite(h, base, size, wrap, ZERO, 0, len - n) && ok;
  hdr[0] = fcs;
  hdr[1] = fcs >>> 8;
  hdr[2] = fcs >>> 16;
  hdr[3] = fcs >>> 24;
  ok = ringWrite(h, base, size, wrap, hdr, 0, 4) && ok;
  rx.bufAddr = ALIGN4(rx.bufAddr) % size;
  if (!ok) h.events.rxDmaErrors++;
  h.events.rxFrames++;
  countAccepted(h.tally, kind);
  h.raise(INT.ROK);
  return 'ok';
}

// ------------------------------------------------------------------ C+ mode

const word = new Uint8Array(4);

/** Checksum report bits for dword 0 of an RX descriptor (beyond QEMU, which leaves them 0). */
function checksumBits(frame: Uint8Array): number {
  const r = validateRxChecksums(frame);
  if (r.l3 !== 'ipv4') return 0;
  let bits = r.ipv4 === 'bad' ? RXD.IPF : 0;
  if (r.proto === IpProtocol.TCP && r.l4 !== undefined) {
    bits |= RXD.PID_TCP << RXD.PID_SHIFT;
    if (r.l4 === 'bad') bits |= RXD.TCPF;
  } else if (r.proto === IpProtocol.UDP && r.l4Offset !== undefined) {
    bits |= RXD.PID_UDP << RXD.PID_SHIFT;
    if (r.l4 === 'bad') bits |= RXD.UDPF;
  } else {
    bits |= RXD.PID_IP << RXD.PID_SHIFT;
  }
  return bits;
}

function receiveCplus(h: RxHost, frame: Uint8Array, kind: number): ReceiveResult {
  const regs = h.regs;
  const rx = h.rx;
  const m = h.memory;
  const ring = addr64(regs.u32(REG.RDSAR), regs.u32(REG.RDSAR + 4));
  const desc = ring + 16 * rx.cpDesc;
  const w0 = m.readU32(desc);
  if (typeof w0 !== 'number') {
    h.events.rxDmaErrors++;
    return 'drop';
  }
  if (!(w0 & DESC.OWN)) {
    // Host-owned: report RDU once and wait for the driver to hand descriptors back.
    if (!rx.waitReported) {
      rx.waitReported = true;
      h.events.rxWaits++;
      h.raise(INT.RXOVW);
    }
    return 'busy';
  }
  rx.waitReported = false;
  const cpcr = regs.u16(REG.CPCR);
  const n = frame.length;
  const strip = (cpcr & CPCR.RXVLAN) !== 0 && n >= 18 && frame[12] === 0x81 && frame[13] === 0x00;
  const dataLen = strip ? n - 4 : n;
  const len = paddedLen(dataLen);
  const room = w0 & RXD.BUF_MASK;
  if (len + 4 > room) {
    // The buffer is too small (QEMU: RxOverflow, MPC, dropped; the descriptor stays with the NIC).
    h.events.rxOverflowDrops++;
    h.tally.rxErr++;
    h.tally.missPkt++;
    h.missed();
    h.raise(INT.RXOVW);
    return 'drop';
  }
  const w2 = m.readU32(desc + 8);
  const w3 = m.readU32(desc + 12);
  if (typeof w2 !== 'number' || typeof w3 !== 'number') {
    h.events.rxDmaErrors++;
    return 'drop';
  }
  const buf = addr64(w2, w3);
  let ok: boolean;
  if (strip) {
    ok = m.write(buf, frame.subarray(0, 12)) === undefined;
    ok = m.write(buf + 12, frame.subarray(16, n)) === undefined && ok;
  } else {
    ok = m.write(buf, frame) === undefined;
  }
  if (len > dataLen) ok = m.write(buf + dataLen, ZERO.subarray(0, len - dataLen)) === undefined && ok;
  // The FCS as it was on the wire: over the frame as received (tag included), padded.
  const fcs = fcsOf(frame, 0, n, paddedLen(n) - n);
  word[0] = fcs;
  word[1] = fcs >>> 8;
  word[2] = fcs >>> 16;
  word[3] = fcs >>> 24;
  ok = m.write(buf + len, word) === undefined && ok;
  let status = (w0 & DESC.EOR) | DESC.FS | DESC.LS | (len + 4);
  if (kind === RXHDR.BAR) status |= RXD.BAR;
  else if (kind === RXHDR.MAR) status |= RXD.MAR;
  else if (kind === RXHDR.PAM) status |= RXD.PAM;
  if (cpcr & CPCR.RXCHKSUM) {
    status |= checksumBits(frame);
    h.events.rxChecksumReports++;
  }
  const w1 = strip ? RXD.TAVA | frame[14]! | (frame[15]! << 8) : 0;
  ok = m.writeU32(desc + 4, w1) === undefined && ok;
  ok = m.writeU32(desc, status >>> 0) === undefined && ok;
  if (!ok) h.events.rxDmaErrors++;
  rx.cpDesc = w0 & DESC.EOR ? 0 : (rx.cpDesc + 1) % CP_RING_SIZE;
  h.events.rxFrames++;
  countAccepted(h.tally, kind);
  h.raise(INT.ROK);
  return 'ok';
}

/** C+ mode: the next RX descriptor is owned by the NIC (a waiting frame could go in). */
export function cplusDescriptorReady(h: RxHost): boolean {
  const regs = h.regs;
  const ring = addr64(regs.u32(REG.RDSAR), regs.u32(REG.RDSAR + 4));
  const w0 = h.memory.readU32(ring + 16 * h.rx.cpDesc);
  return typeof w0 === 'number' && (w0 & DESC.OWN) !== 0;
}
