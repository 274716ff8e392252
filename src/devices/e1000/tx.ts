/**
 * The transmit engine (82540EM SDM 3.3 and 3.5): walks the TX ring from TDH
 * to TDT, assembles frames from legacy, context and data descriptors into a
 * 64 KiB staging buffer, performs TCP segmentation (TSO) and checksum
 * insertion, inserts VLAN tags, writes DD back and reports interrupt causes.
 * A TCP TSO frame bound for a peer that segments and checksums itself (the
 * user-mode stack: `NetClient.sendOffloaded`) is gathered whole instead and
 * handed over with its partial checksum, as one frame; the MAC statistics
 * still count the segments a wire would have carried.
 *
 * Functions over explicit state: `TxState` holds the staging buffer and the
 * offload contexts; the ring itself lives in guest memory and is reached
 * only through `host.memory`. Every walk is bounded by the ring size (one
 * pass at most, CVE-2016-1981) and every copy by the staging buffer
 * (64 KiB, bad-input item 3). Bad descriptors never throw.
 */
import type { GuestMemory } from '../../dma/memory.js';
import { type FrameOffload, newFrameOffload } from '../../hub/client.js';
import { addr64 } from '../../dma/memory.js';
import { checksumFinishNonZero, onesSum } from '../../wire/checksum.js';
import { be16, be32, HOST_LITTLE_ENDIAN, setBe16, setBe32 } from '../../wire/bytes.js';
import * as regs from './regs.js';
import { addStat64, incStat, sizeBin } from './stats.js';

// The register slots and bit masks of the per-frame path as this module's own
// constants: V8 folds a module's `const` bindings into optimized code, but
// loads an imported binding (and then its field) at every use. Measured with
// bench/datapath.mjs: about a tenth of a 64-byte frame.
const { ICR, IDX, CTRL, TCTL, TXD_CMD, TXD_CMD_IP, TXD_CMD_TCP, TXD_CMD_TSE, TXD_DEXT, TXD_DTYP_D, TXD_POPTS, TXD_STAT } = regs;

/** Staging buffer size: the largest frame the device assembles (SDM 3.3.4: 64 KiB less...; QEMU: 64 KiB). */
export const TX_BUFFER_SIZE = 0x10000;
/** Room in front of the frame for a VLAN tag to be inserted without copying. */
const VLAN_ROOM = 4;
/** Most header bytes a TSO context can describe (HDRLEN is 8 bits). */
const MAX_TSO_HEADER = 256;
/** Typed arrays use the host's byte order; descriptors are little-endian. */

/** A TCP/IP context (SDM 3.3.6, table 3-10). */
export interface TxContext {
  ipcss: number;
  ipcso: number;
  ipcse: number;
  tucss: number;
  tucso: number;
  tucse: number;
  paylen: number;
  hdrLen: number;
  mss: number;
  /** TUCMD.IP: IPv4 (else IPv6). */
  ip: boolean;
  /** TUCMD.TCP: TCP (else UDP). */
  tcp: boolean;
}

export interface TxState {
  /** Staging buffer: frame bytes start at VLAN_ROOM. */
  readonly buf: Uint8Array;
  /** Headers of the TSO frame in progress (copied once HDRLEN bytes are in). */
  readonly header: Uint8Array;
  size: number;
  /** VLAN tag to insert: VET << 16 | special, or -1. */
  vlanTag: number;
  /** POPTS of the first data descriptor of the frame (IXSM, TXSM). */
  sumNeeded: number;
  /** The frame uses TCP segmentation. */
  cptse: boolean;
  /** The TSO frame in progress is gathered whole, for a peer that segments it (`TxHost.transmitOffloaded`). */
  whole: boolean;
  /** What is left to do on a frame handed over whole (reused). */
  readonly offload: FrameOffload;
  /** Where a frame gathered whole waits while it is cut up after all (made on first use). */
  spill: Uint8Array | undefined;
  readonly props: TxContext;
  readonly tsoProps: TxContext;
  /** Segments of the current TSO frame sent so far. */
  tsoFrames: number;
  /** A descriptor with IDE (interrupt delay enable) was completed with RS since the last check. */
  delayedWriteback: boolean;
  /** A descriptor without IDE was completed with RS. */
  immediateWriteback: boolean;
  /** Re-entrancy guard: the ring is being walked. */
  busy: boolean;
  /** Cached views of the staging buffer (DMA-in destination, outgoing frame). */
  inView: Uint8Array;
  inAt: number;
  outView: Uint8Array;
  /** Scratch for reading a descriptor in one access, and its dwords (on a little-endian host). */
  readonly desc: Uint8Array;
  readonly descWords: Uint32Array | undefined;
  /** The descriptor being processed, as four little-endian dwords. */
  d0: number;
  d1: number;
  d2: number;
  d3: number;
}

