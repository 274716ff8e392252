/**
 * TCP connections between the guest and the host. Each connection is a TCB
 * (the guest-facing TCP, `tcb.ts`) spliced to a `HostStream`: a host TCP
 * connection (NAT, hostfwd, guestfwd tcp:), a process (guestfwd cmd:,
 * smbd) or the DNS-over-TCP relay. Backpressure both ways: guest data waits
 * in the receive buffer (closing the guest's window) while the host stream
 * is full; host data waits in the send buffer (pausing the host stream)
 * while the guest's window is closed.
 *
 * As libslirp, a guest SYN is answered only once the host side connected:
 * refused connections get a RST, unreachable ones an ICMP error.
 *
 * When the host can run work "soon" (`UserHost.soon`: after the current burst
 * of frames), guest data is handed to the host stream once per burst, in one
 * large write, and acknowledged once per burst (`coalesceAcks`); otherwise
 * every segment's data goes to the host as it arrives.
 */
import {
  IpProtocol,
  TcpPacket,
  TcpOptionKind,
  checksumFinish,
  fold,
  isWireError,
  onesSum,
  parseTcpOptions,
  pseudoHeaderSum,
  summarizeTcpOptions,
} from '../../../wire/index.js';
import { be16, be32, bytesEqual, setBe16, setBe32 } from '../../../wire/bytes.js';
import type { Timer } from '../../../time/clock.js';
import type { Core } from '../core.js';
import type { IpMeta } from '../ip4.js';
import type { HostAddress, HostError, HostListener, HostStream, HostStreamHandlers } from '../host.js';
import type { ResolvedHostFwd } from '../options.js';
import { ip4, ip4Bytes, ip6Equal } from '../addr.js';
import { addrKey, hostTarget, seenSource } from '../udp.js';
import { sendUnreachable } from '../icmp.js';
import {
  type SegmentIn,
  type SegmentOut,
  type Tcb,
  type TcpEmitter,
  type TcpParams,
  TCP_DEFAULT_MSS_V4,
  TCP_DEFAULT_MSS_V6,
  TCP_FLAG_ACK,
  TCP_FLAG_RST,
  TCP_FLAG_SYN,
  TcpEvents,
  tcbAccept,
  tcbConnect,
  tcpAbort,
  tcpBurstEnd,
  tcpClose,
  tcpInput as tcbInput,
  tcpNextDeadline,
  tcpOnTimer,
  tcpOutput,
  tcpSend,
  tcpSendable,
  tcpWindowUpdate,
} from './tcb.js';
import { dnsTcpStream } from './dns-stream.js';

export type TcpConnKind = 'nat' | 'hostfwd' | 'guestfwd' | 'smb' | 'dns';

/** Largest array allocated for a host stream's `write` (`writeCopy` gets all the buffer holds, in at most two views). */
const HOST_WRITE_CHUNK = 64 * 1024;
/** Host bytes accepted past a pause before the connection is reset (a host that ignores pause). */
const MAX_PENDING_FROM_HOST = 1024 * 1024;

export interface TcpConn {
  readonly key: string;
  readonly kind: TcpConnKind;
  readonly family: 4 | 6;
  readonly guest: Uint8Array;
  readonly guestPort: number;
  /** The other end as the guest sees it. */
  readonly remote: Uint8Array;
  readonly remotePort: number;
  tcb: Tcb | null;
  /** The guest's SYN while the host side connects. */
  syn: SegmentIn | null;
  stream: HostStream | null;
  phase: 'connecting' | 'open' | 'closed';
  timer: Timer;
  /** The deadline `timer` was last armed for (−1: not armed), so an unchanged one costs nothing. */
  timerAt: number;
  emit: TcpEmitter;
  hostBlocked: boolean;
  hostPaused: boolean;
  pending: Uint8Array[];
  pendingBytes: number;
  hostEnded: boolean;
  endSent: boolean;
  streamDone: boolean;
  busy: boolean;
  again: boolean;
  /** A burst end is queued with `UserHost.soon`. */
  burstQueued: boolean;
  /** Output is queued with `UserHost.soon` for a GSO frame (`deferForGso`). */
  outputQueued: boolean;
  /** That output runs now: send what the NIC takes, defer no further. */
  gsoDeferred: boolean;
}

