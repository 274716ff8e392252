import { describe, expect, it } from 'vitest';
import { buildMachine, defaultMac } from '../../src/machine/build.js';
import { TestDevice } from '../../src/devices/testdev/device.js';
import { InProcessQtest } from '../../src/machine/inprocess.js';
import { NetClient } from '../../src/hub/client.js';
import { SeededRandom } from '../../src/time/random.js';

const base = { machine: 'pc,pit=off', ramSize: 64 << 20, netdevs: [] as string[], devices: [] as string[], nics: [] as string[], nets: [] as string[] };

describe('buildMachine', () => {
  it('wires -netdev hubport devices through one hub: a frame from one testdev reaches the other two', async () => {
    const b = await buildMachine(
      {
        ...base,
        netdevs: ['hubport,id=h0,hubid=1', 'hubport,id=h1,hubid=1', 'hubport,id=h2,hubid=1'],
        devices: ['nicemu-testdev,netdev=h0,id=a', 'nicemu-testdev,netdev=h1,id=b,addr=05.0', 'nicemu-testdev,netdev=h2,id=c'],
      },
      {},
      { random: new SeededRandom(3) },
    );
    expect(b.machine.devices.map((d) => d.slot)).toEqual([2, 5, 3]);
    const qt = new InProcessQtest(b.machine);
    const setup = (slot: number, base: number) => {
      qt.ok(`outl 0xcf8 0x${((0x80000010 | (slot << 11)) >>> 0).toString(16)}`);
      qt.ok(`outl 0xcfc 0x${base.toString(16)}`);
      qt.ok(`outl 0xcf8 0x${((0x80000004 | (slot << 11)) >>> 0).toString(16)}`);
      qt.ok('outl 0xcfc 0x7');
    };
    setup(2, 0xfe000000);
    setup(5, 0xfe001000);
    setup(3, 0xfe002000);
    for (const [bar, buf] of [[0xfe001000, 0x3000], [0xfe002000, 0x4000]] as const) {
      qt.ok(`writel 0x${(bar + 0x1c).toString(16)} 0x${buf.toString(16)}`);
      qt.ok(`writel 0x${(bar + 0x20).toString(16)} 64`);
    }
    qt.ok('write 0x1000 4 0xcafebabe');
    qt.ok('writel 0xfe000010 0x1000');
    qt.ok('writel 0xfe000014 4');
    qt.ok('writel 0xfe000018 1');
    expect(qt.ok('read 0x3000 4')).toBe('0xcafebabe');
    expect(qt.ok('read 0x4000 4')).toBe('0xcafebabe');
    expect(Number(qt.ok('readl 0xfe00002c'))).toBe(0); // the sender does not hear itself
    expect(b.setLink('b', false)).toBe(true);
    expect(b.setLink('zz', false)).toBe(false);
    expect((b.machine.devices[1]!.device as TestDevice).net.linkDown).toBe(true);
    b.close();
  });

  it('refuses a netdev used twice, duplicate ids, unknown netdevs and unimplemented backends, naming them', async () => {
    await expect(buildMachine({ ...base, netdevs: ['hubport,id=h0,hubid=0'], devices: ['nicemu-testdev,netdev=h0', 'nicemu-testdev,netdev=h0'] }, {})).rejects.toThrow(/can't take value 'h0', it's in use/);
    await expect(buildMachine({ ...base, netdevs: ['hubport,id=h0,hubid=0', 'hubport,id=h0,hubid=1'] }, {})).rejects.toThrow(/Duplicate ID 'h0'/);
    await expect(buildMachine({ ...base, devices: ['nicemu-testdev,netdev=x'] }, {})).rejects.toThrow(/can't find value 'x'/);
    await expect(buildMachine({ ...base, netdevs: ['vde,id=v0'] }, {})).rejects.toThrow(/-netdev vde: not supported yet/);
    await expect(buildMachine({ ...base, netdevs: ['socket,id=s0,listen=:1234'] }, {})).rejects.toThrow(/socket \(listen=\): not supported yet/);
    await expect(buildMachine({ ...base, devices: ['nicemu-testdev,bogus=1'] }, {})).rejects.toThrow(/Property 'nicemu-testdev.bogus' not found/);
    await expect(buildMachine({ ...base, machine: 'pc,pit=on' }, {})).rejects.toThrow(/PIT/);
  });

  it('uses an injected backend factory for a backend type', async () => {
    const seen: string[] = [];
    const b = await buildMachine({ ...base, netdevs: ['socket,id=s0,udp=127.0.0.1:1,localaddr=127.0.0.1:2'], devices: ['nicemu-testdev,netdev=s0'] }, {
      'socket.udp': async (opts, id) => {
        seen.push(`${id}:${opts.type}`);
        return { client: new NetClient(id, { canReceive: () => true, receive: () => 'ok' }), close: () => seen.push('closed') };
      },
    });
    expect(b.clients.get('s0')!.peer).toBe((b.machine.devices[0]!.device as TestDevice).net);
    b.close();
    expect(seen).toEqual(['s0:socket', 'closed']);
  });

  it('gives NICs without mac= QEMU default addresses', () => {
    expect([...defaultMac(0)]).toEqual([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    expect([...defaultMac(1)]).toEqual([0x52, 0x54, 0, 0x12, 0x34, 0x57]);
  });
});
