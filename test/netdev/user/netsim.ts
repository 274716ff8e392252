/**
 * A seeded network simulation (after smoltcp's tests/netsim.rs): the stack
 * and a guest TCP endpoint joined by a link that delays, loses, reorders,
 * duplicates and (towards the stack) corrupts frames, all on virtual time.
 */
import { NetClient } from '../../../src/hub/client.js';
import { VirtualClock, type Timer } from '../../../src/time/clock.js';
import { SeededRandom } from '../../../src/time/random.js';
import { createUserNet, type UserNet, type UserNetOptions } from '../../../src/netdev/user/index.js';
import { FakeHost, FakeStream } from './fake-host.js';
import { GUEST_IP, GuestTcp, parseFrame } from './guest.js';
import { REMOTE, pattern } from './tcp-helpers.js';

export interface FaultOptions {
  /** Probability a frame is lost. */
  loss: number;
  /** Probability a frame is delivered twice. */
  duplicate: number;
  /** Probability a frame is held back by an extra random delay (so later frames overtake it). */
  reorder: number;
  /** Probability a frame towards the stack gets one byte flipped. */
  corrupt: number;
  /** One-way latency (ns) and the extra delay of a reordered frame (ns, max). */
  latencyNs: number;
  reorderDelayNs: number;
}

interface InFlight {
  at: number;
  seq: number;
  deliver: () => void;
}

/** Frames in flight, ordered by delivery time (a binary heap). */
class FaultLink {
  private heap: InFlight[] = [];
  private seq = 0;
  private readonly timer: Timer;
  stats = { sent: 0, lost: 0, duplicated: 0, reordered: 0, corrupted: 0 };

  constructor(
    private readonly clock: VirtualClock,
    private readonly rng: SeededRandom,
    private readonly o: FaultOptions,
  ) {
    this.timer = clock.timer(() => this.fire(), 'fault link');
  }

  private chance(p: number): boolean {
    return this.rng.nextU32() / 2 ** 32 < p;
  }

  send(frame: Uint8Array, deliver: (f: Uint8Array) => void, mayCorrupt: boolean): void {
    this.stats.sent++;
    if (this.chance(this.o.loss)) {
      this.stats.lost++;
      return;
    }
    const copies = this.chance(this.o.duplicate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let c = 0; c < copies; c++) {
      let f = frame.slice();
      if (mayCorrupt && this.chance(this.o.corrupt)) {
        this.stats.corrupted++;
        const i = 14 + (this.rng.nextU32() % Math.max(1, f.length - 14));
        f[i] = f[i]! ^ (1 + (this.rng.nextU32() % 255));
      }
      let at = this.clock.now() + this.o.latencyNs;
      if (this.chance(this.o.reorder)) {
        this.stats.reordered++;
        at += 1 + (this.rng.nextU32() % this.o.reorderDelayNs);
      }
      const frozen = f;
      f = new Uint8Array(0);
      this.push({ at, seq: this.seq++, deliver: () => deliver(frozen) });
    }
  }

  private less(a: InFlight, b: InFlight): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(x: InFlight): void {
    const h = this.heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
    if (this.timer.deadline !== h[0]!.at) this.timer.arm(h[0]!.at);
  }

  private pop(): InFlight | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  private fire(): void {
    const now = this.clock.now();
    while (this.heap.length > 0 && this.heap[0]!.at <= now) this.pop()!.deliver();
    if (this.heap.length > 0) this.timer.arm(this.heap[0]!.at);
  }
}

/** The host end of the transfer: checks what the guest sends as it arrives, sources its own pattern, drains slowly. */
class HostPeer {
  received = 0;
  wrong = 0;
  sent = 0;
  constructor(
    readonly stream: FakeStream,
    private readonly expectIn: Uint8Array,
    private readonly out: Uint8Array,
  ) {}
  check(): void {
    const chunks = this.stream.written.splice(0);
    for (const c of chunks) {
      for (let i = 0; i < c.length; i++) if (c[i] !== this.expectIn[this.received + i]) this.wrong++;
      this.received += c.length;
    }
    this.stream.writtenBytes = 0;
  }
  feed(): void {
    while (!this.stream.paused && this.sent < this.out.length) {
      const n = Math.min(32 * 1024, this.out.length - this.sent);
      const chunk = this.out.subarray(this.sent, this.sent + n);
      this.sent += n;
      this.stream.send(chunk);
    }
    if (this.sent >= this.out.length && !this.stream.destroyed) this.ended ||= (this.stream.hostEnd(), true);
  }
  ended = false;
}