export class TcpTable {
  readonly conns = new Map<string, TcpConn>();
  readonly listeners: HostListener[] = [];
  readonly params4: TcpParams;
  readonly params6: TcpParams;
  /** The connection of the last guest segment: bulk transfers look it up once. */
  last: TcpConn | null = null;

  constructor(private readonly core: Core) {
    const l = core.cfg.limits;
    const base = { sndBufSize: l.tcpSendBuffer, rcvBufSize: l.tcpRecvBuffer, windowScaling: true, coalesceAcks: core.host.soon !== undefined };
    this.params4 = { ...base, mss: core.cfg.mtu - 40, defaultPeerMss: TCP_DEFAULT_MSS_V4 };
    this.params6 = { ...base, mss: core.cfg.mtu - 60, defaultPeerMss: TCP_DEFAULT_MSS_V6 };
  }

  get size(): number {
    return this.conns.size;
  }

  /** Connections not yet through the handshake (host connecting, or SYN-RECEIVED / SYN-SENT). */
  embryonic(): number {
    let n = 0;
    for (const c of this.conns.values()) if (c.phase === 'connecting' || (c.tcb && (c.tcb.state === 'syn-received' || c.tcb.state === 'syn-sent'))) n++;
    return n;
  }

  /** Bytes held in connection buffers (allocated storage). */
  bufferedBytes(): number {
    let n = 0;
    for (const c of this.conns.values()) {
      if (c.tcb) n += c.tcb.sndBuf.allocated + c.tcb.rcvBuf.allocated + c.tcb.oooBytes;
      n += c.pendingBytes;
    }
    return n;
  }

  async listen(rule: ResolvedHostFwd): Promise<HostListener> {
    const l = await this.core.host.tcpListen({ address: rule.hostAddr, port: rule.hostPort }, (stream, peer) => acceptHostfwd(this.core, rule, stream, peer));
    this.listeners.push(l);
    return l;
  }

  close(): void {
    for (const c of [...this.conns.values()]) {
      c.timer.cancel();
      c.phase = 'closed';
      c.stream?.destroy();
    }
    this.conns.clear();
    this.last = null;
    for (const l of this.listeners) l.close();
    this.listeners.length = 0;
  }
}

function connKey(guest: Uint8Array, guestPort: number, remote: Uint8Array, remotePort: number): string {
  return `${addrKey(guest)}|${guestPort}|${addrKey(remote)}|${remotePort}`;
}

function newConn(core: Core, kind: TcpConnKind, guest: Uint8Array, guestPort: number, remote: Uint8Array, remotePort: number): TcpConn {
  const c: TcpConn = {
    key: connKey(guest, guestPort, remote, remotePort),
    kind,
    family: guest.length === 4 ? 4 : 6,
    guest,
    guestPort,
    remote,
    remotePort,
    tcb: null,
    syn: null,
    stream: null,
    phase: 'connecting',
    timer: undefined as unknown as Timer,
    timerAt: -1,
    emit: (t, seg) => emitSegment(core, c, t, seg),
    hostBlocked: false,
    hostPaused: false,
    pending: [],
    pendingBytes: 0,
    hostEnded: false,
    endSent: false,
    streamDone: false,
    busy: false,
    again: false,
    burstQueued: false,
    outputQueued: false,
    gsoDeferred: false,
  };
  c.timer = core.timers.timer(() => {
    c.timerAt = -1;
    onTimer(core, c);
  }, 'user-net tcp');
  return c;
}

function isnFor(core: Core, c: TcpConn): number {
  const a = c.remote.length;
  const tuple = new Uint8Array(2 * a + 4);
  tuple.set(c.remote, 0);
  setBe16(tuple, a, c.remotePort);
  tuple.set(c.guest, a + 2);
  setBe16(tuple, 2 * a + 2, c.guestPort);
  return core.isn.isn(tuple, core.timers.now());
}

/**
 * Build and send one segment to the guest. One longer than the MSS (the
 * link took GSO frames when `tcpOutput` ran) goes as a GSO frame, its
 * checksum left partial for the guest's NIC and driver (`Link.sendTcpGso`).
 */
