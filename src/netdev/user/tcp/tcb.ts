/**
 * The TCP engine: a transmission control block as plain data and the
 * functions over it (RFC 9293 §3.10 event processing). It knows nothing of
 * addresses or hosts: segments come in as `SegmentIn`, go out through an
 * emitter as `SegmentOut` whose payload the owner copies from `sndBuf`, and
 * what the owner must act on is left in `events`.
 *
 * Implemented: three-way handshake (active, passive, simultaneous), MSS
 * (RFC 9293 §3.7.1), window scaling (RFC 7323 §2), sliding window with
 * zero-window probing (persist timer), RTO per RFC 6298 with Karn's rule
 * and exponential backoff, slow start / congestion avoidance / fast
 * retransmit and NewReno fast recovery (RFC 5681, RFC 6582), delayed ACKs
 * (RFC 1122 §4.2.3.2; optionally one ACK per burst of input, see
 * `coalesceAcks`), receiver SWS avoidance, out-of-order queueing,
 * FIN/half-close, RST with RFC 5961 challenge ACKs, TIME-WAIT, and segments
 * larger than the MSS on output for a link that segments them (`gsoMaxSize`).
 * No SACK and no timestamps: options other than MSS and window scale are ignored.
 */
import { ByteRing } from '../ring.js';
import { type TcpState, type TcpTransition, canReceiveData, isSynchronized, nextState } from './state.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax } from './seq.js';

export const TCP_FLAG_FIN = 0x01;
export const TCP_FLAG_SYN = 0x02;
export const TCP_FLAG_RST = 0x04;
export const TCP_FLAG_PSH = 0x08;
export const TCP_FLAG_ACK = 0x10;

const MS = 1e6;
export const TCP_INITIAL_RTO_NS = 1000 * MS;
export const TCP_MIN_RTO_NS = 200 * MS;
export const TCP_MAX_RTO_NS = 60_000 * MS;
export const TCP_DELAYED_ACK_NS = 40 * MS;
/** libslirp's MSL is 5 s; TIME-WAIT lasts 2 MSL. */
export const TCP_MSL_NS = 5000 * MS;
export const TCP_MAX_DATA_RETRIES = 12;
export const TCP_MAX_SYN_RETRIES = 6;
/** RFC 9293 §3.7.1: the MSS to assume when the peer sends none. */
export const TCP_DEFAULT_MSS_V4 = 536;
export const TCP_DEFAULT_MSS_V6 = 1220;
/** Out-of-order segments kept at once. */
export const TCP_MAX_OOO_SEGMENTS = 64;
/** Largest window-scale shift (RFC 7323 §2.3). */
export const TCP_MAX_WSCALE = 14;

/** What the owner of a TCB must react to after an engine call (bit flags, cleared by the owner). */
export const TcpEvents = {
  ESTABLISHED: 1,
  /** New in-order bytes in `rcvBuf`. */
  READABLE: 2,
  /** The peer's FIN arrived (after all its data). */
  PEER_FIN: 4,
  /** Bytes of `sndBuf` were acknowledged: room for more. */
  SEND_SPACE: 8,
  /** The peer reset the connection. */
  RESET: 16,
  /** The connection reached CLOSED normally. */
  CLOSED: 32,
  /** Retransmissions ran out; a RST was sent. */
  TIMEOUT: 64,
  /** A segment was retransmitted (for counters). */
  RETRANSMIT: 128,
  FAST_RETRANSMIT: 256,
  CHALLENGE_ACK: 512,
} as const;

export interface TcpParams {
  /** MSS we announce (MTU − IP − TCP headers). */
  mss: number;
  /** Default MSS for the peer when its SYN has none. */
  defaultPeerMss: number;
  sndBufSize: number;
  rcvBufSize: number;
  /** Offer / accept window scaling. */
  windowScaling: boolean;
  /**
   * Acknowledge in-order data once per burst: the owner calls `tcpBurstEnd`
   * after the segments it hands over together (a NIC's TX batch, one turn of
   * the event loop), instead of an ACK for every second full-sized segment.
   * Receive offload (LRO/GRO) does the same; out-of-order data, holes filled,
   * window updates and duplicates are still acknowledged at once (RFC 5681 §4.2).
   */
  coalesceAcks?: boolean;
  /**
   * Send segments of up to this many bytes of payload (a multiple of the MSS)
   * to a link that cuts them into MSS-sized ones: TCP segmentation offload as
   * a guest with a TSO-capable NIC does. Congestion control still counts in MSS.
   */
  gsoMaxSize?: number;
}

interface OooSegment {
  seq: number;
  data: Uint8Array;
}

