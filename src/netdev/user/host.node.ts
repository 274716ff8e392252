/**
 * `UserHost` for Node: real sockets (node:net, node:dgram), the system
 * resolver (node:dns, with dns-packet for the wire format), files under the
 * TFTP root (node:fs), processes (node:child_process) for guestfwd cmd: and
 * smbd, and ICMP echo through native/ping-helper.c (ping.node.ts: an
 * unprivileged ping socket where the OS allows one, a raw socket with
 * CAP_NET_RAW; with neither the guest is told "host unreachable").
 */
import net from 'node:net';
import dgram from 'node:dgram';
import dns from 'node:dns';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn as spawnProcess } from 'node:child_process';
import { PingHelper, type PingHelperOptions } from './ping.node.js';
import dnsPacket from 'dns-packet';
import type { Timer, TimerHost } from '../../time/clock.js';
import type {
  HostAddress,
  HostBoundUdp,
  HostError,
  HostErrorKind,
  HostListener,
  HostResult,
  HostStream,
  HostStreamHandlers,
  HostUdpHandlers,
  HostUdpSocket,
  PingRequest,
  SmbSetup,
  SpawnRequest,
  UserHost,
} from './host.js';
import { smbConfig } from './smb.js';

export interface NodeUserHostOptions {
  /** Give up on a host TCP connect after this long (ms). */
  connectTimeoutMs?: number;
  /** Resolver timeout (ms). */
  dnsTimeoutMs?: number;
  /** ICMP echo to outside addresses through the ping helper (default on); false: the guest gets "unreachable". */
  ping?: boolean | PingHelperOptions;
  /** Where to look for smbd; default /usr/sbin/smbd, then PATH. */
  smbdPath?: string;
}

function mapError(e: unknown): HostError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? '';
  const message = e instanceof Error ? e.message : String(e);
  const table: Record<string, HostErrorKind> = {
    ECONNREFUSED: 'refused',
    EHOSTUNREACH: 'unreachable',
    ENETUNREACH: 'unreachable',
    EADDRNOTAVAIL: 'unreachable',
    ETIMEDOUT: 'timeout',
    ECONNRESET: 'reset',
    EPIPE: 'reset',
    EACCES: 'denied',
    EPERM: 'denied',
    ENOENT: 'not-found',
    ENOTDIR: 'not-found',
    EISDIR: 'denied',
    EADDRINUSE: 'addr-in-use',
    ENOTFOUND: 'not-found',
  };
  return { kind: table[code] ?? 'other', message };
}

/**
 * Bytes a host socket may hold in user space before `write` reports it full
 * (the kernel's socket buffer is behind it). Judged after the write: a burst
 * the kernel took at once leaves nothing queued, where Node's own mark (16 KiB,
 * counted before the write) would call every large write "full".
 */
const SOCKET_QUEUE_LIMIT = 64 * 1024;

/**
 * Buffers for `writeCopy`, shared by all sockets: taken for a write, given
 * back when the socket has passed it to the kernel (the write callback), so a
 * bulk transfer allocates nothing per write (a burst is one write and one
 * syscall). At most `WRITE_POOL_MAX` are kept. Writes below
 * `WRITE_POOLED_MIN` get a copy of their own (Node pools small Buffers).
 */
const WRITE_BUFFER_SIZE = 256 * 1024;
const WRITE_POOL_MAX = 8;
const WRITE_POOLED_MIN = 16 * 1024;
const writePool: Buffer[] = [];

function releaseWriteBuffer(b: Buffer): void {
  if (writePool.length < WRITE_POOL_MAX) writePool.push(b);
}

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

function familyOf(address: string | undefined, fallback: 4 | 6 = 4): 4 | 6 {
  return address ? (net.isIPv6(address) ? 6 : 4) : fallback;
}

/** Handlers that can be attached after the stream exists (accepted connections). */
class LateHandlers implements HostStreamHandlers {
  target: HostStreamHandlers | undefined;
  onConnect(): void {
    this.target?.onConnect();
  }
  onData(d: Uint8Array): void {
    this.target?.onData(d);
  }
  onEnd(): void {
    this.target?.onEnd();
  }
  onDrain(): void {
    this.target?.onDrain();
  }
  onClose(e?: HostError): void {
    this.target?.onClose(e);
  }
}