function emitSegment(core: Core, c: TcpConn, t: Tcb, seg: SegmentOut): void {
  const optLen = seg.mss !== undefined ? (seg.wscale !== undefined ? 8 : 4) : 0;
  const hl = 20 + optLen;
  const len = hl + seg.len;
  const src = c.remote;
  const dst = c.guest;
  if (seg.len > t.sndMss) {
    core.link.sendTcpGso(src, dst, len, t.sndMss, (b) => {
      writeSegment(c, t, seg, b, hl);
      setBe16(b, 16, fold(pseudoHeaderSum(src, dst, IpProtocol.TCP, len)));
    });
    return;
  }
  core.link.sendIp(src, dst, IpProtocol.TCP, len, (b) => {
    writeSegment(c, t, seg, b, hl);
    setBe16(b, 16, checksumFinish(onesSum(b, 0, len, pseudoHeaderSum(src, dst, IpProtocol.TCP, len))));
  });
  if (seg.flags & TCP_FLAG_RST) core.stats.tcpResetsSent++;
}

/** A segment's TCP header (`hl` bytes, options included; checksum 0) and payload into `b`. */
function writeSegment(c: TcpConn, t: Tcb, seg: SegmentOut, b: Uint8Array, hl: number): void {
  setBe16(b, 0, c.remotePort);
  setBe16(b, 2, c.guestPort);
  setBe32(b, 4, seg.seq);
  setBe32(b, 8, seg.ack);
  b[12] = (hl >>> 2) << 4;
  b[13] = seg.flags;
  setBe16(b, 14, seg.window);
  setBe16(b, 16, 0);
  setBe16(b, 18, 0);
  if (seg.mss !== undefined) {
    b[20] = TcpOptionKind.MSS;
    b[21] = 4;
    setBe16(b, 22, seg.mss);
    if (seg.wscale !== undefined) {
      b[24] = TcpOptionKind.NOP;
      b[25] = TcpOptionKind.WINDOW_SCALE;
      b[26] = 3;
      b[27] = seg.wscale;
    }
  }
  if (seg.len > 0) t.sndBuf.copyOut(seg.bufOffset, seg.len, b, hl);
}

/** RFC 9293 §3.10.7.1: the reset answering a segment that has no connection. */
function sendReset(core: Core, meta: IpMeta, p: TcpPacket): void {
  if (p.rst) return;
  const ackf = p.ackFlag;
  const seq = ackf ? p.ack : 0;
  const ack = ackf ? 0 : (p.seq + p.segmentLen) >>> 0;
  const flags = ackf ? TCP_FLAG_RST : TCP_FLAG_RST | TCP_FLAG_ACK;
  const src = meta.dst.slice();
  const dst = meta.src.slice();
  const sport = p.dstPort;
  const dport = p.srcPort;
  core.stats.tcpResetsSent++;
  core.link.sendIp(src, dst, IpProtocol.TCP, 20, (b) => {
    setBe16(b, 0, sport);
    setBe16(b, 2, dport);
    setBe32(b, 4, seq);
    setBe32(b, 8, ack);
    b[12] = 5 << 4;
    b[13] = flags;
    setBe16(b, 14, 0);
    setBe16(b, 16, 0);
    setBe16(b, 18, 0);
    setBe16(b, 16, checksumFinish(onesSum(b, 0, 20, pseudoHeaderSum(src, dst, IpProtocol.TCP, 20))));
  });
}

function parseSegment(p: TcpPacket): SegmentIn {
  const seg: SegmentIn = { seq: p.seq, ack: p.ack, flags: p.flags & 0x3f, window: p.window, payload: p.payload };
  if (p.syn && p.headerLen > 20) {
    const opts = parseTcpOptions(p.options);
    if (Array.isArray(opts)) {
      const s = summarizeTcpOptions(opts);
      if (s.mss !== undefined && s.mss > 0) seg.mss = s.mss;
      if (s.windowScale !== undefined) seg.wscale = s.windowScale;
    }
  }
  return seg;
}

function lookup(table: TcpTable, meta: IpMeta, sport: number, dport: number): TcpConn | undefined {
  const l = table.last;
  if (l && l.guestPort === sport && l.remotePort === dport && l.family === meta.family && bytesEqual(l.guest, 0, meta.src, 0, l.guest.length) && bytesEqual(l.remote, 0, meta.dst, 0, l.remote.length)) return l;
  const c = table.conns.get(connKey(meta.src, sport, meta.dst, dport));
  if (c) table.last = c;
  return c;
}

