import { describe, expect, it } from 'vitest';
import { userWire } from '../../../src/netdev/user/index.js';
import { GUEST_IP, GUEST_IP6, HOST_IP, HOST_IP6, type Setup, setup, udpFrame } from './guest.js';

const { emitTftp, parseTftp } = userWire;

function rrq(s: Setup, name: string, options: Array<[string, string]> = [], port = 2000, mode = 'octet'): void {
  s.guest.send(udpFrame(GUEST_IP, port, HOST_IP, 69, emitTftp({ op: 'rrq', filename: name, mode, options })));
}
function ack(s: Setup, block: number, port = 2000): void {
  s.guest.send(udpFrame(GUEST_IP, port, HOST_IP, 69, emitTftp({ op: 'ack', block })));
}
function next(s: Setup): ReturnType<typeof parseTftp> {
  const f = s.guest.take();
  expect(f.length).toBe(1);
  expect(f[0]!.udp!.sport).toBe(69);
  return parseTftp(f[0]!.udp!.payload);
}

describe('TFTP server (RFC 1350, 2347-2349)', () => {
  it('serves a file in 512-byte blocks, ending with a short block', async () => {
    const s = await setup({ tftp: '/srv/tftp' });
    s.guest.announce();
    const file = new Uint8Array(1300).map((_, i) => i & 255);
    s.host.files.set('boot/kernel', file);
    rrq(s, 'boot/kernel');
    const got: Uint8Array[] = [];
    for (let block = 1; ; block++) {
      const p = next(s);
      expect(p).toMatchObject({ op: 'data', block });
      if (!('data' in p) || p.op !== 'data') throw new Error('no data');
      got.push(p.data.slice());
      ack(s, block);
      if (p.data.length < 512) break;
    }
    expect(got.map((g) => g.length)).toEqual([512, 512, 276]);
    expect(Uint8Array.from(got.flatMap((g) => [...g]))).toEqual(file);
    expect(s.host.reads[0]!.root).toBe('/srv/tftp');
    expect(s.net.usage().tftpSessions).toBe(0);
  });

  it('negotiates blksize, tsize and timeout with an OACK, then sends after ACK 0', async () => {
    const s = await setup({ tftp: '/srv' });
    s.guest.announce();
    s.host.files.set('f', new Uint8Array(3000).fill(7));
    rrq(s, 'f', [['blksize', '1428'], ['tsize', '0'], ['timeout', '3'], ['windowsize', '4']]);
    expect(next(s)).toEqual({ op: 'oack', options: [['blksize', '1428'], ['timeout', '3'], ['tsize', '3000']] });
    ack(s, 0);
    const d1 = next(s);
    expect('op' in d1 && d1.op === 'data' && d1.data.length).toBe(1428);
    ack(s, 1);
    ack(s, 1); // a duplicate ACK does not make it skip ahead
    const d2 = next(s);
    expect('op' in d2 && d2.op === 'data' && d2.block).toBe(2);
  });

  it('blksize is clamped to what fits an Ethernet frame', async () => {
    const s = await setup({ tftp: '/srv' });
    s.guest.announce();
    s.host.files.set('f', new Uint8Array(10));
    rrq(s, 'f', [['blksize', '65464']]);
    expect(next(s)).toEqual({ op: 'oack', options: [['blksize', '1468']] });
  });

  it('retransmits a lost block after the timeout, and gives up after 5 tries', async () => {
    const s = await setup({ tftp: '/srv' });
    s.guest.announce();
    s.host.files.set('f', new Uint8Array(100));
    rrq(s, 'f');
    expect(next(s)).toMatchObject({ op: 'data' });
    s.clock.advance(5e9);
    expect(next(s)).toMatchObject({ op: 'data', block: 1 });
    s.clock.advance(100e9);
    expect(s.guest.take().length).toBe(4);
    expect(s.net.usage().tftpSessions).toBe(0);
  });

  it('".." components, absolute paths, backslashes and trailing slashes get "Access violation"', async () => {
    const s = await setup({ tftp: '/srv' });
    s.guest.announce();
    for (const name of ['../etc/passwd', 'a/../../b', '/etc/passwd', '\\windows', 'C:/x', 'dir/', '..']) {
      rrq(s, name);
      expect(next(s)).toEqual({ op: 'error', code: 2, message: 'Access violation' });
    }
    expect(s.host.reads.length).toBe(0);
    expect(s.net.stats.tftpAccessViolations).toBe(7);
  });

  it('missing files, netascii mode, writes, and a server without tftp= are refused', async () => {
    const s = await setup({ tftp: '/srv' });
    s.guest.announce();
    rrq(s, 'nope');
    expect(next(s)).toEqual({ op: 'error', code: 1, message: 'File not found' });
    rrq(s, 'x', [], 2000, 'netascii');
    expect(next(s)).toMatchObject({ op: 'error', code: 4 });
    s.guest.send(udpFrame(GUEST_IP, 2000, HOST_IP, 69, emitTftp({ op: 'wrq', filename: 'x', mode: 'octet', options: [] })));
    expect(next(s)).toMatchObject({ op: 'error', code: 2 });
    const t = await setup();
    t.guest.announce();
    rrq(t, 'x');
    expect(next(t)).toMatchObject({ op: 'error', code: 2 });
  });

  it('works over IPv6 to ipv6-host', async () => {
    const s = await setup({ tftp: '/srv' });
    s.host.files.set('six', new Uint8Array([6, 6, 6]));
    s.guest.send(udpFrame(GUEST_IP6, 3000, HOST_IP6, 69, emitTftp({ op: 'rrq', filename: 'six', mode: 'octet', options: [] })));
    const f = s.guest.take().find((x) => x.udp);
    expect(parseTftp(f!.udp!.payload)).toEqual({ op: 'data', block: 1, data: new Uint8Array([6, 6, 6]) });
  });

  it('files whose size is a multiple of the block size end with an empty block; block numbers wrap past 65535', async () => {
    const s = await setup({ tftp: '/srv' });
    s.guest.announce();
    s.host.files.set('f', new Uint8Array(1024));
    rrq(s, 'f');
    next(s);
    ack(s, 1);
    next(s);
    ack(s, 2);
    const last = next(s);
    expect(last).toEqual({ op: 'data', block: 3, data: new Uint8Array(0) });
    ack(s, 3);
    expect(s.guest.take()).toEqual([]);
    // Wrap: 65536 blocks of 8 bytes + 1 short block.
    const big = new Uint8Array(8 * 65537);
    s.host.files.set('big', big);
    rrq(s, 'big', [['blksize', '8']], 2001);
    next(s);
    ack(s, 0, 2001);
    let count = 0;
    let wrong = 0;
    for (let b = 1; b <= 65538; b++) {
      const f = s.guest.take();
      const p = f.length === 1 ? parseTftp(f[0]!.udp!.payload) : undefined;
      if (!p || !('op' in p) || p.op !== 'data') throw new Error(`expected data at block ${b}`);
      if (p.block !== (b & 0xffff)) wrong++;
      count++;
      ack(s, b & 0xffff, 2001);
      if (p.data.length < 8) break;
    }
    expect(wrong).toBe(0);
    expect(count).toBe(65538);
  }, 20_000);
});
