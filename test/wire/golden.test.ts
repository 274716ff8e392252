/** Layer 2 of the test plan: golden bytes parsed, then re-emitted byte for byte (smoltcp PACKET_BYTES style). */
import { describe, expect, it } from 'vitest';
import {
  ArpPacket,
  ArpRepr,
  EtherType,
  EthernetAddress,
  EthernetFrame,
  EthernetRepr,
  Icmpv4Packet,
  Icmpv4Repr,
  Icmpv6Packet,
  Icmpv6Repr,
  IpProtocol,
  Ipv4Address,
  Ipv4Packet,
  Ipv4Repr,
  Ipv6Address,
  Ipv6Packet,
  Ipv6Repr,
  TcpFlags,
  TcpPacket,
  TcpRepr,
  UdpPacket,
  UdpRepr,
  padFrame,
  summarizeTcpOptions,
  validateRxChecksums,
  vlanInsert,
  vlanPcp,
  vlanStrip,
  vlanId,
} from '../../src/wire/index.js';
import { ARP_REQUEST, DHCP_DISCOVER, ICMPV6_ECHO, NDP_RA, TCP_SYN, VLAN_ICMP_TAGGED, VLAN_ICMP_UNTAGGED } from './golden.js';
import { ok, toHex } from './helpers.js';

const ip4 = (s: string): Uint8Array => Ipv4Address.parse(s)!;
const ip6 = (s: string): Uint8Array => Ipv6Address.parse(s)!;
const mac = (s: string): Uint8Array => EthernetAddress.parse(s)!;

describe('golden: ARP request', () => {
  it('parses', () => {
    const eth = ok(EthernetFrame.checked(ARP_REQUEST));
    expect(eth.dstIsBroadcast).toBe(true);
    expect(EthernetAddress.format(eth.src)).toBe('52:54:00:12:34:56');
    expect(eth.ethertype).toBe(EtherType.ARP);
    const arp = ok(ArpPacket.checked(eth.payload));
    expect(arp.packetLen).toBe(28);
    const r = ok(ArpRepr.parse(arp));
    expect(r.operation).toBe('request');
    expect(EthernetAddress.format(r.senderMac)).toBe('52:54:00:12:34:56');
    expect(Ipv4Address.format(r.senderIp)).toBe('10.0.2.15');
    expect(EthernetAddress.isZero(r.targetMac)).toBe(true);
    expect(Ipv4Address.format(r.targetIp)).toBe('10.0.2.2');
  });

  it('re-emits byte for byte (padded to the 60-byte minimum)', () => {
    const eth = ok(EthernetFrame.checked(ARP_REQUEST));
    const r = ok(ArpRepr.parse(ok(ArpPacket.checked(eth.payload))));
    const built = {
      operation: 'request' as const,
      senderMac: mac('52:54:00:12:34:56'),
      senderIp: ip4('10.0.2.15'),
      targetMac: new Uint8Array(6),
      targetIp: ip4('10.0.2.2'),
    };
    for (const repr of [r, built]) {
      const out = new Uint8Array(EthernetRepr.bufferLen(ArpRepr.bufferLen(repr)));
      EthernetRepr.emit({ dst: EthernetAddress.broadcast(), src: mac('52:54:00:12:34:56'), ethertype: EtherType.ARP }, out);
      ArpRepr.emit(repr, out.subarray(14));
      expect(out.length).toBe(42);
      expect(toHex(padFrame(out))).toBe(toHex(ARP_REQUEST));
    }
  });
});

