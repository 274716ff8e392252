import { describe, expect, it } from 'vitest';
import { helpText, parseDevice, parseDeviceOrThrow, parsePciDevfn } from '../../src/config/index.js';
import { OptionError } from '../../src/errors.js';
import { err, helpOf, ok } from './helpers.js';

const mac = (...b: number[]) => Uint8Array.from(b);

describe('-device golden cases', () => {
  it('e1000 and its variants', () => {
    expect(ok(parseDevice('e1000,netdev=n0,mac=52:54:00:12:34:56,addr=03.0,id=nic0,bootindex=1,romfile='))).toEqual({
      driver: 'e1000', id: 'nic0', netdev: 'n0', mac: mac(0x52, 0x54, 0, 0x12, 0x34, 0x56), addr: { slot: 3, fn: 0 },
      bootindex: 1, romfile: '',
    });
    expect(ok(parseDevice('e1000-82544gc,mitigation=off,autonegotiation=off'))).toEqual({
      driver: 'e1000-82544gc', mitigation: false, autonegotiation: false,
    });
    expect(ok(parseDevice('e1000-82545em,extra_mac_registers=off,migrate_tso_props=on,init-vet=no'))).toEqual({
      driver: 'e1000-82545em', extraMacRegisters: false, migrateTsoProps: true, initVet: false,
    });
  });

  it('rtl8139 with the nicemu x-revision extension', () => {
    expect(ok(parseDevice('rtl8139,netdev=n0,x-revision=0x10'))).toEqual({ driver: 'rtl8139', netdev: 'n0', xRevision: 0x10 });
    expect(err(parseDevice('rtl8139,x-revision=256'))).toBe("Parameter 'x-revision' expects uint8_t");
  });

  it('virtio-net-pci with transport, feature and queue properties', () => {
    expect(ok(parseDevice(
      'virtio-net-pci,netdev=n0,disable-legacy=on,disable-modern=off,ioeventfd=on,vectors=4,mq=on,csum=off,guest_csum=off,'
      + 'gso=off,guest_tso4=off,guest_tso6=off,guest_ecn=off,guest_ufo=off,host_tso4=off,host_tso6=off,host_ecn=off,'
      + 'host_ufo=off,mrg_rxbuf=off,status=on,ctrl_vq=on,ctrl_rx=on,ctrl_vlan=off,ctrl_rx_extra=off,ctrl_mac_addr=off,'
      + 'ctrl_guest_offloads=off,guest_announce=off,host_mtu=1400,speed=1000,duplex=full,packed=on,event_idx=off,'
      + 'indirect_desc=off,rx_queue_size=1024,tx_queue_size=512',
    ))).toEqual({
      driver: 'virtio-net-pci', netdev: 'n0', disableLegacy: 'on', disableModern: false, ioeventfd: true, vectors: 4, mq: true,
      csum: false, guestCsum: false, gso: false, guestTso4: false, guestTso6: false, guestEcn: false, guestUfo: false,
      hostTso4: false, hostTso6: false, hostEcn: false, hostUfo: false, mrgRxbuf: false, status: true, ctrlVq: true,
      ctrlRx: true, ctrlVlan: false, ctrlRxExtra: false, ctrlMacAddr: false, ctrlGuestOffloads: false,
      guestAnnounce: false, hostMtu: 1400, speed: 1000, duplex: 'full', packed: true, eventIdx: false,
      indirectDesc: false, rxQueueSize: 1024, txQueueSize: 512,
    });
  });

  it('driver aliases: virtio-net and e1000-82540em', () => {
    expect(ok(parseDevice('virtio-net,mq=on'))).toEqual({ driver: 'virtio-net-pci', mq: true });
    expect(ok(parseDevice('e1000-82540em'))).toEqual({ driver: 'e1000' });
    expect(ok(parseDevice('driver=rtl8139,id=r0'))).toEqual({ driver: 'rtl8139', id: 'r0' });
  });

  it('bus= is recorded, the last value of a key wins', () => {
    expect(ok(parseDevice('e1000,bus=pci.0,netdev=a,netdev=b'))).toEqual({ driver: 'e1000', bus: 'pci.0', netdev: 'b' });
  });
});

describe('PCI address (qdev set_pci_devfn)', () => {
  it('reads slot[.fn] in hex, sscanf style', () => {
    expect(parsePciDevfn('03.0')).toEqual({ slot: 3, fn: 0 });
    expect(parsePciDevfn('0x3')).toEqual({ slot: 3, fn: 0 });
    expect(parsePciDevfn('1f.7')).toEqual({ slot: 31, fn: 7 });
    expect(parsePciDevfn('a')).toEqual({ slot: 10, fn: 0 });
    expect(parsePciDevfn(' 4.1')).toEqual({ slot: 4, fn: 1 });
    for (const bad of ['20', '3.8', '3.', 'x', '', '3.0.1', '3,0', '-1']) expect(parsePciDevfn(bad)).toBeUndefined();
  });
});

