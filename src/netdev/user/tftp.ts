/**
 * Read-only TFTP server (RFC 1350) on the virtual host, port 69, with the
 * blksize, tsize and timeout options (RFC 2347-2349). Octet mode only.
 * Paths are relative to `tftp=`: absolute paths, `..` components,
 * backslashes and trailing slashes get "Access violation". As libslirp,
 * replies come from port 69.
 */
import type { Timer } from '../../time/clock.js';
import type { Core } from './core.js';
import type { IpMeta } from './ip4.js';
import { isAppWireError } from './wire/error.js';
import {
  TFTP_DEFAULT_BLKSIZE,
  TFTP_MAX_BLKSIZE,
  TFTP_MIN_BLKSIZE,
  TFTP_PORT,
  TftpErrorCode,
  emitTftp,
  parseTftp,
} from './wire/tftp.js';
import { addrKey, sendUdp } from './udp.js';

/** Default retransmission timeout (s) and retries before a session is dropped. */
const DEFAULT_TIMEOUT_S = 5;
const MAX_RETRIES = 5;

type SessionState = 'reading' | 'sent' | 'done';

interface Session {
  key: string;
  guest: Uint8Array;
  guestPort: number;
  server: Uint8Array;
  path: string;
  blksize: number;
  timeoutS: number;
  /** Block number (32-bit count; the wire carries it mod 65536) of the packet in flight; 0 = the OACK. */
  block: number;
  last: Uint8Array | null;
  size: number;
  state: SessionState;
  retries: number;
  timer: Timer;
}

export class TftpServer {
  readonly sessions = new Map<string, Session>();
  constructor(private readonly core: Core) {}

  close(): void {
    for (const s of this.sessions.values()) s.timer.cancel();
    this.sessions.clear();
  }

  end(s: Session): void {
    s.state = 'done';
    s.timer.cancel();
    if (this.sessions.get(s.key) === s) this.sessions.delete(s.key);
  }
}

/** Why a requested name is refused, or undefined when it is a clean relative path. */
export function tftpPathProblem(name: string): string | undefined {
  if (name === '') return 'empty';
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) return 'absolute';
  if (name.includes('\\')) return 'backslash';
  if (name.endsWith('/')) return 'trailing slash';
  if (name.split('/').some((c) => c === '..')) return 'dot-dot';
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) < 0x20) return 'control character';
  return undefined;
}

function sendPacket(core: Core, s: { server: Uint8Array; guest: Uint8Array; guestPort: number }, bytes: Uint8Array): void {
  sendUdp(core, s.server, TFTP_PORT, s.guest, s.guestPort, bytes);
}

function sendError(core: Core, meta: IpMeta, sport: number, code: number, message: string): void {
  core.stats.tftpErrors++;
  sendPacket(core, { server: meta.dst.slice(), guest: meta.src.slice(), guestPort: sport }, emitTftp({ op: 'error', code, message }));
}

