/**
 * The pieces of one user-mode stack and what they share. Each module keeps
 * its own state and exposes functions; `Core` only wires them together.
 */
import type { TimerHost } from '../../time/clock.js';
import type { RandomSource } from '../../time/random.js';
import type { SmbSetup, UserHost } from './host.js';
import type { UserNetConfig } from './options.js';
import type { UserNetStats } from './stats.js';
import type { Link } from './link.js';
import type { Reassembler } from './reasm.js';
import type { UdpNat } from './udp.js';
import type { DhcpServer } from './dhcp.js';
import type { DnsForwarder } from './dns.js';
import type { TftpServer } from './tftp.js';
import type { PingTable } from './icmp.js';
import type { TcpTable } from './tcp/table.js';
import type { Ndp } from './ndp.js';
import type { IsnGenerator } from './tcp/isn.js';

export interface Core {
  readonly cfg: UserNetConfig;
  readonly timers: TimerHost;
  readonly random: RandomSource;
  readonly host: UserHost;
  readonly stats: UserNetStats;
  readonly link: Link;
  readonly reasm4: Reassembler;
  readonly reasm6: Reassembler;
  readonly udp: UdpNat;
  readonly dhcp: DhcpServer;
  readonly dns: DnsForwarder;
  readonly tftp: TftpServer;
  readonly ping: PingTable;
  readonly tcp: TcpTable;
  readonly ndp: Ndp;
  readonly isn: IsnGenerator;
  /** The smbd command line, once `smb=` was prepared. */
  smb: SmbSetup | null;
  /** Set once `close()` ran: host callbacks arriving later are ignored. */
  closed: boolean;
  /** Optional diagnostics sink (host errors, refused configuration at run time). */
  log(msg: string): void;
}

/** An address as bytes: 4 for IPv4, 16 for IPv6. */
export type Addr = Uint8Array;

export function familyOf(a: Addr): 4 | 6 {
  return a.length === 4 ? 4 : 6;
}