export interface Tcb {
  state: TcpState;
  params: TcpParams;
  iss: number;
  sndUna: number;
  sndNxt: number;
  /** One past the highest sequence number ever sent. */
  sndMax: number;
  /** Peer's window in bytes (already scaled). */
  sndWnd: number;
  sndWl1: number;
  sndWl2: number;
  sndMss: number;
  /** Shift applied to windows the peer sends (its scale). */
  sndShift: number;
  /** Shift applied to windows we send (our scale). */
  rcvShift: number;
  /** Scale we offer in our SYN. */
  offeredShift: number;
  /** Bytes the application gave us, from `bufSeq` on: unacknowledged and unsent. */
  sndBuf: ByteRing;
  bufSeq: number;
  /** The application closed its side: FIN follows the buffered data. */
  finQueued: boolean;
  irs: number;
  rcvNxt: number;
  /** Right edge of the window we advertised last (never moved left). */
  rcvAdv: number;
  /** In-order bytes not yet taken by the application. */
  rcvBuf: ByteRing;
  ooo: OooSegment[];
  oooBytes: number;
  /** Sequence of a FIN seen beyond a hole, applied when the hole fills; -1 none. */
  oooFin: number;
  peerFin: boolean;
  rto: number;
  srtt: number;
  rttvar: number;
  rttSeq: number;
  rttAt: number;
  retries: number;
  cwnd: number;
  ssthresh: number;
  dupAcks: number;
  recover: number;
  inRecovery: boolean;
  /** Deadlines in ns, −1 when off. */
  rtoAt: number;
  persistAt: number;
  persistBackoff: number;
  ackAt: number;
  timeWaitAt: number;
  ackNow: boolean;
  /** Full-sized segments' worth of in-order data received since our last ACK. */
  unackedSegments: number;
  events: number;
}

export interface SegmentIn {
  seq: number;
  ack: number;
  flags: number;
  /** The raw 16-bit window field. */
  window: number;
  payload: Uint8Array;
  /** From a SYN's options. */
  mss?: number;
  wscale?: number;
}

export interface SegmentOut {
  seq: number;
  ack: number;
  flags: number;
  /** The 16-bit window field to send. */
  window: number;
  /** MSS / window-scale options (SYN segments only). */
  mss?: number;
  wscale?: number;
  /** Payload: `len` bytes of `sndBuf` from `bufOffset`. */
  bufOffset: number;
  len: number;
}

export type TcpEmitter = (tcb: Tcb, seg: SegmentOut) => void;

function shiftFor(bufSize: number): number {
  let s = 0;
  while (s < TCP_MAX_WSCALE && 0xffff * 2 ** s < bufSize) s++;
  return s;
}

function newTcb(params: TcpParams, iss: number): Tcb {
  return {
    state: 'closed',
    params,
    iss,
    sndUna: iss,
    sndNxt: iss,
    sndMax: iss,
    sndWnd: 0,
    sndWl1: 0,
    sndWl2: 0,
    sndMss: params.defaultPeerMss,
    sndShift: 0,
    rcvShift: 0,
    offeredShift: params.windowScaling ? shiftFor(params.rcvBufSize) : 0,
    sndBuf: new ByteRing(params.sndBufSize),
    bufSeq: seqAdd(iss, 1),
    finQueued: false,
    irs: 0,
    rcvNxt: 0,
    rcvAdv: 0,
    rcvBuf: new ByteRing(params.rcvBufSize),
    ooo: [],
    oooBytes: 0,
    oooFin: -1,
    peerFin: false,
    rto: TCP_INITIAL_RTO_NS,
    srtt: -1,
    rttvar: 0,
    rttSeq: 0,
    rttAt: -1,
    retries: 0,
    cwnd: 0,
    ssthresh: 0x7fffffff,
    dupAcks: 0,
    recover: iss,
    inRecovery: false,
    rtoAt: -1,
    persistAt: -1,
    persistBackoff: 0,
    ackAt: -1,
    timeWaitAt: -1,
    ackNow: false,
    unackedSegments: 0,
    events: 0,
  };
}

/** Move along the transition table; a missing edge leaves the state alone and reports false. */
export function transition(t: Tcb, how: TcpTransition): boolean {
  const next = nextState(t.state, how);
  if (next === undefined) return false;
  t.state = next;
  return true;
}

/** Active open: a TCB in SYN-SENT whose SYN goes out on the next `tcpOutput`. */
export function tcbConnect(params: TcpParams, iss: number, now: number): Tcb {
  const t = newTcb(params, iss);
  transition(t, 'open-active');
  return t;
}

/** Passive open on a received SYN: a TCB in SYN-RECEIVED whose SYN-ACK goes out on the next `tcpOutput`. */
export function tcbAccept(params: TcpParams, iss: number, syn: SegmentIn, now: number): Tcb {
  const t = newTcb(params, iss);
  transition(t, 'open-passive');
  t.irs = syn.seq;
  t.rcvNxt = seqAdd(syn.seq, 1);
  t.rcvAdv = t.rcvNxt;
  applySynOptions(t, syn, true);
  t.sndWnd = syn.window;
  t.sndWl1 = syn.seq;
  t.sndWl2 = iss;
  return t;
}

