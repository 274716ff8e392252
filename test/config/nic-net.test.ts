import { describe, expect, it } from 'vitest';
import { helpText, parseNet, parseNetOrThrow, parseNic } from '../../src/config/index.js';
import { OptionError } from '../../src/errors.js';
import { err, helpOf, ok } from './helpers.js';

const MODELS = ['e1000', 'e1000-82544gc', 'e1000-82545em', 'rtl8139', 'virtio-net-pci'];

describe('-nic (net/net.c net_param_nic)', () => {
  it('defaults to a user backend and the machine default model', () => {
    const n = ok(parseNic(''));
    expect(n.kind).toBe('nic');
    if (n.kind !== 'nic') return;
    expect(n.model).toBeUndefined();
    expect(n.mac).toBeUndefined();
    expect(n.backend.type).toBe('user');
  });

  it('takes type, model, mac and the backend options together', () => {
    const n = ok(parseNic('user,id=n1,model=virtio-net-pci,mac=52:54:00:12:34:56,hostfwd=tcp::2222-:22'));
    expect(n).toMatchObject({
      kind: 'nic', id: 'n1', model: 'virtio-net-pci', mac: Uint8Array.from([0x52, 0x54, 0, 0x12, 0x34, 0x56]),
      backend: { type: 'user', hostfwd: [{ hostPort: 2222, guestPort: 22 }] },
    });
  });

  it('model=virtio is an alias of virtio-net-pci', () => {
    expect(ok(parseNic('user,model=virtio'))).toMatchObject({ model: 'virtio-net-pci' });
  });

  it('-nic none and -nic hubport', () => {
    expect(ok(parseNic('none'))).toEqual({ kind: 'none' });
    expect(ok(parseNic('hubport,hubid=2,model=rtl8139'))).toEqual({
      kind: 'nic', model: 'rtl8139', backend: { type: 'hubport', hubid: 2 },
    });
  });

  it('an all-zero mac means "assign one"', () => {
    expect(ok(parseNic('user,mac=00:00:00:00:00:00'))).not.toHaveProperty('mac');
  });

  it('help lists backends and models; model=help lists models', () => {
    const h = helpOf(parseNic('help'));
    expect(h).toEqual({ kind: 'help', topic: 'nic', netdevTypes: expect.any(Array), nicModels: MODELS });
    expect(helpText(h)).toContain('\n\nAvailable NIC models:\ne1000\n');
    for (const s of ['model=help', 'user,model=?', 'tap,model=help']) {
      expect(helpOf(parseNic(s))).toEqual({ kind: 'help', topic: 'nic-models', nicModels: MODELS });
    }
    expect(helpText(helpOf(parseNic('model=help')))).toBe(`Available NIC models:\n${MODELS.join('\n')}\n`);
  });

  const cases: [string, string][] = [
    ['user,mac=52:54:00:12:34', 'invalid syntax for ethernet address'],
    ['user,mac=01:00:00:00:00:01', 'NIC cannot have multicast MAC address'],
    ['user,model=ne2k_isa', 'Unsupported NIC model: ne2k_isa'],
    ['user,foo=bar', "Invalid parameter 'foo'"],
    ['nic', "network backend 'nic' is not compiled into this binary"],
    ['netmap,ifname=x', "network backend 'netmap' is not compiled into this binary"],
    ['stream,addr.type=inet,addr.host=h,addr.port=1', "Parameter 'type' is missing"],
    ['dgram', 'dgram requires local= parameter'],
    ['user,net=bad', 'Failed to parse netmask'],
    ['user,id=0bad', "Parameter 'id' expects an identifier"],
  ];
  it.each(cases)('%s', (text, message) => {
    expect(err(parseNic(text))).toBe(message);
  });

  it('backend errors come before model errors', () => {
    expect(err(parseNic('user,net=bad,model=bogus'))).toBe('Failed to parse netmask');
  });
});

describe('-net (legacy, hub 0)', () => {
  it('-net nic is attached to hub 0 unless it names a netdev', () => {
    expect(ok(parseNet('nic'))).toEqual({ kind: 'nic', hub: 0 });
    expect(ok(parseNet('nic,netdev=n0,model=e1000,macaddr=52:54:00:12:34:57,id=nic0'))).toEqual({
      kind: 'nic', id: 'nic0', netdev: 'n0', model: 'e1000', macaddr: Uint8Array.from([0x52, 0x54, 0, 0x12, 0x34, 0x57]),
      hub: null,
    });
  });

  it('-net TYPE is a backend on hub 0', () => {
    expect(ok(parseNet('user,hostname=g'))).toMatchObject({ kind: 'backend', hub: 0, backend: { type: 'user', hostname: 'g' } });
    expect(ok(parseNet('socket,id=s,udp=1.2.3.4:5,localaddr=:6'))).toMatchObject({
      kind: 'backend', id: 's', hub: 0, backend: { type: 'socket', mode: { kind: 'udp' } },
    });
  });

  it('-net none does nothing', () => {
    expect(ok(parseNet('none'))).toEqual({ kind: 'none' });
  });

  it('addr= is [[domain:]bus:]slot in hex; vectors= up to 0x7ffffff', () => {
    expect(ok(parseNet('nic,addr=1f'))).toMatchObject({ addr: { bus: 0, slot: 31 } });
    expect(ok(parseNet('nic,addr=0:0:3'))).toMatchObject({ addr: { bus: 0, slot: 3 } });
    expect(ok(parseNet('nic,vectors=0'))).toMatchObject({ vectors: 0 });
  });

  it('model=help lists the models', () => {
    expect(helpOf(parseNet('nic,model=help'))).toEqual({ kind: 'help', topic: 'nic-models', nicModels: MODELS });
  });

  const cases: [string, string][] = [
    ['hubport,hubid=0', "network backend 'hubport' is only supported with -netdev/-nic"],
    ['netmap,ifname=x', "network backend 'netmap' is not compiled into this binary"],
    ['nic,vlan=0', "Invalid parameter 'vlan'"],
    ['nic,name=n', "Invalid parameter 'name'"],
    ['nic,mac=52:54:00:12:34:56', "Invalid parameter 'mac'"],
    ['help', "Parameter 'type' does not accept value 'help'"],
    ['nic,macaddr=zz', 'invalid syntax for ethernet address'],
    ['nic,macaddr=03:00:00:00:00:01', 'NIC cannot have multicast MAC address (odd 1st byte)'],
    ['nic,vectors=134217728', 'invalid # of vectors: 134217728'],
    ['nic,vectors=-1', "Parameter 'vectors' expects a uint64 value"],
    ['nic,model=pcnet', 'Unsupported NIC model: pcnet'],
    ['nic,addr=20', 'Invalid PCI device address 20 for device e1000'],
    ['nic,model=rtl8139,addr=3.0', 'Invalid PCI device address 3.0 for device rtl8139'],
    ['nic,addr=1:0:3', 'No support for non-zero PCI domains'],
    ['stream', "Parameter 'type' is missing"],
    ['user,restrict=x', "Parameter 'restrict' expects 'on' or 'off'"],
  ];
  it.each(cases)('%s', (text, message) => {
    expect(err(parseNet(text))).toBe(message);
  });

  it('the throwing wrapper raises OptionError', () => {
    expect(() => parseNetOrThrow('nic,vlan=0')).toThrow(new OptionError("Invalid parameter 'vlan'"));
  });
});