export function newTxContext(): TxContext {
  return { ipcss: 0, ipcso: 0, ipcse: 0, tucss: 0, tucso: 0, tucse: 0, paylen: 0, hdrLen: 0, mss: 0, ip: false, tcp: false };
}

export function newTxState(): TxState {
  const buf = new Uint8Array(VLAN_ROOM + TX_BUFFER_SIZE + 16);
  const desc = new Uint8Array(16);
  return {
    buf,
    desc,
    descWords: HOST_LITTLE_ENDIAN ? new Uint32Array(desc.buffer) : undefined,
    inView: buf.subarray(VLAN_ROOM, VLAN_ROOM),
    inAt: 0,
    outView: buf.subarray(VLAN_ROOM, VLAN_ROOM),
    header: new Uint8Array(MAX_TSO_HEADER),
    size: 0,
    vlanTag: -1,
    sumNeeded: 0,
    cptse: false,
    whole: false,
    offload: newFrameOffload(),
    spill: undefined,
    props: newTxContext(),
    tsoProps: newTxContext(),
    tsoFrames: 0,
    delayedWriteback: false,
    immediateWriteback: false,
    busy: false,
    d0: 0,
    d1: 0,
    d2: 0,
    d3: 0,
  };
}

export function resetTxState(t: TxState): void {
  t.buf.fill(0);
  t.header.fill(0);
  t.size = 0;
  t.vlanTag = -1;
  t.sumNeeded = 0;
  t.cptse = false;
  t.whole = false;
  Object.assign(t.props, newTxContext());
  Object.assign(t.tsoProps, newTxContext());
  t.tsoFrames = 0;
  t.delayedWriteback = false;
  t.immediateWriteback = false;
  t.busy = false;
  t.d0 = t.d1 = t.d2 = t.d3 = 0;
}

/** Counters the TX path bumps (named, for `counters()` and tests). */
export interface TxCounters {
  txFrames: number;
  txDescriptors: number;
  /** Descriptor or buffer reads outside guest RAM (read as zeros). */
  txDmaErrors: number;
  /** Bytes dropped because a frame outgrew the 64 KiB staging buffer. */
  txTruncatedBytes: number;
  /** TSO frames that ended before their headers were complete (nothing sent). */
  txTsoUnderflow: number;
  /** Ring walks stopped by the wrap guard (TDH/TDLEN/TDT inconsistent). */
  txRingWrapStops: number;
  /** Frames that ended with no bytes at all (not sent). */
  txEmptyFrames: number;
  /** TSO frames handed whole to a peer that segments them (`TxHost.transmitOffloaded`). */
  txOffloaded: number;
}

export interface TxHost {
  readonly regs: Uint32Array;
  readonly memory: GuestMemory;
  readonly tx: TxState;
  readonly events: TxCounters;
  /** Put a finished frame on the wire (or into PHY loopback). The buffer is reused afterwards. */
  transmit(frame: Uint8Array): void;
  /** Whether a frame with offload work left would be taken whole now (`NetClient.peerTakesOffloaded`). */
  takesOffloaded(): boolean;
  /** Hand a frame with offload work left to a peer that does it; false: not taken (send segments). */
  transmitOffloaded(frame: Uint8Array, offload: FrameOffload): boolean;
  /** Bus mastering allowed (PCI command register). */
  dmaAllowed(): boolean;
}

function readDesc(h: TxHost, at: number): void {
  const m = h.memory;
  const t = h.tx;
  // The whole descriptor in one access (measured: ~8% of a 64-byte frame's
  // TX cost against four dword reads). When that access fails (outside RAM,
  // or across a region boundary) the dword reads below decide, as before.
  const w = t.descWords;
  if (w !== undefined && m.read(at, t.desc) === undefined) {
    t.d0 = w[0]!;
    t.d1 = w[1]!;
    t.d2 = w[2]!;
    t.d3 = w[3]!;
    return;
  }
  const a = m.readU32(at);
  const b = m.readU32(at + 4);
  const c = m.readU32(at + 8);
  const d = m.readU32(at + 12);
  if (typeof a !== 'number' || typeof b !== 'number' || typeof c !== 'number' || typeof d !== 'number') {
    h.events.txDmaErrors++;
    t.d0 = t.d1 = t.d2 = t.d3 = 0;
    return;
  }
  t.d0 = a;
  t.d1 = b;
  t.d2 = c;
  t.d3 = d;
}

