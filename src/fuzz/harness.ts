/**
 * Runs fuzz operations against one device on a PC machine and checks the
 * invariants after every operation: no exception escapes, the work an
 * operation causes is bounded (guest-memory accesses and bytes moved are
 * counted against a budget, no wall clock involved), device DMA stays inside
 * guest RAM (the only memory a device can reach), and the device state
 * survives a save → JSON → restore round trip unchanged.
 */
import { type MemOp, ObservedMemory } from '../dma/observed.js';
import type { RegisterSpot } from '../devices/nic.js';
import type { NetClient } from '../hub/client.js';
import type { DeviceContext, PciDevice } from '../machine/device.js';
import { PcMachine } from '../machine/pc.js';
import { WireEnd } from '../machine/wire.js';
import { NetClient as Client, newFrameOffload } from '../hub/client.js';
import { SeededRandom } from '../time/random.js';
import { hexToBytes, setBe16 } from '../wire/bytes.js';
import { internetChecksum } from '../wire/checksum.js';
import { type BarInfo, Dice, type FuzzOp, type FuzzRing, type GenContext, type PostedBuf, generateOp } from './ops.js';

export interface FuzzDevice extends PciDevice {
  readonly net: NetClient;
  readonly mac?: Uint8Array;
  saveState?(): unknown;
  restoreState?(saved: unknown): string | undefined;
}

export interface FuzzSubject {
  readonly name: string;
  create(ctx: DeviceContext): FuzzDevice;
  readonly registers: readonly RegisterSpot[];
  /**
   * What a driver does before the fuzzing starts (and again after every
   * reset): register writes that set the device up, and the rings it placed,
   * which the op generator then fills and kicks. Without it the device stays
   * as firmware left it, and random writes rarely get a datapath running.
   */
  bringUp?(): { ops: FuzzOp[]; rings: FuzzRing[] };
}

export interface FuzzBudget {
  /** Guest-memory accesses one operation may cause. */
  accesses: number;
  /** Bytes one operation may move between device and RAM. */
  bytes: number;
}

export const DEFAULT_BUDGET: FuzzBudget = { accesses: 2_000_000, bytes: 256 * 1024 * 1024 };

export type FailureKind = 'exception' | 'budget' | 'state';

export interface FuzzFailure {
  kind: FailureKind;
  /** Index of the failing operation. */
  at: number;
  op: FuzzOp;
  message: string;
}

export interface FuzzStats {
  ops: number;
  accesses: number;
  bytes: number;
  /** DMA attempts outside RAM, refused by guest memory (fine: the device must cope). */
  refusedDma: number;
  framesOut: number;
  /** Of those, frames handed over whole with offload work left (TSO/GSO, partial checksums). */
  framesOffloaded: number;
  /** Frames the device took with offload work left (`injectOffloaded`). */
  framesOffloadedIn: number;
  maxAccessesPerOp: number;
}

class BudgetExceeded extends Error {}

/** Counts every device access to RAM and stops an operation that exceeds its budget. */
class WorkCounter {
  accesses = 0;
  bytes = 0;
  refused = 0;
  constructor(private readonly budget: FuzzBudget) {}
  after(op: MemOp, _addr: number, len: number, failed: boolean): void {
    if (op === 'contains') return;
    this.accesses++;
    this.bytes += len;
    if (failed) this.refused++;
    if (this.accesses > this.budget.accesses || this.bytes > this.budget.bytes) {
      throw new BudgetExceeded(`operation exceeded the work budget (${this.accesses} accesses, ${this.bytes} bytes)`);
    }
  }
}

const SLOT = 2;
const MMIO_BASE = 0xfe000000;
const IO_BASE = 0xc000;

export interface HarnessOptions {
  ramSize?: number;
  budget?: FuzzBudget;
  /** Seed for the machine's randomness (MACs, ISNs); the op stream has its own. */
  seed?: number;
}

export class FuzzHarness {
  readonly machine: PcMachine;
  readonly device: FuzzDevice;
  readonly bars: BarInfo[] = [];
  readonly stats: FuzzStats = { ops: 0, accesses: 0, bytes: 0, refusedDma: 0, framesOut: 0, framesOffloaded: 0, framesOffloadedIn: 0, maxAccessesPerOp: 0 };
  private readonly offload = newFrameOffload();
  /** The device's peer also takes frames with offload work left, every other one offered (both paths run). */
  private offers = 0;
  private readonly wire = new WireEnd('fuzz-wire', { takeOffloaded: () => (this.offers++ & 1) === 0 });
  private readonly counting: WorkCounter;
  private readonly barAddr = new Map<number, { kind: 'mem' | 'io'; addr: number }>();
  private readonly ramSize: number;
  private readonly bring: { ops: FuzzOp[]; rings: FuzzRing[] } | undefined;

