/**
 * The receive engine (82540EM SDM 3.2): address filtering, VLAN stripping,
 * size limits, descriptor ring fill with frames spanning several buffers,
 * receive checksum offload (RXCSUM, SDM 3.2.9) and the RX statistics.
 *
 * Backpressure instead of loss: when the ring has no room for a frame it
 * stays in the network queue (`busy`) and is offered again when the driver
 * writes RDT. Only a frame that cannot fit even in an empty ring is dropped,
 * with RNBC/MPC and RXO as the SDM describes an overrun (bad-input item 6).
 * Every walk is bounded by the ring size; descriptors with a null buffer
 * address are completed and skipped (bad-input item 5).
 */
import type { GuestMemory } from '../../dma/memory.js';
import { addr64 } from '../../dma/memory.js';
import type { ReceiveResult } from '../../hub/client.js';
import { onesSum } from '../../wire/checksum.js';
import { validateRxChecksums } from '../../wire/offload.js';
import * as regs from './regs.js';
import { addStat64, incStat, sizeBin } from './stats.js';

// The register slots and bit masks of the per-frame path as this module's own
// constants: V8 folds a module's `const` bindings into optimized code, but
// loads an imported binding (and then its field) at every use. Measured with
// bench/datapath.mjs: about a tenth of a 64-byte frame.
const { ICR, IDX, CTRL, RAH_AV, RCTL, RXCSUM, RXD_ERR, RXD_STAT, STATUS } = regs;

/** Smallest frame passed to the driver: shorter frames are padded with zeros (SDM 3.2.2). */
export const MIN_FRAME = 60;
/**
 * Longest frame without LPE: 1522 bytes (SDM 13.4.22: a VLAN-tagged 1518-byte
 * frame). The frames here come without FCS, and QEMU 7.2 compares their
 * length, FCS-less, with 1522; we keep that so traces replay (a frame of
 * 1519..1522 bytes plus FCS passes where real hardware would count ROC).
 */
export const MAX_STANDARD_FRAME = 1522;
/** Longest frame with LPE: 16 KiB (SDM 13.4.22), compared the same way. */
export const MAX_LONG_FRAME = 16384;
const FCS_LEN = 4;

export interface RxCounters {
  rxFrames: number;
  /** Frames refused by the address/VLAN filters. */
  rxFiltered: number;
  /** Frames refused for size (ROC). */
  rxOversize: number;
  /** Frames that had to wait for descriptors (backpressure episodes, RNBC). */
  rxNoBuffers: number;
  /** Frames dropped because even an empty ring could not hold them (MPC, RXO). */
  rxOverrun: number;
  /** Descriptors with a null buffer address that were skipped. */
  rxNullDescriptors: number;
  /** Descriptor or buffer writes outside guest RAM. */
  rxDmaErrors: number;
}

export interface RxState {
  /** Scratch for padding short frames and for stripping a VLAN tag. */
  readonly scratch: Uint8Array;
  /** RNBC was already counted for the frame now waiting. */
  waitCounted: boolean;
}

export function newRxState(): RxState {
  return { scratch: new Uint8Array(65536 + 64), waitCounted: false };
}

export interface RxHost {
  readonly regs: Uint32Array;
  readonly memory: GuestMemory;
  readonly rx: RxState;
  readonly events: RxCounters;
  dmaAllowed(): boolean;
  /** Raise interrupt causes for a received frame (RXT0 goes through the RDTR/RADV timers). */
  rxDone(cause: number): void;
  /** Raise other causes at once (RXO). */
  raise(cause: number): void;
}

/** Receive buffer size from RCTL.BSIZE and BSEX (SDM table 13-67). Reserved encodings give 2048. */
export function rxBufferSize(rctl: number): number {
  const bsize = (rctl & RCTL.BSIZE_MASK) >>> RCTL.BSIZE_SHIFT;
  if (rctl & RCTL.BSEX) {
    switch (bsize) {
      case 1:
        return 16384;
      case 2:
        return 8192;
      case 3:
        return 4096;
      default:
        return 2048;
    }
  }
  switch (bsize) {
    case 1:
      return 1024;
    case 2:
      return 512;
    case 3:
      return 256;
    default:
      return 2048;
  }
}