/**
 * Run the transmitter (SDM 3.3.1): on a TCTL write and on a TDT write. Returns
 * the interrupt causes to raise: always TXQE (as QEMU reports it, even when
 * the ring was already empty), TXDW when a descriptor had RS/RPS. Writebacks
 * of descriptors with IDE are flagged in `tx.delayedWriteback` instead of
 * TXDW, for the TIDV/TADV timers.
 */
export function startXmit(h: TxHost): number {
  const mac = h.regs;
  const t = h.tx;
  if (!(mac[IDX.TCTL]! & TCTL.EN)) return 0;
  if (t.busy) return 0;
  if (!h.dmaAllowed()) return 0;
  t.busy = true;
  let cause: number = ICR.TXQE;
  const tdhStart = mac[IDX.TDH]!;
  const ringLen = Math.floor(mac[IDX.TDLEN]! / 16);
  const base = addr64(mac[IDX.TDBAL]! & ~0xf, mac[IDX.TDBAH]!);
  try {
    while (mac[IDX.TDH] !== mac[IDX.TDT]) {
      const at = base + 16 * mac[IDX.TDH]!;
      readDesc(h, at);
      h.events.txDescriptors++;
      processTxDesc(h);
      // Report status (SDM 3.3.3.2): DD into the status byte, other status bits cleared.
      if (t.d2 & ((TXD_CMD.RS | TXD_CMD.RPS) << 24)) {
        const upper = (t.d3 | TXD_STAT.DD) & ~(TXD_STAT.EC | TXD_STAT.LC | TXD_STAT.TU);
        if (h.memory.writeU32(at + 12, upper >>> 0) !== undefined) h.events.txDmaErrors++;
        if (t.d2 & (TXD_CMD.IDE << 24)) t.delayedWriteback = true;
        else {
          t.immediateWriteback = true;
          cause |= ICR.TXDW;
        }
      }
      let tdh = mac[IDX.TDH]! + 1;
      if (tdh * 16 >= mac[IDX.TDLEN]!) tdh = 0;
      mac[IDX.TDH] = tdh;
      // One pass at most: stop when the head comes back to where it started,
      // or at once when it started outside the ring (CVE-2016-1981).
      if (tdh === tdhStart || tdhStart >= ringLen) {
        if (mac[IDX.TDH] !== mac[IDX.TDT]) h.events.txRingWrapStops++;
        break;
      }
    }
  } finally {
    t.busy = false;
  }
  return cause;
}

function readContext(t: TxState, p: TxContext): void {
  const { d0, d1, d2, d3 } = t;
  p.ipcss = d0 & 0xff;
  p.ipcso = (d0 >>> 8) & 0xff;
  p.ipcse = d0 >>> 16;
  p.tucss = d1 & 0xff;
  p.tucso = (d1 >>> 8) & 0xff;
  p.tucse = d1 >>> 16;
  p.paylen = d2 & 0xfffff;
  p.hdrLen = (d3 >>> 8) & 0xff;
  p.mss = d3 >>> 16;
  p.ip = (d2 & TXD_CMD_IP) !== 0;
  p.tcp = (d2 & TXD_CMD_TCP) !== 0;
}

/** Copy `len` bytes of guest memory into the staging buffer at frame offset `at`. */
function dmaIn(h: TxHost, addr: number, at: number, len: number): void {
  if (len <= 0) return;
  const t = h.tx;
  // Views into the staging buffer are kept while their bounds repeat (steady traffic).
  let dst = t.inView;
  if (t.inAt !== at || dst.length !== len) {
    dst = t.buf.subarray(VLAN_ROOM + at, VLAN_ROOM + at + len);
    t.inView = dst;
    t.inAt = at;
  }
  if (h.memory.read(addr, dst) !== undefined) {
    h.events.txDmaErrors++;
    dst.fill(0);
  }
}