  constructor(
    readonly subject: FuzzSubject,
    opts: HarnessOptions = {},
  ) {
    const budget = opts.budget ?? DEFAULT_BUDGET;
    const counting = new WorkCounter(budget);
    this.ramSize = opts.ramSize ?? 4 * 1024 * 1024;
    this.machine = new PcMachine({
      ramSize: this.ramSize,
      random: new SeededRandom(opts.seed ?? 1),
      deviceMemory: (ram) => new ObservedMemory(ram, counting),
    });
    this.counting = counting;
    this.device = this.machine.addPciDevice((ctx) => subject.create(ctx), { slot: SLOT }).device;
    this.bring = subject.bringUp?.();
    Client.connect(this.device.net, this.wire.client);
    this.setup();
  }

  /** What firmware would do: size and place the BARs, enable decode and bus mastering, route INTx. */
  private setup(): void {
    const host = this.machine.pci!;
    const devfn = SLOT << 3;
    let mmio = MMIO_BASE;
    let io = IO_BASE;
    this.bars.length = 0;
    this.barAddr.clear();
    for (let i = 0; i < 6; i++) {
      const off = 0x10 + 4 * i;
      host.configWrite(devfn, off, 4, 0xffffffff);
      const probe = host.configRead(devfn, off, 4);
      if (probe === 0) continue;
      if (probe & 1) {
        const size = (~(probe & ~3) + 1) & 0xffff;
        host.configWrite(devfn, off, 4, io);
        this.barAddr.set(i, { kind: 'io', addr: io });
        this.bars.push({ index: i, size });
        io += Math.max(size, 4);
      } else {
        const size = (~(probe & ~0xf) + 1) >>> 0;
        mmio = Math.ceil(mmio / size) * size;
        host.configWrite(devfn, off, 4, mmio);
        const is64 = (probe & 6) === 4;
        if (is64) host.configWrite(devfn, off + 4, 4, 0);
        this.barAddr.set(i, { kind: 'mem', addr: mmio });
        this.bars.push({ index: i, size });
        mmio += size;
        if (is64) i++;
      }
    }
    host.configWrite(devfn, 0x04, 2, 0x0007);
    host.configWrite(8, 0x60, 4, 0x0b0b0b0b);
    for (const op of this.bring?.ops ?? []) this.execute(op);
  }

  genContext(): GenContext {
    // The rings as copies: the generator keeps its avail index in them.
    const rings = this.bring?.rings.map((r) => ({ ...r, notify: { ...r.notify } }));
    return { bars: this.bars, registers: this.subject.registers, ramSize: this.ramSize, mac: this.device.mac ?? new Uint8Array(6), ...(rings ? { rings } : {}) };
  }

  /** Execute one operation and check the invariants; a failure, or undefined. */
  step(op: FuzzOp, at: number): FuzzFailure | undefined {
    const c = this.counting;
    c.accesses = 0;
    c.bytes = 0;
    c.refused = 0;
    try {
      this.execute(op);
    } catch (e) {
      const kind: FailureKind = e instanceof BudgetExceeded ? 'budget' : 'exception';
      return { kind, at, op, message: e instanceof Error ? `${e.message}${kind === 'exception' && e.stack ? `\n${e.stack.split('\n').slice(1, 6).join('\n')}` : ''}` : String(e) };
    } finally {
      this.stats.ops++;
      this.stats.accesses += c.accesses;
      this.stats.bytes += c.bytes;
      this.stats.refusedDma += c.refused;
      if (c.accesses > this.stats.maxAccessesPerOp) this.stats.maxAccessesPerOp = c.accesses;
      while (this.wire.take()) this.stats.framesOut++;
      this.stats.framesOffloaded = this.wire.offloaded;
    }
    if (op.op === 'save-restore') return this.checkState(op, at);
    return undefined;
  }

  private checkState(op: FuzzOp, at: number): FuzzFailure | undefined {
    const d = this.device;
    if (!d.saveState || !d.restoreState) return undefined;
    try {
      const before = JSON.stringify(d.saveState());
      const err = d.restoreState(JSON.parse(before));
      if (err !== undefined) return { kind: 'state', at, op, message: `restore of its own saved state failed: ${err}` };
      const after = JSON.stringify(d.saveState());
      if (after !== before) return { kind: 'state', at, op, message: 'state after restore differs from the saved state' };
    } catch (e) {
      return { kind: 'exception', at, op, message: `save/restore threw: ${e instanceof Error ? e.message : String(e)}` };
    }
    return undefined;
  }