function applySynOptions(t: Tcb, syn: SegmentIn, weOfferIfTheyDo: boolean): void {
  const peerMss = syn.mss ?? t.params.defaultPeerMss;
  t.sndMss = Math.max(64, Math.min(t.params.mss, peerMss));
  if (syn.wscale !== undefined && t.params.windowScaling && (weOfferIfTheyDo || t.offeredShift >= 0)) {
    t.sndShift = Math.min(TCP_MAX_WSCALE, syn.wscale);
    t.rcvShift = t.offeredShift;
  } else {
    t.sndShift = 0;
    t.rcvShift = 0;
    t.offeredShift = 0;
  }
  // RFC 6928 initial window.
  t.cwnd = Math.min(10 * t.sndMss, Math.max(2 * t.sndMss, 14600));
}

/** Queue bytes for the peer; returns how many fit. Refused after close. */
export function tcpSend(t: Tcb, data: Uint8Array): number {
  if (t.finQueued || t.state === 'closed' || t.state === 'time-wait') return 0;
  return t.sndBuf.push(data);
}

/** The application is done sending: FIN after the buffered data. */
export function tcpClose(t: Tcb): void {
  if (t.finQueued) return;
  t.finQueued = true;
  if (t.state === 'established' || t.state === 'close-wait') transition(t, 'close');
  else if (t.state === 'syn-sent') {
    transition(t, 'close');
    t.events |= TcpEvents.CLOSED;
  }
  // In SYN-RECEIVED the close is applied on reaching ESTABLISHED (RFC 9293 §3.10.4).
}

/** Abort: RST to the peer (when synchronized) and CLOSED. */
export function tcpAbort(t: Tcb, emit: TcpEmitter): void {
  if (t.state === 'closed') return;
  if (t.state !== 'syn-sent' && t.state !== 'time-wait') {
    emit(t, { seq: t.sndNxt, ack: t.rcvNxt, flags: TCP_FLAG_RST | TCP_FLAG_ACK, window: 0, bufOffset: 0, len: 0 });
  }
  transition(t, 'reset');
  stopTimers(t);
}

function stopTimers(t: Tcb): void {
  t.rtoAt = -1;
  t.persistAt = -1;
  t.ackAt = -1;
  t.timeWaitAt = -1;
}

/** The application took bytes out of `rcvBuf`: send a window update when it opened enough (RFC 1122 §4.2.3.3). */
export function tcpWindowUpdate(t: Tcb): void {
  if (!isSynchronized(t.state) || t.peerFin) return;
  const edge = seqAdd(t.rcvNxt, t.rcvBuf.free);
  const gain = seqDiff(edge, t.rcvAdv);
  if (gain <= 0) return;
  const wasZero = seqLe(t.rcvAdv, t.rcvNxt);
  if (wasZero || gain >= Math.min(t.params.rcvBufSize / 2, t.sndMss * 2)) t.ackNow = true;
}

/** The window field to put in a segment, and the advertised edge it implies. */
function windowField(t: Tcb, syn: boolean): number {
  const free = t.rcvBuf.free;
  if (syn) {
    const w = Math.min(0xffff, free);
    t.rcvAdv = seqMax(t.rcvAdv, seqAdd(t.rcvNxt, w));
    return w;
  }
  // Shifts of at most 14 (RFC 7323 §2.3) keep 0xffff << shift within 31 bits.
  const field = Math.min(0xffff, free >>> t.rcvShift);
  const edge = seqAdd(t.rcvNxt, field << t.rcvShift);
  if (seqGt(edge, t.rcvAdv)) t.rcvAdv = edge;
  return field;
}

/** The earliest pending deadline (ns), or −1. */
export function tcpNextDeadline(t: Tcb): number {
  let d = t.rtoAt;
  if (t.persistAt >= 0 && (d < 0 || t.persistAt < d)) d = t.persistAt;
  if (t.ackAt >= 0 && (d < 0 || t.ackAt < d)) d = t.ackAt;
  if (t.timeWaitAt >= 0 && (d < 0 || t.timeWaitAt < d)) d = t.timeWaitAt;
  return d;
}

function updateRtt(t: Tcb, sample: number): void {
  const r = Math.max(0, sample);
  if (t.srtt < 0) {
    t.srtt = r;
    t.rttvar = r / 2;
  } else {
    t.rttvar = 0.75 * t.rttvar + 0.25 * Math.abs(t.srtt - r);
    t.srtt = 0.875 * t.srtt + 0.125 * r;
  }
  // Whole nanoseconds: deadlines derived from it must match clocks that count in whole units.
  t.rto = Math.round(Math.min(TCP_MAX_RTO_NS, Math.max(TCP_MIN_RTO_NS, t.srtt + Math.max(1 * MS, 4 * t.rttvar))));
}