/** Descriptors in the ring, or 0 when RDLEN/RDH/RDT do not describe a usable ring. */
export function rxRingLen(mac: Uint32Array): number {
  const n = Math.floor(mac[IDX.RDLEN]! / 16);
  if (n === 0 || mac[IDX.RDH]! >= n || mac[IDX.RDT]! >= n) return 0;
  return n;
}

/** Descriptors the driver has handed to the device (RDH up to, not including, RDT). */
export function rxFreeDescriptors(mac: Uint32Array, ringLen: number): number {
  const h = mac[IDX.RDH]!;
  const t = mac[IDX.RDT]!;
  return t >= h ? t - h : ringLen - h + t;
}

/** The receiver takes frames now (SDM 3.2.1; QEMU e1000x_rx_ready plus a usable ring). */
export function rxReady(h: RxHost): boolean {
  const mac = h.regs;
  if (!(mac[IDX.STATUS]! & STATUS.LU) || !(mac[IDX.RCTL]! & RCTL.EN) || !h.dmaAllowed()) return false;
  const n = rxRingLen(mac);
  return n !== 0 && mac[IDX.RDH] !== mac[IDX.RDT];
}

function isVlanFrame(frame: Uint8Array, vet: number): boolean {
  return ((frame[12]! << 8) | frame[13]!) === (vet & 0xffff);
}

/** Destination address filtering (SDM 3.2.6 - 3.2.7) and the VLAN filter table (SDM 3.2.8). */
export function rxFilter(mac: Uint32Array, frame: Uint8Array): boolean {
  const rctl = mac[IDX.RCTL]!;
  if (isVlanFrame(frame, mac[IDX.VET]!) && rctl & RCTL.VFE) {
    const vid = ((frame[14]! << 8) | frame[15]!) & 0xfff;
    if (!(mac[IDX.VFTA + (vid >>> 5)]! & (1 << (vid & 31)))) return false;
  }
  const d0 = frame[0]!;
  if (d0 & 1) {
    // MPE takes every group address, the broadcast address included (as QEMU 7.2 does); BAM takes broadcast.
    if (rctl & RCTL.MPE) return true;
    if (rctl & RCTL.BAM && d0 === 0xff && frame[1] === 0xff && frame[2] === 0xff && frame[3] === 0xff && frame[4] === 0xff && frame[5] === 0xff) return true;
  } else if (rctl & RCTL.UPE) {
    return true;
  }
  // Exact filters: 16 receive addresses with Address Valid.
  const lo = (d0 | (frame[1]! << 8) | (frame[2]! << 16) | (frame[3]! << 24)) >>> 0;
  const hi = frame[4]! | (frame[5]! << 8);
  for (let i = 0; i < 16; i++) {
    const rah = mac[IDX.RA + 2 * i + 1]!;
    if (rah & RAH_AV && (rah & 0xffff) === hi && mac[IDX.RA + 2 * i] === lo) return true;
  }
  // Inexact filter: 12 bits of the address chosen by RCTL.MO index the 4096-bit MTA.
  const shift = MO_SHIFTS[(rctl & RCTL.MO_MASK) >>> RCTL.MO_SHIFT]!;
  const f = (((frame[5]! << 8) | frame[4]!) >>> shift) & 0xfff;
  return (mac[IDX.MTA + (f >>> 5)]! & (1 << (f & 31))) !== 0;
}

/** RCTL.MO 0..3: the MTA index is address bits [47:36], [46:35], [45:34], [43:32]. */
const MO_SHIFTS = [4, 3, 2, 0] as const;

/** Oversize check (SDM 3.2.3, RCTL.LPE/SBP): true when the frame must be dropped. */
export function rxOversized(rctl: number, size: number): boolean {
  if (rctl & RCTL.SBP) return false;
  return size > MAX_LONG_FRAME || (size > MAX_STANDARD_FRAME && !(rctl & RCTL.LPE));
}

/**
 * Deliver one frame into the ring. 'busy' leaves it queued (no room yet),
 * 'drop' refuses it for good (filtered, oversized, larger than the ring).
 */
