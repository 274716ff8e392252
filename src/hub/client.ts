/**
 * Network clients and their peer connection, after QEMU's NetClientState:
 * every device and backend owns a `NetClient`; two clients are peers; a frame
 * one client sends goes to its peer's receiver, or waits in the peer's
 * incoming queue when the peer cannot take it now (backpressure). The owner
 * of a client calls `flushQueue()` when it can receive again.
 *
 * Delivery into a client whose owner is in the middle of its own I/O
 * (`enterIo`/`exitIo`) is deferred to the end of that I/O, never recursive.
 */
import { NetQueue, type QueueLimits } from './queue.js';
import type { FrameOffload } from '../wire/offload.js';

export { type FrameOffload, newFrameOffload } from '../wire/offload.js';

/**
 * The receiver's verdict on a frame:
 * - `ok`: consumed (the receiver copied what it keeps; the frame is only valid during the call);
 * - `busy`: cannot take it now: the frame is queued and offered again on `flushQueue()`;
 * - `drop`: refused for good (filtered, malformed, too large).
 */
export type ReceiveResult = 'ok' | 'busy' | 'drop';

/** What a sender learns: delivered now, queued at the peer, or dropped (counted). */
export type SendResult = 'delivered' | 'queued' | 'dropped';

/**
 * Kinds of `FrameOffload` a receiver takes (`NetReceiver.offloadsTaken`), as
 * bits: a checksum left partial, a TCP GSO frame over IPv4, over IPv6.
 */
export const OFFLOAD_CSUM = 1;
export const OFFLOAD_TSO4 = 2;
export const OFFLOAD_TSO6 = 4;
export const OFFLOAD_ALL = OFFLOAD_CSUM | OFFLOAD_TSO4 | OFFLOAD_TSO6;


export interface NetReceiver {
  /** Cheap check before a frame is offered; false means "queue it for later". */
  canReceive(): boolean;
  /**
   * As `canReceive`, without its side effects (a NIC counting a frame that
   * found no buffer, asking its driver for a notification): for a sender
   * that only asks whether a frame would go in now. Absent: `canReceive`.
   */
  hasRoom?(): boolean;
  receive(frame: Uint8Array): ReceiveResult;
  /**
   * Take a frame with offload work left (`FrameOffload`) as it is: true when
   * consumed as `receive` would have; false when not taken (nothing kept,
   * nothing counted), and the sender does the work itself and sends plain
   * frames. Only receivers with this method (a user-mode stack) ever see
   * such frames.
   */
  receiveOffloaded?(frame: Uint8Array, offload: FrameOffload): boolean;
  /**
   * Which kinds of offloaded frame `receiveOffloaded` takes (`OFFLOAD_*`
   * bits; a NIC: what its driver enabled). Absent: every kind. A sender
   * asks before it builds a frame that only such a receiver can take whole.
   * `later`: asked for `peerOffloadsLater` rather than `peerOffloads` (a
   * relay passes the question on to its own peer as the one or the other).
   */
  offloadsTaken?(later: boolean): number;
  /** Told when the link state of this client or its peer changes. */
  linkChanged?(up: boolean): void;
  /**
   * Told when the peer has taken every frame that waited for it: a sender
   * that paused its source (a socket) on `queued` can resume.
   */
  drained?(): void;
}

export interface NetClientStats {
  txFrames: number;
  txBytes: number;
  rxFrames: number;
  rxBytes: number;
  /** Frames sent while this client's link was down (discarded, as QEMU does). */
  txLinkDown: number;
  /** Frames addressed to this client while its link was down. */
  rxLinkDown: number;
  /** Frames this client refused (`drop`). */
  rxRefused: number;
  /** Frames that had to wait in this client's incoming queue. */
  rxQueued: number;
  /** Frames lost because the incoming queue was full. */
  rxQueueFull: number;
  /** Frames sent while no peer was connected. */
  txNoPeer: number;
}

/** What sits behind a client: a NIC model, a backend (netdev) or a hub port. */
export type NetClientKind = 'nic' | 'backend' | 'hubport';

export interface NetClientOptions {
  kind?: NetClientKind;
  /** Bounds of the incoming queue (frames and bytes). */
  queue?: Partial<QueueLimits>;
  /** @internal Set by a hub port: see `NetForwarder`. */
  forwarder?: NetForwarder;
}

/**
 * @internal A receiver that is always ready and passes every frame on (a hub
 * port's fan-out). A frame that can go straight through is handed to
 * `forward` on a path of its own, with exactly the effects of
 * `canReceive()` returning true and `receive()` returning 'ok'. Its own
 * path, because a hub relays from one client's `send` into another's: had
 * it gone through the same `offer`/`deliver`, V8 could not inline the second
 * hop into the first (a function is not inlined into itself; measured: ~40
 * -> ~28 ns per frame through a two-port hub, device costs aside).
 */
export interface NetForwarder {
  forward(frame: Uint8Array): void;
}

function newStats(): NetClientStats {
  return { txFrames: 0, txBytes: 0, rxFrames: 0, rxBytes: 0, txLinkDown: 0, rxLinkDown: 0, rxRefused: 0, rxQueued: 0, rxQueueFull: 0, txNoPeer: 0 };
}

