// Guest-driver mocks for the datapath benchmark: each one programs a device
// the way its Linux driver does (rings in guest RAM, doorbell registers) and
// works in batches: post a batch of TX descriptors, ring the doorbell once,
// reap completions; keep the RX ring refilled. The "guest CPU" touches its
// RAM directly (a Uint8Array and a DataView over it), as a real CPU's loads
// and stores would; only register accesses go through the device's BARs.
//
// Every mock exposes the same surface:
//   setup(frame)   program the device; TX buffers hold `frame` (prefilled
//                  once, as a zero-copy skb mapping would)
//   post(n)        queue up to n frames, one doorbell; returns how many
//   reapTx()       reclaim finished TX descriptors; returns how many
//   reapRx()       take received frames, refill, tell the device; returns how
//                  many (frames whose length is not the expected one are
//                  counted in `badRx`)
//   irq()          the interrupt handler's register work (ack causes)
//   rxFrame(i)     bytes of a received frame, for the correctness check
import { LevelIrq, RegionMemory, SeededRandom, VirtualClock } from '../dist/index.js';

export const RAM_SIZE = 8 * 1024 * 1024;

/** A guest: RAM, a virtual clock, an INTx line, and one device of `model`. */
export function makeVm(model, name, mac, options) {
  const ram = new Uint8Array(RAM_SIZE);
  const memory = new RegionMemory([{ base: 0, bytes: ram }]);
  const clock = new VirtualClock();
  const irqLine = new LevelIrq();
  const vm = { ram, dv: new DataView(ram.buffer), memory, clock, msis: 0, dev: undefined };
  const ctx = { memory, clock, random: new SeededRandom(7), intx: irqLine, msi: () => { vm.msis++; } };
  const props = options ? { mac, name, options } : { mac, name };
  vm.dev = model.create(ctx, props);
  // PCI command: I/O and memory decoding, bus mastering (the BARs are driven directly).
  vm.dev.pci.configWrite(0x04, 2, 0x0007);
  return vm;
}

/** An Ethernet frame of `len` bytes (no FCS) to `dst` from `src`, ethertype 0x88b5, patterned payload. */
export function ethFrame(dst, src, len) {
  const f = new Uint8Array(len);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  for (let i = 14; i < len; i++) f[i] = (i * 7 + 3) & 0xff;
  return f;
}

// Guest RAM layout shared by the mocks (all below RAM_SIZE).
const TX_RING = 0x10000;
const RX_RING = 0x20000;
const EXTRA = 0x30000; // second ring area (virtio used rings, C+ RX ring...)
const TX_BUFS = 0x100000;
const RX_BUFS = 0x400000;
const BUF = 2048;

// ------------------------------------------------------------------ e1000 (Linux e1000_main.c)

const E = {
  ICR: 0x00c0, IMS: 0x00d0, RCTL: 0x0100, TCTL: 0x0400, TIPG: 0x0410,
  RDBAL: 0x2800, RDBAH: 0x2804, RDLEN: 0x2808, RDH: 0x2810, RDT: 0x2818,
  TDBAL: 0x3800, TDBAH: 0x3804, TDLEN: 0x3808, TDH: 0x3810, TDT: 0x3818,
};
const E_CMD = 0x01 | 0x02 | 0x08; // EOP | IFCS | RS (e1000's txd_cmd, legacy descriptors)

export class E1000Driver {
  constructor(vm, { txCount = 256, rxCount = 256 } = {}) {
    this.vm = vm;
    this.bar = vm.dev.bar(0);
    this.txCount = txCount;
    this.rxCount = rxCount;
    this.txTail = 0;
    this.txClean = 0;
    this.rxNext = 0;
    this.len = 0;
    this.badRx = 0;
  }
  w(off, v) { this.bar.write(off, 4, v >>> 0); }
  r(off) { return this.bar.read(off, 4) >>> 0; }

