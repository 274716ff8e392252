/**
 * The DHCP/BOOTP server (RFC 2131, RFC 951): 16 leases from `dhcpstart`,
 * 24 hours each, with the options QEMU hands out: 1, 3 and 6 (router and
 * DNS left out under restrict=on), 12, 15, 51, 53, 54, 66, 67, 119.
 * A request without a message type is old BOOTP and is answered with an ACK.
 */
import { EthernetAddress } from '../../wire/index.js';
import type { Core } from './core.js';
import type { IpMeta } from './ip4.js';
import { ip4, ip4Bytes } from './addr.js';
import {
  BootpOp,
  DHCP_CLIENT_PORT,
  DHCP_OPTIONS_SPACE,
  DHCP_SERVER_PORT,
  type DhcpOption,
  DhcpOptionCode,
  DhcpMessageType,
  DhcpPacket,
  DhcpRepr,
  DhcpValue,
  dhcpOption,
  dhcpOptionsLen,
} from './wire/dhcp.js';
import { isAppWireError } from './wire/error.js';
import { sendUdp } from './udp.js';

/** Lease time in seconds (QEMU LEASE_TIME). */
export const DHCP_LEASE_SECONDS = 24 * 3600;
/** How long a declined address stays out of the pool (RFC 2131 §4.3.3 leaves it to the server). */
const DECLINE_HOLD_NS = 10 * 60 * 1e9;

interface Lease {
  mac: Uint8Array | null;
  expiresAt: number;
  declinedUntil: number;
}

export class DhcpServer {
  readonly leases: Lease[];

  constructor(private readonly core: Core) {
    this.leases = Array.from({ length: core.cfg.dhcpCount }, () => ({ mac: null, expiresAt: 0, declinedUntil: 0 }));
  }

  /** The address of lease `i`. */
  addr(i: number): number {
    return (this.core.cfg.dhcpStart + i) >>> 0;
  }

  indexOf(addr: number): number {
    const i = addr - this.core.cfg.dhcpStart;
    return i >= 0 && i < this.leases.length ? i : -1;
  }

  byMac(mac: Uint8Array): number {
    return this.leases.findIndex((l) => l.mac !== null && EthernetAddress.equals(l.mac, mac));
  }

  private available(i: number, mac: Uint8Array): boolean {
    const l = this.leases[i]!;
    const now = this.core.timers.now();
    if (l.declinedUntil > now) return false;
    return l.mac === null || EthernetAddress.equals(l.mac, mac) || l.expiresAt <= now;
  }

  /** The lease for `mac`: its own, the requested address if free, else the first free one. */
  allocate(mac: Uint8Array, requested: number): number {
    const own = this.byMac(mac);
    if (own >= 0 && this.available(own, mac)) return own;
    const r = this.indexOf(requested);
    if (r >= 0 && this.available(r, mac)) return r;
    for (let i = 0; i < this.leases.length; i++) if (this.available(i, mac)) return i;
    return -1;
  }

  bind(i: number, mac: Uint8Array): void {
    const l = this.leases[i]!;
    l.mac = mac.slice(0, 6);
    l.expiresAt = this.core.timers.now() + DHCP_LEASE_SECONDS * 1e9;
  }

  release(i: number): void {
    const l = this.leases[i]!;
    l.mac = null;
    l.expiresAt = 0;
  }

  decline(i: number): void {
    this.release(i);
    this.leases[i]!.declinedUntil = this.core.timers.now() + DECLINE_HOLD_NS;
  }
}

