import { describe, expect, it } from 'vitest';
import { tcpEngine } from '../../../src/netdev/user/index.js';
import { TcpFlags, parseTcpOptions } from '../../../src/wire/index.js';
import { GUEST_IP, GuestTcp, decode, ip, parseFrame, setup, tcpFrame, text } from './guest.js';
import { REMOTE, firstDifference, openConn, pattern, writeAll } from './tcp-helpers.js';

const { SYN, ACK, RST, FIN, PSH } = TcpFlags;

describe('TCP engine pieces', () => {
  it('HalfSipHash-2-4 matches the reference vectors (key 00..07)', () => {
    const k0 = 0x03020100;
    const k1 = 0x07060504;
    const msg = Uint8Array.from({ length: 8 }, (_, i) => i);
    expect(tcpEngine.halfSipHash24(k0, k1, msg.subarray(0, 0))).toBe(0x5b9f35a9);
    expect(tcpEngine.halfSipHash24(k0, k1, msg.subarray(0, 1))).toBe(0xb85a4727);
    expect(tcpEngine.halfSipHash24(k0, k1, msg.subarray(0, 2))).toBe(0x03a662fa);
    expect(tcpEngine.halfSipHash24(k0, k1, msg.subarray(0, 4))).toBe(0x89466e2a);
  });

  it('sequence comparisons wrap (RFC 1982)', () => {
    expect(tcpEngine.seqLt(0xfffffff0, 0x10)).toBe(true);
    expect(tcpEngine.seqGt(0x10, 0xfffffff0)).toBe(true);
    expect(tcpEngine.seqAdd(0xffffffff, 2)).toBe(1);
    expect(tcpEngine.seqDiff(1, 0xffffffff)).toBe(2);
  });

  it('the transition table holds RFC 9293 Figure 5 and nothing else', () => {
    const t = tcpEngine.TCP_TRANSITIONS;
    expect(t.closed['open-active']).toBe('syn-sent');
    expect(t['syn-sent']['rcv-syn-ack']).toBe('established');
    expect(t['syn-sent']['rcv-syn']).toBe('syn-received');
    expect(t['syn-received']['rcv-ack-of-syn']).toBe('established');
    expect(t.established.close).toBe('fin-wait-1');
    expect(t.established['rcv-fin']).toBe('close-wait');
    expect(t['fin-wait-1']['rcv-ack-of-fin']).toBe('fin-wait-2');
    expect(t['fin-wait-1']['rcv-fin']).toBe('closing');
    expect(t['fin-wait-2']['rcv-fin']).toBe('time-wait');
    expect(t['close-wait'].close).toBe('last-ack');
    expect(t.closing['rcv-ack-of-fin']).toBe('time-wait');
    expect(t['last-ack']['rcv-ack-of-fin']).toBe('closed');
    expect(t['time-wait']['time-wait-done']).toBe('closed');
    expect(t['time-wait'].reset).toBeUndefined();
    expect(tcpEngine.nextState('closed', 'rcv-fin')).toBeUndefined();
  });

  it('ISNs come from the injected random source and the 4-tuple (RFC 6528)', () => {
    const a = new tcpEngine.IsnGenerator({ nextU32: () => 1 });
    const b = new tcpEngine.IsnGenerator({ nextU32: () => 2 });
    const tuple = new Uint8Array([10, 0, 2, 2, 0, 80, 10, 0, 2, 15, 0x9c, 0x40]);
    expect(a.isn(tuple, 0)).not.toBe(b.isn(tuple, 0));
    expect(a.isn(tuple, 4000)).toBe((a.isn(tuple, 0) + 1) >>> 0);
    const other = tuple.slice();
    other[11] = 0x41;
    expect(a.isn(other, 0)).not.toBe(a.isn(tuple, 0));
  });
});