  setup(frame) {
    const { ram, dv } = this.vm;
    this.len = frame.length;
    for (let i = 0; i < this.txCount; i++) {
      const at = TX_RING + 16 * i;
      dv.setUint32(at, TX_BUFS + i * BUF, true);
      dv.setUint32(at + 4, 0, true);
      dv.setUint32(at + 8, 0, true);
      dv.setUint32(at + 12, 0, true);
      ram.set(frame, TX_BUFS + i * BUF);
    }
    this.w(E.TDBAL, TX_RING); this.w(E.TDBAH, 0); this.w(E.TDLEN, 16 * this.txCount);
    this.w(E.TDH, 0); this.w(E.TDT, 0);
    this.w(E.TIPG, 0x0060200a);
    this.w(E.TCTL, 0x0004010a); // EN | PSP | CT | COLD
    for (let i = 0; i < this.rxCount; i++) {
      const at = RX_RING + 16 * i;
      dv.setUint32(at, RX_BUFS + i * BUF, true);
      dv.setUint32(at + 4, 0, true);
      dv.setUint32(at + 8, 0, true);
      dv.setUint32(at + 12, 0, true);
    }
    this.w(E.RDBAL, RX_RING); this.w(E.RDBAH, 0); this.w(E.RDLEN, 16 * this.rxCount);
    this.w(E.RDH, 0); this.w(E.RDT, this.rxCount - 1);
    this.w(E.RCTL, 0x2 | 0x8000 | 0x04000000); // EN | BAM | SECRC, 2048-byte buffers
    this.w(E.IMS, 0x01 | 0x04 | 0x10 | 0x40 | 0x80); // TXDW LSC RXDMT0 RXO RXT0
    // QEMU's receive hold-off after an RCTL write (x-rctl-flush-ms, 1 s of virtual time).
    this.vm.clock.advance(1_100_000_000);
  }

  post(n) {
    const dv = this.vm.dv;
    const free = this.txCount - 1 - ((this.txTail - this.txClean + this.txCount) % this.txCount);
    if (n > free) n = free;
    const lower = (this.len | (E_CMD << 24)) >>> 0;
    let t = this.txTail;
    for (let k = 0; k < n; k++) {
      const at = TX_RING + 16 * t;
      dv.setUint32(at + 8, lower, true);
      dv.setUint32(at + 12, 0, true);
      t = t + 1 === this.txCount ? 0 : t + 1;
    }
    this.txTail = t;
    this.w(E.TDT, t);
    return n;
  }

  reapTx() {
    const ram = this.vm.ram;
    let n = 0;
    let c = this.txClean;
    while (c !== this.txTail && ram[TX_RING + 16 * c + 12] & 1) {
      c = c + 1 === this.txCount ? 0 : c + 1;
      n++;
    }
    this.txClean = c;
    return n;
  }

  reapRx() {
    const { ram, dv } = this.vm;
    let n = 0;
    let i = this.rxNext;
    for (;;) {
      const at = RX_RING + 16 * i;
      const st = ram[at + 12];
      if (!(st & 1)) break;
      if (dv.getUint16(at + 8, true) !== this.len || !(st & 2)) this.badRx++;
      ram[at + 12] = 0;
      i = i + 1 === this.rxCount ? 0 : i + 1;
      n++;
    }
    this.rxNext = i;
    if (n) this.w(E.RDT, i === 0 ? this.rxCount - 1 : i - 1);
    return n;
  }

  irq() { return this.r(E.ICR); }

  rxFrame(k) {
    const at = RX_BUFS + ((this.rxNext - 1 - k + 2 * this.rxCount) % this.rxCount) * BUF;
    return this.vm.ram.slice(at, at + this.len);
  }
}

// ------------------------------------------------------------------ rtl8139 normal mode (Linux 8139too)

const T = {
  IDR0: 0x00, MAR0: 0x08, TSD0: 0x10, TSAD0: 0x20, RBSTART: 0x30, CR: 0x37, CAPR: 0x38, IMR: 0x3c, ISR: 0x3e,
  TCR: 0x40, RCR: 0x44, MPC: 0x4c, CFG9346: 0x50, TPPOLL: 0xd9, CPCR: 0xe0, INTRMIT: 0xe2, RDSAR: 0xe4,
};
const RX_LEN_8139 = 32768;

export class Rtl8139Driver {
  constructor(vm) {
    this.vm = vm;
    this.bar = vm.dev.bar(0);
    this.curTx = 0;
    this.dirtyTx = 0;
    this.curRx = 0;
    this.len = 0;
    this.badRx = 0;
    this.lastRx = 0;
  }
  inb(r) { return this.bar.read(r, 1); }
  inw(r) { return this.bar.read(r, 2); }
  inl(r) { return this.bar.read(r, 4) >>> 0; }
  outb(r, v) { this.bar.write(r, 1, v); }
  outw(r, v) { this.bar.write(r, 2, v); }
  outl(r, v) { this.bar.write(r, 4, v >>> 0); }

