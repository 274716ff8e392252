/**
 * Bounded IP reassembly (RFC 791 §3.2, RFC 8200 §4.5) shared by IPv4 and
 * IPv6. Bounds: bytes held across all datagrams, datagrams in progress,
 * fragments per datagram, a 65535-byte datagram, and a timeout. Overlapping
 * fragments discard the whole datagram (RFC 5722's rule, applied to IPv4
 * too: CVE-2019-14378, CVE-2019-15890, CVE-2020-1983, CVE-2018-11806).
 */
import type { Timer, TimerHost } from '../../time/clock.js';
import type { UserNetStats } from './stats.js';

export interface ReassemblyLimits {
  bytes: number;
  datagrams: number;
  fragments: number;
  timeoutMs: number;
}

/** Largest reassembled payload: an IPv4 datagram cannot exceed 65535 bytes with its header. */
export const MAX_REASSEMBLED = 65535;

interface Frag {
  off: number;
  data: Uint8Array;
}

interface Entry {
  frags: Frag[];
  bytes: number;
  /** Payload length once the last fragment (MF=0) arrived, else -1. */
  total: number;
  /** Headers of the fragment at offset 0 (what the rebuilt datagram starts with). */
  header: Uint8Array | null;
  deadline: number;
}

export interface Reassembled {
  header: Uint8Array;
  payload: Uint8Array;
}

export class Reassembler {
  private readonly entries = new Map<string, Entry>();
  private held = 0;
  private readonly timer: Timer;

  constructor(
    private readonly limits: ReassemblyLimits,
    private readonly timers: TimerHost,
    private readonly stats: UserNetStats,
  ) {
    this.timer = timers.timer(() => this.expire(), 'user-net reassembly');
  }

  /** Bytes currently held. */
  get bytesHeld(): number {
    return this.held;
  }

  get datagrams(): number {
    return this.entries.size;
  }

  /**
   * Add one fragment: `off` and `data` locate its payload in the datagram,
   * `header` is what precedes the payload (used when off is 0). Returns the
   * whole datagram when this fragment completed it.
   */
  add(key: string, off: number, more: boolean, data: Uint8Array, header: Uint8Array): Reassembled | undefined {
    this.stats.fragReceived++;
    const end = off + data.length;
    if (end + header.length > MAX_REASSEMBLED || data.length === 0 || (more && (data.length & 7) !== 0)) {
      this.stats.fragTooBig++;
      this.drop(key);
      return undefined;
    }
    if (data.length > this.limits.bytes) {
      this.stats.fragMemoryLimit++;
      this.drop(key);
      return undefined;
    }
    let e = this.entries.get(key);
    if (!e) {
      while (this.entries.size >= this.limits.datagrams && this.entries.size > 0) this.evictOldest();
      if (this.limits.datagrams <= 0) {
        this.stats.fragMemoryLimit++;
        return undefined;
      }
      e = { frags: [], bytes: 0, total: -1, header: null, deadline: this.timers.now() + this.limits.timeoutMs * 1e6 };
      this.entries.set(key, e);
      this.arm();
    }
    for (const f of e.frags) {
      const fend = f.off + f.data.length;
      if (off < fend && f.off < end) {
        if (f.off === off && f.data.length === data.length && equal(f.data, data)) return undefined;
        this.stats.fragOverlap++;
        this.drop(key);
        return undefined;
      }
    }
    if (!more) {
      if ((e.total >= 0 && e.total !== end) || e.frags.some((f) => f.off + f.data.length > end)) {
        this.stats.fragOverlap++;
        this.drop(key);
        return undefined;
      }
      e.total = end;
    } else if (e.total >= 0 && end > e.total) {
      this.stats.fragOverlap++;
      this.drop(key);
      return undefined;
    }
    if (e.frags.length >= this.limits.fragments) {
      this.stats.fragDropped++;
      this.drop(key);
      return undefined;
    }
    while (this.held + data.length > this.limits.bytes) {
      const victim = this.oldestOther(key);
      if (!victim) {
        this.stats.fragMemoryLimit++;
        this.drop(key);
        return undefined;
      }
      this.stats.fragMemoryLimit++;
      this.drop(victim);
    }
    e.frags.push({ off, data: data.slice() });
    e.bytes += data.length;
    this.held += data.length;
    if (off === 0) e.header = header.slice();
    if (e.total < 0 || e.bytes !== e.total || !e.header) return undefined;
    const payload = new Uint8Array(e.total);
    for (const f of e.frags) payload.set(f.data, f.off);
    const done = { header: e.header, payload };
    this.drop(key);
    this.stats.fragReassembled++;
    return done;
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.held -= e.bytes;
    this.entries.delete(key);
  }

  private evictOldest(): void {
    const k = this.entries.keys().next().value;
    if (k !== undefined) {
      this.stats.fragMemoryLimit++;
      this.drop(k);
    }
  }

  private oldestOther(key: string): string | undefined {
    for (const k of this.entries.keys()) if (k !== key) return k;
    return undefined;
  }

  private arm(): void {
    let first = Infinity;
    for (const e of this.entries.values()) if (e.deadline < first) first = e.deadline;
    if (first === Infinity) this.timer.cancel();
    else this.timer.arm(first);
  }

  private expire(): void {
    const now = this.timers.now();
    for (const [k, e] of this.entries) {
      if (e.deadline <= now) {
        this.stats.fragTimeout++;
        this.drop(k);
      }
    }
    this.arm();
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
    this.timer.cancel();
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
