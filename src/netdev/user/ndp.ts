/**
 * IPv6 neighbour discovery and friends: Router Advertisements with the
 * prefix and RDNSS (RFC 4861 §6, RFC 4862, RFC 8106), Neighbor
 * Solicitation/Advertisement (RFC 4861 §7), ICMPv6 echo (RFC 4443 §4), and
 * the stateless DHCPv6 server answering Information-request (RFC 8415 §18.4).
 */
import {
  Icmpv6Packet,
  Icmpv6Repr,
  IpProtocol,
  Ipv6Address,
  RA_FLAG_OTHER,
  isWireError,
  type NdpOption,
} from '../../wire/index.js';
import type { Timer } from '../../time/clock.js';
import type { Core } from './core.js';
import type { IpMeta } from './ip4.js';
import { LINK_LOCAL_PREFIX, ip6Equal, ip6WithPrefix } from './addr.js';
import { forwardPing, sendEchoReply6 } from './icmp.js';
import { sendUdp } from './udp.js';
import {
  DHCPV6_CLIENT_PORT,
  DHCPV6_SERVER_PORT,
  Dhcpv6MessageType,
  Dhcpv6OptionCode,
  type Dhcpv6Option,
  Dhcpv6Repr,
  dhcpv6Option,
  duidLl,
} from './wire/dhcpv6.js';
import { isAppWireError } from './wire/error.js';
import { encodeDnsName } from './wire/dns.js';

/** Router advertisement timing (RFC 4861 §6.2.1 defaults: MaxRtrAdvInterval 600 s, Min 0.33 × Max). */
export const RA_MAX_INTERVAL_S = 600;
export const RA_MIN_INTERVAL_S = 200;
/** Router lifetime (3 × MaxRtrAdvInterval). */
export const RA_ROUTER_LIFETIME_S = 1800;
/** Prefix lifetimes (RFC 4861 §6.2.1 AdvValidLifetime / AdvPreferredLifetime defaults). */
export const RA_VALID_LIFETIME_S = 86400;
export const RA_PREFERRED_LIFETIME_S = 14400;

export class Ndp {
  /** The router's link-local address: fe80:: with the interface identifier of `ipv6-host`. */
  readonly linkLocal: Uint8Array;
  private readonly raTimer: Timer;
  private started = false;

  constructor(private readonly core: Core) {
    this.linkLocal = ip6WithPrefix(LINK_LOCAL_PREFIX, 64, core.cfg.ipv6Host);
    this.raTimer = core.timers.timer(() => this.periodicRa(), 'user-net ra');
  }

  /** Called on guest activity: start unsolicited RAs once IPv6 is on. */
  start(): void {
    if (this.started || !this.core.cfg.ipv6) return;
    this.started = true;
    this.scheduleRa();
  }

  private scheduleRa(): void {
    const span = RA_MAX_INTERVAL_S - RA_MIN_INTERVAL_S;
    const s = RA_MIN_INTERVAL_S + (this.core.random.nextU32() % (span * 1000)) / 1000;
    this.raTimer.armAfter(s * 1e9);
  }

  private periodicRa(): void {
    if (this.core.closed) return;
    sendRa(this.core, Ipv6Address.allNodes());
    this.scheduleRa();
  }

  /** Neighbor Solicitation for a guest address we must send to (RFC 4861 §7.2.2). */
  solicit(target: Uint8Array): void {
    const core = this.core;
    const dst = Ipv6Address.solicitedNode(target);
    const repr: Icmpv6Repr = { type: 'neighbor-solicit', target: target.slice(), options: [{ type: 'source-ll-addr', addr: core.link.routerMac }] };
    const src = this.linkLocal;
    core.link.sendIp(src, dst, IpProtocol.ICMPV6, Icmpv6Repr.bufferLen(repr), (b) => Icmpv6Repr.emit(repr, b, src, dst), { ttl: 255 });
  }

  stop(): void {
    this.raTimer.cancel();
  }
}

export function isOurAddress6(core: Core, a: Uint8Array): boolean {
  return ip6Equal(a, core.cfg.ipv6Host) || ip6Equal(a, core.cfg.ipv6Dns) || ip6Equal(a, core.ndp.linkLocal);
}

export function sendRa(core: Core, dst: Uint8Array): void {
  const cfg = core.cfg;
  const options: NdpOption[] = [
    { type: 'source-ll-addr', addr: core.link.routerMac },
    { type: 'mtu', mtu: cfg.mtu },
    {
      type: 'prefix-info',
      prefixLen: cfg.ipv6PrefixLen,
      onLink: true,
      autonomous: true,
      validLifetime: RA_VALID_LIFETIME_S,
      preferredLifetime: RA_PREFERRED_LIFETIME_S,
      prefix: cfg.ipv6Prefix,
    },
  ];
  if (!cfg.restrict) options.push({ type: 'rdnss', lifetime: RA_ROUTER_LIFETIME_S, servers: [cfg.ipv6Dns] });
  const repr: Icmpv6Repr = {
    type: 'router-advert',
    curHopLimit: 64,
    // "Other configuration": DNS also by DHCPv6 Information-request.
    flags: RA_FLAG_OTHER,
    routerLifetime: cfg.restrict ? 0 : RA_ROUTER_LIFETIME_S,
    reachableTime: 0,
    retransTimer: 0,
    options,
  };
  const src = core.ndp.linkLocal;
  core.stats.ndpRouterAdverts++;
  core.link.sendIp(src, dst, IpProtocol.ICMPV6, Icmpv6Repr.bufferLen(repr), (b) => Icmpv6Repr.emit(repr, b, src, dst), { ttl: 255 });
}