function processTxDesc(h: TxHost): void {
  const t = h.tx;
  const mac = h.regs;
  const lower = t.d2;
  const d3 = t.d3;
  const dtype = lower & (TXD_DEXT | TXD_DTYP_D);
  if (dtype === TXD_DEXT) {
    // Context descriptor (SDM 3.3.6): it only loads offload parameters. A
    // frame gathered whole is cut up first, under the context it began with.
    if (t.whole) leaveWhole(h);
    if (lower & TXD_CMD_TSE) {
      readContext(t, t.tsoProps);
      t.tsoFrames = 0;
    } else {
      readContext(t, t.props);
    }
    return;
  }
  if (dtype === (TXD_DEXT | TXD_DTYP_D)) {
    // Data descriptor (SDM 3.3.7): POPTS of the first descriptor apply to the frame.
    if (t.size === 0) t.sumNeeded = (d3 >>> 8) & 0xff;
    t.cptse = (lower & TXD_CMD_TSE) !== 0;
  } else {
    // Legacy descriptor (SDM 3.3.2).
    t.cptse = false;
  }
  if (mac[IDX.CTRL]! & CTRL.VME && lower & (TXD_CMD.VLE << 24) && (t.cptse || lower & (TXD_CMD.EOP << 24))) {
    t.vlanTag = (((mac[IDX.VET]! & 0xffff) << 16) | (d3 >>> 16)) >>> 0;
  }

  const addr = addr64(t.d0, t.d1);
  const split = lower & 0xffff;
  if (t.cptse && t.size === 0) t.whole = takeWhole(h);
  // Gathering whole stops where the streaming engine would have done something else.
  if (t.whole && (!t.cptse || split > TX_BUFFER_SIZE - t.size)) leaveWhole(h);
  if (t.cptse && !t.whole) {
    tsoFeed(h, split, addr);
  } else {
    let n = split;
    if (n > TX_BUFFER_SIZE - t.size) {
      h.events.txTruncatedBytes += n - (TX_BUFFER_SIZE - t.size);
      n = TX_BUFFER_SIZE - t.size;
    }
    dmaIn(h, addr, t.size, n);
    t.size += n;
  }

  if (!(lower & (TXD_CMD.EOP << 24))) return;
  if (t.whole && !handOverWhole(h)) leaveWhole(h);
  if (t.whole) {
    // Handed over.
  } else if (t.cptse && t.size < t.tsoProps.hdrLen) {
    // Headers never completed: nothing to send (SDM: TSE with too little data).
    h.events.txTsoUnderflow++;
    incStat(mac, IDX.TSCTFC);
  } else if (t.cptse && t.tsoFrames > 0 && t.size === t.tsoProps.hdrLen) {
    // The payload ended exactly on a segment boundary: the last segment was
    // already sent (SDM 3.5: PAYLEN/MSS segments). QEMU sends an extra,
    // header-only segment here.
  } else if (t.size === 0) {
    // Nothing to send (zero-length descriptors): no frame goes on the wire.
    h.events.txEmptyFrames++;
  } else {
    // Legacy descriptors may ask for one checksum (IC, SDM 3.3.2): CSO from
    // the length dword, CSS from the upper dword of the EOP descriptor.
    if (!(lower & TXD_DEXT) && lower & (TXD_CMD.IC << 24)) legacyChecksum(t, (lower >>> 16) & 0xff, (d3 >>> 8) & 0xff);
    xmitSeg(h);
  }
  t.tsoFrames = 0;
  t.sumNeeded = 0;
  t.vlanTag = -1;
  t.size = 0;
  t.cptse = false;
  t.whole = false;
}

/**
 * TCP segmentation as the data streams in (SDM 3.5): `len` bytes from guest
 * address `addr` (or from `spill` at offset `addr`) fill the frame; each time
 * headers plus MSS bytes are in, the segment is sent and the headers are put
 * back for the next one.
 */
function tsoFeed(h: TxHost, len: number, addr: number, spill?: Uint8Array): void {
  const t = h.tx;
  const p = t.tsoProps;
  const msh = p.hdrLen + p.mss;
  let split = len;
  let bytes: number;
  do {
    bytes = split;
    // Already a full segment buffered (possible after a mix of legacy and
    // TSO descriptors): go straight to end-of-packet handling (CVE-2021-20257).
    if (t.size >= msh) break;
    if (t.size + bytes > msh) bytes = msh - t.size;
    if (bytes > TX_BUFFER_SIZE - t.size) {
      h.events.txTruncatedBytes += bytes - (TX_BUFFER_SIZE - t.size);
      bytes = TX_BUFFER_SIZE - t.size;
    }
    if (spill === undefined) dmaIn(h, addr, t.size, bytes);
    else t.buf.set(spill.subarray(addr, addr + bytes), VLAN_ROOM + t.size);
    const sz = t.size + bytes;
    if (sz >= p.hdrLen && t.size < p.hdrLen) t.header.set(t.buf.subarray(VLAN_ROOM, VLAN_ROOM + p.hdrLen));
    t.size = sz;
    addr += bytes;
    if (sz === msh) {
      xmitSeg(h);
      t.buf.set(t.header.subarray(0, p.hdrLen), VLAN_ROOM);
      t.size = p.hdrLen;
    }
    split -= bytes;
  } while (bytes !== 0 && split !== 0);
}

