/**
 * A test-only e1000 guest driver, shaped like Linux's e1000 (e1000_main.c):
 * TX and RX descriptor rings in guest memory, context descriptors for
 * offloads, RX clean-up that assembles frames spanning several buffers.
 * The device is driven through its BAR handlers, guest memory is a plain
 * RegionMemory wrapped to watch every DMA access.
 */
import { RegionMemory } from '../../../src/dma/memory.js';
import { ObservedMemory, isWriteOp } from '../../../src/dma/observed.js';
import { LevelIrq } from '../../../src/irq.js';
import { NetClient } from '../../../src/hub/client.js';
import { WireEnd, type WireEndOptions } from '../../../src/machine/wire.js';
import type { DeviceContext } from '../../../src/machine/device.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { SeededRandom } from '../../../src/time/random.js';
import { E1000, E1000_82540EM, type E1000Options, type E1000Variant } from '../../../src/devices/e1000/index.js';

export const MAC = Uint8Array.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);

export const R = {
  CTRL: 0x0000, STATUS: 0x0008, EECD: 0x0010, EERD: 0x0014, CTRL_EXT: 0x0018, MDIC: 0x0020, VET: 0x0038,
  ICR: 0x00c0, ITR: 0x00c4, ICS: 0x00c8, IMS: 0x00d0, IMC: 0x00d8,
  RCTL: 0x0100, TCTL: 0x0400, TIPG: 0x0410,
  RDBAL: 0x2800, RDBAH: 0x2804, RDLEN: 0x2808, RDH: 0x2810, RDT: 0x2818, RDTR: 0x2820, RADV: 0x282c,
  TDBAL: 0x3800, TDBAH: 0x3804, TDLEN: 0x3808, TDH: 0x3810, TDT: 0x3818, TIDV: 0x3820, TADV: 0x382c,
  RXCSUM: 0x5000, MTA: 0x5200, RA: 0x5400, VFTA: 0x5600,
  CRCERRS: 0x4000, MPC: 0x4010, PRC64: 0x405c, GPRC: 0x4074, BPRC: 0x4078, MPRC: 0x407c, GPTC: 0x4080, GORCL: 0x4088, GORCH: 0x408c,
  GOTCL: 0x4090, GOTCH: 0x4094, RNBC: 0x40a0, ROC: 0x40ac, TORL: 0x40c0, TORH: 0x40c4, TOTL: 0x40c8, TOTH: 0x40cc, TPR: 0x40d0, TPT: 0x40d4,
  PTC64: 0x40d8, MPTC: 0x40f0, BPTC: 0x40f4, TSCTC: 0x40f8, TSCTFC: 0x40fc,
} as const;
export const ICR = { TXDW: 0x1, TXQE: 0x2, LSC: 0x4, RXSEQ: 0x8, RXDMT0: 0x10, RXO: 0x40, RXT0: 0x80, MDAC: 0x200 } as const;
export const RCTL = { EN: 0x2, SBP: 0x4, UPE: 0x8, MPE: 0x10, LPE: 0x20, BAM: 0x8000, VFE: 0x40000, BSEX: 0x02000000, SECRC: 0x04000000 } as const;
export const CMD = { EOP: 0x01, IFCS: 0x02, IC: 0x04, RS: 0x08, DEXT: 0x20, VLE: 0x40, IDE: 0x80 } as const;
export const CTX = { TCP: 0x01, IP: 0x02, TSE: 0x04, RS: 0x08, DEXT: 0x20, IDE: 0x80 } as const;
export const RXD = { DD: 0x01, EOP: 0x02, IXSM: 0x04, VP: 0x08, TCPCS: 0x20, IPCS: 0x40 } as const;
export const RXERR = { TCPE: 0x20, IPE: 0x40 } as const;
export const BSIZE: Record<number, number> = { 2048: 0, 1024: 1 << 16, 512: 2 << 16, 256: 3 << 16, 16384: RCTL.BSEX | (1 << 16), 8192: RCTL.BSEX | (2 << 16), 4096: RCTL.BSEX | (3 << 16) };

/** Guest memory that counts accesses and records every attempt outside RAM. */
export class WatchedMemory extends ObservedMemory {
  reads = 0;
  writes = 0;
  /** Descriptor-sized reads (16 bytes or u32 reads) inside a given window. */
  readsIn = 0;
  window: [number, number] = [0, 0];
  readonly outside: Array<{ op: string; addr: number; len: number }> = [];
  /** Called before each write; a test can make DMA "land" somewhere. */
  onWrite: ((addr: number, len: number) => void) | undefined;

  constructor(override readonly inner: RegionMemory) {
    super(inner, {
      before: (op, addr, len) => {
        if (op === 'contains') return;
        if (isWriteOp(op)) {
          this.writes++;
          if (op !== 'fill') this.onWrite?.(addr, len);
        } else {
          this.reads++;
          if (addr >= this.window[0] && addr < this.window[1]) this.readsIn++;
        }
      },
      after: (op, addr, len, failed) => {
        if (failed) this.outside.push({ op, addr, len });
      },
    });
  }
}

