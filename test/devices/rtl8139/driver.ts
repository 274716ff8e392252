/**
 * Test-only rtl8139 guest drivers over a device in plain RAM:
 *  - `Too`: shaped like Linux 8139too (revision 0x10): EEPROM read by
 *    bit-banging Cfg9346, four TX descriptors used in turn, a 32 KiB receive
 *    ring with WRAP, packets read at cur_rx and CAPR = cur_rx - 16;
 *  - `Cp`: shaped like Linux 8139cp (revision 0x20): CPCR, 64-entry TX and
 *    RX descriptor rings, TPPoll, RX refill with OWN, IntrMask re-enabled
 *    after the poll.
 * Guest memory is wrapped so tests can see every DMA attempt outside RAM.
 */
import { RegionMemory, type GuestMemory, type MemError } from '../../../src/dma/memory.js';
import { LevelIrq } from '../../../src/irq.js';
import { NetClient } from '../../../src/hub/client.js';
import { WireEnd } from '../../../src/machine/wire.js';
import type { DeviceContext } from '../../../src/machine/device.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { SeededRandom } from '../../../src/time/random.js';
import { Rtl8139, type Rtl8139Options } from '../../../src/devices/rtl8139/index.js';

export const MAC = Uint8Array.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x57]);
export const RAM_SIZE = 16 * 1024 * 1024;

export const R = {
  IDR0: 0x00, MAR0: 0x08, TSD0: 0x10, TSAD0: 0x20, RBSTART: 0x30, CR: 0x37, CAPR: 0x38, CBR: 0x3a,
  IMR: 0x3c, ISR: 0x3e, TCR: 0x40, RCR: 0x44, TCTR: 0x48, MPC: 0x4c, CFG9346: 0x50, CONFIG1: 0x52,
  TIMERINT: 0x54, MSR: 0x58, TSAD: 0x60, BMCR: 0x62, BMSR: 0x64, CSCR: 0x74, TPPOLL: 0xd9, CPCR: 0xe0,
  INTRMIT: 0xe2, RDSAR: 0xe4,
} as const;
export const CR = { RST: 0x10, RE: 0x08, TE: 0x04, BUFE: 0x01 } as const;
export const INT = { ROK: 0x01, RER: 0x02, TOK: 0x04, TER: 0x08, RXOVW: 0x10, LINKCHG: 0x20, TDU: 0x80, SWINT: 0x100, TIMEOUT: 0x4000 } as const;
export const RCR = { AAP: 0x01, APM: 0x02, AM: 0x04, AB: 0x08, WRAP: 0x80, RBLEN_32K: 0x1000 } as const;
export const DESC = { OWN: 0x80000000, EOR: 0x40000000, FS: 0x20000000, LS: 0x10000000, LGSEN: 0x08000000, IPCS: 0x40000, UDPCS: 0x20000, TCPCS: 0x10000 } as const;

