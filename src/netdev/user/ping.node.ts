/**
 * ICMP echo for the user-mode stack under Node, through native/ping-helper.c:
 * Node has no ICMP sockets, the helper has. It uses an unprivileged ICMP
 * datagram socket where the OS allows one (Linux: net.ipv4.ping_group_range
 * covers the process's group) and a raw socket where the process may open
 * one (CAP_NET_RAW, e.g. root); with neither, pings fail as `unsupported` and
 * the stack answers the guest with "destination unreachable".
 *
 * One helper process serves every ping of the stack; it is started on the
 * first ping and stopped by `close()`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { nativeHelperPath } from '../native.node.js';
import type { HostResult, PingRequest } from './host.js';

type Done = (r: HostResult<{ rttMs: number }>) => void;

export interface PingHelperOptions {
  /** Give up on a reply after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Pings waiting for a reply at once; more fail at once (default 64). */
  maxPending?: number;
}

/** Which socket the helper got per family (`ready` line). */
export interface PingCapabilities {
  v4: 'dgram' | 'raw' | 'none';
  v6: 'dgram' | 'raw' | 'none';
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export class PingHelper {
  private child: ChildProcess | undefined;
  private failed: string | undefined;
  private caps: PingCapabilities | undefined;
  private readonly waiting: Array<() => void> = [];
  private readonly pending = new Map<number, { done: Done; timer: ReturnType<typeof setTimeout> }>();
  private nextId = 1;
  private buffered = '';
  private readonly timeoutMs: number;
  private readonly maxPending: number;

  constructor(opts: PingHelperOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.maxPending = opts.maxPending ?? 64;
  }

  /** The helper's sockets, once it has started (undefined before the first ping, or when it could not start). */
  get capabilities(): PingCapabilities | undefined {
    return this.caps;
  }

  ping(req: PingRequest, done: Done): void {
    if (this.failed !== undefined) return done({ ok: false, error: { kind: 'unsupported', message: this.failed } });
    if (this.pending.size >= this.maxPending) return done({ ok: false, error: { kind: 'timeout', message: 'too many pings in flight' } });
    this.start();
    if (!this.caps) {
      this.waiting.push(() => this.ping(req, done));
      return;
    }
    const sock = req.family === 6 ? this.caps.v6 : this.caps.v4;
    if (sock === 'none') {
      return done({
        ok: false,
        error: { kind: 'unsupported', message: `no ICMP${req.family === 6 ? 'v6' : ''} socket on this host (needs net.ipv4.ping_group_range to cover our group, or CAP_NET_RAW)` },
      });
    }
    const id = this.nextId++;
    const timer = setTimeout(() => {
      if (this.pending.delete(id)) done({ ok: false, error: { kind: 'timeout', message: `no echo reply from ${req.address}` } });
    }, this.timeoutMs);
    timer.unref?.();
    this.pending.set(id, { done, timer });
    this.child?.stdin?.write(`${id} ${req.family} ${req.address} ${req.ttl} ${hex(req.payload)}\n`);
  }

  close(): void {
    this.child?.kill();
    this.child = undefined;
    this.failed ??= 'the ping helper was closed';
    this.settleAll('the ping helper was closed');
  }

  private start(): void {
    if (this.child || this.failed !== undefined) return;
    let bin: string;
    try {
      bin = nativeHelperPath({ name: 'ping-helper', needs: 'a C compiler (gcc)' });
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
      return;
    }
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.child = child;
    child.unref();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    child.stdin?.on('error', () => {});
    child.on('error', (e) => this.fail(`the ping helper did not start: ${e.message}`));
    child.on('close', () => {
      if (this.child === child) this.fail('the ping helper exited');
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.onData(chunk));
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    for (;;) {
      const nl = this.buffered.indexOf('\n');
      if (nl < 0) break;
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    const ready = /^ready v4=(dgram|raw|none) v6=(dgram|raw|none)$/.exec(line);
    if (ready) {
      this.caps = { v4: ready[1] as PingCapabilities['v4'], v6: ready[2] as PingCapabilities['v6'] };
      for (const w of this.waiting.splice(0)) w();
      return;
    }
    const m = /^(\d+) (ok|err) (\S+)$/.exec(line);
    if (!m) return;
    const p = this.pending.get(Number(m[1]));
    if (!p) return;
    this.pending.delete(Number(m[1]));
    clearTimeout(p.timer);
    if (m[2] === 'ok') p.done({ ok: true, value: { rttMs: Number(m[3]) / 1000 } });
    else p.done({ ok: false, error: { kind: m[3] === 'unreachable' ? 'unreachable' : m[3] === 'refused' ? 'denied' : m[3] === 'unsupported' ? 'unsupported' : 'other', message: `ping: ${m[3]}` } });
  }

  private fail(message: string): void {
    this.failed ??= message;
    this.child = undefined;
    this.settleAll(message);
  }

  private settleAll(message: string): void {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.done({ ok: false, error: { kind: 'unsupported', message } });
    }
    this.pending.clear();
    for (const w of this.waiting.splice(0)) w();
  }
}
