/**
 * Frames the NIC hands over with offload work left (`NetClient.sendOffloaded`):
 * the stack takes a partial TCP/UDP checksum as the sender's promise and a
 * GSO frame as one large TCP segment; anything else is declined, so the NIC
 * finishes it in software.
 */
import { describe, expect, it } from 'vitest';
import type { FrameOffload } from '../../../src/hub/index.js';
import { pseudoHeaderSumAt } from '../../../src/wire/checksum.js';
import { TcpFlags } from '../../../src/wire/index.js';
import { GUEST_IP, decode, ethFrame, ip, ipv4Packet, setup, tcpFrame, text, udpFrame } from './guest.js';
import { REMOTE, firstDifference, openConn, pattern } from './tcp-helpers.js';

const ACK = TcpFlags.ACK;
const PSH = TcpFlags.PSH;

/** Replace the transport checksum at `l4 + at` by the folded pseudo-header sum (what a NEEDS_CSUM driver leaves). */
function makePartial(frame: Uint8Array, l4: number, at: number, proto: number): Uint8Array {
  const f = frame.slice();
  let s = pseudoHeaderSumAt(f, 26, 34, proto, f.length - l4);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  f[l4 + at] = s >>> 8;
  f[l4 + at + 1] = s & 0xff;
  return f;
}

const gso = (size = 1460): FrameOffload => ({ csumStart: 34, csumOffset: 16, gso: 'tcpv4', gsoSize: size });

describe('user-mode stack: frames with offload work left', () => {
  it('a 60000-byte GSO segment with a partial checksum reaches the host socket in one piece', async () => {
    const o = await openConn();
    const t = o.conn.tcb;
    const data = pattern(60000);
    const f = makePartial(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: t.sndNxt, ack: t.rcvNxt, flags: ACK | PSH, payload: data }), 34, 16, 6);
    expect(o.guest.nic.sendOffloaded(f, gso())).toBe(true);
    expect(firstDifference(o.stream.data(), data)).toBe(-1);
    expect(o.net.stats).toMatchObject({ rxOffloaded: 1, tcpBadChecksum: 0 });
    // The stack acknowledges all of it (to a guest TCP that never sent it: kept away from it).
    o.drop = () => true;
    o.clock.advance(1e6);
    expect(o.frames.some((fr) => fr.tcp && fr.tcp.ack === ((t.sndNxt + 60000) >>> 0))).toBe(true);
  });

  it('the same frame sent as a plain frame is a bad checksum (the promise comes with the offload info only)', async () => {
    const o = await openConn();
    const t = o.conn.tcb;
    const f = makePartial(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: t.sndNxt, ack: t.rcvNxt, flags: ACK | PSH, payload: text('partial') }), 34, 16, 6);
    o.guest.send(f);
    expect(o.stream.writtenBytes).toBe(0);
    expect(o.net.stats).toMatchObject({ rxOffloaded: 0, tcpBadChecksum: 1 });
  });

  it('segments the header prediction does not take (IPv4 options) go the general way, checksum not verified', async () => {
    const o = await openConn();
    const t = o.conn.tcb;
    const plain = tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: t.sndNxt, ack: t.rcvNxt, flags: ACK | PSH, payload: text('with options') });
    // The same TCP segment behind a 24-byte IPv4 header (one NOP option word).
    const l4bytes = plain.subarray(34);
    const withOpts = ethFrame(0x0800, ipv4Packet(ip('10.0.2.15'), REMOTE, 6, l4bytes, { options: Uint8Array.of(1, 1, 1, 0) }));
    const f = makePartial(withOpts, 38, 16, 6);
    expect(o.guest.nic.sendOffloaded(f, { csumStart: 38, csumOffset: 16, gso: 'none', gsoSize: 0 })).toBe(true);
    expect(decode(o.stream.data())).toBe('with options');
    expect(o.net.stats.tcpBadChecksum).toBe(0);
  });

  it('a UDP datagram with a partial checksum leaves through the NAT', async () => {
    const { guest, host, net } = await setup();
    guest.announce();
    const f = makePartial(udpFrame(GUEST_IP, 4000, ip('8.8.8.8'), 123, text('ntp?')), 34, 6, 17);
    expect(guest.nic.sendOffloaded(f, { csumStart: 34, csumOffset: 6, gso: 'none', gsoSize: 0 })).toBe(true);
    expect(host.udp[0]!.sent.map((s) => decode(s.data))).toEqual(['ntp?']);
    expect(net.stats.udpBadChecksum).toBe(0);
  });

  it('declines what it cannot vouch for: nothing taken, nothing counted', async () => {
    const o = await openConn();
    const t = o.conn.tcb;
    const seg = makePartial(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: t.sndNxt, ack: t.rcvNxt, flags: ACK, payload: pattern(3000) }), 34, 16, 6);
    const frag = seg.slice();
    frag[14 + 6] = 0x20; // more fragments
    const v6label: FrameOffload = { ...gso(), gso: 'tcpv6' };
    const cases: Array<[string, Uint8Array, FrameOffload]> = [
      ['the checksum field elsewhere than the TCP header', seg, { ...gso(), csumOffset: 6 }],
      ['a checksum start inside the IP header', seg, { ...gso(), csumStart: 30 }],
      ['no partial checksum', seg, { ...gso(), csumStart: -1 }],
      ['GSO naming the other IP version', seg, v6label],
      ['an IPv4 fragment', frag, gso()],
      ['a runt', seg.subarray(0, 40), gso()],
    ];
    const rx = o.net.stats.rxFrames;
    for (const [what, f, off] of cases) expect(o.guest.nic.sendOffloaded(f, off), what).toBe(false);
    expect(o.net.stats).toMatchObject({ rxFrames: rx, rxOffloaded: 0, tcpBadChecksum: 0 });
    expect(o.stream.writtenBytes).toBe(0);
    o.net.close();
    expect(o.guest.nic.sendOffloaded(seg, gso())).toBe(false);
  });
});