/** Guest memory that records every access outside RAM and lets a test hook writes. */
export class WatchedMemory implements GuestMemory {
  readonly outside: Array<{ op: string; addr: number; len: number }> = [];
  reads = 0;
  onWrite: ((addr: number, len: number) => void) | undefined;
  constructor(readonly inner: RegionMemory) {}
  private note<T>(op: string, addr: number, len: number, r: T): T {
    if (typeof r === 'object' && r !== null) this.outside.push({ op, addr, len });
    return r;
  }
  read(addr: number, dst: Uint8Array): MemError | undefined {
    this.reads++;
    return this.note('read', addr, dst.length, this.inner.read(addr, dst));
  }
  write(addr: number, src: Uint8Array): MemError | undefined {
    this.onWrite?.(addr, src.length);
    return this.note('write', addr, src.length, this.inner.write(addr, src));
  }
  fill(addr: number, len: number, value: number): MemError | undefined {
    return this.note('fill', addr, len, this.inner.fill(addr, len, value));
  }
  readU8(addr: number): number | MemError {
    this.reads++;
    return this.note('readU8', addr, 1, this.inner.readU8(addr));
  }
  readU16(addr: number): number | MemError {
    this.reads++;
    return this.note('readU16', addr, 2, this.inner.readU16(addr));
  }
  readU32(addr: number): number | MemError {
    this.reads++;
    return this.note('readU32', addr, 4, this.inner.readU32(addr));
  }
  readU64(addr: number): bigint | MemError {
    this.reads++;
    return this.note('readU64', addr, 8, this.inner.readU64(addr));
  }
  writeU8(addr: number, v: number): MemError | undefined {
    this.onWrite?.(addr, 1);
    return this.note('writeU8', addr, 1, this.inner.writeU8(addr, v));
  }
  writeU16(addr: number, v: number): MemError | undefined {
    this.onWrite?.(addr, 2);
    return this.note('writeU16', addr, 2, this.inner.writeU16(addr, v));
  }
  writeU32(addr: number, v: number): MemError | undefined {
    this.onWrite?.(addr, 4);
    return this.note('writeU32', addr, 4, this.inner.writeU32(addr, v));
  }
  writeU64(addr: number, v: bigint): MemError | undefined {
    this.onWrite?.(addr, 8);
    return this.note('writeU64', addr, 8, this.inner.writeU64(addr, v));
  }
  contains(addr: number, len: number): boolean {
    return this.inner.contains(addr, len);
  }
}

/** A device on a bench: RAM, clock, INTx line, and the far end of its cable. */
export class Bench {
  readonly ram = RegionMemory.ofSize(RAM_SIZE);
  readonly mem = new WatchedMemory(this.ram);
  readonly clock = new VirtualClock();
  readonly irq = new LevelIrq();
  readonly wire = new WireEnd('wire');
  readonly dev: Rtl8139;

  constructor(options: Partial<Rtl8139Options> = {}, { connect = true, busMaster = true } = {}) {
    const ctx: DeviceContext = { memory: this.mem, clock: this.clock, random: new SeededRandom(1), intx: this.irq, msi: () => {} };
    this.dev = new Rtl8139(ctx, { mac: MAC, name: 'nic0' }, options);
    if (connect) NetClient.connect(this.dev.net, this.wire.client);
    this.dev.fn.configWrite(0x04, 2, busMaster ? 0x7 : 0x3);
  }

  inb(r: number): number {
    return this.dev.read(r, 1);
  }
  inw(r: number): number {
    return this.dev.read(r, 2);
  }
  inl(r: number): number {
    return this.dev.read(r, 4);
  }
  outb(r: number, v: number): void {
    this.dev.write(r, 1, v);
  }
  outw(r: number, v: number): void {
    this.dev.write(r, 2, v);
  }
  outl(r: number, v: number): void {
    this.dev.write(r, 4, v >>> 0);
  }
  put(addr: number, bytes: Uint8Array): void {
    this.ram.write(addr, bytes);
  }
  get(addr: number, len: number): Uint8Array {
    const b = new Uint8Array(len);
    this.ram.read(addr, b);
    return b;
  }
  u32(addr: number): number {
    return this.ram.readU32(addr) as number;
  }
  /** Every frame the device put on the wire since the last call. */
  sent(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let f = this.wire.take(); f; f = this.wire.take()) out.push(f);
    return out;
  }
  inject(frame: Uint8Array): void {
    this.wire.inject(frame);
  }
  /** Frames waiting in the device's incoming queue (backpressure). */
  get waiting(): number {
    return this.dev.net.incoming.length;
  }
}

// ------------------------------------------------------------------ 8139too

const EE_CS = 0x08;
const EE_SK = 0x04;
const EE_DI = 0x02;
const EE_ENB = 0x80 | EE_CS;

export const TOO_RX_RING = 0x100000;
export const TOO_RX_LEN = 32768;
export const TOO_TX_BUFS = 0x200000;

/** Linux 8139too's way of driving the chip. */
export class Too {
  curRx = 0;
  curTx = 0;
  dirtyTx = 0;
  mac = new Uint8Array(6);
  constructor(readonly b: Bench) {}