function dataEnd(t: Tcb): number {
  return seqAdd(t.bufSeq, t.sndBuf.length);
}

function flight(t: Tcb): number {
  return seqDiff(t.sndNxt, t.sndUna);
}

/** Process one incoming segment (RFC 9293 §3.10.7). Replies and data go out on the next `tcpOutput`. */
export function tcpInput(t: Tcb, seg: SegmentIn, now: number, emit: TcpEmitter): void {
  const { flags } = seg;
  const rst = (flags & TCP_FLAG_RST) !== 0;
  const syn = (flags & TCP_FLAG_SYN) !== 0;
  const ackf = (flags & TCP_FLAG_ACK) !== 0;
  const fin = (flags & TCP_FLAG_FIN) !== 0;
  switch (t.state) {
    case 'closed':
      return;
    case 'syn-sent': {
      if (ackf && (seqLe(seg.ack, t.iss) || seqGt(seg.ack, t.sndMax))) {
        if (!rst) emit(t, { seq: seg.ack, ack: 0, flags: TCP_FLAG_RST, window: 0, bufOffset: 0, len: 0 });
        return;
      }
      if (rst) {
        if (ackf) {
          transition(t, 'reset');
          stopTimers(t);
          t.events |= TcpEvents.RESET;
        }
        return;
      }
      if (!syn) return;
      t.irs = seg.seq;
      t.rcvNxt = seqAdd(seg.seq, 1);
      t.rcvAdv = t.rcvNxt;
      applySynOptions(t, seg, false);
      t.sndWnd = seg.window;
      t.sndWl1 = seg.seq;
      t.sndWl2 = seg.ack;
      if (ackf) {
        t.sndUna = seg.ack;
        if (t.rttAt >= 0 && t.retries === 0) updateRtt(t, now - t.rttAt);
        t.rttAt = -1;
        t.retries = 0;
        t.rtoAt = -1;
        transition(t, 'rcv-syn-ack');
        t.events |= TcpEvents.ESTABLISHED;
        t.ackNow = true;
        if (t.finQueued) transition(t, 'close');
      } else {
        transition(t, 'rcv-syn');
        t.sndNxt = t.iss; // answer with SYN-ACK
      }
      return;
    }
    default:
      break;
  }

  // SYN-RECEIVED and the synchronized states.
  if (t.state === 'syn-received' && syn && !ackf && !rst && seg.seq === t.irs) {
    t.sndNxt = t.iss; // a retransmitted SYN: send the SYN-ACK again
    return;
  }
  const segLen = seg.payload.length + (syn ? 1 : 0) + (fin ? 1 : 0);
  const wnd = Math.max(0, seqDiff(t.rcvAdv, t.rcvNxt));
  let acceptable: boolean;
  if (segLen === 0) acceptable = wnd === 0 ? seg.seq === t.rcvNxt : seqLe(t.rcvNxt, seg.seq) && seqLt(seg.seq, seqAdd(t.rcvNxt, wnd)) || seg.seq === t.rcvNxt;
  else if (wnd === 0) acceptable = false;
  else {
    const last = seqAdd(seg.seq, segLen - 1);
    const end = seqAdd(t.rcvNxt, wnd);
    acceptable = (seqLe(t.rcvNxt, seg.seq) && seqLt(seg.seq, end)) || (seqLe(t.rcvNxt, last) && seqLt(last, end));
  }
  if (!acceptable) {
    // Old duplicates, keep-alive probes, zero-window probes: answer with an ACK (RFC 9293 §3.10.7.4).
    if (!rst) t.ackNow = true;
    // A FIN retransmitted in TIME-WAIT restarts the 2 MSL wait.
    if (t.state === 'time-wait' && fin) t.timeWaitAt = now + 2 * TCP_MSL_NS;
    return;
  }
  if (rst) {
    // RFC 5961 §3.2: only an exact match resets; others get a challenge ACK.
    if (seg.seq === t.rcvNxt) {
      if (transition(t, 'reset')) {
        stopTimers(t);
        t.events |= TcpEvents.RESET;
      }
    } else {
      t.ackNow = true;
      t.events |= TcpEvents.CHALLENGE_ACK;
    }
    return;
  }
  if (syn) {
    // RFC 5961 §4.2: a SYN in a synchronized state gets a challenge ACK.
    t.ackNow = true;
    t.events |= TcpEvents.CHALLENGE_ACK;
    return;
  }
  if (!ackf) return;

  if (t.state === 'syn-received') {
    if (seqLt(t.sndUna, seg.ack) && seqLe(seg.ack, t.sndMax)) {
      transition(t, 'rcv-ack-of-syn');
      t.events |= TcpEvents.ESTABLISHED;
      t.sndWnd = seg.window << t.sndShift;
      t.sndWl1 = seg.seq;
      t.sndWl2 = seg.ack;
      if (t.finQueued) transition(t, 'close');
    } else {
      emit(t, { seq: seg.ack, ack: 0, flags: TCP_FLAG_RST, window: 0, bufOffset: 0, len: 0 });
      return;
    }
  }

  if (!processAck(t, seg, now, emit)) return;
  if ((t.state as TcpState) === 'closed') return;

  // Segment text (RFC 9293 §3.10.7.4, seventh).
  if (seg.payload.length > 0 && canReceiveData(t.state)) receiveData(t, seg.seq, seg.payload, now);

  if (fin) {
    const finSeq = seqAdd(seg.seq, seg.payload.length);
    if (finSeq === t.rcvNxt) applyFin(t, now);
    else if (seqGt(finSeq, t.rcvNxt)) {
      t.oooFin = finSeq;
      t.ackNow = true;
    }
  }
}