describe('golden: IPv4/UDP DHCP DISCOVER', () => {
  it('parses Ethernet, IPv4 and UDP with checksums verified', () => {
    const eth = ok(EthernetFrame.checked(DHCP_DISCOVER));
    expect(eth.ethertype).toBe(EtherType.IPV4);
    const ip = ok(Ipv4Packet.checked(eth.payload));
    expect(ip.verifyChecksum()).toBe(true);
    expect(ip.dscp).toBe(4);
    expect(ip.totalLen).toBe(328);
    const ir = ok(Ipv4Repr.parse(ip));
    expect(ir).toMatchObject({ protocol: IpProtocol.UDP, ttl: 64, payloadLen: 308, dontFrag: false, ident: 0 });
    expect(Ipv4Address.isUnspecified(ir.src)).toBe(true);
    expect(Ipv4Address.isBroadcast(ir.dst)).toBe(true);
    const udp = ok(UdpPacket.checked(ip.payload));
    expect(udp.verifyChecksum(ir.src, ir.dst)).toBe(true);
    const ur = ok(UdpRepr.parse(udp, ir.src, ir.dst));
    expect(ur.srcPort).toBe(68);
    expect(ur.dstPort).toBe(67);
    expect(ur.payload.length).toBe(300);
    // BOOTREQUEST, xid, magic cookie, option 53 = DISCOVER.
    expect(ur.payload[0]).toBe(1);
    expect(toHex(ur.payload.subarray(4, 8))).toBe('3903f326');
    expect(toHex(ur.payload.subarray(236, 243))).toBe('63825363350101');
    expect(validateRxChecksums(DHCP_DISCOVER)).toEqual({ l3: 'ipv4', ipv4: 'ok', l4: 'ok', proto: 17, l3Offset: 14, l4Offset: 34 });
  });

  it('re-emits byte for byte', () => {
    const eth = ok(EthernetFrame.checked(DHCP_DISCOVER));
    const ip = ok(Ipv4Packet.checked(eth.payload));
    const ir = ok(Ipv4Repr.parse(ip));
    const ur = ok(UdpRepr.parse(ok(UdpPacket.checked(ip.payload)), ir.src, ir.dst));
    const out = new Uint8Array(14 + Ipv4Repr.bufferLen(ir));
    EthernetRepr.emit(EthernetRepr.parse(eth), out);
    Ipv4Repr.emit(ir, out.subarray(14));
    UdpRepr.emit(ur, out.subarray(14 + Ipv4Repr.headerLen(ir)), ir.src, ir.dst);
    expect(toHex(out)).toBe(toHex(DHCP_DISCOVER));
  });
});

describe('golden: IPv4/TCP SYN with options', () => {
  it('parses header, flags and options in wire order', () => {
    const ip = ok(Ipv4Packet.checked(ok(EthernetFrame.checked(TCP_SYN)).payload));
    expect(ip.dontFrag).toBe(true);
    expect(ip.ident).toBe(0x1c46);
    expect(ip.checksum).toBe(0xdc8c);
    expect(ip.computeChecksum()).toBe(0xdc8c);
    const tcp = ok(TcpPacket.checked(ip.payload));
    expect(tcp.headerLen).toBe(40);
    expect(tcp.flags).toBe(TcpFlags.SYN);
    expect(tcp.syn && !tcp.ackFlag && !tcp.fin).toBe(true);
    expect(tcp.segmentLen).toBe(1);
    const tr = ok(TcpRepr.parse(tcp, ip.src, ip.dst));
    expect(tr).toMatchObject({ srcPort: 45678, dstPort: 80, seq: 0x1a2b3c4d, ack: 0, window: 64240, urgent: 0 });
    expect(tr.options).toEqual([
      { type: 'mss', mss: 1460 },
      { type: 'sack-permitted' },
      { type: 'timestamp', tsVal: 123456, tsEcr: 0 },
      { type: 'nop' },
      { type: 'window-scale', shift: 7 },
    ]);
    expect(summarizeTcpOptions(tr.options!)).toEqual({ mss: 1460, windowScale: 7, sackPermitted: true, timestamp: { tsVal: 123456, tsEcr: 0 } });
  });

  it('re-emits byte for byte, and a Repr built by hand gives the same bytes', () => {
    const eth = ok(EthernetFrame.checked(TCP_SYN));
    const ip = ok(Ipv4Packet.checked(eth.payload));
    const ir = ok(Ipv4Repr.parse(ip));
    const tr = ok(TcpRepr.parse(ok(TcpPacket.checked(ip.payload)), ir.src, ir.dst));
    const fromParse = new Uint8Array(TCP_SYN.length);
    EthernetRepr.emit(EthernetRepr.parse(eth), fromParse);
    Ipv4Repr.emit(ir, fromParse.subarray(14));
    TcpRepr.emit(tr, fromParse.subarray(34), ir.src, ir.dst);
    expect(toHex(fromParse)).toBe(toHex(TCP_SYN));

    const src = ip4('10.0.2.15');
    const dst = ip4('93.184.216.34');
    const tcpRepr: TcpRepr = {
      srcPort: 45678,
      dstPort: 80,
      seq: 0x1a2b3c4d,
      ack: 0,
      flags: TcpFlags.SYN,
      window: 64240,
      options: [{ type: 'mss', mss: 1460 }, { type: 'sack-permitted' }, { type: 'timestamp', tsVal: 123456, tsEcr: 0 }, { type: 'nop' }, { type: 'window-scale', shift: 7 }],
      payload: new Uint8Array(0),
    };
    const ipRepr: Ipv4Repr = { src, dst, protocol: IpProtocol.TCP, payloadLen: TcpRepr.bufferLen(tcpRepr), ttl: 64, ident: 0x1c46, dontFrag: true };
    const built = new Uint8Array(14 + Ipv4Repr.bufferLen(ipRepr));
    EthernetRepr.emit({ dst: mac('52:55:0a:00:02:02'), src: mac('52:54:00:12:34:56'), ethertype: EtherType.IPV4 }, built);
    Ipv4Repr.emit(ipRepr, built.subarray(14));
    TcpRepr.emit(tcpRepr, built.subarray(34), src, dst);
    expect(toHex(built)).toBe(toHex(TCP_SYN));
  });
});