  readEeprom(loc: number, addrLen = 6): number {
    const b = this.b;
    const cmd = loc | (6 << addrLen);
    b.outb(R.CFG9346, EE_ENB & ~EE_CS);
    b.outb(R.CFG9346, EE_ENB);
    for (let i = 4 + addrLen; i >= 0; i--) {
      const d = cmd & (1 << i) ? EE_DI : 0;
      b.outb(R.CFG9346, EE_ENB | d);
      b.outb(R.CFG9346, EE_ENB | d | EE_SK);
    }
    b.outb(R.CFG9346, EE_ENB);
    let v = 0;
    for (let i = 16; i > 0; i--) {
      b.outb(R.CFG9346, EE_ENB | EE_SK);
      v = (v << 1) | (b.inb(R.CFG9346) & 1);
      b.outb(R.CFG9346, EE_ENB);
    }
    b.outb(R.CFG9346, 0);
    return v;
  }

  /** rtl8139_init_board + rtl8139_open + rtl8139_hw_start. */
  open(rcr: number = RCR.APM | RCR.AB | RCR.AM | RCR.WRAP | RCR.RBLEN_32K): void {
    const b = this.b;
    const addrLen = this.readEeprom(0, 8) === 0x8129 ? 8 : 6;
    for (let i = 0; i < 3; i++) {
      const w = this.readEeprom(7 + i, addrLen);
      this.mac[2 * i] = w & 0xff;
      this.mac[2 * i + 1] = w >>> 8;
    }
    b.outb(R.CR, CR.RST);
    for (let i = 0; i < 1000 && b.inb(R.CR) & CR.RST; i++);
    b.outb(R.CFG9346, 0xc0);
    b.outl(R.IDR0, this.mac[0]! | (this.mac[1]! << 8) | (this.mac[2]! << 16) | (this.mac[3]! << 24));
    b.outl(R.IDR0 + 4, this.mac[4]! | (this.mac[5]! << 8));
    b.outb(R.CR, CR.RE | CR.TE);
    b.outl(R.RCR, rcr);
    b.outl(R.TCR, 0x03000700);
    b.outb(R.CFG9346, 0);
    b.outl(R.RBSTART, TOO_RX_RING);
    b.outl(R.MPC, 0);
    b.outl(R.MAR0, 0xffffffff);
    b.outl(R.MAR0 + 4, 0xffffffff);
    for (let i = 0; i < 4; i++) b.outl(R.TSAD0 + 4 * i, TOO_TX_BUFS + i * 0x800);
    b.outw(R.IMR, 0xc07f);
    this.curRx = 0;
    this.curTx = this.dirtyTx = 0;
  }

  /** rtl8139_start_xmit: false when all four descriptors are in flight. */
  xmit(frame: Uint8Array): boolean {
    if (this.curTx - this.dirtyTx >= 4) return false;
    const entry = this.curTx % 4;
    this.b.put(TOO_TX_BUFS + entry * 0x800, frame);
    this.b.outl(R.TSD0 + 4 * entry, (256 << 11) | Math.max(frame.length, 60));
    this.curTx++;
    return true;
  }

  /** rtl8139_tx_interrupt: reclaim descriptors with TOK. */
  txClean(): number {
    let n = 0;
    while (this.dirtyTx < this.curTx) {
      const tsd = this.b.inl(R.TSD0 + 4 * (this.dirtyTx % 4));
      if (!(tsd & 0xe000)) break;
      this.dirtyTx++;
      n++;
    }
    return n;
  }