export function receiveFrame(h: RxHost, input: Uint8Array): ReceiveResult {
  const mac = h.regs;
  const rx = h.rx;
  const rctl = mac[IDX.RCTL]!;
  if (!(mac[IDX.STATUS]! & STATUS.LU) || !(rctl & RCTL.EN) || !h.dmaAllowed()) return 'busy';
  const ringLen = rxRingLen(mac);
  if (ringLen === 0 || mac[IDX.RDH] === mac[IDX.RDT]) return 'busy';
  let frame = input;
  let size = frame.length;
  if (size < MIN_FRAME) {
    rx.scratch.set(frame);
    rx.scratch.fill(0, size, MIN_FRAME);
    frame = rx.scratch.subarray(0, MIN_FRAME);
    size = MIN_FRAME;
  }
  if (rxOversized(rctl, size)) {
    incStat(mac, IDX.ROC);
    h.events.rxOversize++;
    return 'drop';
  }
  if (!rxFilter(mac, frame)) {
    h.events.rxFiltered++;
    return 'drop';
  }

  // Checksum offload works on the frame as received.
  const rxcsum = mac[IDX.RXCSUM]!;
  const offload = rxcsum & (RXCSUM.IPOFLD | RXCSUM.TUOFLD);
  let status = 0;
  let errors = 0;
  if (offload) {
    const r = validateRxChecksums(frame);
    if (rxcsum & RXCSUM.IPOFLD && r.ipv4 !== undefined) {
      status |= RXD_STAT.IPCS;
      if (r.ipv4 === 'bad') errors |= RXD_ERR.IPE;
    }
    if (rxcsum & RXCSUM.TUOFLD && r.l4 !== undefined) {
      status |= RXD_STAT.TCPCS;
      if (r.l4 === 'bad') errors |= RXD_ERR.TCPE;
    }
  } else {
    status |= RXD_STAT.IXSM;
  }

  // VLAN tag stripping (SDM 3.2.5 / 9.3): with CTRL.VME the tag goes to the descriptor.
  let special = 0;
  let vp = 0;
  if (mac[IDX.CTRL]! & CTRL.VME && isVlanFrame(frame, mac[IDX.VET]!)) {
    special = (frame[14]! << 8) | frame[15]!;
    vp = RXD_STAT.VP;
    const s = rx.scratch;
    if (frame.buffer === s.buffer) {
      s.copyWithin(12, 16, size);
    } else {
      s.set(frame.subarray(0, 12));
      s.set(frame.subarray(16), 12);
    }
    size -= 4;
    frame = s.subarray(0, size);
  }

  const total = size + (rctl & RCTL.SECRC ? 0 : FCS_LEN);
  const bufSize = rxBufferSize(rctl);
  const need = total <= bufSize ? 1 : Math.ceil(total / bufSize);
  const free = rxFreeDescriptors(mac, ringLen);
  const base = addr64(mac[IDX.RDBAL]! & ~0xf, mac[IDX.RDBAH]!);
  if (need > ringLen - 1) {
    // Can never fit, even in an empty ring: an overrun (SDM 13.7: MPC, RNBC; ICR.RXO).
    incStat(mac, IDX.RNBC);
    incStat(mac, IDX.MPC);
    h.events.rxOverrun++;
    h.raise(ICR.RXO);
    return 'drop';
  }
  const pcsum = offload ? onesSum(frame, Math.min(rxcsum & RXCSUM.PCSS_MASK, size), size) : 0;
  const mem = h.memory;
  let rdh = mac[IDX.RDH]!;
  let done = false;
  if (need === 1) {
    // Fast path: the whole frame in the descriptor at RDH, when it has a buffer.
    const at = base + 16 * rdh;
    const lo = mem.readU32(at);
    const hi = mem.readU32(at + 4);
    if (typeof lo === 'number' && typeof hi === 'number' && (lo | hi) !== 0) {
      if (mem.write(addr64(lo, hi), frame) !== undefined) h.events.rxDmaErrors++;
      const w1 = mem.writeU32(at + 8, (total | (pcsum << 16)) >>> 0);
      const w2 = mem.writeU32(at + 12, (RXD_STAT.DD | RXD_STAT.EOP | vp | status | (errors << 8) | (special << 16)) >>> 0);
      if (w1 !== undefined || w2 !== undefined) h.events.rxDmaErrors++;
      mac[IDX.RDH] = rdh + 1 >= ringLen ? 0 : rdh + 1;
      done = true;
    }
  }
  if (!done) {
    if (!haveBuffers(h, base, ringLen, free, need)) {
      if (!rx.waitCounted) {
        incStat(mac, IDX.RNBC);
        h.events.rxNoBuffers++;
        rx.waitCounted = true;
      }
      return 'busy';
    }
    let offset = 0;
    // Bounded: at most `free` descriptors (haveBuffers found enough non-null ones among them).
    for (let k = 0; k < free && offset < total; k++) {
      const at = base + 16 * rdh;
      const lo = mem.readU32(at);
      const hi = mem.readU32(at + 4);
      const bufAddr = typeof lo === 'number' && typeof hi === 'number' ? addr64(lo, hi) : 0;
      let len = 0;
      let st = RXD_STAT.DD | vp;
      if (bufAddr === 0) {
        // Null buffer: complete the descriptor without data and move on.
        h.events.rxNullDescriptors++;
      } else {
        len = Math.min(total - offset, bufSize);
        const copy = Math.min(size - offset, bufSize);
        if (copy > 0 && mem.write(bufAddr, offset === 0 && copy === size ? frame : frame.subarray(offset, offset + copy)) !== undefined) h.events.rxDmaErrors++;
        offset += len;
        if (offset >= total) st |= RXD_STAT.EOP | status;
      }
      const eop = (st & RXD_STAT.EOP) !== 0;
      const w1 = mem.writeU32(at + 8, (len | ((eop ? pcsum : 0) << 16)) >>> 0);
      const w2 = mem.writeU32(at + 12, (st | ((eop ? errors : 0) << 8) | (special << 16)) >>> 0);
      if (w1 !== undefined || w2 !== undefined) h.events.rxDmaErrors++;
      rdh = rdh + 1 >= ringLen ? 0 : rdh + 1;
      mac[IDX.RDH] = rdh;
    }
  }
  rx.waitCounted = false;

  // Statistics (SDM 13.7): bins count the FCS bytes as delivered, octets always include 4.
  const bin = sizeBin(total);
  if (bin >= 0) incStat(mac, IDX.PRC64 + bin);
  incStat(mac, IDX.TPR);
  incStat(mac, IDX.GPRC);
  addStat64(mac, IDX.TORL, size + FCS_LEN);
  addStat64(mac, IDX.GORCL, size + FCS_LEN);
  if (frame[0]! & 1) {
    if (frame[0] === 0xff && frame[1] === 0xff && frame[2] === 0xff && frame[3] === 0xff && frame[4] === 0xff && frame[5] === 0xff) incStat(mac, IDX.BPRC);
    else incStat(mac, IDX.MPRC);
  }
  h.events.rxFrames++;

  // RXDMT0 when the free descriptors fall to RDMTS of the ring (SDM 13.4.22).
  let cause: number = ICR.RXT0;
  const left = rxFreeDescriptors(mac, ringLen);
  const minShift = ((rctl & RCTL.RDMTS_MASK) >>> RCTL.RDMTS_SHIFT) + 1;
  if (left * 16 <= mac[IDX.RDLEN]! >>> minShift) cause |= ICR.RXDMT0;
  h.rxDone(cause);
  return 'ok';
}

/** Are there `need` descriptors with a non-null buffer among the `free` ones from RDH? */
function haveBuffers(h: RxHost, base: number, ringLen: number, free: number, need: number): boolean {
  if (free < need) return false;
  let found = 0;
  let i = h.regs[IDX.RDH]!;
  for (let k = 0; k < free; k++) {
    const lo = h.memory.readU32(base + 16 * i);
    const hi = h.memory.readU32(base + 16 * i + 4);
    if (typeof lo === 'number' && typeof hi === 'number' && (lo | hi) !== 0) {
      if (++found >= need) return true;
    }
    i = i + 1 >= ringLen ? 0 : i + 1;
  }
  return false;
}