function socketStream(sock: net.Socket, h: HostStreamHandlers, connectTimeoutMs: number, connected: boolean): HostStream {
  let error: HostError | undefined;
  let closed = false;
  if (!connected) {
    sock.setTimeout(connectTimeoutMs, () => {
      error = { kind: 'timeout', message: 'connect timed out' };
      sock.destroy();
    });
    sock.once('connect', () => {
      sock.setTimeout(0);
      h.onConnect();
    });
  }
  sock.on('data', (b: Buffer) => h.onData(u8(b)));
  sock.on('end', () => h.onEnd());
  sock.on('drain', () => h.onDrain());
  sock.on('error', (e) => {
    error ??= mapError(e);
  });
  sock.on('close', () => {
    if (closed) return;
    closed = true;
    h.onClose(error);
  });
  return {
    write: (data) => {
      if (sock.destroyed) return true;
      sock.write(data);
      // False only past Node's mark as well, so 'drain' follows (when the queue is empty).
      return sock.writableLength < SOCKET_QUEUE_LIMIT;
    },
    writeCopy: (data) => {
      if (sock.destroyed) return true;
      if (data.length < WRITE_POOLED_MIN) {
        sock.write(Buffer.from(data));
        return sock.writableLength < SOCKET_QUEUE_LIMIT;
      }
      for (let off = 0; off < data.length; off += WRITE_BUFFER_SIZE) {
        const n = Math.min(WRITE_BUFFER_SIZE, data.length - off);
        const b = writePool.pop() ?? Buffer.allocUnsafeSlow(WRITE_BUFFER_SIZE);
        b.set(n === data.length ? data : data.subarray(off, off + n));
        sock.write(n === WRITE_BUFFER_SIZE ? b : b.subarray(0, n), () => releaseWriteBuffer(b));
      }
      return sock.writableLength < SOCKET_QUEUE_LIMIT;
    },
    end: () => {
      if (!sock.destroyed) sock.end();
    },
    destroy: () => {
      closed = true;
      if (typeof sock.resetAndDestroy === 'function' && !sock.destroyed && !sock.connecting) sock.resetAndDestroy();
      else sock.destroy();
    },
    pause: () => {
      sock.pause();
    },
    resume: () => {
      sock.resume();
    },
  };
}

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

export class NodeUserHost implements UserHost {
  private readonly connectTimeoutMs: number;
  private readonly dnsTimeoutMs: number;
  private readonly pinger: PingHelper | undefined;
  private readonly smbdPath: string | undefined;

  constructor(o: NodeUserHostOptions = {}) {
    this.connectTimeoutMs = o.connectTimeoutMs ?? 60_000;
    this.dnsTimeoutMs = o.dnsTimeoutMs ?? 5_000;
    this.pinger = o.ping === false ? undefined : new PingHelper(typeof o.ping === 'object' ? o.ping : {});
    this.smbdPath = o.smbdPath;
  }

  tcpConnect(target: HostAddress, handlers: HostStreamHandlers): HostStream {
    const sock = net.connect({ host: target.address, port: target.port, family: target.family, allowHalfOpen: true, noDelay: true });
    return socketStream(sock, handlers, this.connectTimeoutMs, false);
  }

