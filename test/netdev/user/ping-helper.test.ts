/**
 * ICMP echo to outside addresses through native/ping-helper.c, on loopback
 * only: the helper alone, then the Node host's ping (what the user-mode
 * stack calls). Where the host allows no ICMP socket (no ping_group_range,
 * no CAP_NET_RAW) the same tests check the documented fallback: the ping
 * fails as `unsupported` (and the stack tells the guest "host unreachable").
 */
import { afterAll, describe, expect, it } from 'vitest';
import { NodeUserHost } from '../../../src/netdev/user/host.node.js';
import { PingHelper } from '../../../src/netdev/user/ping.node.js';
import type { HostResult } from '../../../src/netdev/user/host.js';

const helper = new PingHelper({ timeoutMs: 3000 });
afterAll(() => helper.close());

const ping = (address: string, family: 4 | 6, payload: Uint8Array): Promise<HostResult<{ rttMs: number }>> =>
  new Promise((resolve) => helper.ping({ family, address, ident: 1, seq: 1, payload, ttl: 64 }, resolve));

describe('PingHelper (native ICMP sockets)', () => {
  it('pings 127.0.0.1, or says why it cannot', async () => {
    const r = await ping('127.0.0.1', 4, Uint8Array.from([1, 2, 3, 4, 5]));
    const caps = helper.capabilities!;
    expect(caps.v4).toMatch(/^(dgram|raw|none)$/);
    if (caps.v4 === 'none') {
      expect(r).toMatchObject({ ok: false, error: { kind: 'unsupported' } });
    } else {
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.value.rttMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('many pings in flight each get their own answer (IPv4 and IPv6 loopback)', async () => {
    const rs = await Promise.all([...Array(20)].map((_, i) => ping(i % 2 ? '::1' : '127.0.0.1', i % 2 ? 6 : 4, new Uint8Array(i * 50))));
    const caps = helper.capabilities!;
    rs.forEach((r, i) => {
      const sock = i % 2 ? caps.v6 : caps.v4;
      expect(r.ok).toBe(sock !== 'none');
    });
  });

  it('a bad address is an error, not a hang', async () => {
    const r = await ping('not-an-address', 4, new Uint8Array(1));
    expect(r.ok).toBe(false);
  });
});

describe('NodeUserHost.ping (what the stack calls for an outside address)', () => {
  // The stack forwards echo requests for addresses outside the virtual network
  // (test/netdev/user/arp-icmp.test.ts covers that with a fake host); tests may
  // only reach loopback, which the stack never forwards, so the host is asked directly.
  it('answers through the helper, and not at all with ping: false', async () => {
    const on = new NodeUserHost();
    const off = new NodeUserHost({ ping: false });
    const req = { family: 4 as const, address: '127.0.0.1', ident: 0x4242, seq: 9, payload: new Uint8Array(56), ttl: 64 };
    const r = await new Promise<HostResult<{ rttMs: number }>>((resolve) => on.ping(req, resolve));
    expect(r.ok).toBe(helper.capabilities!.v4 !== 'none');
    const r2 = await new Promise<HostResult<{ rttMs: number }>>((resolve) => off.ping(req, resolve));
    expect(r2).toMatchObject({ ok: false, error: { kind: 'unsupported', message: expect.stringMatching(/off/) } });
  });
});