/**
 * Header prediction (Van Jacobson's TCP fast path, 1988): a segment most
 * likely belongs to the connection of the one before it and carries an ACK
 * and data, no SYN or RST. Such a segment is read straight from `buf`,
 * without the views and objects of the general path, and handled as the
 * general path would; false when the prediction fails (nothing done: take the
 * general path). The TCP segment is buf[start..end); the datagram's source and
 * destination addresses (IP version `family`) lie back to back from `addrAt`.
 * `csumPartial`: see `IpMeta`.
 */
export function tcpInputPredicted(core: Core, buf: Uint8Array, addrAt: number, start: number, end: number, family: 4 | 6, csumPartial = false): boolean {
  const c = core.tcp.last;
  const t = c?.tcb;
  if (!c || !t || c.phase !== 'open' || c.family !== family) return false;
  const len = end - start;
  if (len < 20) return false;
  const hl = (buf[start + 12]! >>> 4) << 2;
  if (hl < 20 || hl > len || buf[start + 13]! & (TCP_FLAG_SYN | TCP_FLAG_RST)) return false;
  if (be16(buf, start) !== c.guestPort || be16(buf, start + 2) !== c.remotePort) return false;
  const a = c.guest;
  const r = c.remote;
  if (!bytesEqual(buf, addrAt, a, 0, a.length) || !bytesEqual(buf, addrAt + a.length, r, 0, r.length)) return false;
  if (!csumPartial && onesSum(buf, start, end, pseudoHeaderSum(a, r, IpProtocol.TCP, len)) !== 0xffff) {
    core.stats.tcpBadChecksum++;
    return true;
  }
  const now = core.timers.now();
  tcbInput(t, { seq: be32(buf, start + 4), ack: be32(buf, start + 8), flags: buf[start + 13]! & 0x3f, window: be16(buf, start + 14), payload: buf.subarray(start + hl, end) }, now, c.emit);
  after(core, c, now);
  return true;
}

export function tcpInput(core: Core, meta: IpMeta, l4: Uint8Array): void {
  const { stats } = core;
  const p = TcpPacket.checked(l4);
  if (isWireError(p)) {
    stats.tcpMalformed++;
    return;
  }
  if (meta.csumPartial !== true && !p.verifyChecksum(meta.src, meta.dst)) {
    stats.tcpBadChecksum++;
    return;
  }
  let c = lookup(core.tcp, meta, p.srcPort, p.dstPort);
  if (c && c.tcb?.state === 'time-wait' && p.syn && !p.ackFlag && !p.rst) {
    // A new connection reusing the tuple (RFC 6191's TIME-WAIT assassination by SYN, as BSD and Linux allow).
    remove(core, c);
    c = undefined;
  }
  if (c) {
    if (c.phase === 'connecting' || !c.tcb) {
      if (p.rst) {
        c.stream?.destroy();
        remove(core, c);
      }
      return;
    }
    // Input only: `after` sends what is due once the data went on to the host.
    const now = core.timers.now();
    tcbInput(c.tcb, parseSegment(p), now, c.emit);
    after(core, c, now);
    return;
  }
  if (p.rst) return;
  if (!p.syn || p.ackFlag || p.fin) {
    stats.tcpBadSegments++;
    sendReset(core, meta, p);
    return;
  }
  newGuestConnection(core, meta, p);
}