  tcpListen(bind: { address: string; port: number }, onAccept: (stream: HostStream, peer: HostAddress) => HostStreamHandlers): Promise<HostListener> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (sock) => {
      sock.setNoDelay(true);
      const late = new LateHandlers();
      const stream = socketStream(sock, late, this.connectTimeoutMs, true);
      late.target = onAccept(stream, { family: familyOf(sock.remoteAddress), address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 });
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: bind.address || '0.0.0.0', port: bind.port }, () => {
        server.off('error', reject);
        const a = server.address() as net.AddressInfo;
        resolve({ address: a.address, port: a.port, close: () => server.close() });
      });
    });
  }

  private udpSocket(family: 4 | 6, h: HostUdpHandlers): { sock: dgram.Socket; api: HostUdpSocket } {
    const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    let closed = false;
    sock.on('message', (msg, rinfo) => h.onMessage(u8(msg), { family: rinfo.family === 'IPv6' ? 6 : 4, address: rinfo.address, port: rinfo.port }));
    sock.on('error', (e) => h.onError?.(mapError(e)));
    const api: HostUdpSocket = {
      send: (data, to) => {
        if (closed) return;
        sock.send(data, to.port, to.address, (e) => {
          if (e) h.onError?.(mapError(e));
        });
      },
      close: () => {
        if (closed) return;
        closed = true;
        sock.close();
      },
    };
    return { sock, api };
  }

  udpOpen(family: 4 | 6, handlers: HostUdpHandlers): HostUdpSocket {
    return this.udpSocket(family, handlers).api;
  }

  udpBind(bind: { address: string; port: number }, handlers: HostUdpHandlers): Promise<HostBoundUdp> {
    const family = familyOf(bind.address || undefined);
    const { sock, api } = this.udpSocket(family, handlers);
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(bind.port, bind.address || (family === 6 ? '::' : '0.0.0.0'), () => {
        sock.off('error', reject);
        const a = sock.address();
        resolve({ ...api, address: a.address, port: a.port });
      });
    });
  }

  /**
   * A and AAAA through getaddrinfo (dns.lookup: /etc/hosts and the system
   * configuration, as the host's own programs see names); other types are
   * forwarded to the first configured DNS server. Answers are encoded with
   * dns-packet; failures become SERVFAIL/NXDOMAIN answers.
   */
  dnsQuery(query: Uint8Array, done: (r: HostResult<Uint8Array>) => void): void {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(Buffer.from(query));
    } catch (e) {
      done({ ok: false, error: { kind: 'other', message: `undecodable query: ${String(e)}` } });
      return;
    }
    const question = q.questions?.[0];
    const id = q.id ?? 0;
    const answer = (rcode: number, answers: dnsPacket.Answer[]): void => {
      const flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode;
      done({ ok: true, value: u8(dnsPacket.encode({ type: 'response', id, flags, questions: q.questions ?? [], answers })) });
    };
    if (!question) {
      answer(1, []);
      return;
    }
    if ((question.type === 'A' || question.type === 'AAAA') && (question.class ?? 'IN') === 'IN') {
      const family = question.type === 'A' ? 4 : 6;
      dns.lookup(question.name, { family, all: true }, (err, addrs) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          answer(code === 'ENOTFOUND' || code === 'ENODATA' ? (code === 'ENOTFOUND' ? 3 : 0) : 2, []);
          return;
        }
        answer(0, addrs.filter((a) => a.family === family).map((a) => ({ type: question.type as 'A' | 'AAAA', name: question.name, ttl: 60, class: 'IN' as const, data: a.address })));
      });
      return;
    }
    const server = dns.getServers()[0];
    if (!server) {
      answer(2, []);
      return;
    }
    const sock = dgram.createSocket(net.isIPv6(server) ? 'udp6' : 'udp4');
    let finished = false;
    const finish = (r: HostResult<Uint8Array> | null): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.close();
      if (r) done(r);
      else answer(2, []);
    };
    const timer = setTimeout(() => finish(null), this.dnsTimeoutMs);
    sock.on('message', (msg) => finish({ ok: true, value: u8(Buffer.from(msg)) }));
    sock.on('error', () => finish(null));
    sock.send(query, 53, server);
  }

  readFile(root: string, rel: string, offset: number, length: number, done: (r: HostResult<{ data: Uint8Array; size: number }>) => void): void {
    const base = path.resolve(root);
    const full = path.resolve(base, rel);
    if (full !== base && !full.startsWith(base + path.sep)) {
      done({ ok: false, error: { kind: 'denied', message: 'outside the TFTP root' } });
      return;
    }
    void (async (): Promise<void> => {
      let fh: fs.promises.FileHandle | undefined;
      try {
        // Symbolic links must not lead out of the root either.
        const real = await fs.promises.realpath(full);
        const realBase = await fs.promises.realpath(base);
        if (real !== realBase && !real.startsWith(realBase + path.sep)) throw Object.assign(new Error('outside the TFTP root'), { code: 'EACCES' });
        fh = await fs.promises.open(real, 'r');
        const st = await fh.stat();
        if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
        const n = Math.max(0, Math.min(length, st.size - offset));
        const buf = Buffer.alloc(n);
        if (n > 0) await fh.read(buf, 0, n, offset);
        done({ ok: true, value: { data: u8(buf), size: st.size } });
      } catch (e) {
        done({ ok: false, error: mapError(e) });
      } finally {
        await fh?.close();
      }
    })();
  }

  spawn(req: SpawnRequest, h: HostStreamHandlers): HostStream {
    if (req.socketStdio) return this.spawnWithSocket(req, h);
    // A session of its own, as slirp's fork_exec: what it signals stays out of our process group.
    const child = req.shell
      ? spawnProcess(req.command, { shell: true, stdio: ['pipe', 'pipe', 'inherit'], detached: true })
      : spawnProcess(req.command, req.args ?? [], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
    let closed = false;
    let error: HostError | undefined;
    child.on('spawn', () => h.onConnect());
    child.on('error', (e) => {
      error = mapError(e);
      if (!closed) {
        closed = true;
        h.onClose(error);
      }
    });
    child.stdout?.on('data', (b: Buffer) => h.onData(u8(b)));
    child.stdout?.on('end', () => h.onEnd());
    child.stdin?.on('drain', () => h.onDrain());
    child.stdin?.on('error', () => {});
    child.on('close', () => {
      if (closed) return;
      closed = true;
      h.onClose(error);
    });
    return {
      write: (d) => child.stdin?.write(d) ?? true,
      end: () => child.stdin?.end(),
      destroy: () => {
        closed = true;
        // The whole session: with `shell`, the command runs under sh.
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
        } catch {
          child.kill();
        }
      },
      pause: () => child.stdout?.pause(),
      resume: () => child.stdout?.resume(),
    };
  }

  /** inetd style: the process gets one end of a loopback TCP connection as stdin/stdout. */
  private spawnWithSocket(req: SpawnRequest, h: HostStreamHandlers): HostStream {
    const late = new LateHandlers();
    late.target = h;
    const server = net.createServer({ allowHalfOpen: true });
    const client = new net.Socket({ allowHalfOpen: true });
    const stream = socketStream(client, late, this.connectTimeoutMs, true);
    let connectedOnce = false;
    let child: ReturnType<typeof spawnProcess> | undefined;
    server.once('connection', (side) => {
      server.close();
      // In a session of its own (as slirp's fork_exec does with setsid): smbd signals its
      // whole process group when it ends, which must not be ours.
      child = spawnProcess(req.command, req.args ?? [], { stdio: [side, side, 'ignore'], detached: true });
      child.on('spawn', () => {
        side.destroy();
        if (!connectedOnce) {
          connectedOnce = true;
          h.onConnect();
        }
      });
      child.on('error', (e) => {
        side.destroy();
        client.destroy();
        h.onClose(mapError(e));
      });
    });
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const a = server.address() as net.AddressInfo;
      client.connect({ host: '127.0.0.1', port: a.port });
    });
    const destroy = stream.destroy.bind(stream);
    stream.destroy = (): void => {
      destroy();
      server.close();
      if (child?.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    };
    return stream;
  }

  ping(req: PingRequest, done: (r: HostResult<{ rttMs: number }>) => void): void {
    if (!this.pinger) {
      done({ ok: false, error: { kind: 'unsupported', message: 'ICMP forwarding is off (ping: false)' } });
      return;
    }
    this.pinger.ping(req, done);
  }

  /** After the current job and its microtasks, before the event loop polls for I/O. */
  soon(fn: () => void): void {
    process.nextTick(fn);
  }

  async prepareSmb(dir: string): Promise<SmbSetup> {
    const smbd = this.smbdPath ?? ['/usr/sbin/smbd', '/usr/local/sbin/smbd'].find((p) => fs.existsSync(p)) ?? which('smbd');
    if (!smbd || !fs.existsSync(smbd)) throw new Error("could not find 'smbd', please install it (Samba)");
    const st = await fs.promises.stat(dir).catch(() => null);
    if (!st?.isDirectory()) throw new Error(`'${dir}' is not a directory`);
    const priv = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'nicemu-smb.'));
    await fs.promises.mkdir(path.join(priv, 'ncalrpc'));
    const conf = path.join(priv, 'smb.conf');
    await fs.promises.writeFile(conf, smbConfig({ dir: priv, share: path.resolve(dir), user: os.userInfo().username }));
    return { command: smbd, args: ['-l', priv, '-s', conf] };
  }
}