  /** rtl8139_hw_start: 32 KiB ring with WRAP (RxNoWrap), four TX buffers. */
  setup(frame) {
    this.len = frame.length;
    const mac = this.vm.dev.mac;
    this.outb(T.CR, 0x10);
    for (let i = 0; i < 1000 && this.inb(T.CR) & 0x10; i++);
    this.outb(T.CFG9346, 0xc0);
    this.outl(T.IDR0, mac[0] | (mac[1] << 8) | (mac[2] << 16) | (mac[3] << 24));
    this.outl(T.IDR0 + 4, mac[4] | (mac[5] << 8));
    this.outb(T.CR, 0x08 | 0x04);
    this.outl(T.RCR, 0x02 | 0x04 | 0x08 | 0x80 | 0x1000); // APM AM AB WRAP RBLEN=32K
    this.outl(T.TCR, 0x03000700);
    this.outb(T.CFG9346, 0);
    this.outl(T.RBSTART, RX_RING);
    this.outl(T.MPC, 0);
    this.outl(T.MAR0, 0xffffffff);
    this.outl(T.MAR0 + 4, 0xffffffff);
    for (let i = 0; i < 4; i++) {
      this.vm.ram.set(frame, TX_BUFS + i * BUF);
      this.outl(T.TSAD0 + 4 * i, TX_BUFS + i * BUF);
    }
    this.outw(T.IMR, 0xc07f);
  }

  /** rtl8139_start_xmit: one TSD write per frame, at most four in flight. */
  post(n) {
    let k = 0;
    const flag = (256 << 11) & 0x003f0000;
    while (k < n && this.curTx - this.dirtyTx < 4) {
      this.outl(T.TSD0 + 4 * (this.curTx & 3), flag | this.len);
      this.curTx++;
      k++;
    }
    return k;
  }

  /** rtl8139_tx_interrupt. */
  reapTx() {
    let n = 0;
    while (this.dirtyTx < this.curTx) {
      const tsd = this.inl(T.TSD0 + 4 * (this.dirtyTx & 3));
      if (!(tsd & (0x8000 | 0x4000 | 0x40000000))) break;
      this.dirtyTx++;
      n++;
    }
    return n;
  }

  /** rtl8139_rx: packets until BUFE, CAPR after each. */
  reapRx() {
    const dv = this.vm.dv;
    let n = 0;
    while (!(this.inb(T.CR) & 0x01)) {
      const off = this.curRx % RX_LEN_8139;
      const hdr = dv.getUint32(RX_RING + off, true);
      const size = hdr >>> 16;
      if (!(hdr & 1) || size !== this.len + 4) this.badRx++;
      this.lastRx = RX_RING + off + 4;
      this.curRx = (this.curRx + size + 4 + 3) & ~3;
      this.outw(T.CAPR, (this.curRx - 16) & 0xffff);
      n++;
    }
    return n;
  }

  irq() {
    const isr = this.inw(T.ISR);
    if (isr) this.outw(T.ISR, isr);
    return isr;
  }

  rxFrame() { return this.vm.ram.slice(this.lastRx, this.lastRx + this.len); }
}

// ------------------------------------------------------------------ rtl8139 C+ mode (Linux 8139cp)

const CP_RING = 64;
const OWN = 0x80000000;
const EOR = 0x40000000;
const FS = 0x20000000;
const LS = 0x10000000;
const CP_RX_BUF = 1536;

export class Rtl8139CpDriver extends Rtl8139Driver {
  constructor(vm) {
    super(vm);
    this.txHead = 0;
    this.txTail = 0;
    this.rxTail = 0;
  }