/** ACK processing; false when the segment must be dropped. */
function processAck(t: Tcb, seg: SegmentIn, now: number, emit: TcpEmitter): boolean {
  const ack = seg.ack;
  if (seqGt(ack, t.sndMax)) {
    t.ackNow = true;
    return false;
  }
  const finSent = t.finQueued && seqGt(t.sndMax, dataEnd(t));
  const newWindow = seg.window << t.sndShift;
  if (seqLe(ack, t.sndUna)) {
    // RFC 5681 §2 duplicate ACK: no data, same window, data outstanding.
    if (ack === t.sndUna && seg.payload.length === 0 && (seg.flags & TCP_FLAG_FIN) === 0 && newWindow === t.sndWnd && seqGt(t.sndMax, t.sndUna)) {
      t.dupAcks++;
      if (t.dupAcks === 3 && !t.inRecovery) {
        // Fast retransmit and NewReno recovery (RFC 6582 §3.2).
        const fl = seqDiff(t.sndMax, t.sndUna);
        t.ssthresh = Math.max(Math.floor(fl / 2), 2 * t.sndMss);
        t.recover = t.sndMax;
        t.inRecovery = true;
        retransmitFirst(t, now, emit);
        t.cwnd = t.ssthresh + 3 * t.sndMss;
        t.events |= TcpEvents.FAST_RETRANSMIT;
      } else if (t.dupAcks > 3 && t.inRecovery) t.cwnd += t.sndMss;
    }
  } else {
    const acked = seqDiff(ack, t.sndUna);
    // Bytes of the buffer this ACK covers (the SYN and FIN take sequence space but no buffer).
    const n = Math.max(0, Math.min(t.sndBuf.length, seqDiff(ack, t.bufSeq)));
    if (n > 0) {
      t.sndBuf.consume(n);
      t.bufSeq = seqAdd(t.bufSeq, n);
      t.events |= TcpEvents.SEND_SPACE;
    }
    if (t.rttAt >= 0 && seqGe(ack, t.rttSeq)) {
      updateRtt(t, now - t.rttAt);
      t.rttAt = -1;
    }
    t.retries = 0;
    if (t.inRecovery) {
      if (seqGe(ack, t.recover)) {
        t.inRecovery = false;
        t.cwnd = Math.min(t.ssthresh, Math.max(seqDiff(t.sndMax, ack), 0) + t.sndMss);
      } else {
        // Partial ACK: retransmit the next hole, deflate.
        t.sndUna = ack;
        retransmitFirst(t, now, emit);
        t.cwnd = Math.max(t.sndMss, t.cwnd - acked + t.sndMss);
      }
    } else if (t.cwnd < t.ssthresh) t.cwnd += Math.min(acked, t.sndMss);
    else t.cwnd += Math.max(1, Math.floor((t.sndMss * t.sndMss) / t.cwnd));
    t.dupAcks = 0;
    t.sndUna = ack;
    if (seqLt(t.sndNxt, t.sndUna)) t.sndNxt = t.sndUna;
    t.rtoAt = t.sndUna === t.sndMax ? -1 : now + t.rto;
  }
  // Window update (RFC 9293 §3.10.7.4).
  if (seqLt(t.sndWl1, seg.seq) || (t.sndWl1 === seg.seq && seqLe(t.sndWl2, ack))) {
    if (t.sndWnd === 0 && newWindow > 0) {
      t.persistAt = -1;
      t.persistBackoff = 0;
    }
    t.sndWnd = newWindow;
    t.sndWl1 = seg.seq;
    t.sndWl2 = ack;
  }
  const finAcked = finSent && ack === t.sndMax && seqGt(t.sndMax, dataEnd(t));
  switch (t.state) {
    case 'fin-wait-1':
      if (finAcked) transition(t, 'rcv-ack-of-fin');
      break;
    case 'closing':
      if (finAcked) {
        transition(t, 'rcv-ack-of-fin');
        enterTimeWait(t, now);
      }
      break;
    case 'last-ack':
      if (finAcked) {
        transition(t, 'rcv-ack-of-fin');
        stopTimers(t);
        t.events |= TcpEvents.CLOSED;
        return false;
      }
      break;
    default:
      break;
  }
  return true;
}

