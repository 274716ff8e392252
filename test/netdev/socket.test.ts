import { describe, expect, it } from 'vitest';
import net from 'node:net';
import fc from 'fast-check';
import { LengthPrefixDecoder, MAX_STREAM_FRAME, lengthPrefix } from '../../src/netdev/socket/framing.js';
import { StreamBackend } from '../../src/netdev/socket/stream.node.js';
import { UdpSocketBackend } from '../../src/netdev/socket/udp.node.js';
import { NetClient, type ReceiveResult } from '../../src/hub/client.js';
import { buildMachine } from '../../src/machine/build.js';
import { nodeBackends } from '../../src/netdev/backends.node.js';
import { InProcessQtest } from '../../src/machine/inprocess.js';

/** A NIC stand-in: records frames, can be made busy. */
class Nic {
  frames: Uint8Array[] = [];
  busy = false;
  readonly client = new NetClient('nic', {
    canReceive: () => !this.busy,
    receive: (f): ReceiveResult => {
      if (this.busy) return 'busy';
      this.frames.push(f.slice());
      return 'ok';
    },
  }, { kind: 'nic' });
}

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 2));
  }
};

const frame = (n: number, len = 60): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i * 7 + n) & 0xff);

describe('length-prefix framing (QEMU socket/stream netdevs)', () => {
  it('decodes frames split at any byte boundary', () => {
    const frames = [frame(1, 60), frame(2, 1514), new Uint8Array(0), frame(3, 9000)];
    const wire = new Uint8Array(frames.reduce((n, f) => n + 4 + f.length, 0));
    let o = 0;
    for (const f of frames) {
      wire.set(lengthPrefix(f.length), o);
      wire.set(f, o + 4);
      o += 4 + f.length;
    }
    expect([...lengthPrefix(0x01020304)]).toEqual([1, 2, 3, 4]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: wire.length - 1 }), { maxLength: 20 }), (cuts) => {
        const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), wire.length];
        const d = new LengthPrefixDecoder();
        const out: Uint8Array[] = [];
        for (let i = 0; i + 1 < points.length; i++) expect(d.push(wire.subarray(points[i], points[i + 1]), (f) => out.push(f))).toBeUndefined();
        expect(out).toEqual(frames);
      }),
    );
  });

  it('refuses a length above QEMU NET_BUFSIZE instead of allocating it', () => {
    const d = new LengthPrefixDecoder();
    const r = d.push(lengthPrefix(MAX_STREAM_FRAME + 1), () => {});
    expect(r).toEqual({ kind: 'frame-too-large', length: MAX_STREAM_FRAME + 1, limit: MAX_STREAM_FRAME });
    expect(new LengthPrefixDecoder().push(Uint8Array.of(0xff, 0xff, 0xff, 0xff), () => {})).toMatchObject({ kind: 'frame-too-large' });
  });
});