  /** cp_init_rings + cp_init_hw + cp_start_hw. */
  setup(frame) {
    this.len = frame.length;
    const { ram, dv } = this.vm;
    this.outb(T.CR, 0x10);
    for (let i = 0; i < 1000 && this.inb(T.CR) & 0x10; i++);
    for (let i = 0; i < CP_RING; i++) {
      const rx = EXTRA + 16 * i;
      dv.setUint32(rx + 4, 0, true);
      dv.setUint32(rx + 8, RX_BUFS + i * BUF, true);
      dv.setUint32(rx + 12, 0, true);
      dv.setUint32(rx, (OWN | (i === CP_RING - 1 ? EOR : 0) | CP_RX_BUF) >>> 0, true);
      const tx = TX_RING + 16 * i;
      dv.setUint32(tx, 0, true);
      dv.setUint32(tx + 4, 0, true);
      dv.setUint32(tx + 8, TX_BUFS + i * BUF, true);
      dv.setUint32(tx + 12, 0, true);
      ram.set(frame, TX_BUFS + i * BUF);
    }
    this.outb(T.CFG9346, 0xc0);
    this.outl(T.RCR, 0x02 | 0x04 | 0x08);
    this.outl(T.MAR0, 0xffffffff);
    this.outl(T.MAR0 + 4, 0xffffffff);
    this.outl(T.TCR, 0x03000700);
    this.outw(0x5c, 0);
    this.outb(T.CFG9346, 0);
    this.outw(T.CPCR, 0x0008 | 0x0020 | 0x0002 | 0x0001); // PCIMulRW RxChkSum CpRxOn CpTxOn
    this.outl(T.TSAD0 + 8, 0);
    this.outl(T.TSAD0 + 12, 0);
    this.outl(T.RDSAR, EXTRA);
    this.outl(T.RDSAR + 4, 0);
    this.outl(T.TSAD0, TX_RING);
    this.outl(T.TSAD0 + 4, 0);
    this.outb(T.CR, 0x08 | 0x04);
    this.outb(0xec, 0x06);
    this.outw(T.INTRMIT, 0);
    this.outw(T.IMR, 0x80ff);
  }

  /** cp_start_xmit for each frame, one TPPoll write. */
  post(n) {
    const dv = this.vm.dv;
    let k = 0;
    while (k < n && this.txHead - this.txTail < CP_RING) {
      const i = this.txHead % CP_RING;
      const at = TX_RING + 16 * i;
      dv.setUint32(at + 4, 0, true);
      dv.setUint32(at, (OWN | (i === CP_RING - 1 ? EOR : 0) | FS | LS | this.len) >>> 0, true);
      this.txHead++;
      k++;
    }
    if (k) this.outb(T.TPPOLL, 0x40);
    return k;
  }

  /** cp_tx. */
  reapTx() {
    const dv = this.vm.dv;
    let n = 0;
    while (this.txTail < this.txHead && !(dv.getUint32(TX_RING + 16 * (this.txTail % CP_RING), true) & OWN)) {
      this.txTail++;
      n++;
    }
    return n;
  }

  /** cp_rx_poll: ack, take frames, give the descriptors back with OWN, re-enable interrupts. */
  reapRx() {
    const dv = this.vm.dv;
    this.outw(T.ISR, 0x01 | 0x02 | 0x10 | 0x40);
    let n = 0;
    for (;;) {
      const i = this.rxTail % CP_RING;
      const at = EXTRA + 16 * i;
      const opts1 = dv.getUint32(at, true);
      if (opts1 & OWN) break;
      if ((opts1 & 0x1fff) - 4 !== this.len) this.badRx++;
      this.lastRx = RX_BUFS + i * BUF;
      dv.setUint32(at + 4, 0, true);
      dv.setUint32(at, (OWN | (i === CP_RING - 1 ? EOR : 0) | CP_RX_BUF) >>> 0, true);
      this.rxTail++;
      n++;
    }
    this.outw(T.IMR, 0x80ff);
    return n;
  }

  rxFrame() { return this.vm.ram.slice(this.lastRx, this.lastRx + this.len); }
}

// ------------------------------------------------------------------ virtio-net (Linux virtio_net + virtio_ring)

