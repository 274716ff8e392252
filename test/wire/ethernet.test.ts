import { describe, expect, it } from 'vitest';
import {
  ArpPacket,
  ArpRepr,
  EtherType,
  EthernetAddress,
  EthernetFrame,
  etherTypeKind,
  makeVlanTci,
  padFrame,
  vlanDei,
  vlanId,
  vlanInsert,
  vlanPcp,
  vlanStrip,
  vlanStripInPlace,
  vlanTci,
} from '../../src/wire/index.js';
import { ARP_REQUEST, VLAN_ICMP_TAGGED, VLAN_ICMP_UNTAGGED } from './golden.js';
import { err, hex, ok, toHex } from './helpers.js';

describe('EthernetFrame', () => {
  it('checked() refuses a buffer shorter than the 14-byte header', () => {
    expect(err(EthernetFrame.checked(new Uint8Array(13)))).toEqual({ kind: 'truncated', layer: 'ethernet', need: 14, have: 13 });
    expect(ok(EthernetFrame.checked(new Uint8Array(14))).payload.length).toBe(0);
  });

  it('views are subarrays: writes through setters land in the buffer', () => {
    const buf = new Uint8Array(20);
    const f = ok(EthernetFrame.checked(buf));
    f.dst = EthernetAddress.broadcast();
    f.src = hex('525400123456');
    f.ethertype = EtherType.IPV6;
    expect(toHex(buf.subarray(0, 14))).toBe('ffffffffffff52540012345686dd');
    expect(f.payload.buffer).toBe(buf.buffer);
    expect(f.payload.byteOffset).toBe(14);
    f.src[5] = 0x57;
    expect(buf[11]).toBe(0x57);
  });

  it('etherTypeKind names known values and keeps unknown ones raw', () => {
    expect(etherTypeKind(0x0800)).toBe('ipv4');
    expect(etherTypeKind(0x86dd)).toBe('ipv6');
    expect(etherTypeKind(0x88a8)).toBe('qinq');
    expect(etherTypeKind(0x88cc)).toEqual({ kind: 'unknown', raw: 0x88cc });
  });
});

describe('EthernetAddress', () => {
  it('classifies broadcast, multicast, unicast, locally administered', () => {
    const b = EthernetAddress.broadcast();
    expect(EthernetAddress.isBroadcast(b) && EthernetAddress.isMulticast(b)).toBe(true);
    const m = hex('01005e000001');
    expect(EthernetAddress.isMulticast(m) && !EthernetAddress.isBroadcast(m)).toBe(true);
    const u = hex('525400123456');
    expect(EthernetAddress.isUnicast(u) && EthernetAddress.isLocal(u)).toBe(true);
    expect(EthernetAddress.isLocal(hex('001122334455'))).toBe(false);
    // At an offset inside a frame (the source of the ARP request).
    expect(EthernetAddress.isUnicast(ARP_REQUEST, 6)).toBe(true);
    expect(EthernetAddress.equals(ARP_REQUEST, u, 6)).toBe(true);
  });

  it('formats and parses', () => {
    expect(EthernetAddress.format(hex('5254000a0bff'))).toBe('52:54:00:0a:0b:ff');
    expect(toHex(EthernetAddress.parse('52:54:00:0A:0b:FF')!)).toBe('5254000a0bff');
    expect(toHex(EthernetAddress.parse('52-54-00-0a-0b-ff')!)).toBe('5254000a0bff');
    for (const bad of ['', '52:54:00:0a:0b', '52:54:00:0a:0b:ff:', '52:54-00:0a:0b:ff', '52:54:00:0a:0b:fg', '5254000a0bff', '52:54:00:0a:0b:f ']) {
      expect(EthernetAddress.parse(bad)).toBeUndefined();
    }
  });
});