function enterTimeWait(t: Tcb, now: number): void {
  t.rtoAt = -1;
  t.persistAt = -1;
  t.timeWaitAt = now + 2 * TCP_MSL_NS;
}

function applyFin(t: Tcb, now: number): void {
  t.rcvNxt = seqAdd(t.rcvNxt, 1);
  t.oooFin = -1;
  t.peerFin = true;
  t.ackNow = true;
  t.events |= TcpEvents.PEER_FIN;
  if (t.state === 'fin-wait-1') {
    const finAcked = t.finQueued && t.sndUna === t.sndMax && seqGt(t.sndMax, dataEnd(t));
    if (finAcked) {
      transition(t, 'rcv-ack-of-fin');
      transition(t, 'rcv-fin');
      enterTimeWait(t, now);
    } else transition(t, 'rcv-fin');
  } else if (t.state === 'fin-wait-2') {
    transition(t, 'rcv-fin');
    enterTimeWait(t, now);
  } else transition(t, 'rcv-fin');
}

function receiveData(t: Tcb, seq: number, payload: Uint8Array, now: number): void {
  let data = payload;
  let s = seq;
  // Trim what we already have.
  const dup = seqDiff(t.rcvNxt, s);
  if (dup > 0) {
    if (dup >= data.length) {
      t.ackNow = true;
      return;
    }
    data = data.subarray(dup);
    s = t.rcvNxt;
  }
  // Trim what does not fit the buffer (beyond the window).
  const room = t.rcvBuf.free - Math.max(0, seqDiff(s, t.rcvNxt));
  if (room <= 0) {
    t.ackNow = true;
    return;
  }
  if (data.length > room) data = data.subarray(0, room);
  if (s === t.rcvNxt) {
    t.rcvBuf.push(data);
    t.rcvNxt = seqAdd(t.rcvNxt, data.length);
    t.events |= TcpEvents.READABLE;
    const hadOoo = t.ooo.length > 0;
    drainOoo(t);
    if (t.oooFin >= 0 && t.oooFin === t.rcvNxt) applyFin(t, now);
    if (hadOoo) t.ackNow = true;
    else {
      // Delayed ACK: every second full-sized segment's worth at once (a TSO-sized one counts
      // as the segments it carries), else within 40 ms; with `coalesceAcks`, at the burst's end.
      const mss = t.params.mss;
      t.unackedSegments += data.length > mss ? Math.floor(data.length / mss) : 1;
      if (t.unackedSegments >= 2 && !t.params.coalesceAcks) t.ackNow = true;
      else if (t.ackAt < 0) t.ackAt = now + TCP_DELAYED_ACK_NS;
    }
  } else {
    insertOoo(t, s, data);
    t.ackNow = true; // a duplicate ACK tells the sender about the hole
  }
}

function insertOoo(t: Tcb, seq: number, data: Uint8Array): void {
  let s = seq;
  let d = data;
  // Cut the new segment against what is queued; keep only new bytes.
  for (const o of t.ooo) {
    const oEnd = seqAdd(o.seq, o.data.length);
    const dEnd = seqAdd(s, d.length);
    if (seqLe(o.seq, s) && seqGe(oEnd, dEnd)) return; // fully covered
    if (seqLe(o.seq, s) && seqGt(oEnd, s)) {
      d = d.subarray(seqDiff(oEnd, s));
      s = oEnd;
    }
  }
  if (d.length === 0) return;
  // Drop queued segments the new one covers entirely; trim the new one where it runs into the next.
  t.ooo = t.ooo.filter((o) => {
    const covered = seqGe(o.seq, s) && seqLe(seqAdd(o.seq, o.data.length), seqAdd(s, d.length));
    if (covered) t.oooBytes -= o.data.length;
    return !covered;
  });
  for (const o of t.ooo) {
    if (seqGt(o.seq, s) && seqLt(o.seq, seqAdd(s, d.length))) d = d.subarray(0, seqDiff(o.seq, s));
  }
  if (d.length === 0) return;
  if (t.ooo.length >= TCP_MAX_OOO_SEGMENTS) return;
  t.ooo.push({ seq: s, data: d.slice() });
  t.oooBytes += d.length;
  t.ooo.sort((a, b) => seqDiff(a.seq, b.seq));
}