const COMMON = { DFSELECT: 0x00, DF: 0x04, GFSELECT: 0x08, GF: 0x0c, MSIX: 0x10, STATUS: 0x14, Q_SELECT: 0x16, Q_SIZE: 0x18, Q_MSIX: 0x1a, Q_ENABLE: 0x1c, Q_DESCLO: 0x20, Q_DESCHI: 0x24, Q_AVAILLO: 0x28, Q_AVAILHI: 0x2c, Q_USEDLO: 0x30, Q_USEDHI: 0x34 };
const NOTIFY = 0x3000;
const F = { MRG_RXBUF: 15, EVENT_IDX: 29, VERSION_1: 32, RING_PACKED: 34 };
const S = { ACK: 1, DRIVER: 2, DRIVER_OK: 4, FEATURES_OK: 8 };
const VNET_HDR = 12;
const D_WRITE = 2;
const D_AVAIL = 1 << 7;
const D_USED = 1 << 15;

/** vring_need_event (virtio 1.2 §2.7.10). */
function needEvent(ev, nw, old) {
  return ((nw - ev - 1) & 0xffff) < ((nw - old) & 0xffff);
}

/** A split virtqueue (§2.7), driver side. Descriptor i always describes buffer i. */
class SplitQ {
  constructor(vm, size, desc, avail, used) {
    Object.assign(this, { vm, size, desc, avail, used });
    this.availIdx = 0;
    this.kickedAt = 0;
    this.lastUsed = 0;
    this.free = new Int32Array(size);
    this.nfree = size;
    for (let i = 0; i < size; i++) this.free[i] = size - 1 - i;
    vm.ram.fill(0, desc, desc + 16 * size);
    vm.ram.fill(0, avail, avail + 6 + 2 * size);
    vm.ram.fill(0, used, used + 6 + 8 * size);
  }
  setDesc(id, addr, len, flags) {
    const dv = this.vm.dv;
    const at = this.desc + 16 * id;
    dv.setUint32(at, addr, true);
    dv.setUint32(at + 4, 0, true);
    dv.setUint32(at + 8, len, true);
    dv.setUint16(at + 12, flags, true);
    dv.setUint16(at + 14, 0, true);
  }
  /** Make the chain at descriptor `id` available (not yet published). */
  add(id) {
    this.vm.dv.setUint16(this.avail + 4 + 2 * (this.availIdx & (this.size - 1)), id, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
  }
  takeFree() { return this.nfree > 0 ? this.free[--this.nfree] : -1; }
  /** Publish avail.idx; true when the device wants a notification (EVENT_IDX). */
  publish() {
    const dv = this.vm.dv;
    dv.setUint16(this.avail + 2, this.availIdx, true);
    const old = this.kickedAt;
    this.kickedAt = this.availIdx;
    return needEvent(dv.getUint16(this.used + 4 + 8 * this.size, true), this.availIdx, old);
  }
  /** Used elements since the last call: cb(id, len) for each; re-arms used_event. */
  reap(cb) {
    const dv = this.vm.dv;
    const idx = dv.getUint16(this.used + 2, true);
    let n = 0;
    while (this.lastUsed !== idx) {
      const at = this.used + 4 + 8 * (this.lastUsed & (this.size - 1));
      cb(dv.getUint32(at, true), dv.getUint32(at + 4, true));
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
      n++;
    }
    // used_event: interrupt after the next used element (NAPI re-enables callbacks).
    dv.setUint16(this.avail + 4 + 2 * this.size, this.lastUsed, true);
    return n;
  }
  release(id) { this.free[this.nfree++] = id; }
}

/** A packed virtqueue (§2.8), driver side; one descriptor per chain, buffer id i. */
class PackedQ {
  constructor(vm, size, desc, driverEv, deviceEv) {
    Object.assign(this, { vm, size, desc, driverEv, deviceEv });
    this.nextAvail = 0;
    this.availWrap = 1;
    this.nextUsed = 0;
    this.usedWrap = 1;
    this.added = 0;
    this.free = new Int32Array(size);
    this.nfree = size;
    for (let i = 0; i < size; i++) this.free[i] = size - 1 - i;
    this.addr = new Float64Array(size);
    this.len = new Uint32Array(size);
    this.flags = new Uint16Array(size);
    vm.ram.fill(0, desc, desc + 16 * size);
    vm.ram.fill(0, driverEv, driverEv + 4);
    vm.ram.fill(0, deviceEv, deviceEv + 4);
  }
  setDesc(id, addr, len, flags) {
    this.addr[id] = addr;
    this.len[id] = len;
    this.flags[id] = flags;
  }
  takeFree() { return this.nfree > 0 ? this.free[--this.nfree] : -1; }
  add(id) {
    const dv = this.vm.dv;
    const at = this.desc + 16 * this.nextAvail;
    dv.setUint32(at, this.addr[id], true);
    dv.setUint32(at + 4, 0, true);
    dv.setUint32(at + 8, this.len[id], true);
    dv.setUint16(at + 12, id, true);
    // Flags last (§2.8.6): AVAIL = wrap counter, USED = its inverse.
    dv.setUint16(at + 14, this.flags[id] | (this.availWrap ? D_AVAIL : D_USED), true);
    if (++this.nextAvail === this.size) {
      this.nextAvail = 0;
      this.availWrap ^= 1;
    }
    this.added++;
  }
  /** True when the device wants a notification (virtqueue_kick_prepare_packed). */
  publish() {
    const dv = this.vm.dv;
    const added = this.added;
    this.added = 0;
    const flags = dv.getUint16(this.deviceEv + 2, true) & 3;
    if (flags !== 2) return flags !== 1;
    const offWrap = dv.getUint16(this.deviceEv, true);
    let ev = offWrap & 0x7fff;
    if (offWrap >> 15 !== this.availWrap) ev -= this.size;
    return needEvent(ev & 0xffff, this.nextAvail, (this.nextAvail - added) & 0xffff);
  }
  reap(cb) {
    const dv = this.vm.dv;
    let n = 0;
    for (; n < this.size; n++) {
      const at = this.desc + 16 * this.nextUsed;
      const f = dv.getUint16(at + 14, true);
      const a = (f & D_AVAIL) !== 0;
      const u = (f & D_USED) !== 0;
      if (a !== u || (u ? 1 : 0) !== this.usedWrap) break;
      cb(dv.getUint16(at + 12, true), dv.getUint32(at + 8, true));
      if (++this.nextUsed === this.size) {
        this.nextUsed = 0;
        this.usedWrap ^= 1;
      }
    }
    // Driver event suppression: descriptor-based, at the next used slot (EVENT_IDX).
    dv.setUint16(this.driverEv, this.nextUsed | (this.usedWrap << 15), true);
    dv.setUint16(this.driverEv + 2, 2, true);
    return n;
  }
  release(id) { this.free[this.nfree++] = id; }
}

export class VirtioNetDriver {
  constructor(vm, { packed = false } = {}) {
    this.vm = vm;
    this.packed = packed;
    this.bar = vm.dev.bar(4);
    this.len = 0;
    this.badRx = 0;
    this.lastRx = 0;
    this.kicks = 0;
    this.onTxUsed = (id) => this.tx.release(id);
    this.onRxUsed = (id, len) => {
      if (len !== VNET_HDR + this.len) this.badRx++;
      this.lastRx = RX_BUFS + id * BUF + VNET_HDR;
      this.rx.add(id); // refill with the same buffer
    };
  }
  rd(off, size) { return this.bar.read(off, size) >>> 0; }
  wr(off, size, v) { this.bar.write(off, size, v >>> 0); }