/** Timers on the wall clock (setTimeout), for running the stack against real sockets. */
export class WallClockTimers implements TimerHost {
  private readonly start = performance.now();
  now(): number {
    return Math.round((performance.now() - this.start) * 1e6);
  }
  /**
   * A timer whose deadline moves often (a TCP retransmission timer pushed back
   * by every ACK) keeps one `setTimeout`: moved later, the pending one is left
   * to fire and then waits for the rest; only a deadline earlier than the
   * pending one replaces it, and `cancel` clears it.
   */
  timer(callback: () => void, name = 'timer'): Timer {
    void name;
    let handle: ReturnType<typeof setTimeout> | undefined;
    /** When the pending setTimeout fires (ns). */
    let firesAt = -1;
    let deadline = -1;
    const clock = this;
    const schedule = (at: number): void => {
      if (handle) clearTimeout(handle);
      firesAt = at;
      handle = setTimeout(fire, Math.max(0, (at - clock.now()) / 1e6));
      handle.unref?.();
    };
    const fire = (): void => {
      handle = undefined;
      firesAt = -1;
      if (deadline < 0) return;
      // setTimeout counts whole milliseconds: within one of the deadline is on time.
      if (deadline - clock.now() > 1e6) {
        schedule(deadline);
        return;
      }
      deadline = -1;
      callback();
    };
    return {
      get armed(): boolean {
        return deadline >= 0;
      },
      get deadline(): number {
        return deadline;
      },
      arm(d: number): void {
        deadline = Math.max(d, clock.now());
        if (!handle || firesAt > deadline) schedule(deadline);
      },
      armAfter(ns: number): void {
        this.arm(clock.now() + Math.max(0, ns));
      },
      cancel(): void {
        if (handle) clearTimeout(handle);
        handle = undefined;
        firesAt = -1;
        deadline = -1;
      },
    };
  }
}
