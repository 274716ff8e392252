/** Small packet builders for virtio-net tests (IPv4/IPv6 TCP and UDP over Ethernet). */
import { checksumFinish, internetChecksum, onesSum, pseudoHeaderSumAt } from '../../../src/wire/checksum.js';

export const SRC_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
export const DST_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x01);

function be16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export interface L4Opts {
  payload: number;
  /** Leave the L4 checksum field holding the pseudo-header sum (what a NEEDS_CSUM driver sends). */
  partial?: boolean;
  /** IPv4 total length / IPv6 payload length as 0 (what some GSO drivers leave). */
  zeroIpLen?: boolean;
  ipv6?: boolean;
  udp?: boolean;
  seed?: number;
  tcpFlags?: number;
  dst?: Uint8Array;
  src?: Uint8Array;
  srcPort?: number;
  dstPort?: number;
}

/** Ethernet + IPv4/IPv6 + TCP/UDP frame. Offsets: l3 14, l4 34 (v4) or 54 (v6). */
export function ipFrame(o: L4Opts): { frame: Uint8Array; l3: number; l4: number; csumOffset: number } {
  const ipv6 = !!o.ipv6;
  const udp = !!o.udp;
  const l3 = 14;
  const l4 = l3 + (ipv6 ? 40 : 20);
  const l4h = udp ? 8 : 20;
  const len = l4 + l4h + o.payload;
  const f = new Uint8Array(len);
  f.set(o.dst ?? DST_MAC, 0);
  f.set(o.src ?? SRC_MAC, 6);
  be16(f, 12, ipv6 ? 0x86dd : 0x0800);
  const proto = udp ? 17 : 6;
  if (!ipv6) {
    f[l3] = 0x45;
    be16(f, l3 + 2, o.zeroIpLen ? 0 : len - l3);
    be16(f, l3 + 4, 0x1234);
    be16(f, l3 + 6, udp ? 0 : 0x4000);
    f[l3 + 8] = 64;
    f[l3 + 9] = proto;
    f.set([10, 0, 2, 15], l3 + 12);
    f.set([10, 0, 2, 2], l3 + 16);
    be16(f, l3 + 10, internetChecksum(f, l3, l3 + 20));
  } else {
    f[l3] = 0x60;
    be16(f, l3 + 4, o.zeroIpLen ? 0 : len - l3 - 40);
    f[l3 + 6] = proto;
    f[l3 + 7] = 64;
    f[l3 + 8] = 0xfe;
    f[l3 + 9] = 0x80;
    f[l3 + 23] = 1;
    f[l3 + 24] = 0xfe;
    f[l3 + 25] = 0x80;
    f[l3 + 39] = 2;
  }
  be16(f, l4, o.srcPort ?? 40000);
  be16(f, l4 + 2, o.dstPort ?? 80);
  if (udp) {
    be16(f, l4 + 4, l4h + o.payload);
  } else {
    f.set([0, 0, 0x10, 0], l4 + 4); // seq
    f[l4 + 12] = 0x50;
    f[l4 + 13] = o.tcpFlags ?? 0x18;
    be16(f, l4 + 14, 65535);
  }
  for (let i = 0; i < o.payload; i++) f[l4 + l4h + i] = (i * 7 + (o.seed ?? 0)) & 0xff;
  const csumOffset = udp ? 6 : 16;
  const ph = ipv6 ? pseudoHeaderSumAt(f, l3 + 8, l3 + 40, proto, len - l4) : pseudoHeaderSumAt(f, l3 + 12, l3 + 20, proto, len - l4);
  if (o.partial) {
    // The field holds the folded pseudo-header sum, not complemented (Linux CHECKSUM_PARTIAL).
    let s = ph;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    be16(f, l4 + csumOffset, s);
  } else {
    be16(f, l4 + csumOffset, checksumFinish(onesSum(f, l4, len, ph)));
  }
  return { frame: f, l3, l4, csumOffset };
}