  /** virtio_pci_modern probe + virtnet_probe: MSI-X, features, rx/tx queues, DRIVER_OK. */
  setup(frame) {
    const { vm } = this;
    const { ram, dev } = vm;
    this.len = frame.length;
    // MSI-X on (vectors are delivered to ctx.msi, which only counts them).
    const cap = dev.pci.capabilityOffset('msix');
    const msix = dev.bar(1);
    const vectors = (dev.pci.configRead(cap + 2, 2) & 0x7ff) + 1;
    for (let v = 0; v < vectors; v++) {
      msix.write(16 * v, 4, 0xfee00000);
      msix.write(16 * v + 4, 4, 0);
      msix.write(16 * v + 8, 4, 0x40 + v);
      msix.write(16 * v + 12, 4, 0);
    }
    dev.pci.configWrite(cap + 2, 2, 0x8000);
    this.wr(COMMON.STATUS, 1, 0);
    this.wr(COMMON.STATUS, 1, S.ACK);
    this.wr(COMMON.STATUS, 1, S.ACK | S.DRIVER);
    this.wr(COMMON.DFSELECT, 4, 0);
    const lo = this.rd(COMMON.DF, 4);
    this.wr(COMMON.DFSELECT, 4, 1);
    const hi = this.rd(COMMON.DF, 4);
    const want = [F.MRG_RXBUF, F.EVENT_IDX, F.VERSION_1, ...(this.packed ? [F.RING_PACKED] : [])];
    let gLo = 0;
    let gHi = 0;
    for (const b of want) {
      const offered = b < 32 ? (lo >>> b) & 1 : (hi >>> (b - 32)) & 1;
      if (!offered) throw new Error(`virtio-net does not offer feature ${b}`);
      if (b < 32) gLo |= 1 << b;
      else gHi |= 1 << (b - 32);
    }
    this.wr(COMMON.GFSELECT, 4, 0);
    this.wr(COMMON.GF, 4, gLo >>> 0);
    this.wr(COMMON.GFSELECT, 4, 1);
    this.wr(COMMON.GF, 4, gHi >>> 0);
    this.wr(COMMON.STATUS, 1, S.ACK | S.DRIVER | S.FEATURES_OK);
    if (!(this.rd(COMMON.STATUS, 1) & S.FEATURES_OK)) throw new Error('virtio-net refused FEATURES_OK');
    this.wr(COMMON.MSIX, 2, 0);
    this.rx = this.setupQueue(0, RX_RING, EXTRA);
    this.tx = this.setupQueue(1, TX_RING, EXTRA + 0x8000);
    this.wr(COMMON.STATUS, 1, S.ACK | S.DRIVER | S.FEATURES_OK | S.DRIVER_OK);
    // TX buffers: virtio-net header (zeros: no offloads) + frame, one descriptor (any_layout).
    for (let i = 0; i < this.tx.size; i++) {
      ram.fill(0, TX_BUFS + i * BUF, TX_BUFS + i * BUF + VNET_HDR);
      ram.set(frame, TX_BUFS + i * BUF + VNET_HDR);
      this.tx.setDesc(i, TX_BUFS + i * BUF, VNET_HDR + frame.length, 0);
    }
    // RX: every buffer posted (mergeable buffers of 2 KiB).
    for (let i = 0; i < this.rx.size; i++) this.rx.setDesc(i, RX_BUFS + i * BUF, BUF, D_WRITE);
    for (let id = this.rx.takeFree(); id >= 0; id = this.rx.takeFree()) this.rx.add(id);
    if (this.rx.publish()) this.kick(0);
  }

