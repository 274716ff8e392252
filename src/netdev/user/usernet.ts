/**
 * `-netdev user`: the user-mode network stack as a backend. It owns a
 * `NetClient` (connect it to a NIC or hub port); frames from the guest go
 * in through the client's receiver, frames for the guest go out through
 * `client.send`. Time, randomness and the host come from `deps`.
 */
import { type FrameOffload, NetClient, type ReceiveResult } from '../../hub/client.js';
import { OptionError } from '../../errors.js';
import type { TimerHost } from '../../time/clock.js';
import type { RandomSource } from '../../time/random.js';
import { ETHERNET_HEADER_LEN, EtherType, EthernetAddress, checkOffload } from '../../wire/index.js';
import { be16 } from '../../wire/bytes.js';
import type { Core } from './core.js';
import type { HostListener, UserHost } from './host.js';
import { type ResolvedHostFwd, type UserNetConfig, type UserNetOptions, resolveUserNetOptions } from './options.js';
import { type UserNetStats, newUserNetStats } from './stats.js';
import { Link } from './link.js';
import { Reassembler } from './reasm.js';
import { UdpNat } from './udp.js';
import { DhcpServer } from './dhcp.js';
import { DnsForwarder } from './dns.js';
import { TftpServer } from './tftp.js';
import { PingTable } from './icmp.js';
import { TcpTable } from './tcp/table.js';
import { Ndp } from './ndp.js';
import { IsnGenerator } from './tcp/isn.js';
import { ipv4Input, ipv4Predicted } from './ip4.js';
import { ipv6Input } from './ip6.js';
import { guardHost, guardTimers } from './guard.js';

export interface UserNetDeps {
  timers: TimerHost;
  random: RandomSource;
  host: UserHost;
  /** Diagnostics (QEMU would print them as warnings). */
  log?: (msg: string) => void;
}

export interface HostFwdBinding {
  rule: ResolvedHostFwd;
  /** The address and port actually bound (the port the host picked when 0 was asked). */
  address: string;
  port: number;
}

/** A snapshot of what the stack holds, for resource checks. */
export interface UserNetUsage {
  tcpConnections: number;
  tcpEmbryonic: number;
  tcpBufferedBytes: number;
  udpFlows: number;
  reassemblyBytes: number;
  reassemblyDatagrams: number;
  pendingResolution: number;
  dnsOutstanding: number;
  tftpSessions: number;
  pingsOutstanding: number;
}

export interface UserNet {
  readonly id: string;
  /** The backend's client: connect it to the NIC's client (`NetClient.connect`) or a hub port. */
  readonly client: NetClient;
  readonly config: UserNetConfig;
  readonly stats: UserNetStats;
  readonly hostfwd: readonly HostFwdBinding[];
  usage(): UserNetUsage;
  /** Tear everything down: host sockets closed, timers cancelled, the client disconnected. */
  close(): void;
}

/** A frame from the guest's NIC. `csumPartial`: see `IpMeta` (frames from `receiveOffloaded`). */
function receive(core: Core, frame: Uint8Array, csumPartial = false): ReceiveResult {
  const { stats, cfg, link } = core;
  if (core.closed) return 'drop';
  stats.rxFrames++;
  if (frame.length < ETHERNET_HEADER_LEN) {
    stats.ethTruncated++;
    return 'drop';
  }
  const bcast = EthernetAddress.isBroadcast(frame, 0);
  const v6mcast = frame[0] === 0x33 && frame[1] === 0x33;
  if (!bcast && !link.isOurMac(frame, 0) && !(v6mcast && cfg.ipv6)) {
    stats.notForUs++;
    return 'ok';
  }
  if (EthernetAddress.isMulticast(frame, 6) || link.isOurMac(frame, 6)) {
    stats.notForUs++;
    return 'drop';
  }
  // The source MAC, compared in place; `guestMac` is then a copy of it that the IP layers may keep.
  if (!link.guestMac || !EthernetAddress.equals(link.guestMac, frame, 0, 6)) link.guestMac = frame.slice(6, 12);
  const src = link.guestMac;
  const type = be16(frame, 12);
  switch (type) {
    case EtherType.ARP:
      if (cfg.ipv4) link.arpInput(frame.subarray(ETHERNET_HEADER_LEN));
      return 'ok';
    case EtherType.IPV4:
      if (!cfg.ipv4) return 'ok';
      if (!ipv4Predicted(core, frame, ETHERNET_HEADER_LEN, src, csumPartial)) ipv4Input(core, frame.subarray(ETHERNET_HEADER_LEN), src, csumPartial);
      return 'ok';
    case EtherType.IPV6:
      if (!cfg.ipv6) return 'ok';
      core.ndp.start();
      ipv6Input(core, frame.subarray(ETHERNET_HEADER_LEN), src, csumPartial);
      return 'ok';
    default:
      stats.unknownEthertype++;
      return 'ok';
  }
}