describe('stream backends on loopback', () => {
  it('listen and connect carry frames both ways, byte exact', async () => {
    const server = await StreamBackend.open({ id: 's', server: true, endpoint: { kind: 'inet', host: '127.0.0.1', port: 0 } });
    const client = await StreamBackend.open({ id: 'c', server: false, endpoint: { kind: 'inet', host: '127.0.0.1', port: server.localPort! } });
    const a = new Nic();
    const b = new Nic();
    NetClient.connect(a.client, server.client);
    NetClient.connect(b.client, client.client);
    await server.whenConnected();
    const sent = [frame(1), frame(2, 1514), frame(3, 65536)];
    for (const f of sent) a.client.send(f);
    b.client.send(frame(9, 100));
    await until(() => b.frames.length === 3 && a.frames.length === 1);
    expect(b.frames).toEqual(sent);
    expect(a.frames).toEqual([frame(9, 100)]);
    client.close();
    server.close();
  });

  it('speaks QEMU framing with a plain TCP peer, and drops a peer that sends an impossible length', async () => {
    const backend = await StreamBackend.open({ id: 's', server: true, endpoint: { kind: 'inet', host: '127.0.0.1', port: 0 } });
    const nic = new Nic();
    NetClient.connect(nic.client, backend.client);
    const sock = net.connect(backend.localPort!, '127.0.0.1');
    const got: Buffer[] = [];
    sock.on('data', (d) => got.push(d));
    await new Promise((r) => sock.once('connect', r));
    await backend.whenConnected();
    sock.write(Buffer.from([0, 0, 0, 3, 0xaa, 0xbb, 0xcc]));
    await until(() => nic.frames.length === 1);
    expect([...nic.frames[0]!]).toEqual([0xaa, 0xbb, 0xcc]);
    nic.client.send(Uint8Array.of(1, 2));
    await until(() => Buffer.concat(got).length === 6);
    expect([...Buffer.concat(got)]).toEqual([0, 0, 0, 2, 1, 2]);
    const closed = new Promise((r) => sock.once('close', r));
    sock.write(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    await closed;
    expect(backend.stats.protocolErrors).toBe(1);
    backend.close();
  });

  it('stops reading while the NIC is busy and resumes when it drains (no drop)', async () => {
    const server = await StreamBackend.open({ id: 's', server: true, endpoint: { kind: 'inet', host: '127.0.0.1', port: 0 } });
    const client = await StreamBackend.open({ id: 'c', server: false, endpoint: { kind: 'inet', host: '127.0.0.1', port: server.localPort! } });
    const a = new Nic();
    const b = new Nic();
    NetClient.connect(a.client, server.client);
    NetClient.connect(b.client, client.client);
    await server.whenConnected();
    b.busy = true;
    for (let i = 0; i < 200; i++) a.client.send(frame(i, 1000));
    await until(() => b.client.incoming.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    const queued = b.client.incoming.length;
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThan(200); // the socket paused instead of queueing everything
    b.busy = false;
    b.client.flushQueue();
    await until(() => b.frames.length === 200);
    expect(b.frames.map((f) => f[0])).toEqual(Array.from({ length: 200 }, (_, i) => frame(i, 1000)[0]));
    expect(b.client.stats.rxQueueFull).toBe(0);
    client.close();
    server.close();
  });

  it('a unix-socket stream works too', async () => {
    const path = `/tmp/nicemu-stream-${process.pid}.sock`;
    const server = await StreamBackend.open({ id: 's', server: true, endpoint: { kind: 'unix', path } });
    const client = await StreamBackend.open({ id: 'c', server: false, endpoint: { kind: 'unix', path } });
    const a = new Nic();
    const b = new Nic();
    NetClient.connect(a.client, server.client);
    NetClient.connect(b.client, client.client);
    await server.whenConnected();
    b.client.send(frame(5));
    await until(() => a.frames.length === 1);
    expect(a.frames[0]).toEqual(frame(5));
    client.close();
    server.close();
  });
});

describe('datagram backends on loopback', () => {
  it('unicast: one frame per datagram both ways', async () => {
    const x = await UdpSocketBackend.open({ id: 'x', remote: { host: '127.0.0.1', port: 1 }, local: { host: '127.0.0.1', port: 0 } });
    const y = await UdpSocketBackend.open({ id: 'y', remote: { host: '127.0.0.1', port: x.localPort }, local: { host: '127.0.0.1', port: 0 } });
    const xPort = x.localPort;
    x.close();
    const x2 = await UdpSocketBackend.open({ id: 'x', remote: { host: '127.0.0.1', port: y.localPort }, local: { host: '127.0.0.1', port: xPort } });
    const a = new Nic();
    const b = new Nic();
    NetClient.connect(a.client, x2.client);
    NetClient.connect(b.client, y.client);
    a.client.send(frame(1, 1514));
    b.client.send(frame(2, 42));
    await until(() => a.frames.length === 1 && b.frames.length === 1);
    expect(b.frames[0]).toEqual(frame(1, 1514));
    expect(a.frames[0]).toEqual(frame(2, 42));
    x2.close();
    y.close();
  });

  it('refuses a non-multicast group for mcast', async () => {
    await expect(UdpSocketBackend.open({ id: 'm', remote: { host: '127.0.0.1', port: 1234 }, multicast: {} })).rejects.toThrow(/not a multicast address/);
  });
});

describe('socket netdevs from QEMU options', () => {
  it('two machines joined by -netdev socket,listen= and socket,connect= exchange frames between test devices', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const base = { machine: 'pc', ramSize: 16 << 20, nics: [], nets: [] };
    const m1 = await buildMachine({ ...base, netdevs: [`socket,id=n0,listen=127.0.0.1:${port}`], devices: ['nicemu-testdev,netdev=n0'] }, nodeBackends());
    const m2 = await buildMachine({ ...base, netdevs: [`socket,id=n0,connect=127.0.0.1:${port}`], devices: ['nicemu-testdev,netdev=n0'] }, nodeBackends());
    const q1 = new InProcessQtest(m1.machine);
    const q2 = new InProcessQtest(m2.machine);
    for (const q of [q1, q2]) {
      q.ok('outl 0xcf8 0x80001010');
      q.ok('outl 0xcfc 0xfe000000');
      q.ok('outl 0xcf8 0x80001004');
      q.ok('outl 0xcfc 0x7');
    }
    q2.ok('writel 0xfe00001c 0x8000');
    q2.ok('writel 0xfe000020 2048');
    await until(() => (m1.clients.get('n0')!.peer !== null) && true);
    await new Promise((r) => setTimeout(r, 20));
    q1.ok('write 0x1000 8 0x0102030405060708');
    q1.ok('writel 0xfe000010 0x1000');
    q1.ok('writel 0xfe000014 8');
    q1.ok('writel 0xfe000018 1');
    await until(() => Number(q2.ok('readl 0xfe000024')) === 8);
    expect(q2.ok('read 0x8000 8')).toBe('0x0102030405060708');
    m1.close();
    m2.close();
  });

  it('-netdev vhost-vdpa and socket fd= stay "not supported yet"', async () => {
    const base = { machine: 'pc', ramSize: 16 << 20, nics: [], nets: [], devices: [] };
    await expect(buildMachine({ ...base, netdevs: ['vhost-vdpa,id=v0,vhostdev=/dev/vhost-vdpa-0'] }, nodeBackends())).rejects.toThrow(/-netdev vhost-vdpa: not supported yet/);
    await expect(buildMachine({ ...base, netdevs: ['socket,id=s0,fd=3'] }, nodeBackends())).rejects.toThrow(/not supported yet/);
  });
});

describe('multicast datagram backend', () => {
  it('members of a group on the loopback interface see each other (and themselves, as in QEMU)', async () => {
    const group = { host: '239.255.77.1', port: 40000 + (process.pid % 20000) };
    let x: UdpSocketBackend;
    let y: UdpSocketBackend;
    try {
      x = await UdpSocketBackend.open({ id: 'x', remote: group, multicast: { localAddress: '127.0.0.1' } });
      y = await UdpSocketBackend.open({ id: 'y', remote: group, multicast: { localAddress: '127.0.0.1' } });
    } catch (e) {
      throw new Error(`multicast on loopback unavailable: ${(e as Error).message}`);
    }
    const a = new Nic();
    const b = new Nic();
    NetClient.connect(a.client, x.client);
    NetClient.connect(b.client, y.client);
    a.client.send(frame(7, 300));
    await until(() => b.frames.length === 1 && a.frames.length === 1);
    expect(b.frames[0]).toEqual(frame(7, 300));
    expect(a.frames[0]).toEqual(frame(7, 300));
    x.close();
    y.close();
  });
});
