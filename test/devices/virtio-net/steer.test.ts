/** Toeplitz hashing (Microsoft RSS verification suite vectors) and flow parsing. */
import { describe, expect, it } from 'vitest';
import { flowInfo, toeplitz, symmetricFlowHash, type FlowInfo } from '../../../src/devices/virtio-net/steer.js';
import { ipFrame } from './packets.js';

const KEY = Uint8Array.from('6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa'.match(/../g)!.map((h) => parseInt(h, 16)));

function input(src: number[], dst: number[], sport?: number, dport?: number): Uint8Array {
  const b = [...src, ...dst];
  if (sport !== undefined && dport !== undefined) b.push(sport >> 8, sport & 0xff, dport >> 8, dport & 0xff);
  return Uint8Array.from(b);
}

describe('Toeplitz hash (RSS verification suite, IPv4)', () => {
  const vectors: Array<[number[], number[], number, number, number, number]> = [
    [[66, 9, 149, 187], [161, 142, 100, 80], 2794, 1766, 0x323e8fc2, 0x51ccc178],
    [[199, 92, 111, 2], [65, 69, 140, 83], 14230, 4739, 0xd718262a, 0xc626b0ea],
    [[24, 19, 198, 95], [12, 22, 207, 184], 12898, 38024, 0xd2d0a5de, 0x5c2b394a],
  ];
  for (const [src, dst, sp, dp, ipOnly, withPorts] of vectors) {
    it(`${src.join('.')} -> ${dst.join('.')}`, () => {
      const a = input(src, dst);
      expect(toeplitz(KEY, a, 0, a.length)).toBe(ipOnly);
      const b = input(src, dst, sp, dp);
      expect(toeplitz(KEY, b, 0, b.length)).toBe(withPorts);
    });
  }
});

describe('flow parsing', () => {
  const f: FlowInfo = { version: 0, l3: 0, l4: -1, proto: 0 };
  it('finds IPv4/IPv6 and TCP/UDP ports; both directions of a flow hash alike', () => {
    const a = ipFrame({ payload: 10, srcPort: 1234, dstPort: 80 }).frame;
    expect(flowInfo(a, f)).toMatchObject({ version: 4, l3: 14, l4: 34, proto: 6 });
    const h = symmetricFlowHash(a, f);
    const b = a.slice();
    b.set(a.subarray(30, 34), 26);
    b.set(a.subarray(26, 30), 30);
    b.set(a.subarray(36, 38), 34);
    b.set(a.subarray(34, 36), 36);
    flowInfo(b, f);
    expect(symmetricFlowHash(b, f)).toBe(h);
    expect(flowInfo(ipFrame({ payload: 4, ipv6: true, udp: true }).frame, f)).toMatchObject({ version: 6, l4: 54, proto: 17 });
  });
  it('never reads past a truncated frame', () => {
    const a = ipFrame({ payload: 10, ipv6: true }).frame;
    for (let n = 0; n < a.length; n++) expect(() => flowInfo(a.subarray(0, n), f)).not.toThrow();
  });
});