/**
 * A frame the NIC handed over with offload work left (`FrameOffload`): taken
 * when its partial checksum is the TCP or UDP checksum of the datagram it
 * carries, and a GSO frame is a TCP segment of the IP version it names whose
 * IP header describes the whole frame (a length field a software segmenter
 * would have rewritten per segment is not trusted here); then handled as
 * `receive` does, that checksum not verified. A GSO frame needs no cutting
 * up: TCP input takes a segment of any size the window has room for.
 */
function receiveOffloaded(core: Core, frame: Uint8Array, o: FrameOffload): boolean {
  if (core.closed || checkOffload(frame, o) < 0) return false;
  core.stats.rxOffloaded++;
  receive(core, frame, true);
  return true;
}

/** Build the stack; hostfwd listeners are bound and smbd prepared before it resolves. Throws `OptionError`. */
export async function createUserNet(opts: UserNetOptions, deps: UserNetDeps): Promise<UserNet> {
  const cfg = resolveUserNetOptions(opts);
  const stats = newUserNetStats();
  const log = deps.log ?? ((): void => {});
  // Modules need the core and the core holds the modules: fill it in two steps.
  let client: NetClient | undefined;
  const io = <T>(fn: () => T): T => {
    const c = client;
    if (!c) return fn();
    c.enterIo();
    try {
      return fn();
    } finally {
      c.exitIo();
    }
  };
  const core = {
    cfg,
    timers: guardTimers(deps.timers, io),
    random: deps.random,
    host: guardHost(deps.host, io),
    stats,
    closed: false,
    smb: null,
    log,
  } as unknown as { -readonly [K in keyof Core]: Core[K] };
  const nc = new NetClient(
    cfg.id,
    { canReceive: () => !core.closed, receive: (f) => receive(core, f), receiveOffloaded: (f, o) => receiveOffloaded(core, f, o) },
    { kind: 'backend' },
  );
  client = nc;
  core.link = new Link(cfg, stats, (frame) => nc.send(frame) !== 'dropped', () => deps.timers.now(), {
    now: () => nc.peerOffloads(),
    later: () => nc.peerOffloadsLater(),
    send: (frame, o) => nc.sendOffloaded(frame, o),
  });
  const l = cfg.limits;
  const reasmLimits = { bytes: l.reassemblyBytes, datagrams: l.reassemblyDatagrams, fragments: l.reassemblyFragments, timeoutMs: l.reassemblyTimeoutMs };
  core.reasm4 = new Reassembler(reasmLimits, core.timers, stats);
  core.reasm6 = new Reassembler(reasmLimits, core.timers, stats);
  core.isn = new IsnGenerator(deps.random);
  core.udp = new UdpNat(core);
  core.dhcp = new DhcpServer(core);
  core.dns = new DnsForwarder(core);
  core.tftp = new TftpServer(core);
  core.ping = new PingTable();
  core.tcp = new TcpTable(core);
  core.ndp = new Ndp(core);
  core.link.onNeedNeighbour6 = (dst): void => core.ndp.solicit(dst);

  const listeners: HostListener[] = [];
  const bindings: HostFwdBinding[] = [];
  const shutdown = (): void => {
    if (core.closed) return;
    core.closed = true;
    core.tcp.close();
    core.udp.close();
    core.dns.close();
    core.tftp.close();
    core.ndp.stop();
    core.reasm4.clear();
    core.reasm6.clear();
    core.link.reset();
    for (const x of listeners) x.close();
    nc.disconnect();
  };
  try {
    if (cfg.smb) {
      try {
        core.smb = await deps.host.prepareSmb(cfg.smb.dir);
      } catch (e) {
        throw new OptionError(`-netdev user: smb=${cfg.smb.dir}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    for (const rule of cfg.hostfwd) {
      try {
        const b = rule.proto === 'tcp' ? await core.tcp.listen(rule) : await core.udp.listen(rule);
        bindings.push({ rule, address: b.address, port: b.port });
      } catch (e) {
        throw new OptionError(`-netdev user: could not set up host forwarding rule '${rule.proto}:${rule.hostAddr}:${rule.hostPort}-:${rule.guestPort}': ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  } catch (e) {
    shutdown();
    throw e;
  }

  return {
    id: cfg.id,
    client: nc,
    config: cfg,
    stats,
    hostfwd: bindings,
    usage: () => ({
      tcpConnections: core.tcp.size,
      tcpEmbryonic: core.tcp.embryonic(),
      tcpBufferedBytes: core.tcp.bufferedBytes(),
      udpFlows: core.udp.flowCount,
      reassemblyBytes: core.reasm4.bytesHeld + core.reasm6.bytesHeld,
      reassemblyDatagrams: core.reasm4.datagrams + core.reasm6.datagrams,
      pendingResolution: core.link.pendingCount,
      dnsOutstanding: core.dns.outstanding,
      tftpSessions: core.tftp.sessions.size,
      pingsOutstanding: core.ping.outstanding,
    }),
    close: shutdown,
  };
}