export function dhcpInput(core: Core, meta: IpMeta, payload: Uint8Array): void {
  const { stats, cfg } = core;
  const p = DhcpPacket.checked(payload);
  if (isAppWireError(p)) {
    stats.dhcpMalformed++;
    return;
  }
  if (p.op !== BootpOp.REQUEST || p.htype !== 1 || p.hlen !== 6) {
    stats.dhcpIgnored++;
    return;
  }
  const parsed = p.options();
  if (parsed.stopped) stats.dhcpOptionOverrun++;
  const opts = parsed.options;
  const typeOpt = dhcpOption(opts, DhcpOptionCode.MESSAGE_TYPE);
  // No message type: a BOOTP client (libslirp answers it as a DHCP request).
  const type = typeOpt && typeOpt.length >= 1 ? typeOpt[0]! : 0;
  const sid = dhcpOption(opts, DhcpOptionCode.SERVER_ID);
  if (sid && sid.length === 4 && ip4(sid) !== cfg.host) {
    stats.dhcpIgnored++;
    return;
  }
  const req = dhcpOption(opts, DhcpOptionCode.REQUESTED_IP);
  const requested = req && req.length === 4 ? ip4(req) : p.ciaddr;
  const mac = p.chaddr.slice();
  const srv = core.dhcp;
  switch (type) {
    case DhcpMessageType.DISCOVER: {
      const i = srv.allocate(mac, requested);
      if (i < 0) {
        stats.dhcpNoLease++;
        return;
      }
      // Reserved for this client from the offer on (as libslirp), so parallel DISCOVERs get distinct addresses.
      srv.bind(i, mac);
      stats.dhcpOffers++;
      reply(core, p, DhcpMessageType.OFFER, srv.addr(i), mac);
      return;
    }
    case 0:
    case DhcpMessageType.REQUEST: {
      let i: number;
      if (requested === 0) i = srv.allocate(mac, 0);
      else {
        i = srv.indexOf(requested);
        if (i >= 0 && srv.allocate(mac, requested) !== i) i = -1;
        if (i < 0) {
          stats.dhcpNaks++;
          reply(core, p, DhcpMessageType.NAK, 0, mac);
          return;
        }
      }
      if (i < 0) {
        stats.dhcpNoLease++;
        return;
      }
      srv.bind(i, mac);
      core.link.learn4(srv.addr(i), mac);
      stats.dhcpAcks++;
      reply(core, p, DhcpMessageType.ACK, srv.addr(i), mac);
      return;
    }
    case DhcpMessageType.RELEASE: {
      const i = srv.indexOf(p.ciaddr);
      if (i >= 0 && srv.byMac(mac) === i) {
        srv.release(i);
        stats.dhcpReleases++;
      }
      return;
    }
    case DhcpMessageType.DECLINE: {
      const i = srv.indexOf(requested);
      if (i >= 0 && srv.byMac(mac) === i) srv.decline(i);
      return;
    }
    case DhcpMessageType.INFORM:
      stats.dhcpInforms++;
      reply(core, p, DhcpMessageType.ACK, 0, mac, true);
      return;
    default:
      stats.dhcpIgnored++;
  }
}

/** The options of a reply, in QEMU's order. */
export function replyOptions(core: Core, type: number, inform: boolean): DhcpOption[] {
  const cfg = core.cfg;
  const opts: DhcpOption[] = [];
  // BOOTP clients get the DHCP type too: they skip options they do not know (RFC 1533 §2), as libslirp relies on.
  opts.push({ code: DhcpOptionCode.MESSAGE_TYPE, data: DhcpValue.u8(type) });
  opts.push({ code: DhcpOptionCode.SERVER_ID, data: DhcpValue.ip(cfg.host) });
  if (type === DhcpMessageType.NAK) return opts;
  if (!inform) opts.push({ code: DhcpOptionCode.LEASE_TIME, data: DhcpValue.u32(DHCP_LEASE_SECONDS) });
  opts.push({ code: DhcpOptionCode.SUBNET_MASK, data: DhcpValue.ip(cfg.mask) });
  if (!cfg.restrict) {
    opts.push({ code: DhcpOptionCode.ROUTER, data: DhcpValue.ip(cfg.host) });
    opts.push({ code: DhcpOptionCode.DNS, data: DhcpValue.ip(cfg.dns) });
  }
  if (cfg.hostname) opts.push({ code: DhcpOptionCode.HOSTNAME, data: DhcpValue.text(cfg.hostname) });
  if (cfg.domainname) opts.push({ code: DhcpOptionCode.DOMAIN_NAME, data: DhcpValue.text(cfg.domainname) });
  if (cfg.tftpServerName) opts.push({ code: DhcpOptionCode.TFTP_SERVER_NAME, data: DhcpValue.text(cfg.tftpServerName) });
  if (cfg.bootfile) opts.push({ code: DhcpOptionCode.BOOTFILE_NAME, data: DhcpValue.text(cfg.bootfile) });
  if (cfg.dnssearchEncoded) {
    const withSearch = [...opts, { code: DhcpOptionCode.DOMAIN_SEARCH, data: cfg.dnssearchEncoded }];
    // QEMU leaves the search list out when it does not fit the reply.
    if (dhcpOptionsLen(withSearch) <= DHCP_OPTIONS_SPACE) return withSearch;
    core.log('DHCP reply size exceeded: domain-search option left out');
  }
  return opts;
}

function reply(core: Core, req: DhcpPacket, type: number, yiaddr: number, mac: Uint8Array, inform = false): void {
  const cfg = core.cfg;
  const repr: DhcpRepr = {
    op: BootpOp.REPLY,
    xid: req.xid,
    flags: req.flags,
    ciaddr: inform ? req.ciaddr : 0,
    yiaddr,
    siaddr: type === DhcpMessageType.NAK ? 0 : cfg.host,
    giaddr: req.giaddr,
    chaddr: mac,
    options: replyOptions(core, type, inform),
  };
  if (cfg.bootfile && type !== DhcpMessageType.NAK) repr.file = cfg.bootfile;
  const buf = new Uint8Array(DhcpRepr.bufferLen(repr));
  DhcpRepr.emit(repr, buf);
  // INFORM answers go to the client's address (RFC 2131 §4.3.5); everything else is broadcast to chaddr.
  const dst = inform && req.ciaddr !== 0 ? ip4Bytes(req.ciaddr) : ip4Bytes(0xffffffff);
  sendUdp(core, ip4Bytes(cfg.host), DHCP_SERVER_PORT, dst, DHCP_CLIENT_PORT, buf, mac);
}