describe('TCP NAT: handshake and data', () => {
  it('answers the guest SYN only once the host connected, with MSS and window scale', async () => {
    const s = await setup();
    s.guest.announce();
    s.guest.send(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: 100, flags: SYN, window: 64240, options: [{ type: 'mss', mss: 1460 }, { type: 'nop' }, { type: 'window-scale', shift: 7 }] }));
    expect(s.host.calls).toEqual(['tcpConnect 93.184.216.34:80']);
    expect(s.guest.take()).toEqual([]);
    s.host.lastStream().connect();
    const [f] = s.guest.take();
    expect(f!.tcp!.flags).toBe(SYN | ACK);
    expect(f!.tcp!.ack).toBe(101);
    expect(f!.tcp!.checksumOk).toBe(true);
    expect([...f!.ip!.src]).toEqual([...REMOTE]);
    const opts = parseTcpOptions(f!.tcp!.packet.options);
    expect(opts).toContainEqual({ type: 'mss', mss: 1460 });
    expect(opts).toContainEqual({ type: 'window-scale', shift: 3 });
    // A retransmitted SYN gets the SYN-ACK again.
    s.guest.send(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: 100, flags: SYN, options: [{ type: 'mss', mss: 1460 }] }));
    const [again] = s.guest.take();
    expect(again!.tcp!.flags).toBe(SYN | ACK);
    expect(again!.tcp!.seq).toBe(f!.tcp!.seq);
  });

  it('carries data both ways, then closes cleanly from the host side', async () => {
    const o = await openConn();
    expect(o.conn.tcb.state).toBe('established');
    o.conn.write(text('GET / HTTP/1.0\r\n\r\n'));
    expect(o.stream.text()).toBe('GET / HTTP/1.0\r\n\r\n');
    o.stream.send('HTTP/1.0 200 OK\r\n\r\nhello');
    o.stream.hostEnd();
    o.clock.advance(100e6);
    expect(decode(o.conn.data())).toBe('HTTP/1.0 200 OK\r\n\r\nhello');
    expect(o.conn.tcb.state).toBe('close-wait');
    o.conn.close();
    o.clock.advance(100e6);
    expect(o.stream.ended).toBe(true);
    expect(o.net.usage().tcpConnections).toBe(1); // TIME-WAIT
    o.clock.advance(11e9);
    expect(o.net.usage().tcpConnections).toBe(0);
    expect(o.conn.tcb.state).toBe('closed');
  });

  it('honours the guest MSS', async () => {
    const o = await openConn({}, { mss: 536 });
    o.stream.send(pattern(5000));
    o.clock.advance(1e9);
    const sizes = o.frames.filter((f) => f.tcp && f.tcp.payload.length).map((f) => f.tcp!.payload.length);
    expect(Math.max(...sizes)).toBe(536);
    expect(o.conn.data()).toEqual(pattern(5000));
  });

  it('window scaling: the guest may have more than 64 KiB in flight towards us', async () => {
    const o = await openConn();
    // Our window is scaled by 3: after the handshake the ACK advertises 256 KiB.
    const lastAck = o.frames.filter((f) => f.tcp).pop()!;
    expect(lastAck.tcp!.window * 8).toBeGreaterThan(65535);
    o.stream.highWater = 0; // the host takes nothing for now
    o.conn.write(pattern(200_000));
    o.clock.advance(5e9);
    // More than 64 KiB went out without the host taking any of it.
    expect(o.conn.tcb.sndUna - o.conn.tcb.iss).toBeGreaterThan(65536);
  });

  it('window scaling the other way: a guest window of 100 << 10 lets us send past 65535 bytes unacknowledged', async () => {
    const o = await openConn({}, { rcvBufSize: 102400 });
    expect(o.conn.tcb.rcvShift).toBe(1);
    o.conn.autoRead = false;
    o.stream.send(pattern(200_000));
    o.clock.advance(10e9);
    // The guest took nothing, so the stack sent exactly what its window allowed.
    expect(o.conn.tcb.rcvBuf.length).toBe(102400);
  });
});

describe('TCP NAT: loss and recovery', () => {
  it('retransmits a lost segment after the RTO', async () => {
    const o = await openConn();
    let dropped = 0;
    o.drop = (f) => !!f.tcp && f.tcp.payload.length > 0 && dropped++ === 0;
    o.stream.send(text('lost once'));
    o.clock.advance(100e6);
    expect(o.conn.receivedBytes).toBe(0);
    // The handshake measured an RTT of ~0, so the RTO is at its 200 ms floor.
    expect(o.conn.tcb.rto).toBe(200e6);
    o.clock.advance(150e6);
    expect(decode(o.conn.data())).toBe('lost once');
    expect(o.net.stats.tcpRetransmits).toBeGreaterThan(0);
  });

  it('fast retransmit after three duplicate ACKs, before the RTO', async () => {
    const o = await openConn();
    let n = 0;
    o.drop = (f) => !!f.tcp && f.tcp.payload.length > 0 && ++n === 2;
    o.stream.send(pattern(14600));
    o.clock.advance(50e6);
    expect(o.net.stats.tcpFastRetransmits).toBe(1);
    expect(o.conn.data()).toEqual(pattern(14600));
  });

  it('the guest retransmits toward the host side and duplicates are discarded', async () => {
    const o = await openConn();
    const s = o.conn.tcb;
    const seq = s.sndNxt;
    const payload = text('dup');
    const send = (): void => o.guest.send(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq, ack: s.rcvNxt, flags: ACK | PSH, payload }));
    send();
    send();
    expect(o.stream.text()).toBe('dup');
  });
});