  /**
   * Half the TCP frames (by a bit of their own bytes, so a replay does the
   * same) go to the device as frames with offload work left, as the
   * user-mode stack sends them: headers put right so that the offload info
   * describes the frame (`checkOffload`), a partial checksum, GSO when
   * longer than a wire frame. The device's receive offload path then meets
   * whatever state the fuzzed ring is in. False: not such a frame, or not taken.
   */
  private injectOffloaded(f: Uint8Array): boolean {
    if (f.length < 54 || (f[15]! & 1) === 0) return false;
    const v4 = f[12] === 0x08 && f[13] === 0x00;
    const v6 = f[12] === 0x86 && f[13] === 0xdd;
    if (!v4 && !v6) return false;
    const l4 = v4 ? 34 : 54;
    if (f.length < l4 + 20 || f.length - 14 > 0xffff) return false;
    if (v4) {
      f[14] = 0x45;
      f[20] = 0;
      f[21] = 0;
      f[23] = 6;
      setBe16(f, 16, f.length - 14);
      setBe16(f, 24, 0);
      setBe16(f, 24, internetChecksum(f, 14, 34));
    } else {
      f[14] = 0x60;
      f[20] = 6;
      setBe16(f, 18, f.length - 54);
    }
    f[l4 + 12] = (5 + (f[l4 + 12]! & 3)) << 4;
    const o = this.offload;
    o.csumStart = l4;
    o.csumOffset = 16;
    o.gso = f.length > 1514 ? (v4 ? 'tcpv4' : 'tcpv6') : 'none';
    o.gsoSize = o.gso === 'none' ? 0 : 1 + (f[l4 + 4]! % 1460);
    if (!this.wire.injectOffloaded(f, o)) return false;
    this.stats.framesOffloadedIn++;
    return true;
  }

  /** The driver's side of a `post` op: descriptors, avail entries after the current avail.idx, the new idx, a notify. */
  private post(ring: number, bufs: readonly PostedBuf[]): void {
    const r = this.bring?.rings[ring];
    if (r === undefined) return;
    if (r.kind === 'e1000') {
      this.postE1000(r, bufs);
      return;
    }
    if (r.kind === 'rtl8139') {
      this.postRtl8139(r, bufs);
      return;
    }
    const ram = this.machine.ram;
    const idx = ram.readU16(r.avail + 2);
    if (typeof idx !== 'number') return;
    const desc = new Uint8Array(16);
    const dv = new DataView(desc.buffer);
    bufs.forEach((b, k) => {
      dv.setUint32(0, b.addr >>> 0, true);
      dv.setUint32(4, 0, true);
      dv.setUint32(8, b.len >>> 0, true);
      dv.setUint16(12, b.flags & 0xffff, true);
      dv.setUint16(14, b.next & 0xffff, true);
      ram.write(r.desc + 16 * (b.slot % r.size), desc);
      ram.writeU16(r.avail + 4 + 2 * ((idx + k) % r.size), b.slot % r.size);
    });
    ram.writeU16(r.avail + 2, (idx + bufs.length) & 0xffff);
    this.execute({ op: 'write', ...r.notify });
  }

  /** rtl8139 C mode: each buffer into the next of the four descriptors, TSAD then TSD (size; OWN and the threshold bits as posted). */
  private postRtl8139(r: FuzzRing, bufs: readonly PostedBuf[]): void {
    const b = this.barAddr.get(r.notify.bar);
    if (b === undefined) return;
    const space = b.kind === 'io' ? this.machine.io : this.machine.mem;
    for (const x of bufs) {
      const k = x.slot % 4;
      space.write(b.addr + r.notify.offset + 0x10 + 4 * k, 4, x.addr >>> 0);
      // Sane: the size alone (OWN clear starts the send); else whatever the flags byte says in the upper bits.
      space.write(b.addr + r.notify.offset + 4 * k, 4, ((x.len & 0x1fff) | ((x.flags & 0xff) << 16)) >>> 0);
    }
  }

  /** e1000: legacy descriptors from the current tail on (address, length, and the command byte of a transmit one), then the new tail. */
  private postE1000(r: FuzzRing, bufs: readonly PostedBuf[]): void {
    const b = this.barAddr.get(r.notify.bar);
    if (b === undefined || b.kind !== 'mem') return;
    const m = this.machine;
    const tail = m.mem.read(b.addr + r.notify.offset, 4) % r.size;
    const desc = new Uint8Array(16);
    const dv = new DataView(desc.buffer);
    bufs.forEach((x, k) => {
      const at = r.desc + 16 * ((tail + k) % r.size);
      if (x.raw !== undefined) {
        m.ram.write(at, hexToBytes(x.raw).subarray(0, 16));
        return;
      }
      desc.fill(0);
      dv.setUint32(0, x.addr >>> 0, true);
      if (!r.writable) {
        dv.setUint16(8, x.len & 0xffff, true);
        desc[11] = x.flags & 0xff;
      }
      m.ram.write(at, desc);
    });
    m.mem.write(b.addr + r.notify.offset, 4, (tail + bufs.length) % r.size);
  }