/**
 * At the first descriptor of a TSO frame: gather it whole when it is TCP with
 * the checksum asked for, untagged, fits the staging buffer, and the peer
 * takes such frames now.
 */
function takeWhole(h: TxHost): boolean {
  const p = h.tx.tsoProps;
  const t = h.tx;
  return p.tcp && (t.sumNeeded & TXD_POPTS.TXSM) !== 0 && t.vlanTag < 0 && p.mss > 0 && p.hdrLen > 0 && p.hdrLen + p.paylen <= TX_BUFFER_SIZE && h.takesOffloaded();
}

/**
 * Stop gathering whole: what was gathered goes through the streaming
 * segmenter (`tsoFeed`) as if it had streamed in, so the frames, statistics
 * and state are those the engine has without a hand-over.
 */
function leaveWhole(h: TxHost): void {
  const t = h.tx;
  t.whole = false;
  const gathered = t.size;
  if (gathered === 0) return;
  // Out of the staging buffer first: the segments are built there.
  const spill = (t.spill ??= new Uint8Array(TX_BUFFER_SIZE));
  spill.set(t.buf.subarray(VLAN_ROOM, VLAN_ROOM + gathered));
  const cptse = t.cptse;
  t.size = 0;
  t.cptse = true;
  tsoFeed(h, gathered, 0, spill);
  t.cptse = cptse;
}

/** Add `len` to the 16-bit pseudo-header sum the driver left at frame offset `at` (SDM 3.5.4: it leaves out the length). */
function addPseudoLength(b: Uint8Array, at: number, len: number): void {
  let phsum = be16(b, at) + (len & 0xffff);
  phsum = (phsum >>> 16) + (phsum & 0xffff);
  setBe16(b, at, phsum);
}

/**
 * End of a TSO frame gathered whole: when the context (as it is now) still
 * describes the frame (TCP, MSS and headers that fit, PAYLEN matching the
 * data, no VLAN tag), fix up the headers for the whole frame (IP length, the
 * TCP pseudo-header sum with its length, the IPv4 header checksum when asked)
 * and hand it over; the MAC statistics count the segments a wire would have
 * carried. False, with the frame as gathered: the caller segments it.
 */
function handOverWhole(h: TxHost): boolean {
  const t = h.tx;
  const p = t.tsoProps;
  const b = t.buf;
  const O = VLAN_ROOM;
  const size = t.size;
  const hl = p.hdrLen;
  if (!p.tcp || p.mss === 0 || hl === 0 || t.vlanTag >= 0 || size !== hl + p.paylen) return false;
  const ipLen = p.ip ? size - p.ipcss : size - p.ipcss - 40;
  if (ipLen < 0 || ipLen > 0xffff || p.ipcss + (p.ip ? 12 : 6) > hl || p.tucso < p.tucss + 2 || p.tucso + 2 > hl) return false;
  // Kept to put back if the peer declines.
  t.header.set(b.subarray(O, O + hl));
  setBe16(b, O + p.ipcss + (p.ip ? 2 : 4), ipLen);
  addPseudoLength(b, O + p.tucso, size - p.tucss);
  if (t.sumNeeded & TXD_POPTS.IXSM) putsum(b, hl, p.ipcso, p.ipcss, p.ipcse);
  const o = t.offload;
  o.csumStart = p.tucss;
  o.csumOffset = p.tucso - p.tucss;
  o.gso = p.ip ? 'tcpv4' : 'tcpv6';
  o.gsoSize = p.mss;
  const frame = b.subarray(O, O + size);
  if (!h.transmitOffloaded(frame, o)) {
    b.set(t.header.subarray(0, hl), O);
    return false;
  }
  h.events.txFrames++;
  h.events.txOffloaded++;
  const mac = h.regs;
  const payload = size - hl;
  const segs = Math.max(1, Math.ceil(payload / p.mss));
  for (let i = 0; i < segs; i++) {
    const len = hl + Math.min(p.mss, payload - i * p.mss);
    countSent(mac, frame, len, len + 4);
  }
  if (segs > 1) incStat(mac, IDX.TSCTC);
  return true;
}