  setupQueue(q, descArea, otherArea) {
    this.wr(COMMON.Q_SELECT, 2, q);
    const size = this.rd(COMMON.Q_SIZE, 2);
    const Q = this.packed
      ? new PackedQ(this.vm, size, descArea, otherArea, otherArea + 0x100)
      : new SplitQ(this.vm, size, descArea, otherArea, otherArea + 0x1000);
    const [drv, devArea] = this.packed ? [otherArea, otherArea + 0x100] : [otherArea, otherArea + 0x1000];
    this.wr(COMMON.Q_DESCLO, 4, descArea); this.wr(COMMON.Q_DESCHI, 4, 0);
    this.wr(COMMON.Q_AVAILLO, 4, drv); this.wr(COMMON.Q_AVAILHI, 4, 0);
    this.wr(COMMON.Q_USEDLO, 4, devArea); this.wr(COMMON.Q_USEDHI, 4, 0);
    this.wr(COMMON.Q_MSIX, 2, q + 1);
    this.wr(COMMON.Q_ENABLE, 2, 1);
    if (this.rd(COMMON.Q_ENABLE, 2) !== 1) throw new Error(`virtio-net queue ${q} not enabled`);
    return Q;
  }

  kick(q) {
    this.kicks++;
    this.wr(NOTIFY + 4 * q, 2, q);
  }

  post(n) {
    const tx = this.tx;
    let k = 0;
    for (; k < n; k++) {
      const id = tx.takeFree();
      if (id < 0) break;
      tx.add(id);
    }
    if (k && tx.publish()) this.kick(1);
    return k;
  }

  reapTx() { return this.tx.reap(this.onTxUsed); }

  reapRx() {
    const n = this.rx.reap(this.onRxUsed);
    if (n && this.rx.publish()) this.kick(0);
    return n;
  }

  irq() { return 0; } // MSI-X: nothing to acknowledge

  rxFrame() { return this.vm.ram.slice(this.lastRx, this.lastRx + this.len); }
}