export type FrameObserver = (direction: 'tx' | 'rx', frame: Uint8Array) => void;

export class NetClient {
  peer: NetClient | null = null;
  readonly stats: NetClientStats = newStats();
  /** Frames that wait for this client to accept them. */
  readonly incoming: NetQueue;
  private linkIsDown = false;
  private ioDepth = 0;
  private flushing = false;
  private readonly observers: FrameObserver[] = [];
  private readonly forwarder: NetForwarder | undefined;
  readonly kind: NetClientKind;

  constructor(
    readonly name: string,
    private readonly receiver: NetReceiver,
    opts: NetClientOptions = {},
  ) {
    this.kind = opts.kind ?? 'backend';
    this.incoming = new NetQueue(opts.queue);
    this.forwarder = opts.forwarder;
  }

  /** Connect two clients as peers (each must be unconnected). */
  static connect(a: NetClient, b: NetClient): void {
    if (a === b) throw new Error(`net client ${a.name} cannot be its own peer`);
    if (a.peer || b.peer) throw new Error(`net client ${(a.peer ? a : b).name} already has a peer`);
    a.peer = b;
    b.peer = a;
  }

  /** Disconnect from the peer; frames queued for either side are dropped. */
  disconnect(): void {
    const p = this.peer;
    if (!p) return;
    p.peer = null;
    this.peer = null;
    p.incoming.purge();
    this.incoming.purge();
  }

  get linkDown(): boolean {
    return this.linkIsDown;
  }

  /**
   * QMP set_link: change this client's link state. When the peer is a NIC
   * its link follows (a backend's link going down is the NIC's cable being
   * pulled); a hub port or backend peer keeps its own state. Both ends are told.
   */
  setLinkUp(up: boolean): void {
    this.linkIsDown = !up;
    const peer = this.peer;
    if (peer && peer.kind === 'nic') peer.linkIsDown = !up;
    this.receiver.linkChanged?.(up);
    peer?.receiver.linkChanged?.(up);
  }

