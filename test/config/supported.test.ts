import { describe, expect, it } from 'vitest';
import {
  assertSupported, backendVariant, deviceSchema, isSupported, netdevSchema, parseNetdev, type BackendVariant,
} from '../../src/config/index.js';
import { NotSupportedError } from '../../src/errors.js';
import { ok } from './helpers.js';

const PLANNED: BackendVariant[] = ['user', 'hubport', 'socket.udp'];

describe('assertSupported', () => {
  it('passes the planned backends', () => {
    for (const s of ['user,id=u', 'hubport,id=h,hubid=0', 'socket,id=s,udp=1.2.3.4:5,localaddr=:6']) {
      expect(() => assertSupported(ok(parseNetdev(s)), PLANNED)).not.toThrow();
    }
  });

  it('throws NotSupportedError naming the type, or the socket mode', () => {
    expect(() => assertSupported(ok(parseNetdev('tap,id=t')), PLANNED)).toThrow(new NotSupportedError('-netdev tap'));
    expect(() => assertSupported(ok(parseNetdev('tap,id=t')), PLANNED)).toThrow('-netdev tap: not supported yet');
    expect(() => assertSupported(ok(parseNetdev('socket,id=s,listen=:1')), PLANNED))
      .toThrow('-netdev socket (listen=): not supported yet');
    expect(() => assertSupported(ok(parseNetdev('stream,id=s,addr.type=fd,addr.str=3')), PLANNED))
      .toThrow('-netdev stream: not supported yet');
  });

  it('a bare type covers every mode of that type', () => {
    const listen = ok(parseNetdev('socket,id=s,listen=:1'));
    expect(backendVariant(listen)).toBe('socket.listen');
    expect(isSupported(listen, ['socket'])).toBe(true);
    expect(isSupported(listen, ['socket.udp'])).toBe(false);
  });
});

describe('schema tables', () => {
  it('every netdev type has distinct QEMU keys', () => {
    for (const [type, members] of Object.entries(netdevSchema.BACKEND_MEMBERS)) {
      const keys = Object.values(members).map((m) => m.key);
      expect(new Set(keys).size, type).toBe(keys.length);
    }
  });

  it('every device driver has distinct property names, and defaults match their types', () => {
    for (const driver of Object.keys(deviceSchema.DRIVERS)) {
      const props = { ...deviceSchema.PCI_PROPS, ...deviceSchema.NIC_PROPS, ...deviceSchema.DRIVERS[driver]?.props };
      const keys = Object.values(props).map((p) => p.key);
      expect(new Set(keys).size, driver).toBe(keys.length);
      for (const p of Object.values(props)) {
        if (p.default === undefined) continue;
        const want = p.type.kind === 'bool' ? 'boolean' : p.type.kind === 'int' && p.type.bits < 64 ? 'number' : 'string';
        expect(typeof p.default, `${driver}.${p.key}`).toBe(want);
      }
    }
  });

  it('the Netdev union lists every NetClientDriver of this build', () => {
    expect(Object.keys(netdevSchema.BACKEND_MEMBERS).sort()).toEqual([...netdevSchema.NET_CLIENT_DRIVERS].sort());
  });
});