describe('-device help', () => {
  it('help / ? list the devices', () => {
    for (const s of ['help', '?', 'driver=help']) {
      expect(helpOf(parseDevice(s))).toEqual({
        kind: 'help', topic: 'devices', drivers: ['e1000', 'e1000-82544gc', 'e1000-82545em', 'rtl8139', 'virtio-net-pci'],
      });
    }
  });

  it('DRIVER,help lists its properties', () => {
    const h = helpOf(parseDevice('e1000,help'));
    if (h.topic !== 'device-properties') throw new Error(h.topic);
    expect(h.driver).toBe('e1000');
    expect(h.properties.map((p) => p.name)).toEqual(expect.arrayContaining(['mac', 'netdev', 'addr', 'mitigation', 'bootindex']));
    expect(helpText(h)).toMatch(/^e1000 options:\n {2}acpi-index=<uint32>/);
    const v = helpOf(parseDevice('virtio-net,?'));
    expect(v.topic === 'device-properties' && v.driver).toBe('virtio-net-pci');
    expect(err(parseDevice('ne2k_pci,help'))).toBe("Device 'ne2k_pci' not found");
  });
});

describe("-device errors with QEMU 7.2's messages", () => {
  const cases: [string, string][] = [
    ['netdev=n0', "Parameter 'driver' is missing"],
    ['ne2k_pci,netdev=n0', "'ne2k_pci' is not a valid device model name"],
    ['e1000-base', "Parameter 'driver' expects a non-abstract device type"],
    ['e1000,foo=1', "Property 'e1000.foo' not found"],
    ['e1000,vlan=0', "Property 'e1000.vlan' not found"],
    ['virtio-net-pci,foo=1', "Property 'virtio-net-pci.foo' not found"],
    ['e1000,mac=52:54:00:12:34', "Property 'e1000.mac' doesn't take value '52:54:00:12:34'"],
    ['virtio-net-pci,mac=zz', "Property 'virtio-net-device.mac' doesn't take value 'zz'"],
    ['e1000,addr=20.0', "Property 'e1000.addr' doesn't take value '20.0'"],
    ['rtl8139,addr=3.8', "Property 'rtl8139.addr' doesn't take value '3.8'"],
    ['e1000,mitigation=maybe', "Parameter 'mitigation' expects 'on' or 'off'"],
    ['virtio-net-pci,mq=1', "Parameter 'mq' expects 'on' or 'off'"],
    ['virtio-net-pci,vectors=x', "Parameter 'vectors' expects integer"],
    ['virtio-net-pci,vectors=4294967296', "Parameter 'vectors' expects uint32_t"],
    ['virtio-net-pci,host_mtu=65536', "Parameter 'host_mtu' expects uint16_t"],
    ['virtio-net-pci,speed=2147483648', "Parameter 'speed' expects int32_t"],
    ['e1000,bootindex=x', "Parameter 'bootindex' expects integer"],
    ['virtio-net-pci,disable-legacy=maybe', "Parameter 'disable-legacy' does not accept value 'maybe'"],
    ['e1000,romsize=3', 'ROM size 3 is not a power of two'],
    ['e1000,romsize=0', 'ROM size 0 is not a power of two'],
    ['virtio-net-pci,disable-legacy=on,disable-modern=on', 'device cannot work as neither modern nor legacy mode is enabled'],
    ['virtio-net-pci,duplex=quarter', "'duplex' must be 'half' or 'full'"],
    ['virtio-net-pci,speed=-2', "'speed' must be between 0 and INT_MAX"],
    ['virtio-net-pci,rx_queue_size=128', 'Invalid rx_queue_size (= 128), must be a power of 2 between 256 and 1024.'],
    ['virtio-net-pci,rx_queue_size=300', 'Invalid rx_queue_size (= 300), must be a power of 2 between 256 and 1024.'],
    ['virtio-net-pci,tx_queue_size=2048', 'Invalid tx_queue_size (= 2048), must be a power of 2 between 256 and 1024'],
    ['e1000,id=9', "Parameter 'id' expects an identifier"],
  ];
  it.each(cases)('%s', (text, message) => {
    expect(err(parseDevice(text))).toBe(message);
  });

  it('carries the hint for the virtio legacy/modern error', () => {
    const r = parseDevice('virtio-net-pci,disable-legacy=on,disable-modern=on');
    expect(!r.ok && r.hint).toBe('Set either disable-modern or disable-legacy to off');
    expect(() => parseDeviceOrThrow('virtio-net-pci,disable-legacy=on,disable-modern=on'))
      .toThrow(new OptionError('device cannot work as neither modern nor legacy mode is enabled\nSet either disable-modern or disable-legacy to off'));
  });

  it('romsize 0xffffffff (unset) and powers of two are fine; -1 wraps past uint32', () => {
    expect(ok(parseDevice('e1000,romsize=0x40000'))).toEqual({ driver: 'e1000', romsize: 0x40000 });
    expect(ok(parseDevice('e1000,romsize=4294967295'))).toEqual({ driver: 'e1000', romsize: 0xffffffff });
    expect(err(parseDevice('e1000,romsize=-1'))).toBe("Parameter 'romsize' expects uint32_t");
  });
});

describe('nicemu extensions on -device e1000', () => {
  it('x-rctl-flush-ms is a uint32 property', () => {
    const r = parseDevice('e1000,x-rctl-flush-ms=0');
    expect(r.ok && r.kind === 'value' && r.value.driver === 'e1000' ? r.value.xRctlFlushMs : 'bad').toBe(0);
    const bad = parseDevice('e1000,x-rctl-flush-ms=soon');
    expect(bad.ok).toBe(false);
  });
});