  /** Watch every frame sent or received (pcap, tracing). */
  observe(fn: FrameObserver): () => void {
    this.observers.push(fn);
    return () => {
      const i = this.observers.indexOf(fn);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  /** Send a frame to the peer. The frame may be reused by the caller after return. */
  send(frame: Uint8Array): SendResult {
    if (this.linkIsDown) {
      this.stats.txLinkDown++;
      return 'dropped';
    }
    const peer = this.peer;
    if (!peer) {
      this.stats.txNoPeer++;
      return 'dropped';
    }
    const stats = this.stats;
    stats.txFrames++;
    stats.txBytes += frame.length;
    if (this.observers.length !== 0) this.notify('tx', frame);
    const f = peer.forwarder;
    return f === undefined ? peer.offer(frame) : peer.offerForward(frame, f);
  }

  /**
   * Hand a frame with offload work left (`FrameOffload`) straight to the
   * peer's `receiveOffloaded`: only when the peer has one and would take a
   * frame now (connected, both links up, nothing waiting, not in its own
   * I/O), no hub port is in between, and nobody observes either client
   * (captures and traces see wire frames). True: delivered and counted as one
   * frame each side; false: nothing happened, send plain frames instead.
   */
  sendOffloaded(frame: Uint8Array, offload: FrameOffload): boolean {
    const receiver = this.readyOffloadReceiver();
    if (receiver === null) return false;
    const peer = this.peer!;
    peer.ioDepth++;
    let taken: boolean;
    try {
      taken = receiver.receiveOffloaded!(frame, offload);
    } finally {
      peer.ioDepth--;
    }
    if (!taken) return false;
    this.stats.txFrames++;
    this.stats.txBytes += frame.length;
    peer.stats.rxFrames++;
    peer.stats.rxBytes += frame.length;
    if (peer.incoming.length > 0) peer.flushQueue();
    return true;
  }

  /**
   * Whether `sendOffloaded` would hand a frame over now (the peer may still
   * decline a particular frame): for a sender that has to choose before it
   * has the whole frame.
   */
  peerTakesOffloaded(): boolean {
    return this.peerOffloads() !== 0;
  }

  /**
   * The kinds of offloaded frame (`OFFLOAD_*` bits) `sendOffloaded` would
   * hand over now; 0 when it would hand over none.
   */
  peerOffloads(): number {
    const r = this.readyOffloadReceiver();
    if (r === null) return 0;
    return r.offloadsTaken === undefined ? OFFLOAD_ALL : r.offloadsTaken(false);
  }

  /**
   * The kinds of offloaded frame the peer takes once what stands in the way
   * for the moment has passed: the peer in the middle of its own I/O, frames
   * waiting for it, no room in it right now. 0 when it takes none at all (no
   * `receiveOffloaded`, a link down, a capture, a hub of more than two ports).
   */
  peerOffloadsLater(): number {
    const r = this.offloadReceiver();
    if (r === null) return 0;
    return r.offloadsTaken === undefined ? OFFLOAD_ALL : r.offloadsTaken(true);
  }

  /**
   * The peer's receiver when offloaded frames can reach it at all: it has
   * `receiveOffloaded`, both links are up and nobody observes either client
   * (captures and traces see wire frames). A hub port passes them on only
   * in a hub of two ports (its `offloadsTaken`).
   */
  private offloadReceiver(): NetReceiver | null {
    const peer = this.peer;
    if (peer === null || this.linkIsDown || peer.linkIsDown) return null;
    if (this.observers.length !== 0 || peer.observers.length !== 0) return null;
    return peer.receiver.receiveOffloaded === undefined ? null : peer.receiver;
  }

  /** `offloadReceiver`, when it would also take a frame now: not in its own I/O, nothing waiting, room. */
  private readyOffloadReceiver(): NetReceiver | null {
    const r = this.offloadReceiver();
    if (r === null) return null;
    const peer = this.peer!;
    return peer.ioDepth === 0 && !peer.flushing && peer.incoming.length === 0 && (r.hasRoom === undefined ? r.canReceive() : r.hasRoom()) ? r : null;
  }

  /** True when a frame sent now would be taken immediately. */
  peerCanReceive(): boolean {
    const p = this.peer;
    return !!p && p.ioDepth === 0 && p.incoming.length === 0 && p.receiver.canReceive();
  }

  /** The owner is entering its own I/O (register access, DMA): deliveries wait. */
  enterIo(): void {
    this.ioDepth++;
  }

  /** The owner leaves its I/O; frames that arrived meanwhile are delivered now. */
  exitIo(): void {
    if (this.ioDepth > 0) this.ioDepth--;
    if (this.ioDepth === 0 && this.incoming.length > 0) this.flushQueue();
  }

  get inIo(): boolean {
    return this.ioDepth > 0;
  }

  /** Deliver queued frames until the receiver is busy again. Called by the owner when it can receive. */
  flushQueue(): void {
    if (this.flushing || this.ioDepth > 0) return;
    this.flushing = true;
    const had = this.incoming.length;
    try {
      for (;;) {
        const frame = this.incoming.peek();
        if (!frame) break;
        if (this.linkIsDown) {
          this.incoming.shift();
          this.stats.rxLinkDown++;
          continue;
        }
        if (!this.receiver.canReceive()) break;
        const r = this.deliver(frame);
        if (r === 'busy') break;
        this.incoming.shift();
      }
    } finally {
      this.flushing = false;
    }
    if (had > 0 && this.incoming.length === 0) this.peer?.receiver.drained?.();
  }

  /** Drop everything queued for this client (device reset). */
  purgeQueue(): void {
    this.incoming.purge();
  }

  private offer(frame: Uint8Array): SendResult {
    if (this.linkIsDown) {
      this.stats.rxLinkDown++;
      return 'dropped';
    }
    if (this.ioDepth === 0 && !this.flushing && this.incoming.length === 0 && this.receiver.canReceive()) {
      const r = this.deliver(frame);
      if (r !== 'busy') {
        // Frames that arrived while the receiver handled this one (a reply
        // from a backend, say) waited in the queue: hand them over now.
        if (this.incoming.length > 0) this.flushQueue();
        return r === 'ok' ? 'delivered' : 'dropped';
      }
      if (!this.incoming.unshift(frame)) {
        this.stats.rxQueueFull++;
        return 'dropped';
      }
      this.stats.rxQueued++;
      return 'queued';
    }
    return this.enqueue(frame);
  }

  /** `offer` + `deliver` for a forwarder (always ready, always 'ok'): the same steps, in the same order. */
  private offerForward(frame: Uint8Array, f: NetForwarder): SendResult {
    if (this.linkIsDown) {
      this.stats.rxLinkDown++;
      return 'dropped';
    }
    if (this.ioDepth !== 0 || this.flushing || this.incoming.length !== 0) return this.enqueue(frame);
    this.ioDepth++;
    try {
      f.forward(frame);
    } finally {
      this.ioDepth--;
    }
    const stats = this.stats;
    stats.rxFrames++;
    stats.rxBytes += frame.length;
    if (this.observers.length !== 0) this.notify('rx', frame);
    if (this.incoming.length > 0) this.flushQueue();
    return 'delivered';
  }

  private enqueue(frame: Uint8Array): SendResult {
    if (!this.incoming.push(frame)) {
      this.stats.rxQueueFull++;
      return 'dropped';
    }
    this.stats.rxQueued++;
    return 'queued';
  }

  private deliver(frame: Uint8Array): ReceiveResult {
    this.ioDepth++;
    let r: ReceiveResult;
    try {
      r = this.receiver.receive(frame);
    } finally {
      this.ioDepth--;
    }
    if (r === 'ok') {
      const stats = this.stats;
      stats.rxFrames++;
      stats.rxBytes += frame.length;
      if (this.observers.length !== 0) this.notify('rx', frame);
    } else if (r === 'drop') {
      this.stats.rxRefused++;
    }
    return r;
  }

  /** Tell the observers about a frame; kept out of line, since most clients have none. */
  private notify(direction: 'tx' | 'rx', frame: Uint8Array): void {
    for (const o of this.observers) o(direction, frame);
  }
}
