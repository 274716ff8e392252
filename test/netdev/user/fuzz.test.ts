/**
 * Random and mutated frames into the stack: no exception, and every bound
 * holds afterwards. Half the mutated frames get their IPv4/IPv6 and
 * TCP/UDP/ICMP checksums fixed, so mutations reach DHCP, DNS, TFTP, NDP,
 * DHCPv6, reassembly and the TCP state machine instead of dying at a checksum.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeededRandom } from '../../../src/time/random.js';
import { ArpRepr, EtherType, IpProtocol, Ipv4Packet, TcpFlags, checksumFinish, onesSum, pseudoHeaderSum, isWireError } from '../../../src/wire/index.js';
import { setBe16 } from '../../../src/wire/bytes.js';
import { userWire } from '../../../src/netdev/user/index.js';
import { DHCP_DISCOVER } from '../../wire/golden.js';
import {
  BROADCAST_MAC,
  DNS_IP,
  DNS_IP6,
  GUEST_IP,
  GUEST_IP6,
  GUEST_MAC,
  HOST_IP,
  HOST_IP6,
  ROUTER_MAC,
  type Setup,
  ethFrame,
  icmp4EchoFrame,
  icmp6Frame,
  ip,
  ip6,
  ipv4Packet,
  setup,
  tcpFrame,
  text,
  udpFrame,
} from './guest.js';

const { SYN, ACK, PSH, FIN } = TcpFlags;

function corpus(): Uint8Array[] {
  const arp = new Uint8Array(28);
  ArpRepr.emit({ operation: 'request', senderMac: GUEST_MAC, senderIp: GUEST_IP, targetMac: new Uint8Array(6), targetIp: HOST_IP }, arp);
  const dns = new Uint8Array([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0, 0, 1, 0, 1]);
  const rrq = userWire.emitTftp({ op: 'rrq', filename: 'boot/pxelinux.0', mode: 'octet', options: [['blksize', '1432'], ['tsize', '0']] });
  const ir = new Uint8Array([11, 1, 2, 3, 0, 1, 0, 10, 0, 3, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0, 6, 0, 2, 0, 23]);
  const remote = ip('93.184.216.34');
  const bigEcho = icmp4EchoFrame(HOST_IP, 1, 1, new Uint8Array(2000)).subarray(14 + 20);
  return [
    ethFrame(EtherType.ARP, arp, BROADCAST_MAC),
    DHCP_DISCOVER.slice(),
    udpFrame(GUEST_IP, 5000, DNS_IP, 53, dns),
    udpFrame(GUEST_IP, 5001, HOST_IP, 69, rrq),
    udpFrame(GUEST_IP, 5002, ip('8.8.8.8'), 123, text('ntp')),
    tcpFrame({ dst: remote, sport: 40000, dport: 80, seq: 1000, flags: SYN, options: [{ type: 'mss', mss: 1460 }, { type: 'nop' }, { type: 'window-scale', shift: 7 }] }),
    tcpFrame({ dst: remote, sport: 40000, dport: 80, seq: 1001, ack: 1, flags: ACK | PSH, payload: text('GET / HTTP/1.0\r\n\r\n') }),
    tcpFrame({ dst: remote, sport: 40000, dport: 80, seq: 1020, ack: 1, flags: ACK | FIN }),
    tcpFrame({ dst: HOST_IP, sport: 40001, dport: 22, seq: 5, flags: SYN }),
    tcpFrame({ dst: DNS_IP, sport: 40002, dport: 53, seq: 5, flags: SYN }),
    icmp4EchoFrame(HOST_IP, 1, 1, text('ping')),
    icmp4EchoFrame(ip('1.1.1.1'), 1, 1, text('ping')),
    ethFrame(EtherType.IPV4, ipv4Packet(GUEST_IP, HOST_IP, IpProtocol.ICMP, bigEcho.subarray(0, 1480), { ident: 77, moreFrags: true })),
    ethFrame(EtherType.IPV4, ipv4Packet(GUEST_IP, HOST_IP, IpProtocol.ICMP, bigEcho.subarray(1480), { ident: 77, fragOffset: 1480 })),
    icmp6Frame({ type: 'router-solicit', options: [{ type: 'source-ll-addr', addr: GUEST_MAC }] }, ip6('fe80::1'), ip6('ff02::2')),
    icmp6Frame({ type: 'neighbor-solicit', target: HOST_IP6, options: [{ type: 'source-ll-addr', addr: GUEST_MAC }] }, GUEST_IP6, ip6('ff02::1:ff00:2')),
    icmp6Frame({ type: 'echo-request', ident: 1, seqNo: 1, data: text('p6') }, GUEST_IP6, HOST_IP6, 64),
    udpFrame(GUEST_IP6, 546, ip6('ff02::1:2'), 547, ir),
    udpFrame(GUEST_IP6, 5003, DNS_IP6, 53, dns),
    tcpFrame({ dst: ip6('2001:db8::1'), sport: 40003, dport: 443, seq: 9, flags: SYN }),
  ];
}

/** Recompute IP and upper-layer checksums where the lengths allow it. */
function fixChecksums(f: Uint8Array): void {
  if (f.length < 14) return;
  const type = (f[12]! << 8) | f[13]!;
  const p = f.subarray(14);
  if (type === EtherType.IPV4) {
    const v = Ipv4Packet.checked(p);
    if (isWireError(v)) return;
    v.fillChecksum();
    if (v.isFragment && v.fragOffset !== 0) return;
    fixL4(v.protocol, v.payload, v.src, v.dst);
  } else if (type === EtherType.IPV6 && p.length >= 40) {
    const len = (p[4]! << 8) | p[5]!;
    if (40 + len > p.length) return;
    fixL4(p[6]!, p.subarray(40, 40 + len), p.subarray(8, 24), p.subarray(24, 40));
  }
}