describe('TCP NAT: closing', () => {
  it('half-close from the guest: FIN reaches the host as end(), the host keeps sending', async () => {
    const o = await openConn();
    o.conn.write(text('request'));
    o.conn.close();
    o.clock.advance(100e6);
    expect(o.stream.ended).toBe(true);
    expect(o.stream.text()).toBe('request');
    o.stream.send('still talking');
    o.clock.advance(100e6);
    expect(decode(o.conn.data())).toBe('still talking');
    o.stream.hostEnd();
    o.clock.advance(100e6);
    expect(o.conn.tcb.state).toBe('time-wait');
    expect(o.net.usage().tcpConnections).toBe(0);
  });

  it('half-close from the host: FIN to the guest, the guest keeps sending', async () => {
    const o = await openConn();
    o.stream.hostEnd();
    o.clock.advance(100e6);
    expect(o.conn.tcb.state).toBe('close-wait');
    o.conn.write(text('more data'));
    o.clock.advance(100e6);
    expect(o.stream.text()).toBe('more data');
    o.conn.close();
    o.clock.advance(100e6);
    expect(o.stream.ended).toBe(true);
  });

  it('a guest RST with the right sequence number aborts the host side; a wrong one gets a challenge ACK (RFC 5961)', async () => {
    const o = await openConn();
    const t = o.conn.tcb;
    o.guest.send(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: t.sndNxt + 100, flags: RST }));
    expect(o.net.stats.tcpChallengeAcks).toBe(1);
    expect(o.stream.destroyed).toBe(false);
    o.guest.send(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: t.sndNxt, flags: RST }));
    expect(o.stream.destroyed).toBe(true);
    expect(o.net.usage().tcpConnections).toBe(0);
  });

  it('a host reset reaches the guest as RST', async () => {
    const o = await openConn();
    o.stream.hostClose({ kind: 'reset', message: 'ECONNRESET' });
    o.clock.advance(0);
    expect(o.frames.pop()!.tcp!.flags & RST).toBeTruthy();
    expect(o.conn.tcb.state).toBe('closed');
    expect(o.conn.events & tcpEngine.TcpEvents.RESET).toBeTruthy();
  });

  it('a refused host connection answers the SYN with RST; an unreachable one with ICMP', async () => {
    const s = await setup();
    s.guest.announce();
    s.guest.send(tcpFrame({ dst: REMOTE, sport: 1, dport: 81, seq: 5, flags: SYN }));
    s.host.lastStream().refuse();
    const [r] = s.guest.take();
    expect(r!.tcp!.flags).toBe(RST | ACK);
    expect(r!.tcp!.ack).toBe(6);
    s.guest.send(tcpFrame({ dst: REMOTE, sport: 2, dport: 81, seq: 5, flags: SYN }));
    s.host.lastStream().refuse('unreachable');
    const [u] = s.guest.take();
    expect(u!.icmp4?.type).toBe('dest-unreachable');
    expect(s.net.usage().tcpConnections).toBe(0);
  });

  it('segments for no connection get a RST (RFC 9293 §3.10.7.1)', async () => {
    const s = await setup();
    s.guest.announce();
    s.guest.send(tcpFrame({ dst: REMOTE, sport: 7, dport: 80, seq: 1, ack: 12345, flags: ACK }));
    const [r] = s.guest.take();
    expect(r!.tcp!.flags).toBe(RST);
    expect(r!.tcp!.seq).toBe(12345);
    s.guest.send(tcpFrame({ dst: REMOTE, sport: 7, dport: 80, seq: 1, flags: RST }));
    expect(s.guest.take()).toEqual([]);
  });

  it('a new SYN on a tuple still in TIME-WAIT opens a new connection', async () => {
    const o = await openConn();
    o.stream.hostEnd();
    o.clock.advance(10e6);
    o.conn.close();
    o.clock.advance(10e6);
    expect(o.net.usage().tcpConnections).toBe(1);
    o.guest.send(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: o.conn.tcb.sndNxt + 100000, flags: SYN }));
    expect(o.host.streams.length).toBe(2);
    expect(o.net.usage().tcpConnections).toBe(1);
  });

  it('keep-alive probes (SEG.SEQ = RCV.NXT-1) are answered with an ACK', async () => {
    const o = await openConn();
    const t = o.conn.tcb;
    o.frames.length = 0;
    o.guest.send(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: t.sndNxt - 1, ack: t.rcvNxt, flags: ACK }));
    o.guest.send(tcpFrame({ dst: REMOTE, sport: 40000, dport: 80, seq: t.sndNxt - 1, ack: t.rcvNxt, flags: ACK, payload: new Uint8Array(1) }));
    o.clock.advance(0);
    expect(o.frames.length).toBe(2);
    for (const f of o.frames) {
      expect(f.tcp!.flags).toBe(ACK);
      expect(f.tcp!.ack).toBe(t.sndNxt);
    }
    expect(o.stream.writtenBytes).toBe(0);
  });

  it('a data segment whose retransmissions all fail times out and resets', async () => {
    const o = await openConn();
    o.drop = () => true;
    o.stream.send(text('into the void'));
    o.clock.advance(30 * 60e9);
    expect(o.net.stats.tcpTimeouts).toBe(1);
    expect(o.stream.destroyed).toBe(true);
    expect(o.net.usage().tcpConnections).toBe(0);
  });
});