export const RAM_SIZE = 16 * 1024 * 1024;
export const TX_RING = 0x100000;
export const RX_RING = 0x110000;
export const TX_BUFS = 0x200000;
export const RX_BUFS = 0x400000;

export interface Bench {
  clock: VirtualClock;
  ram: RegionMemory;
  mem: WatchedMemory;
  irq: LevelIrq;
  nic: E1000;
  wire: WireEnd;
  ctx: DeviceContext;
}

/** A device on its own: RAM, a virtual clock, an INTx line, the netdev's far end. */
export function makeBench(opts: { variant?: E1000Variant; options?: Partial<E1000Options>; mac?: Uint8Array; wire?: WireEndOptions } = {}): Bench {
  const clock = new VirtualClock();
  const ram = RegionMemory.ofSize(RAM_SIZE);
  const mem = new WatchedMemory(ram);
  const irq = new LevelIrq();
  const ctx: DeviceContext = { memory: mem, clock, random: new SeededRandom(3), intx: irq, msi: () => {} };
  const nic = new E1000(ctx, opts.variant ?? E1000_82540EM, { mac: opts.mac ?? MAC, name: 'nic0' }, { rctlFlushMs: 0, ...opts.options });
  const wire = new WireEnd('wire', opts.wire);
  NetClient.connect(nic.net, wire.client);
  // PCI: memory decoding and bus mastering on (the BARs are driven directly).
  nic.pci.configWrite(0x04, 2, 0x0007);
  return { clock, ram, mem, irq, nic, wire, ctx };
}

/** Linux-like guest driver over a Bench. */
export class Driver {
  txCount: number;
  rxCount: number;
  bufSize: number;
  txTail = 0;
  txClean = 0;
  rxNext = 0;
  private txBufNext = TX_BUFS;

  constructor(
    readonly b: Bench,
    opts: { txCount?: number; rxCount?: number; bufSize?: number } = {},
  ) {
    this.txCount = opts.txCount ?? 64;
    this.rxCount = opts.rxCount ?? 64;
    this.bufSize = opts.bufSize ?? 2048;
  }

  r(off: number): number {
    return this.b.nic.bar(0)!.read(off, 4) >>> 0;
  }
  w(off: number, v: number): void {
    this.b.nic.bar(0)!.write(off, 4, v >>> 0);
  }
  poke(addr: number, data: Uint8Array): void {
    if (this.b.ram.write(addr, data)) throw new Error(`poke outside RAM at 0x${addr.toString(16)}`);
  }
  peek(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    if (this.b.ram.read(addr, out)) throw new Error(`peek outside RAM at 0x${addr.toString(16)}`);
    return out;
  }
  u32(addr: number): number {
    const v = this.b.ram.readU32(addr);
    if (typeof v !== 'number') throw new Error('u32 outside RAM');
    return v;
  }

  /** e1000_configure_tx: ring, TIPG, TCTL.EN|PSP. */
  initTx(tctlExtra = 0): void {
    this.b.ram.fill(TX_RING, this.txCount * 16, 0);
    this.w(R.TDBAL, TX_RING);
    this.w(R.TDBAH, 0);
    this.w(R.TDLEN, this.txCount * 16);
    this.w(R.TDH, 0);
    this.w(R.TDT, 0);
    this.txTail = 0;
    this.txClean = 0;
    this.w(R.TIPG, 0x0060200a);
    this.w(R.TCTL, 0x0004010a | tctlExtra);
  }

  /** e1000_configure_rx + alloc_rx_buffers: every buffer handed out but one. */
  initRx(rctl: number = RCTL.EN | RCTL.BAM | RCTL.SECRC, fill = this.rxCount - 1): void {
    this.b.ram.fill(RX_RING, this.rxCount * 16, 0);
    for (let i = 0; i < this.rxCount; i++) this.writeRxDesc(i, RX_BUFS + i * this.bufSize);
    this.w(R.RDBAL, RX_RING);
    this.w(R.RDBAH, 0);
    this.w(R.RDLEN, this.rxCount * 16);
    this.w(R.RDH, 0);
    this.w(R.RDT, fill);
    this.rxNext = 0;
    this.w(R.RCTL, rctl | (BSIZE[this.bufSize] ?? 0));
  }

  writeRxDesc(i: number, addr: number): void {
    const d = new Uint8Array(16);
    new DataView(d.buffer).setBigUint64(0, BigInt(addr), true);
    this.poke(RX_RING + 16 * i, d);
  }

  /** Copy bytes to a fresh TX buffer; returns its address. */
  txBuffer(data: Uint8Array): number {
    const at = this.txBufNext;
    this.poke(at, data);
    this.txBufNext += (data.length + 0xff) & ~0xff;
    if (this.txBufNext > TX_BUFS + 0x100000) this.txBufNext = TX_BUFS;
    return at;
  }

  putTx(desc: Uint8Array): number {
    const i = this.txTail;
    this.poke(TX_RING + 16 * i, desc);
    this.txTail = (this.txTail + 1) % this.txCount;
    return i;
  }

  kick(): void {
    this.w(R.TDT, this.txTail);
  }