/** A guest SYN with no connection: pick where it goes, check the bounds, start the host side. */
function newGuestConnection(core: Core, meta: IpMeta, p: TcpPacket): void {
  const { stats, cfg } = core;
  const dport = p.dstPort;
  let kind: TcpConnKind = 'nat';
  let target: HostAddress | undefined;
  let fwdIndex = -1;
  if (meta.family === 4) {
    const d = ip4(meta.dst);
    fwdIndex = cfg.guestfwd.findIndex((g) => g.server === d && g.port === dport);
    if (fwdIndex >= 0) kind = 'guestfwd';
    else if (cfg.smb && d === cfg.smb.server && (dport === 445 || dport === 139)) kind = 'smb';
    else if (d === cfg.dns && dport === 53) kind = 'dns';
  } else if (ip6Equal(meta.dst, cfg.ipv6Dns) && dport === 53) kind = 'dns';
  if (kind === 'nat' || kind === 'dns') {
    if (cfg.restrict) {
      stats.restrictedDrops++;
      sendReset(core, meta, p);
      return;
    }
  }
  if (kind === 'nat') {
    target = hostTarget(core, meta.dst, dport);
    if (!target) {
      stats.tcpRefused++;
      sendReset(core, meta, p);
      return;
    }
  }
  const table = core.tcp;
  if (table.size >= cfg.limits.maxTcpConnections) {
    stats.tcpConnLimit++;
    sendReset(core, meta, p);
    return;
  }
  if (table.embryonic() >= cfg.limits.maxEmbryonicTcp) {
    stats.tcpEmbryonicLimit++;
    sendReset(core, meta, p);
    return;
  }
  const c = newConn(core, kind, meta.src.slice(), p.srcPort, meta.dst.slice(), dport);
  c.syn = parseSegment(p);
  c.syn = { ...c.syn, payload: new Uint8Array(0) };
  table.conns.set(c.key, c);
  stats.tcpConnections++;
  const quoted: IpMeta = { ...meta, packet: meta.packet.slice(0, Math.min(meta.packet.length, meta.l4Offset + 40)) };
  const handlers = streamHandlers(core, c, quoted);
  switch (kind) {
    case 'nat':
      c.stream = core.host.tcpConnect(target!, handlers);
      return;
    case 'guestfwd': {
      stats.guestfwdConnections++;
      const g = cfg.guestfwd[fwdIndex]!;
      if (g.target.kind === 'tcp') {
        const family = g.target.host.includes(':') ? 6 : 4;
        c.stream = core.host.tcpConnect({ family, address: g.target.host, port: g.target.port }, handlers);
      } else c.stream = core.host.spawn({ command: g.target.command, shell: true }, handlers);
      return;
    }
    case 'smb': {
      const setup = core.smb;
      if (!setup) {
        remove(core, c);
        sendReset(core, meta, p);
        return;
      }
      c.stream = core.host.spawn({ command: setup.command, args: setup.args, shell: false, socketStdio: true }, handlers);
      return;
    }
    case 'dns':
      c.stream = dnsTcpStream(core, handlers);
      handlers.onConnect();
      return;
    default:
      return;
  }
}

function streamHandlers(core: Core, c: TcpConn, synMeta: IpMeta | null): HostStreamHandlers {
  return {
    onConnect: () => {
      if (c.phase !== 'connecting' || !c.syn || core.closed) return;
      const params = c.family === 4 ? core.tcp.params4 : core.tcp.params6;
      c.tcb = tcbAccept(params, isnFor(core, c), c.syn, core.timers.now());
      c.syn = null;
      c.phase = 'open';
      // Data the host sent before the handshake (a server greeting) waits in `pending`.
      pumpFromHost(c);
      after(core, c);
    },
    onData: (data) => {
      if (c.phase === 'closed' || core.closed) return;
      c.pending.push(data);
      c.pendingBytes += data.length;
      if (c.pendingBytes > MAX_PENDING_FROM_HOST) {
        abort(core, c);
        return;
      }
      if (c.tcb) pumpFromHost(c);
      if (c.pendingBytes > 0 || (c.tcb && c.tcb.sndBuf.free === 0)) pauseHost(c);
      after(core, c);
    },
    onEnd: () => {
      if (c.phase === 'closed' || core.closed) return;
      c.hostEnded = true;
      if (c.tcb) pumpFromHost(c);
      after(core, c);
    },
    onDrain: () => {
      if (c.phase === 'closed' || core.closed) return;
      c.hostBlocked = false;
      pumpToHost(core, c);
      after(core, c);
    },
    onClose: (error?: HostError) => {
      if (c.phase === 'closed' || core.closed) return;
      c.streamDone = true;
      if (c.phase === 'connecting') {
        core.stats.tcpRefused++;
        remove(core, c);
        if (!synMeta) return;
        if (error && (error.kind === 'unreachable' || error.kind === 'timeout')) sendUnreachable(core, synMeta, synMeta.family === 4 ? 1 : 3);
        else {
          const p = TcpPacket.checked(synMeta.packet.subarray(synMeta.l4Offset));
          if (!isWireError(p)) sendReset(core, synMeta, p);
        }
        return;
      }
      if (error) {
        abort(core, c);
        return;
      }
      if (!c.hostEnded) {
        c.hostEnded = true;
        if (c.tcb) pumpFromHost(c);
      }
      after(core, c);
    },
  };
}