function drainOoo(t: Tcb): void {
  while (t.ooo.length > 0) {
    const o = t.ooo[0]!;
    if (seqGt(o.seq, t.rcvNxt)) return;
    t.ooo.shift();
    t.oooBytes -= o.data.length;
    const skip = seqDiff(t.rcvNxt, o.seq);
    if (skip >= o.data.length) continue;
    const rest = o.data.subarray(skip);
    const n = t.rcvBuf.push(rest);
    t.rcvNxt = seqAdd(t.rcvNxt, n);
    if (n < rest.length) {
      // Out of room: forget the rest (the sender retransmits it) and everything after.
      for (const x of t.ooo) t.oooBytes -= x.data.length;
      t.ooo = [];
      return;
    }
  }
}

function retransmitFirst(t: Tcb, now: number, emit: TcpEmitter): void {
  const end = dataEnd(t);
  const avail = Math.max(0, seqDiff(end, t.sndUna));
  const len = Math.min(t.sndMss, avail);
  const fin = t.finQueued && seqAdd(t.sndUna, len) === end && seqGt(t.sndMax, end);
  if (len === 0 && !fin) return;
  const off = seqDiff(t.sndUna, t.bufSeq);
  if (off < 0) return;
  emit(t, {
    seq: t.sndUna,
    ack: t.rcvNxt,
    flags: TCP_FLAG_ACK | (fin ? TCP_FLAG_FIN : 0) | (len > 0 ? TCP_FLAG_PSH : 0),
    window: windowField(t, false),
    bufOffset: off,
    len,
  });
  t.rttAt = -1;
  t.rtoAt = now + t.rto;
  t.events |= TcpEvents.RETRANSMIT;
  afterAckSent(t);
}

function afterAckSent(t: Tcb): void {
  t.ackNow = false;
  t.ackAt = -1;
  t.unackedSegments = 0;
}

/**
 * Send whatever is due: SYN, data within the windows, FIN, a pending ACK; arm timers.
 * `gsoMaxSize`: as `TcpParams.gsoMaxSize`, for this call (the link's offloads change).
 */
export function tcpOutput(t: Tcb, now: number, emit: TcpEmitter, gsoMaxSize = t.params.gsoMaxSize ?? 0): void {
  switch (t.state) {
    case 'closed':
      return;
    case 'syn-sent':
    case 'syn-received': {
      if (t.sndNxt === t.iss) {
        const synAck = t.state === 'syn-received';
        emit(t, {
          seq: t.iss,
          ack: synAck ? t.rcvNxt : 0,
          flags: TCP_FLAG_SYN | (synAck ? TCP_FLAG_ACK : 0),
          window: windowField(t, true),
          mss: t.params.mss,
          ...(t.params.windowScaling && (t.state === 'syn-sent' || t.rcvShift > 0 || t.sndShift > 0) ? { wscale: t.offeredShift } : {}),
          bufOffset: 0,
          len: 0,
        });
        if (t.rttAt < 0 && t.retries === 0) {
          t.rttAt = now;
          t.rttSeq = seqAdd(t.iss, 1);
        }
        t.sndNxt = seqAdd(t.iss, 1);
        t.sndMax = seqMax(t.sndMax, t.sndNxt);
        if (t.rtoAt < 0) t.rtoAt = now + t.rto;
        afterAckSent(t);
      } else if (t.ackNow && t.state === 'syn-received') sendAck(t, emit); // e.g. answering the SYN-ACK of a simultaneous open
      return;
    }
    case 'time-wait':
      if (t.ackNow) sendAck(t, emit);
      return;
    default:
      break;
  }
  const end = dataEnd(t);
  const gso = gsoMaxSize;
  const maxSeg = gso > t.sndMss ? gso - (gso % t.sndMss) : t.sndMss;
  for (;;) {
    const fl = flight(t);
    const wnd = Math.min(t.sndWnd, t.cwnd);
    const unsent = seqDiff(end, t.sndNxt);
    const len = Math.max(0, Math.min(maxSeg, unsent, wnd - fl));
    const fin = t.finQueued && unsent >= 0 && len === unsent && (t.state === 'fin-wait-1' || t.state === 'closing' || t.state === 'last-ack');
    if (len === 0 && !fin) break;
    // Sender SWS avoidance: a short segment only when it is all we have or nothing is in flight.
    if (len < t.sndMss && len < unsent && fl > 0) break;
    const off = seqDiff(t.sndNxt, t.bufSeq);
    emit(t, {
      seq: t.sndNxt,
      ack: t.rcvNxt,
      flags: TCP_FLAG_ACK | (fin ? TCP_FLAG_FIN : 0) | (len > 0 && len === unsent ? TCP_FLAG_PSH : 0),
      window: windowField(t, false),
      bufOffset: off,
      len,
    });
    if (seqLt(t.sndNxt, t.sndMax)) t.events |= TcpEvents.RETRANSMIT;
    else if (t.rttAt < 0 && len > 0) {
      t.rttAt = now;
      t.rttSeq = seqAdd(t.sndNxt, len);
    }
    t.sndNxt = seqAdd(t.sndNxt, len + (fin ? 1 : 0));
    t.sndMax = seqMax(t.sndMax, t.sndNxt);
    if (t.rtoAt < 0) t.rtoAt = now + t.rto;
    afterAckSent(t);
    if (fin) break;
  }
  // Zero window with data waiting and nothing in flight: probe (persist timer).
  const unsent = seqDiff(end, t.sndNxt);
  if (t.sndWnd === 0 && unsent > 0 && flight(t) === 0) {
    if (t.persistAt < 0) t.persistAt = now + Math.min(TCP_MAX_RTO_NS, t.rto * 2 ** t.persistBackoff);
    t.rtoAt = -1;
  }
  if (t.ackNow) sendAck(t, emit);
}