function fixL4(proto: number, l4: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
  const at = proto === IpProtocol.TCP ? 16 : proto === IpProtocol.UDP ? 6 : proto === IpProtocol.ICMP || proto === IpProtocol.ICMPV6 ? 2 : -1;
  if (at < 0 || l4.length < at + 2) return;
  if (proto === IpProtocol.UDP && l4.length >= 8) {
    const ulen = (l4[4]! << 8) | l4[5]!;
    if (ulen < 8 || ulen > l4.length) return;
    l4 = l4.subarray(0, ulen);
  }
  setBe16(l4, at, 0);
  const init = proto === IpProtocol.ICMP ? 0 : pseudoHeaderSum(src, dst, proto, l4.length);
  let c = checksumFinish(onesSum(l4, 0, l4.length, init));
  if (proto === IpProtocol.UDP && c === 0) c = 0xffff;
  setBe16(l4, at, c);
}

function mutate(base: Uint8Array, rng: SeededRandom): Uint8Array {
  let f = base.slice();
  const r = (n: number): number => rng.nextU32() % n;
  switch (r(6)) {
    case 0: // flip a few bytes past the Ethernet addresses
      for (let k = 1 + r(4); k > 0 && f.length > 12; k--) f[12 + r(f.length - 12)] = rng.nextU32() & 0xff;
      break;
    case 1: // truncate
      f = f.subarray(0, r(f.length + 1));
      break;
    case 2: {
      // extend with junk
      const g = new Uint8Array(f.length + 1 + r(200));
      g.set(f);
      for (let i = f.length; i < g.length; i++) g[i] = rng.nextU32() & 0xff;
      f = g;
      break;
    }
    case 3: // a length-ish 16-bit field set to an extreme
      if (f.length > 20) {
        const o = 14 + r(Math.min(60, f.length - 15));
        const v = [0, 1, 0xff, 0x7fff, 0xffff][r(5)]!;
        f[o] = v >> 8;
        if (o + 1 < f.length) f[o + 1] = v & 0xff;
      }
      break;
    case 4: // flip bits deep in the payload (DHCP options, DNS names, TCP options)
      for (let k = 1 + r(8); k > 0 && f.length > 34; k--) f[34 + r(f.length - 34)]! ^= 1 << r(8);
      break;
    default: // splice two corpus-like halves: handled by the caller picking another base
      if (f.length > 14) f[14 + r(f.length - 14)] = 0;
  }
  if (r(2) === 0) fixChecksums(f);
  return f;
}

function randomFrame(rng: SeededRandom): Uint8Array {
  const len = rng.nextU32() % 1600;
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = rng.nextU32() & 0xff;
  if (len >= 14) {
    f.set([ROUTER_MAC, BROADCAST_MAC, new Uint8Array([0x33, 0x33, 0, 0, 0, 1])][rng.nextU32() % 3]!, 0);
    f.set(GUEST_MAC, 6);
    const t = [EtherType.IPV4, EtherType.IPV6, EtherType.ARP][rng.nextU32() % 3]!;
    f[12] = t >> 8;
    f[13] = t & 0xff;
    if (len > 14) f[14] = t === EtherType.IPV4 ? 0x45 : t === EtherType.IPV6 ? 0x60 : f[14]!;
    if (rng.nextU32() % 2) fixChecksums(f);
  }
  return f;
}