  private execute(op: FuzzOp): void {
    const m = this.machine;
    switch (op.op) {
      case 'read':
      case 'write': {
        const b = this.barAddr.get(op.bar);
        if (!b) return;
        const space = b.kind === 'io' ? m.io : m.mem;
        if (op.op === 'read') space.read(b.addr + op.offset, op.size);
        else space.write(b.addr + op.offset, op.size, op.value);
        return;
      }
      case 'config':
        m.pci!.configWrite(SLOT << 3, op.offset & ~(op.size - 1), op.size, op.value);
        return;
      case 'mem':
        m.ram.write(op.addr, hexToBytes(op.data));
        return;
      case 'frame': {
        const f = hexToBytes(op.data);
        if (!this.injectOffloaded(f)) this.wire.inject(f);
        return;
      }
      case 'post':
        this.post(op.ring, op.bufs);
        return;
      case 'clock':
        m.clock.advance(op.ns);
        return;
      case 'reset':
        m.reset();
        this.setup();
        return;
      case 'save-restore':
        return;
      default: {
        const never: never = op;
        return never;
      }
    }
  }
}


export interface RunOptions extends HarnessOptions {
  /** Seed of the operation stream. */
  opSeed: number;
  ops: number;
  /** Stop early when this returns true (e.g. a wall-clock limit in the CLI). */
  stop?: (done: number) => boolean;
}

export interface RunResult {
  stats: FuzzStats;
  failure?: FuzzFailure;
}

/** The operation stream for a seed (deterministic: a failure is reproduced by regenerating it). */
function* opStream(seed: number, count: number, h: FuzzHarness): Generator<FuzzOp> {
  const dice = new Dice(new SeededRandom(seed));
  const ctx = h.genContext();
  for (let i = 0; i < count; i++) yield generateOp(dice, ctx);
}

/** The first `count` operations of the stream for `seed`. */
export function opStreamOps(subject: FuzzSubject, seed: number, count: number, opts: HarnessOptions = {}): FuzzOp[] {
  return [...opStream(seed, count, new FuzzHarness(subject, opts))];
}

export function runFuzz(subject: FuzzSubject, opts: RunOptions): RunResult {
  const h = new FuzzHarness(subject, opts);
  let i = 0;
  for (const op of opStream(opts.opSeed, opts.ops, h)) {
    const f = h.step(op, i);
    if (f) return { stats: h.stats, failure: f };
    i++;
    if (opts.stop && (i & 1023) === 0 && opts.stop(i)) break;
  }
  return { stats: h.stats };
}

/** Replay a fixed list of operations on a fresh machine; the first failure, or undefined. */
export function replayOps(subject: FuzzSubject, ops: readonly FuzzOp[], opts: HarnessOptions = {}): FuzzFailure | undefined {
  const h = new FuzzHarness(subject, opts);
  for (let i = 0; i < ops.length; i++) {
    const f = h.step(ops[i]!, i);
    if (f) return f;
  }
  return undefined;
}

/**
 * Shrink a failing sequence (delta debugging: drop chunks, halving the chunk
 * size) while it still fails the same way. Bounded by `maxTries` replays.
 */
export function minimize(subject: FuzzSubject, ops: readonly FuzzOp[], kind: FailureKind, opts: HarnessOptions = {}, maxTries = 400): FuzzOp[] {
  let cur = [...ops];
  const fails = (xs: FuzzOp[]): boolean => replayOps(subject, xs, opts)?.kind === kind;
  let tries = 0;
  for (let chunk = Math.max(1, Math.floor(cur.length / 2)); chunk >= 1 && tries < maxTries; chunk = Math.floor(chunk / 2)) {
    for (let start = 0; start < cur.length && tries < maxTries; ) {
      const cand = cur.slice(0, start).concat(cur.slice(start + chunk));
      tries++;
      if (cand.length > 0 && fails(cand)) cur = cand;
      else start += chunk;
    }
  }
  return cur;
}

/** What a stored failing case looks like (test/fixtures/fuzz/*.json). */
export interface FuzzCase {
  device: string;
  opSeed: number;
  failure: { kind: FailureKind; message: string };
  ops: FuzzOp[];
}