describe('TCP NAT: backpressure', () => {
  it('a slow host socket closes the guest window; everything arrives once it drains', async () => {
    const o = await openConn();
    o.stream.highWater = 16 * 1024;
    const data = pattern(1_000_000, 7);
    let off = 0;
    const pump = (): void => {
      off = writeAll(o.conn, data, off, 65536);
    };
    pump();
    o.clock.advance(20e9);
    // Host took ~16 KiB + one chunk; the stack holds at most its receive buffer; the guest is stalled.
    expect(o.stream.writtenBytes).toBeLessThanOrEqual(16 * 1024 + 64 * 1024);
    const acked = o.conn.tcb.sndUna - o.conn.tcb.iss - 1;
    expect(acked).toBeLessThanOrEqual(o.stream.writtenBytes + 256 * 1024);
    expect(o.net.usage().tcpBufferedBytes).toBeLessThan(1024 * 1024);
    for (let i = 0; i < 2000 && o.stream.writtenBytes < data.length; i++) {
      o.stream.consume();
      pump();
      o.clock.advance(50e6);
    }
    expect(firstDifference(o.stream.data(), data)).toBe(-1);
  });

  it('a guest with a zero window pauses the host stream; reading resumes it', async () => {
    const o = await openConn({}, { rcvBufSize: 32 * 1024 });
    o.conn.autoRead = false;
    const data = pattern(600_000, 3);
    let off = 0;
    const feed = (): void => {
      while (off < data.length && !o.stream.paused) {
        o.stream.send(data.subarray(off, off + 16384));
        off += 16384;
      }
    };
    feed();
    o.clock.advance(30e9);
    expect(o.stream.paused).toBe(true);
    expect(o.conn.tcb.rcvBuf.free).toBe(0);
    // Zero-window probes went out while the guest sat on a full buffer.
    const probes = o.frames.filter((f) => f.tcp && f.tcp.payload.length === 1).length;
    expect(probes).toBeGreaterThan(0);
    expect(o.net.usage().tcpBufferedBytes).toBeLessThan(600 * 1024);
    for (let i = 0; i < 5000 && o.conn.receivedBytes < data.length; i++) {
      o.conn.read();
      feed();
      o.clock.advance(10e6);
    }
    expect(firstDifference(o.conn.data(), data)).toBe(-1);
  });
});

describe('TCP NAT: destinations', () => {
  it('10.0.2.2 maps to host loopback; other addresses of the virtual network are refused', async () => {
    const s = await setup();
    s.guest.announce();
    const c = new GuestTcp(s.clock, (f) => s.guest.send(f), { addr: GUEST_IP, port: 1234 }, { addr: ip('10.0.2.2'), port: 8080 });
    s.guest.onFrame = (f) => c.input(parseFrame(f));
    expect(s.host.calls).toEqual(['tcpConnect 127.0.0.1:8080']);
    s.guest.onFrame = undefined;
    s.guest.send(tcpFrame({ dst: ip('10.0.2.3'), sport: 9, dport: 22, seq: 1, flags: SYN }));
    expect(s.guest.take()[0]!.tcp!.flags & RST).toBeTruthy();
    expect(s.host.calls.length).toBe(1);
    void FIN;
  });
});