export interface NetsimResult {
  guestReceived: number;
  guestWrong: number;
  hostReceived: number;
  hostWrong: number;
  virtualMs: number;
  link: FaultLink['stats'];
  net: UserNet;
  closedCleanly: boolean;
  /** End-of-burst runs of the batching host (0 without `batched`). */
  bursts: number;
}

/** `batched`: the host has `soon` (`FakeHost.batch`), run after each instant of virtual time, as a real event loop would. */
export async function runNetsim(seed: number, bytes: number, faults: FaultOptions, opts: UserNetOptions = {}, maxVirtualNs = 3600e9, batched = false): Promise<NetsimResult> {
  const clock = new VirtualClock();
  const rng = new SeededRandom(seed);
  const host = new FakeHost();
  if (batched) host.batch();
  const net = await createUserNet(opts, { timers: clock, random: new SeededRandom(seed ^ 0x5eed), host });
  const link = new FaultLink(clock, rng, faults);
  let conn: GuestTcp | undefined;
  // The NIC side of the stack's client: frames to the guest cross the faulty link.
  const nic = new NetClient('sim-nic', {
    canReceive: () => true,
    receive: (frame) => {
      link.send(frame, (f) => conn?.input(parseFrame(f)), false);
      return 'ok';
    },
  }, { kind: 'nic' });
  NetClient.connect(nic, net.client);
  const toStack = (f: Uint8Array): void => link.send(f, (g) => nic.send(g), true);

  const upload = pattern(bytes, seed * 7 + 1);
  const download = pattern(bytes, seed * 13 + 5);
  let uploaded = 0;
  let peer: HostPeer | undefined;
  conn = new GuestTcp(clock, toStack, { addr: GUEST_IP, port: 45000 + (seed % 1000) }, { addr: REMOTE, port: 80 });
  const topUp = (): void => {
    if (!conn || conn.tcb.state !== 'established' && conn.tcb.state !== 'close-wait') return;
    while (uploaded < upload.length) {
      const n = conn.write(upload.subarray(uploaded, uploaded + 64 * 1024));
      if (n === 0) break;
      uploaded += n;
    }
    if (uploaded >= upload.length && !conn.tcb.finQueued) conn.close();
  };
  // Verify the download as it arrives instead of keeping it.
  let guestReceived = 0;
  let guestWrong = 0;
  const drainGuest = (): void => {
    if (!conn) return;
    for (const c of conn.received.splice(0)) {
      for (let i = 0; i < c.length; i++) if (c[i] !== download[guestReceived + i]) guestWrong++;
      guestReceived += c.length;
    }
    conn.receivedBytes = 0;
  };
  const tick = clock.timer(() => {
    if (!peer && host.streams.length > 0) {
      const s = host.streams[0]!;
      s.highWater = 512 * 1024;
      peer = new HostPeer(s, upload, download);
      const resume = s.resume.bind(s);
      s.resume = () => {
        resume();
        peer!.feed();
      };
      s.connect();
    }
    if (peer) {
      peer.check();
      // A slowish host application: takes 1 MiB per 10 ms tick.
      peer.stream.consume(1024 * 1024);
      peer.feed();
    }
    topUp();
    drainGuest();
    tick.armAfter(10e6);
  }, 'netsim tick');
  tick.armAfter(0);

  let closedCleanly = false;
  let bursts = 0;
  while (clock.now() < maxVirtualNs) {
    const d = clock.nextDeadline();
    if (d === null) break;
    clock.advanceTo(d);
    bursts += host.runSoon();
    if (peer) peer.check();
    drainGuest();
    if (peer && peer.received >= bytes && guestReceived >= bytes && conn.tcb.state === 'time-wait' || (peer && peer.received >= bytes && guestReceived >= bytes && conn.tcb.state === 'closed')) {
      closedCleanly = peer.stream.ended && !peer.stream.destroyed;
      break;
    }
  }
  tick.cancel();
  return {
    guestReceived,
    guestWrong,
    hostReceived: peer?.received ?? 0,
    hostWrong: peer?.wrong ?? 0,
    virtualMs: clock.now() / 1e6,
    link: link.stats,
    net,
    closedCleanly,
    bursts,
  };
}