/** Data bytes `tcpOutput` would send now: unsent and within both windows. */
export function tcpSendable(t: Tcb): number {
  if (!isSynchronized(t.state)) return 0;
  return Math.max(0, Math.min(seqDiff(dataEnd(t), t.sndNxt), Math.min(t.sndWnd, t.cwnd) - flight(t)));
}

/**
 * The owner finished handing over a burst of input (`coalesceAcks`): acknowledge it now
 * when it carried two or more full-sized segments' worth; a lone small segment keeps its
 * delayed ACK (RFC 1122 §4.2.3.2). The ACK goes out on the next `tcpOutput`.
 */
export function tcpBurstEnd(t: Tcb): void {
  if (t.unackedSegments >= 2 && isSynchronized(t.state)) t.ackNow = true;
}

/** A bare ACK at SND.NXT (RFC 9293 §3.10.7.4). */
function sendAck(t: Tcb, emit: TcpEmitter): void {
  emit(t, { seq: t.sndNxt, ack: t.rcvNxt, flags: TCP_FLAG_ACK, window: windowField(t, false), bufOffset: 0, len: 0 });
  afterAckSent(t);
}

/** Run the expired timers (RTO, persist, delayed ACK, TIME-WAIT), then `tcpOutput`. */
export function tcpOnTimer(t: Tcb, now: number, emit: TcpEmitter): void {
  if (t.timeWaitAt >= 0 && now >= t.timeWaitAt) {
    t.timeWaitAt = -1;
    transition(t, 'time-wait-done');
    stopTimers(t);
    t.events |= TcpEvents.CLOSED;
    return;
  }
  if (t.rtoAt >= 0 && now >= t.rtoAt) {
    t.rtoAt = -1;
    const limit = isSynchronized(t.state) ? TCP_MAX_DATA_RETRIES : TCP_MAX_SYN_RETRIES;
    if (++t.retries > limit) {
      tcpAbort(t, emit);
      t.events |= TcpEvents.TIMEOUT;
      return;
    }
    // RFC 6298 §5.5-5.7 and RFC 5681 §3.1: back off, go back to SND.UNA, restart slow start.
    const fl = flight(t);
    t.ssthresh = Math.max(Math.floor(fl / 2), 2 * t.sndMss);
    t.cwnd = t.sndMss;
    t.rto = Math.min(TCP_MAX_RTO_NS, t.rto * 2);
    t.rttAt = -1;
    t.dupAcks = 0;
    t.inRecovery = false;
    t.sndNxt = t.sndUna;
    t.events |= TcpEvents.RETRANSMIT;
  }
  if (t.persistAt >= 0 && now >= t.persistAt) {
    t.persistAt = -1;
    const end = dataEnd(t);
    if (t.sndWnd === 0 && seqLt(t.sndNxt, end)) {
      // Window probe: one byte beyond the closed window; SND.NXT stays so it is sent again normally.
      const off = seqDiff(t.sndNxt, t.bufSeq);
      emit(t, { seq: t.sndNxt, ack: t.rcvNxt, flags: TCP_FLAG_ACK, window: windowField(t, false), bufOffset: off, len: 1 });
      t.sndMax = seqMax(t.sndMax, seqAdd(t.sndNxt, 1));
      afterAckSent(t);
      t.persistBackoff = Math.min(t.persistBackoff + 1, 16);
      t.persistAt = now + Math.min(TCP_MAX_RTO_NS, t.rto * 2 ** t.persistBackoff);
    }
  }
  if (t.ackAt >= 0 && now >= t.ackAt) {
    t.ackAt = -1;
    t.ackNow = true;
  }
  tcpOutput(t, now, emit);
}


/** Segment input followed by output, the usual pair. */
export function tcpSegment(t: Tcb, seg: SegmentIn, now: number, emit: TcpEmitter): void {
  tcpInput(t, seg, now, emit);
  tcpOutput(t, now, emit);
}