function pauseHost(c: TcpConn): void {
  if (c.hostPaused) return;
  c.hostPaused = true;
  c.stream?.pause();
}

/** Host bytes into the send buffer; FIN when the host ended and everything is in. */
function pumpFromHost(c: TcpConn): void {
  const t = c.tcb;
  if (!t) return;
  while (c.pending.length > 0) {
    const d = c.pending[0]!;
    const n = tcpSend(t, d);
    c.pendingBytes -= n;
    if (n < d.length) {
      c.pending[0] = d.subarray(n);
      break;
    }
    c.pending.shift();
  }
  if (c.pending.length === 0 && c.hostEnded && !t.finQueued) tcpClose(t);
  if (c.hostPaused && c.pendingBytes === 0 && t.sndBuf.free >= t.sndBuf.capacity / 2 && !c.streamDone && t.state !== 'syn-sent') {
    c.hostPaused = false;
    c.stream?.resume();
  }
}

/** Hand the host the next bytes of `buf` (all it holds up to the ring's end, or a chunk); false when the host is full. */
function writeChunk(s: HostStream, buf: Tcb['rcvBuf']): boolean {
  if (s.writeCopy) {
    // The host copies into buffers it recycles: no allocation per chunk here.
    const view = buf.contiguous(buf.length);
    const more = s.writeCopy(view);
    buf.consume(view.length);
    return more;
  }
  return s.write(buf.read(HOST_WRITE_CHUNK));
}

/** Guest bytes from the receive buffer to the host, while it takes them. */
function pumpToHost(core: Core, c: TcpConn): void {
  const t = c.tcb;
  if (!t) return;
  while (t.rcvBuf.length > 0 && !c.hostBlocked) {
    if (!c.stream || c.streamDone || c.endSent) {
      // Nowhere to deliver (the host side is gone): reset, as a closed socket would.
      abort(core, c);
      return;
    }
    if (!writeChunk(c.stream, t.rcvBuf)) c.hostBlocked = true;
  }
  if (t.peerFin && t.rcvBuf.length === 0 && !c.endSent && c.stream && !c.streamDone) {
    c.endSent = true;
    c.stream.end();
  }
  tcpWindowUpdate(t);
}

function abort(core: Core, c: TcpConn): void {
  if (c.tcb) tcpAbort(c.tcb, c.emit);
  c.stream?.destroy();
  remove(core, c);
}

function remove(core: Core, c: TcpConn): void {
  c.phase = 'closed';
  c.timer.cancel();
  if (core.tcp.last === c) core.tcp.last = null;
  if (core.tcp.conns.get(c.key) === c) core.tcp.conns.delete(c.key);
}

/** Guest data waits for the end of the burst: one write to the host and one ACK for all of it. */
function queueBurstEnd(core: Core, c: TcpConn): void {
  const soon = core.host.soon;
  if (!soon) {
    pumpToHost(core, c);
    return;
  }
  if (c.burstQueued) return;
  c.burstQueued = true;
  soon(() => {
    c.burstQueued = false;
    const t = c.tcb;
    if (!t || c.phase !== 'open' || core.closed) return;
    pumpToHost(core, c);
    tcpBurstEnd(t);
    after(core, c);
  });
}

/**
 * More than a segment is ready for the guest and its NIC would take it as
 * one GSO frame, only not right now (it is in the middle of its own I/O:
 * the guest's ACKs arrive while the NIC transmits): send it when the burst
 * ends, as one frame instead of many. Once per burst; true when deferred.
 */
function deferForGso(core: Core, c: TcpConn, t: Tcb): boolean {
  const soon = core.host.soon;
  // An ACK that is due (duplicate ACKs, window updates) does not wait.
  if (soon === undefined || c.gsoDeferred || t.ackNow || tcpSendable(t) <= t.sndMss || core.link.tcpGsoMax(c.family, true) === 0) return false;
  if (c.outputQueued) return true;
  c.outputQueued = true;
  soon(() => {
    c.outputQueued = false;
    if (c.phase !== 'open' || core.closed) return;
    c.gsoDeferred = true;
    try {
      after(core, c);
    } finally {
      c.gsoDeferred = false;
    }
  });
  return true;
}