export function tftpInput(core: Core, meta: IpMeta, sport: number, payload: Uint8Array): void {
  const { stats, cfg } = core;
  const pkt = parseTftp(payload);
  if (isAppWireError(pkt)) {
    stats.tftpMalformed++;
    return;
  }
  const srv = core.tftp;
  const key = `${addrKey(meta.src)}|${sport}`;
  const existing = srv.sessions.get(key);
  switch (pkt.op) {
    case 'rrq': {
      stats.tftpRequests++;
      if (existing) srv.end(existing);
      if (!cfg.tftp) {
        sendError(core, meta, sport, TftpErrorCode.ACCESS_VIOLATION, 'Access violation');
        return;
      }
      if (pkt.mode.toLowerCase() !== 'octet') {
        sendError(core, meta, sport, TftpErrorCode.ILLEGAL_OPERATION, 'Unsupported transfer mode');
        return;
      }
      if (tftpPathProblem(pkt.filename) !== undefined) {
        stats.tftpAccessViolations++;
        sendError(core, meta, sport, TftpErrorCode.ACCESS_VIOLATION, 'Access violation');
        return;
      }
      if (srv.sessions.size >= cfg.limits.maxTftpSessions) {
        stats.tftpSessionLimit++;
        sendError(core, meta, sport, TftpErrorCode.NOT_DEFINED, 'Too many TFTP sessions');
        return;
      }
      let blksize = TFTP_DEFAULT_BLKSIZE;
      let timeoutS = DEFAULT_TIMEOUT_S;
      let wantTsize = false;
      const acked: Array<[string, string]> = [];
      for (const [k, v] of pkt.options) {
        const name = k.toLowerCase();
        if (!/^\d+$/.test(v)) continue;
        const n = Number(v);
        if (name === 'blksize' && n >= TFTP_MIN_BLKSIZE) {
          // Keep a block inside one Ethernet frame (RFC 2348 lets the server lower it).
          const maxBlk = Math.min(TFTP_MAX_BLKSIZE, cfg.mtu - (meta.family === 4 ? 20 : 40) - 8 - 4);
          blksize = Math.min(n, maxBlk);
          acked.push(['blksize', String(blksize)]);
        } else if (name === 'timeout' && n >= 1 && n <= 255) {
          timeoutS = n;
          acked.push(['timeout', String(n)]);
        } else if (name === 'tsize') wantTsize = true;
      }
      const s: Session = {
        key,
        guest: meta.src.slice(),
        guestPort: sport,
        server: meta.dst.slice(),
        path: pkt.filename,
        blksize,
        timeoutS,
        block: 0,
        last: null,
        size: -1,
        state: 'reading',
        retries: 0,
        timer: core.timers.timer(() => retransmit(core, s), 'user-net tftp'),
      };
      srv.sessions.set(key, s);
      // Read the first block: it tells the size (tsize) and whether the file exists.
      core.host.readFile(cfg.tftp, s.path, 0, blksize, (r) => {
        if (core.closed || s.state === 'done') return;
        if (!r.ok) {
          srv.end(s);
          const notFound = r.error.kind === 'not-found';
          if (!notFound) stats.tftpAccessViolations += r.error.kind === 'denied' ? 1 : 0;
          sendError(core, meta, sport, notFound ? TftpErrorCode.FILE_NOT_FOUND : TftpErrorCode.ACCESS_VIOLATION, notFound ? 'File not found' : 'Access violation');
          return;
        }
        s.size = r.value.size;
        if (wantTsize) acked.push(['tsize', String(s.size)]);
        if (acked.length > 0) {
          s.block = 0;
          transmit(core, s, emitTftp({ op: 'oack', options: acked }));
        } else {
          s.block = 1;
          transmit(core, s, emitTftp({ op: 'data', block: 1, data: r.value.data }));
        }
      });
      return;
    }
    case 'ack': {
      if (!existing || existing.state !== 'sent') return;
      const s = existing;
      if (pkt.block !== (s.block & 0xffff)) return; // a duplicate of an older ACK: the timer retransmits
      const lastData = s.block > 0 && s.last !== null && s.last.length - 4 < s.blksize;
      if (lastData) {
        srv.end(s);
        return;
      }
      const next = s.block + 1;
      const offset = (next - 1) * s.blksize;
      s.state = 'reading';
      s.timer.cancel();
      core.host.readFile(cfg.tftp!, s.path, offset, s.blksize, (r) => {
        if (core.closed || s.state === 'done') return;
        if (!r.ok) {
          srv.end(s);
          sendError(core, meta, sport, TftpErrorCode.NOT_DEFINED, 'Read error');
          return;
        }
        s.block = next;
        transmit(core, s, emitTftp({ op: 'data', block: next & 0xffff, data: r.value.data }));
      });
      return;
    }
    case 'error':
      if (existing) srv.end(existing);
      return;
    case 'wrq':
      sendError(core, meta, sport, TftpErrorCode.ACCESS_VIOLATION, 'Access violation');
      return;
    default:
      sendError(core, meta, sport, TftpErrorCode.ILLEGAL_OPERATION, 'Illegal TFTP operation');
  }
}

function transmit(core: Core, s: Session, bytes: Uint8Array): void {
  s.last = bytes;
  s.state = 'sent';
  s.retries = 0;
  if (s.block > 0) core.stats.tftpBlocksSent++;
  sendPacket(core, s, bytes);
  s.timer.armAfter(s.timeoutS * 1e9);
}

function retransmit(core: Core, s: Session): void {
  if (s.state !== 'sent' || !s.last) return;
  if (++s.retries > MAX_RETRIES) {
    core.tftp.end(s);
    return;
  }
  sendPacket(core, s, s.last);
  s.timer.armAfter(s.timeoutS * 1e9);
}