  /** rtl8139_rx: read packets until BUFE; returns [status, frame without CRC, CRC] for each. */
  rx(budget = 1000): Array<{ status: number; frame: Uint8Array; crc: number }> {
    const b = this.b;
    const out: Array<{ status: number; frame: Uint8Array; crc: number }> = [];
    while (out.length < budget && !(b.inb(R.CR) & CR.BUFE)) {
      const off = this.curRx % TOO_RX_LEN;
      const hdr = b.u32(TOO_RX_RING + off);
      const status = hdr & 0xffff;
      const size = hdr >>> 16;
      if (size > 1536 + 4 || size < 8 || !(status & 1)) throw new Error(`rx error: header 0x${hdr.toString(16)} at ${off}`);
      // WRAP is set: a packet crossing the end continues past it.
      const data = b.get(TOO_RX_RING + off + 4, size);
      out.push({ status, frame: data.slice(0, size - 4), crc: (data[size - 4]! | (data[size - 3]! << 8) | (data[size - 2]! << 16) | (data[size - 1]! << 24)) >>> 0 });
      this.curRx = (this.curRx + size + 4 + 3) & ~3;
      b.outw(R.CAPR, (this.curRx - 16) & 0xffff);
    }
    b.outw(R.ISR, INT.ROK | INT.RXOVW | 0x40);
    return out;
  }

  /**
   * 8139too's NAPI poll as Linux 6.1 drives the chip: nothing is read unless
   * ISR shows an RX cause; after each frame CAPR moves and the RX causes are
   * acknowledged; the poll ends at `budget` even with frames left.
   */
  napiPoll(budget: number): number {
    const b = this.b;
    const rxCauses = INT.ROK | INT.RXOVW | 0x40;
    if (!(b.inw(R.ISR) & rxCauses)) return 0;
    let n = 0;
    while (n < budget && !(b.inb(R.CR) & CR.BUFE)) {
      const off = this.curRx % TOO_RX_LEN;
      const size = b.u32(TOO_RX_RING + off) >>> 16;
      this.curRx = (this.curRx + size + 4 + 3) & ~3;
      b.outw(R.CAPR, (this.curRx - 16) & 0xffff);
      const causes = b.inw(R.ISR) & rxCauses;
      if (causes) b.outw(R.ISR, rxCauses);
      n++;
    }
    return n;
  }
}

// ------------------------------------------------------------------ 8139cp

export const CP_RX_RING = 0x100000;
export const CP_TX_RING = CP_RX_RING + 64 * 16;
export const CP_HI_RING = 0x102000;
export const CP_TALLY = 0x103000;
export const CP_RX_BUFS = 0x200000;
export const CP_TX_BUFS = 0x400000;
export const CP_RX_BUF_SZ = 1536;
export const CP_RING = 64;

export interface CpTx {
  /** opts1 bits beyond OWN/FS/LS/EOR/length (IPCS, TCPCS, LGSEN | mss << 16, ...). */
  opts1?: number;
  /** 802.1Q TCI to insert. */
  vlan?: number;
  /** Split the frame over this many descriptors. */
  parts?: number;
}

/** Linux 8139cp's way of driving the chip. */
export class Cp {
  rxTail = 0;
  txHead = 0;
  txTail = 0;
  cpcmd = 0x0008 | 0x0002 | 0x0001 | 0x0020 | 0x0040;
  constructor(readonly b: Bench) {}

  rxDescOpts(i: number): number {
    return (DESC.OWN | (i === CP_RING - 1 ? DESC.EOR : 0) | CP_RX_BUF_SZ) >>> 0;
  }

  /** cp_init_rings + cp_init_hw + cp_start_hw + cp_enable_irq. */
  open(): void {
    const b = this.b;
    b.outb(R.CR, CR.RST);
    for (let i = 0; i < 1000 && b.inb(R.CR) & CR.RST; i++);
    for (let i = 0; i < CP_RING; i++) {
      const d = CP_RX_RING + 16 * i;
      b.ram.writeU32(d + 4, 0);
      b.ram.writeU64(d + 8, BigInt(CP_RX_BUFS + i * 0x800));
      b.ram.writeU32(d, this.rxDescOpts(i));
      b.ram.fill(CP_TX_RING + 16 * i, 16, 0);
    }
    b.outb(R.CFG9346, 0xc0);
    b.outl(R.RCR, RCR.APM | RCR.AB | RCR.AM);
    b.outl(R.MAR0, 0xffffffff);
    b.outl(R.MAR0 + 4, 0xffffffff);
    b.outl(R.TCR, 0x03000700);
    b.outw(0x5c, 0);
    b.outb(R.CFG9346, 0);
    b.outw(R.CPCR, this.cpcmd);
    b.outl(R.TSAD0 + 8, 0);
    b.outl(R.TSAD0 + 12, 0);
    b.outl(R.RDSAR, CP_RX_RING);
    b.outl(R.RDSAR + 4, 0);
    b.outl(R.TSAD0, CP_TX_RING);
    b.outl(R.TSAD0 + 4, 0);
    b.outb(R.CR, CR.RE | CR.TE);
    b.outb(0xec, 0x06);
    b.outw(R.INTRMIT, 0);
    b.outw(R.IMR, 0x80ff);
    this.rxTail = this.txHead = this.txTail = 0;
  }