function llOption(options: readonly NdpOption[], type: 'source-ll-addr' | 'target-ll-addr'): Uint8Array | undefined {
  for (const o of options) if (o.type === type && o.addr.length === 6) return o.addr;
  return undefined;
}

export function icmp6Input(core: Core, meta: IpMeta, l4: Uint8Array, hopLimit: number, srcMac: Uint8Array): void {
  const { stats } = core;
  const p = Icmpv6Packet.checked(l4);
  if (isWireError(p)) {
    stats.icmpv6Malformed++;
    return;
  }
  const r = Icmpv6Repr.parse(p, meta.src, meta.dst);
  if (isWireError(r)) {
    stats.icmpv6Malformed++;
    return;
  }
  const src = meta.src.slice();
  const unspecified = Ipv6Address.isUnspecified(src);
  switch (r.type) {
    case 'echo-request': {
      if (unspecified) return;
      const dst = meta.dst;
      if (isOurAddress6(core, dst) || Ipv6Address.isMulticast(dst)) {
        stats.icmpEchoLocal++;
        const from = Ipv6Address.isMulticast(dst) ? (Ipv6Address.isLinkLocal(src) ? core.ndp.linkLocal : core.cfg.ipv6Host) : dst.slice();
        sendEchoReply6(core, from, src, r.ident, r.seqNo, r.data.slice());
        return;
      }
      forwardPing(core, meta, r.ident, r.seqNo, r.data.slice());
      return;
    }
    case 'router-solicit': {
      if (hopLimit !== 255) {
        stats.ndpHopLimit++;
        return;
      }
      const ll = llOption(r.options, 'source-ll-addr');
      if (!unspecified && ll) core.link.learn6(src, ll);
      sendRa(core, Ipv6Address.allNodes());
      return;
    }
    case 'neighbor-solicit': {
      if (hopLimit !== 255) {
        stats.ndpHopLimit++;
        return;
      }
      stats.ndpNeighborSolicits++;
      const ll = llOption(r.options, 'source-ll-addr');
      if (!unspecified) core.link.learn6(src, ll ?? srcMac);
      if (!isOurAddress6(core, r.target)) return;
      const target = r.target.slice();
      const dst = unspecified ? Ipv6Address.allNodes() : src;
      const na: Icmpv6Repr = { type: 'neighbor-advert', router: true, solicited: !unspecified, override: true, target, options: [{ type: 'target-ll-addr', addr: core.link.routerMac }] };
      core.link.sendIp(target, dst, IpProtocol.ICMPV6, Icmpv6Repr.bufferLen(na), (b) => Icmpv6Repr.emit(na, b, target, dst), {
        ttl: 255,
        ...(unspecified ? {} : { dstMac: ll ?? srcMac }),
      });
      return;
    }
    case 'neighbor-advert': {
      if (hopLimit !== 255) {
        stats.ndpHopLimit++;
        return;
      }
      const ll = llOption(r.options, 'target-ll-addr');
      core.link.learn6(r.target, ll ?? srcMac);
      return;
    }
    default:
      return;
  }
}

/** Stateless DHCPv6: answer Information-request with DNS servers, search list and boot URL. */
export function dhcpv6Input(core: Core, meta: IpMeta, sport: number, payload: Uint8Array): void {
  const { stats, cfg } = core;
  const m = Dhcpv6Repr.parse(payload);
  if (isAppWireError(m)) {
    stats.dhcpv6Malformed++;
    return;
  }
  if (m.msgType !== Dhcpv6MessageType.INFORMATION_REQUEST) return;
  const serverId = duidLl(core.link.routerMac);
  const theirServer = dhcpv6Option(m.options, Dhcpv6OptionCode.SERVERID);
  if (theirServer && !bytesEqual(theirServer, serverId)) return;
  const options: Dhcpv6Option[] = [{ code: Dhcpv6OptionCode.SERVERID, data: serverId }];
  const clientId = dhcpv6Option(m.options, Dhcpv6OptionCode.CLIENTID);
  if (clientId) options.push({ code: Dhcpv6OptionCode.CLIENTID, data: clientId.slice() });
  if (!cfg.restrict) options.push({ code: Dhcpv6OptionCode.DNS_SERVERS, data: cfg.ipv6Dns.slice() });
  if (cfg.dnssearch.length) {
    const parts: Uint8Array[] = [];
    for (const n of cfg.dnssearch) {
      const e = encodeDnsName(n);
      if (e instanceof Uint8Array) parts.push(e);
    }
    const data = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
    let off = 0;
    for (const x of parts) {
      data.set(x, off);
      off += x.length;
    }
    options.push({ code: Dhcpv6OptionCode.DOMAIN_LIST, data });
  }
  if (cfg.tftp && cfg.bootfile) {
    const url = `tftp://[${Ipv6Address.format(cfg.ipv6Host)}]/${cfg.bootfile}`;
    options.push({ code: Dhcpv6OptionCode.BOOTFILE_URL, data: new TextEncoder().encode(url) });
  }
  const reply: Dhcpv6Repr = { msgType: Dhcpv6MessageType.REPLY, transactionId: m.transactionId, options };
  const buf = new Uint8Array(Dhcpv6Repr.bufferLen(reply));
  Dhcpv6Repr.emit(reply, buf);
  stats.dhcpv6Replies++;
  const from = Ipv6Address.isLinkLocal(meta.src) ? core.ndp.linkLocal : cfg.ipv6Host;
  sendUdp(core, from, DHCPV6_SERVER_PORT, meta.src.slice(), sport === 0 ? DHCPV6_CLIENT_PORT : sport, buf);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