describe('802.1Q VLAN tags', () => {
  it('TCI fields', () => {
    const tci = makeVlanTci(100, 5, true);
    expect(tci).toBe(0xb064);
    expect([vlanId(tci), vlanPcp(tci), vlanDei(tci)]).toEqual([100, 5, true]);
  });

  it('vlanTci reads the tag in place; untagged or short frames give undefined', () => {
    expect(vlanTci(VLAN_ICMP_TAGGED)).toBe(0xa064);
    expect(vlanTci(VLAN_ICMP_UNTAGGED)).toBeUndefined();
    expect(vlanTci(VLAN_ICMP_TAGGED.subarray(0, 17))).toBeUndefined();
    // A different TPID (802.1ad) is not an 802.1Q tag.
    expect(vlanTci(VLAN_ICMP_TAGGED, EtherType.QINQ)).toBeUndefined();
  });

  it('insert with a custom TPID (e1000 VET) and strip it back', () => {
    const tagged = vlanInsert(VLAN_ICMP_UNTAGGED, 0x0123, EtherType.QINQ);
    expect(toHex(tagged.subarray(12, 16))).toBe('88a80123');
    expect(vlanStrip(tagged)).toBeUndefined();
    const s = vlanStrip(tagged, EtherType.QINQ)!;
    expect(s.tci).toBe(0x0123);
    expect(toHex(s.frame)).toBe(toHex(VLAN_ICMP_UNTAGGED));
  });

  it('insert into a frame too short to hold its addresses returns a copy', () => {
    const short = hex('0102030405');
    const out = vlanInsert(short, 1);
    expect(toHex(out)).toBe('0102030405');
    expect(out).not.toBe(short);
  });

  it('vlanStripInPlace moves the addresses and returns a subarray', () => {
    const buf = VLAN_ICMP_TAGGED.slice();
    const s = vlanStripInPlace(buf)!;
    expect(s.tci).toBe(0xa064);
    expect(s.frame.buffer).toBe(buf.buffer);
    expect(s.frame.byteOffset).toBe(4);
    expect(toHex(s.frame)).toBe(toHex(VLAN_ICMP_UNTAGGED));
    expect(vlanStripInPlace(VLAN_ICMP_UNTAGGED.slice())).toBeUndefined();
  });

  it('padFrame pads short frames to 60 bytes and leaves long ones alone', () => {
    const short = new Uint8Array(42).fill(7);
    const p = padFrame(short);
    expect(p.length).toBe(60);
    expect(p[41]).toBe(7);
    expect(p[42]).toBe(0);
    expect(padFrame(VLAN_ICMP_TAGGED)).toBe(VLAN_ICMP_TAGGED);
  });
});

describe('ARP', () => {
  it('checked() needs the fixed part and all four addresses', () => {
    expect(err(ArpPacket.checked(new Uint8Array(7)))).toMatchObject({ kind: 'truncated', need: 8 });
    const arp = ARP_REQUEST.subarray(14, 14 + 27);
    expect(err(ArpPacket.checked(arp))).toMatchObject({ kind: 'truncated', need: 28, have: 27 });
  });

  it('generic lengths: the view follows HLEN/PLEN; the Repr refuses non-Ethernet/IPv4', () => {
    // htype 6 (IEEE 802), ptype IPv4, hlen 2, plen 4
    const b = hex('0006 0800 02 04 0002 aabb 01020304 ccdd 05060708');
    const p = ok(ArpPacket.checked(b));
    expect(toHex(p.sha)).toBe('aabb');
    expect(toHex(p.spa)).toBe('01020304');
    expect(toHex(p.tha)).toBe('ccdd');
    expect(toHex(p.tpa)).toBe('05060708');
    expect(p.operation).toBe('reply');
    expect(err(ArpRepr.parse(p))).toEqual({ kind: 'unsupported', layer: 'arp', field: 'htype', value: 6 });
  });

  it('unknown operations are kept raw and re-emitted', () => {
    const b = ARP_REQUEST.slice(14, 42);
    b[7] = 9; // RARP-ish
    const r = ok(ArpRepr.parse(ok(ArpPacket.checked(b))));
    expect(r.operation).toEqual({ kind: 'unknown', raw: 9 });
    const out = new Uint8Array(28);
    ArpRepr.emit(r, out);
    expect(toHex(out)).toBe(toHex(b));
  });
});