function onTimer(core: Core, c: TcpConn): void {
  if (c.phase !== 'open' || !c.tcb || core.closed) return;
  const now = core.timers.now();
  tcpOnTimer(c.tcb, now, c.emit);
  after(core, c, now);
}

/** React to what the engine reported, send what is due, re-arm the timer. Re-entry safe. */
function after(core: Core, c: TcpConn, now = core.timers.now()): void {
  if (c.busy) {
    c.again = true;
    return;
  }
  c.busy = true;
  try {
    for (let round = 0; round < 16; round++) {
      c.again = false;
      const t = c.tcb;
      if (!t || c.phase !== 'open') return;
      const ev = t.events;
      t.events = 0;
      if (ev & TcpEvents.RETRANSMIT) core.stats.tcpRetransmits++;
      if (ev & TcpEvents.FAST_RETRANSMIT) core.stats.tcpFastRetransmits++;
      if (ev & TcpEvents.CHALLENGE_ACK) core.stats.tcpChallengeAcks++;
      if (ev & TcpEvents.RESET) {
        c.stream?.destroy();
        remove(core, c);
        return;
      }
      if (ev & TcpEvents.TIMEOUT) {
        core.stats.tcpTimeouts++;
        c.stream?.destroy();
        remove(core, c);
        return;
      }
      if (ev & TcpEvents.CLOSED) {
        // Both directions finished; the host stream closes itself once it flushed. Guest data
        // still waiting (a burst not yet handed over, a host that was full) goes first.
        if (!c.endSent && !c.streamDone && c.stream) {
          while (t.rcvBuf.length > 0) writeChunk(c.stream, t.rcvBuf);
          c.stream.end();
        }
        remove(core, c);
        return;
      }
      if (ev & TcpEvents.ESTABLISHED && c.kind === 'hostfwd') pumpFromHost(c);
      if (ev & (TcpEvents.READABLE | TcpEvents.PEER_FIN)) queueBurstEnd(core, c);
      if (ev & TcpEvents.SEND_SPACE) pumpFromHost(c);
      if (c.phase !== 'open') return;
      const gso = core.link.tcpGsoMax(c.family);
      if (gso === 0 && deferForGso(core, c, t)) break;
      tcpOutput(t, now, c.emit, gso);
      if (t.events === 0 && !c.again) break;
    }
    const t = c.tcb;
    if (t && c.phase === 'open') {
      const d = tcpNextDeadline(t);
      if (d !== c.timerAt) {
        if (d < 0) c.timer.cancel();
        else c.timer.arm(d);
        c.timerAt = d;
      }
    }
  } finally {
    c.busy = false;
  }
}

/** A host connection accepted by a hostfwd listener: open TCP to the guest. */
function acceptHostfwd(core: Core, rule: ResolvedHostFwd, stream: HostStream, peer: HostAddress): HostStreamHandlers {
  const table = core.tcp;
  const none: HostStreamHandlers = { onConnect() {}, onData() {}, onEnd() {}, onDrain() {}, onClose() {} };
  if (core.closed) {
    stream.destroy();
    return none;
  }
  if (table.size >= core.cfg.limits.maxTcpConnections) {
    core.stats.tcpConnLimit++;
    stream.destroy();
    return none;
  }
  const fam = rule.guestFamily;
  const guest = fam === 4 ? ip4Bytes(rule.guestAddr4) : rule.guestAddr6.slice();
  const remote = seenSource(core, peer, fam) ?? (fam === 4 ? ip4Bytes(core.cfg.host) : core.cfg.ipv6Host.slice());
  let port = peer.port || 1024;
  for (let i = 0; i < 65536 && table.conns.has(connKey(guest, rule.guestPort, remote, port)); i++) port = port >= 65535 ? 1024 : port + 1;
  const c = newConn(core, 'hostfwd', guest, rule.guestPort, remote, port);
  c.stream = stream;
  c.hostPaused = true; // handed over paused; resumed once the guest accepted
  c.phase = 'open';
  c.tcb = tcbConnect(fam === 4 ? table.params4 : table.params6, isnFor(core, c), core.timers.now());
  table.conns.set(c.key, c);
  core.stats.hostfwdAccepted++;
  core.stats.tcpConnections++;
  const handlers = streamHandlers(core, c, null);
  after(core, c);
  return handlers;
}