  /** cp_start_xmit (without the kick). */
  queue(frame: Uint8Array, o: CpTx = {}): void {
    const parts = o.parts ?? 1;
    const step = Math.ceil(frame.length / parts);
    const base = CP_TX_BUFS + (this.txHead % CP_RING) * 0x10000 / 4;
    this.b.put(base, frame);
    for (let p = 0; p < parts; p++) {
      const i = this.txHead % CP_RING;
      const start = p * step;
      const len = Math.min(step, frame.length - start);
      const d = CP_TX_RING + 16 * i;
      const opts2 = o.vlan === undefined ? 0 : 0x20000 | ((o.vlan >>> 8) & 0xff) | ((o.vlan & 0xff) << 8);
      this.b.ram.writeU32(d + 4, opts2);
      this.b.ram.writeU64(d + 8, BigInt(base + start));
      const opts1 = DESC.OWN | (i === CP_RING - 1 ? DESC.EOR : 0) | (p === 0 ? DESC.FS : 0) | (p === parts - 1 ? DESC.LS : 0) | (o.opts1 ?? 0) | len;
      this.b.ram.writeU32(d, opts1 >>> 0);
      this.txHead++;
    }
  }

  kick(): void {
    this.b.outb(R.TPPOLL, 0x40);
  }

  xmit(frame: Uint8Array, o: CpTx = {}): void {
    this.queue(frame, o);
    this.kick();
  }

  /** cp_tx: reclaim descriptors the NIC gave back. */
  txClean(): number {
    let n = 0;
    while (this.txTail < this.txHead) {
      const opts1 = this.b.u32(CP_TX_RING + 16 * (this.txTail % CP_RING));
      if (opts1 & DESC.OWN) break;
      this.txTail++;
      n++;
    }
    return n;
  }

  /** cp_rx_poll: collect frames, refill, ack, re-enable interrupts. */
  rx(budget = 64, { touchRegisters = true } = {}): Array<{ opts1: number; opts2: number; frame: Uint8Array }> {
    const b = this.b;
    const out: Array<{ opts1: number; opts2: number; frame: Uint8Array }> = [];
    if (touchRegisters) b.outw(R.ISR, INT.ROK | INT.RER | INT.RXOVW | 0x40);
    while (out.length < budget) {
      const i = this.rxTail % CP_RING;
      const d = CP_RX_RING + 16 * i;
      const opts1 = b.u32(d);
      if (opts1 & DESC.OWN) break;
      const len = (opts1 & 0x1fff) - 4;
      out.push({ opts1, opts2: b.u32(d + 4), frame: b.get(CP_RX_BUFS + i * 0x800, Math.max(0, len)) });
      b.ram.writeU32(d + 4, 0);
      b.ram.writeU32(d, this.rxDescOpts(i));
      this.rxTail++;
    }
    if (touchRegisters) b.outw(R.IMR, 0x80ff);
    return out;
  }

  dumpTally(): Uint8Array {
    const b = this.b;
    b.outl(R.TSD0 + 4, 0);
    b.outl(R.TSD0, CP_TALLY | 0x8);
    for (let i = 0; i < 1000 && b.inl(R.TSD0) & 0x8; i++);
    b.outl(R.TSD0, 0);
    return b.get(CP_TALLY, 64);
  }
}
