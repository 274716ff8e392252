/**
 * DNS forwarding: queries to the virtual DNS address (IPv4 `dns=`, IPv6
 * `ipv6-dns=`) port 53 are checked, handed to the host resolver, and the
 * answers sent back from the virtual DNS address. Dropped under restrict=on
 * (as libslirp does).
 */
import type { Timer } from '../../time/clock.js';
import type { Core } from './core.js';
import type { IpMeta } from './ip4.js';
import { DnsMessage, DNS_HEADER_LEN } from './wire/dns.js';
import { isAppWireError } from './wire/error.js';
import { sendUdp } from './udp.js';

export class DnsForwarder {
  outstanding = 0;
  private readonly timers = new Set<Timer>();

  constructor(private readonly core: Core) {}

  /** Forget pending queries (close). */
  close(): void {
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }

  query(meta: IpMeta, sport: number, payload: Uint8Array): void {
    const core = this.core;
    const { stats, cfg } = core;
    if (this.outstanding >= cfg.limits.maxDnsQueries) {
      stats.dnsLimit++;
      return;
    }
    this.outstanding++;
    stats.dnsQueries++;
    const guest = meta.src.slice();
    const server = meta.dst.slice();
    let done = false;
    const timer = core.timers.timer(() => finish(), 'user-net dns');
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      this.outstanding--;
      timer.cancel();
      this.timers.delete(timer);
      return true;
    };
    this.timers.add(timer);
    timer.armAfter(cfg.limits.dnsTimeoutMs * 1e6);
    core.host.dnsQuery(payload.slice(), (r) => {
      if (!finish() || core.closed) return;
      if (!r.ok || r.value.length < DNS_HEADER_LEN) {
        stats.dnsFailures++;
        return;
      }
      stats.dnsAnswers++;
      sendUdp(core, server, 53, guest, sport, r.value);
    });
  }
}

export function dnsInput(core: Core, meta: IpMeta, sport: number, payload: Uint8Array): void {
  const { stats } = core;
  if (core.cfg.restrict) {
    stats.restrictedDrops++;
    return;
  }
  const m = DnsMessage.checked(payload);
  if (isAppWireError(m) || m.isResponse) {
    stats.dnsMalformed++;
    return;
  }
  const q = m.firstQuestion();
  if (isAppWireError(q)) {
    stats.dnsMalformed++;
    return;
  }
  core.dns.query(meta, sport, payload);
}