describe('golden: IPv6 ICMPv6 echo request', () => {
  it('parses and re-emits byte for byte', () => {
    const eth = ok(EthernetFrame.checked(ICMPV6_ECHO));
    expect(eth.ethertype).toBe(EtherType.IPV6);
    const ip = ok(Ipv6Packet.checked(eth.payload));
    const ir = Ipv6Repr.parse(ip);
    expect(ir).toMatchObject({ nextHeader: IpProtocol.ICMPV6, payloadLen: 64, hopLimit: 64, trafficClass: 0, flowLabel: 0 });
    expect(Ipv6Address.format(ir.src)).toBe('2001:db8::5054:ff:fe12:3456');
    expect(Ipv6Address.format(ir.dst)).toBe('2001:db8::1');
    expect(ok(ip.upperLayer())).toMatchObject({ protocol: IpProtocol.ICMPV6, offset: 40 });
    const icmp = ok(Icmpv6Packet.checked(ip.payload));
    expect(icmp.verifyChecksum(ir.src, ir.dst)).toBe(true);
    const r = ok(Icmpv6Repr.parse(icmp, ir.src, ir.dst));
    if (r.type !== 'echo-request') throw new Error(r.type);
    expect(r.ident).toBe(0x1d2e);
    expect(r.seqNo).toBe(1);
    expect(r.data.length).toBe(56);

    const out = new Uint8Array(14 + Ipv6Repr.bufferLen(ir));
    EthernetRepr.emit(EthernetRepr.parse(eth), out);
    Ipv6Repr.emit(ir, out.subarray(14));
    Icmpv6Repr.emit(r, out.subarray(54), ir.src, ir.dst);
    expect(toHex(out)).toBe(toHex(ICMPV6_ECHO));
  });
});