function checkBounds(s: Setup): void {
  const u = s.net.usage();
  const l = s.net.config.limits;
  expect(u.tcpConnections).toBeLessThanOrEqual(l.maxTcpConnections);
  expect(u.tcpEmbryonic).toBeLessThanOrEqual(l.maxEmbryonicTcp);
  expect(u.udpFlows).toBeLessThanOrEqual(l.maxUdpFlows);
  expect(u.reassemblyBytes).toBeLessThanOrEqual(2 * l.reassemblyBytes);
  expect(u.reassemblyDatagrams).toBeLessThanOrEqual(2 * l.reassemblyDatagrams);
  expect(u.pendingResolution).toBeLessThanOrEqual(l.pendingResolution);
  expect(u.dnsOutstanding).toBeLessThanOrEqual(l.maxDnsQueries);
  expect(u.tftpSessions).toBeLessThanOrEqual(l.maxTftpSessions);
  expect(u.tcpBufferedBytes).toBeLessThanOrEqual(u.tcpConnections * (l.tcpSendBuffer + 2 * l.tcpRecvBuffer) + 2 * 1024 * 1024);
}

async function fuzzStack(): Promise<Setup> {
  const s = await setup({ tftp: '/srv', hostfwd: ['tcp::2222-:22', 'udp::5353-:53'], limits: { maxTcpConnections: 64, maxEmbryonicTcp: 16, maxUdpFlows: 32 } });
  s.host.dnsResolver = (q) => ({ ok: true, value: q.slice() });
  s.host.files.set('boot/pxelinux.0', new Uint8Array(5000));
  s.host.pingResult = { ok: true, value: { rttMs: 1 } };
  return s;
}

/** Let the host side answer: connect streams, feed some data, end some. */
function hostActivity(s: Setup, rng: SeededRandom, connected: Set<object>): void {
  for (const st of s.host.streams) {
    if (!connected.has(st)) {
      connected.add(st);
      if (rng.nextU32() % 4 === 0) st.refuse();
      else st.connect();
    } else if (!st.destroyed && rng.nextU32() % 8 === 0) {
      if (rng.nextU32() % 5 === 0) st.hostEnd();
      else st.send(new Uint8Array(1 + (rng.nextU32() % 3000)));
    }
  }
}

describe('fuzz: random and mutated frames', () => {
  it('100k seeded frames: no exception, bounds hold', async () => {
    const s = await fuzzStack();
    s.guest.announce();
    const rng = new SeededRandom(20261126);
    const base = corpus();
    const connected = new Set<object>();
    let sent = 0;
    for (let i = 0; i < 100_000; i++) {
      const k = rng.nextU32() % 10;
      const f = k < 2 ? randomFrame(rng) : k < 3 ? base[rng.nextU32() % base.length]!.slice() : mutate(base[rng.nextU32() % base.length]!, rng);
      s.guest.send(f);
      sent++;
      if (i % 64 === 0) {
        hostActivity(s, rng, connected);
        s.clock.advance(rng.nextU32() % 2_000_000_000);
        s.guest.take();
      }
      if (i % 10_000 === 0) checkBounds(s);
      if (i === 50_000) s.host.listeners[0]!.connect();
    }
    s.clock.advance(3600e9);
    checkBounds(s);
    expect(sent).toBe(100_000);
    expect(s.net.stats.rxFrames).toBeGreaterThan(100_000);
    // The mutations reached deep: every layer saw and survived bad input.
    const st = s.net.stats;
    for (const k of ['dhcpMalformed', 'tftpMalformed', 'dnsMalformed', 'tcpBadSegments', 'icmpv6Malformed', 'fragReceived', 'ipv4BadChecksum', 'udpMalformed', 'arpTruncated'] as const) expect(st[k], k).toBeGreaterThan(0);
    s.net.close();
  }, 60_000);

  it('fast-check: arbitrary frame sequences never throw', async () => {
    const base = corpus();
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 200 }),
            fc.tuple(fc.nat(base.length - 1), fc.array(fc.tuple(fc.nat(1600), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(1600), fc.boolean()).map(([i, edits, cut, fix]) => {
              const f = base[i]!.slice(0, Math.max(0, cut));
              for (const [at, v] of edits) if (at < f.length) f[at] = v;
              if (fix) fixChecksums(f);
              return f;
            }),
          ),
          { minLength: 1, maxLength: 60 },
        ),
        fc.nat(5_000_000_000),
        async (frames, dt) => {
          const s = await fuzzStack();
          for (const f of frames) s.guest.send(f);
          s.clock.advance(dt);
          checkBounds(s);
          s.net.close();
        },
      ),
      { numRuns: 400, seed: 4242 },
    );
  }, 60_000);
});