/**
 * Insert the Internet checksum of frame[css..end) (CSE inclusive when set
 * and inside the frame) at `sloc`, when the field lies inside that range
 * (SDM 3.3.6: checksum start/offset/end).
 */
function putsum(buf: Uint8Array, size: number, sloc: number, css: number, cse: number): void {
  let n = size;
  if (cse !== 0 && cse < n) n = cse + 1;
  if (sloc < n - 1) {
    const sum = css < n ? onesSum(buf, VLAN_ROOM + css, VLAN_ROOM + n) : 0;
    setBe16(buf, VLAN_ROOM + sloc, checksumFinishNonZero(sum));
  }
}

function legacyChecksum(t: TxState, cso: number, css: number): void {
  putsum(t.buf, t.size, cso, css, 0);
}

/** Finish and send one frame or TSO segment (SDM 3.5.1, 3.5.4: per-segment header fix-ups). */
function xmitSeg(h: TxHost): void {
  const t = h.tx;
  const mac = h.regs;
  const b = t.buf;
  const O = VLAN_ROOM;
  const p = t.cptse ? t.tsoProps : t.props;
  if (t.cptse) {
    const frames = t.tsoFrames;
    let css = p.ipcss;
    if (p.ip) {
      // IPv4: total length and identification.
      setBe16(b, O + css + 2, t.size - css);
      setBe16(b, O + css + 4, be16(b, O + css + 4) + frames);
    } else {
      // IPv6: payload length excludes the 40-byte fixed header.
      setBe16(b, O + css + 4, t.size - css - 40);
    }
    css = p.tucss;
    const len = t.size - css;
    if (p.tcp) {
      const sofar = frames * p.mss;
      setBe32(b, O + css + 4, (be32(b, O + css + 4) + sofar) >>> 0);
      if ((p.paylen - sofar) >>> 0 > p.mss) {
        b[O + css + 13] = b[O + css + 13]! & ~0x09; // not the last segment: clear PSH and FIN
      } else if (frames !== 0) {
        incStat(mac, IDX.TSCTC);
      }
    } else {
      setBe16(b, O + css + 4, len); // UDP length
    }
    if (t.sumNeeded & TXD_POPTS.TXSM) addPseudoLength(b, O + p.tucso, len);
    t.tsoFrames++;
  }
  if (t.sumNeeded & TXD_POPTS.TXSM) putsum(b, t.size, p.tucso, p.tucss, p.tucse);
  if (t.sumNeeded & TXD_POPTS.IXSM) putsum(b, t.size, p.ipcso, p.ipcss, p.ipcse);

  let frame: Uint8Array;
  if (t.vlanTag >= 0) {
    // 802.1Q tag after the source address (SDM 3.5.3).
    b.copyWithin(0, O, O + 4);
    b.copyWithin(4, O + 4, O + 12);
    b[12] = t.vlanTag >>> 24;
    b[13] = t.vlanTag >>> 16;
    b[14] = t.vlanTag >>> 8;
    b[15] = t.vlanTag;
    frame = b.subarray(0, t.size + 4);
  } else {
    frame = t.outView;
    if (frame.length !== t.size) {
      frame = b.subarray(O, O + t.size);
      t.outView = frame;
    }
  }
  h.transmit(frame);
  h.events.txFrames++;
  countSent(mac, frame, frame.length, t.size + 4);
}

/**
 * Transmit statistics (SDM 13.7) of one frame of `len` bytes on the wire (a
 * VLAN tag included) whose destination address starts `frame`; `octets`: its
 * bytes without the tag, FCS included.
 */
function countSent(mac: Uint32Array, frame: Uint8Array, len: number, octets: number): void {
  if (frame.length >= 6 && frame[0]! & 1) {
    if (frame[0] === 0xff && frame[1] === 0xff && frame[2] === 0xff && frame[3] === 0xff && frame[4] === 0xff && frame[5] === 0xff) incStat(mac, IDX.BPTC);
    else incStat(mac, IDX.MPTC);
  }
  const bin = sizeBin(len + 4);
  if (bin >= 0) incStat(mac, IDX.PTC64 + bin);
  incStat(mac, IDX.TPT);
  addStat64(mac, IDX.TOTL, octets);
  incStat(mac, IDX.GPTC);
  addStat64(mac, IDX.GOTCL, octets);
}