  /** A whole frame in one legacy descriptor. */
  sendLegacy(frame: Uint8Array, cmd: number = CMD.IFCS | CMD.EOP | CMD.RS, special = 0): number {
    const i = this.putTx(legacyDesc(this.txBuffer(frame), frame.length, cmd, { special }));
    this.kick();
    return i;
  }

  txDone(i: number): boolean {
    return (this.peek(TX_RING + 16 * i + 12, 1)[0]! & 1) === 1;
  }

  /**
   * e1000_clean_rx_irq: collect complete frames (DD and EOP), joining
   * buffers of frames that span descriptors; gives the buffers back
   * (RDT). Lengths exclude the FCS when SECRC is clear, as Linux does.
   */
  receive(opts: { refill?: boolean } = {}): RxFrame[] {
    const out: RxFrame[] = [];
    const secrc = (this.r(R.RCTL) & RCTL.SECRC) !== 0;
    let parts: Uint8Array[] = [];
    let descs = 0;
    let cleaned = 0;
    for (let n = 0; n < this.rxCount; n++) {
      const i = this.rxNext;
      const at = RX_RING + 16 * i;
      const d = this.peek(at, 16);
      const status = d[12]!;
      if (!(status & RXD.DD)) break;
      const len = d[8]! | (d[9]! << 8);
      const addr = Number(new DataView(d.buffer).getBigUint64(0, true));
      if (addr !== 0) parts.push(this.peek(addr, Math.min(len, this.bufSize)));
      descs++;
      cleaned++;
      this.rxNext = (i + 1) % this.rxCount;
      // Clear status for the next round (Linux: rx_desc->status = 0).
      this.poke(at + 8, new Uint8Array(8));
      if (status & RXD.EOP) {
        let total = parts.reduce((s, p) => s + p.length, 0);
        const buf = new Uint8Array(total);
        let o = 0;
        for (const p of parts) {
          buf.set(p, o);
          o += p.length;
        }
        if (!secrc) total -= 4;
        out.push({ data: buf.subarray(0, Math.max(0, total)), status, errors: d[13]!, special: d[14]! | (d[15]! << 8), csum: d[10]! | (d[11]! << 8), descs, rawLength: len });
        parts = [];
        descs = 0;
      }
    }
    if (cleaned && opts.refill !== false) {
      // Hand the cleaned descriptors back: RDT = one before the next to clean.
      this.w(R.RDT, (this.rxNext + this.rxCount - 1) % this.rxCount);
    }
    return out;
  }
}

export interface RxFrame {
  data: Uint8Array;
  status: number;
  errors: number;
  special: number;
  csum: number;
  descs: number;
  rawLength: number;
}

// ---------------------------------------------------------------- descriptors

export function legacyDesc(addr: number, len: number, cmd: number, f: { cso?: number; css?: number; special?: number } = {}): Uint8Array {
  const d = new Uint8Array(16);
  const v = new DataView(d.buffer);
  v.setBigUint64(0, BigInt(addr), true);
  v.setUint16(8, len, true);
  d[10] = f.cso ?? 0;
  d[11] = cmd;
  d[13] = f.css ?? 0;
  v.setUint16(14, f.special ?? 0, true);
  return d;
}

export interface ContextFields {
  ipcss?: number;
  ipcso?: number;
  ipcse?: number;
  tucss?: number;
  tucso?: number;
  tucse?: number;
  paylen?: number;
  cmd?: number;
  hdrLen?: number;
  mss?: number;
}

export function contextDesc(c: ContextFields): Uint8Array {
  const d = new Uint8Array(16);
  const v = new DataView(d.buffer);
  d[0] = c.ipcss ?? 0;
  d[1] = c.ipcso ?? 0;
  v.setUint16(2, c.ipcse ?? 0, true);
  d[4] = c.tucss ?? 0;
  d[5] = c.tucso ?? 0;
  v.setUint16(6, c.tucse ?? 0, true);
  v.setUint32(8, ((c.paylen ?? 0) & 0xfffff) | ((((c.cmd ?? 0) | CTX.DEXT) & 0xff) << 24), true);
  d[13] = c.hdrLen ?? 0;
  v.setUint16(14, c.mss ?? 0, true);
  return d;
}

export function dataDesc(addr: number, len: number, f: { eop?: boolean; rs?: boolean; tse?: boolean; popts?: number; vle?: boolean; ide?: boolean; special?: number } = {}): Uint8Array {
  const d = new Uint8Array(16);
  const v = new DataView(d.buffer);
  v.setBigUint64(0, BigInt(addr), true);
  const dcmd = CMD.DEXT | CMD.IFCS | (f.eop ? CMD.EOP : 0) | (f.rs === false ? 0 : CMD.RS) | (f.tse ? 0x04 : 0) | (f.vle ? CMD.VLE : 0) | (f.ide ? CMD.IDE : 0);
  v.setUint32(8, ((len & 0xfffff) | (1 << 20) | (dcmd << 24)) >>> 0, true);
  d[13] = f.popts ?? 0;
  v.setUint16(14, f.special ?? 0, true);
  return d;
}