describe('golden: NDP Router Advertisement with prefix and RDNSS', () => {
  it('parses every option', () => {
    const ip = ok(Ipv6Packet.checked(ok(EthernetFrame.checked(NDP_RA)).payload));
    expect(ip.hopLimit).toBe(255);
    expect(Ipv6Address.isLinkLocal(ip.src)).toBe(true);
    expect(Ipv6Address.format(ip.dst)).toBe('ff02::1');
    const r = ok(Icmpv6Repr.parse(ok(Icmpv6Packet.checked(ip.payload)), ip.src, ip.dst));
    if (r.type !== 'router-advert') throw new Error(r.type);
    expect(r).toMatchObject({ curHopLimit: 64, flags: 0, routerLifetime: 1800, reachableTime: 0, retransTimer: 0 });
    expect(r.options.map((o) => o.type)).toEqual(['source-ll-addr', 'mtu', 'prefix-info', 'rdnss']);
    const [ll, mtu, prefix, rdnss] = r.options;
    expect(ll?.type === 'source-ll-addr' && EthernetAddress.format(ll.addr)).toBe('52:56:00:00:00:02');
    expect(mtu).toEqual({ type: 'mtu', mtu: 1500 });
    if (prefix?.type !== 'prefix-info') throw new Error('prefix');
    expect(prefix).toMatchObject({ prefixLen: 64, onLink: true, autonomous: true, validLifetime: 86400, preferredLifetime: 14400 });
    expect(Ipv6Address.format(prefix.prefix)).toBe('fec0::');
    if (rdnss?.type !== 'rdnss') throw new Error('rdnss');
    expect(rdnss.lifetime).toBe(1800);
    expect(rdnss.servers.map((s) => Ipv6Address.format(s))).toEqual(['fec0::3']);
  });

  it('re-emits byte for byte from a hand-built Repr', () => {
    const src = ip6('fe80::2');
    const dst = Ipv6Address.allNodes();
    const ra: Icmpv6Repr = {
      type: 'router-advert',
      curHopLimit: 64,
      flags: 0,
      routerLifetime: 1800,
      reachableTime: 0,
      retransTimer: 0,
      options: [
        { type: 'source-ll-addr', addr: mac('52:56:00:00:00:02') },
        { type: 'mtu', mtu: 1500 },
        { type: 'prefix-info', prefixLen: 64, onLink: true, autonomous: true, validLifetime: 86400, preferredLifetime: 14400, prefix: ip6('fec0::') },
        { type: 'rdnss', lifetime: 1800, servers: [ip6('fec0::3')] },
      ],
    };
    const len = Icmpv6Repr.bufferLen(ra);
    expect(len).toBe(88);
    const out = new Uint8Array(14 + 40 + len);
    EthernetRepr.emit({ dst: Ipv6Address.multicastMac(dst), src: mac('52:56:00:00:00:02'), ethertype: EtherType.IPV6 }, out);
    Ipv6Repr.emit({ src, dst, nextHeader: IpProtocol.ICMPV6, payloadLen: len, hopLimit: 255 }, out.subarray(14));
    Icmpv6Repr.emit(ra, out.subarray(54), src, dst);
    expect(toHex(out)).toBe(toHex(NDP_RA));
  });
});

describe('golden: 802.1Q-tagged frame', () => {
  it('strips to the untagged frame and inserts back to the tagged one', () => {
    const s = vlanStrip(VLAN_ICMP_TAGGED)!;
    expect(vlanId(s.tci)).toBe(100);
    expect(vlanPcp(s.tci)).toBe(5);
    expect(toHex(s.frame)).toBe(toHex(VLAN_ICMP_UNTAGGED));
    expect(toHex(vlanInsert(VLAN_ICMP_UNTAGGED, s.tci))).toBe(toHex(VLAN_ICMP_TAGGED));
  });

  it('the inner ICMP echo request parses and re-emits byte for byte', () => {
    const eth = ok(EthernetFrame.checked(VLAN_ICMP_UNTAGGED));
    const ip = ok(Ipv4Packet.checked(eth.payload));
    const ir = ok(Ipv4Repr.parse(ip));
    expect(ir.protocol).toBe(IpProtocol.ICMP);
    const r = ok(Icmpv4Repr.parse(ok(Icmpv4Packet.checked(ip.payload))));
    expect(r).toMatchObject({ type: 'echo-request', ident: 0x0bad, seqNo: 7 });
    const out = new Uint8Array(VLAN_ICMP_UNTAGGED.length);
    EthernetRepr.emit(EthernetRepr.parse(eth), out);
    Ipv4Repr.emit(ir, out.subarray(14));
    Icmpv4Repr.emit(r, out.subarray(34));
    expect(toHex(out)).toBe(toHex(VLAN_ICMP_UNTAGGED));
    expect(validateRxChecksums(VLAN_ICMP_TAGGED)).toEqual({ l3: 'ipv4', ipv4: 'ok', proto: 1, l3Offset: 18, l4Offset: 38 });
  });
});
