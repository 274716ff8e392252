import { describe, expect, it } from 'vitest';
import { L2tpv3Codec, headerLayout } from '../../src/netdev/l2tpv3/header.js';
import { buildMachine } from '../../src/machine/build.js';
import { nodeBackends } from '../../src/netdev/backends.node.js';
import { NetClient, type ReceiveResult } from '../../src/hub/client.js';
import { L2tpv3Backend } from '../../src/netdev/l2tpv3/l2tpv3.node.js';
import { parseNetdevOrThrow, type L2tpv3Options } from '../../src/config/index.js';
import { bytesToHex } from '../../src/wire/bytes.js';

const base = { udp: true, txSession: 0xffffffff, rxSession: 0xffffffff, cookieSize: 0 as const, txCookie: 0n, rxCookie: 0n, counter: false, pinCounter: false, offset: 0 };

describe('L2TPv3 encapsulation (RFC 3931, QEMU layout)', () => {
  it('lays out UDP header, session, 64-bit cookie, counter and offset like QEMU', () => {
    const c = new L2tpv3Codec({ ...base, txSession: 0x11223344, cookieSize: 8, txCookie: 0x0102030405060708n, counter: true, offset: 2 });
    expect(headerLayout(c.p)).toEqual({ sessionAt: 4, cookieAt: 8, counterAt: 16, size: 22 });
    const d1 = c.encapsulate(Uint8Array.of(0xaa, 0xbb));
    const d2 = c.encapsulate(Uint8Array.of(0xcc));
    expect(bytesToHex(d1)).toBe('00030000' + '11223344' + '0102030405060708' + '00000001' + '0000' + 'aabb');
    expect(bytesToHex(d2.subarray(16, 20))).toBe('00000002');
    const ip = new L2tpv3Codec({ ...base, udp: false, txSession: 7, cookieSize: 4, txCookie: 0xdeadbeefn });
    expect(bytesToHex(ip.encapsulate(Uint8Array.of(1)))).toBe('00000007deadbeef01');
    const pinned = new L2tpv3Codec({ ...base, pinCounter: true });
    expect(bytesToHex(pinned.encapsulate(Uint8Array.of(1)).subarray(8, 12))).toBe('00000000');
  });

  it('accepts only its session and cookie, and refuses datagrams with no payload', () => {
    const tx = new L2tpv3Codec({ ...base, txSession: 5, cookieSize: 4, txCookie: 0xabcdn });
    const rx = new L2tpv3Codec({ ...base, rxSession: 5, cookieSize: 4, rxCookie: 0xabcdn });
    const wrongSession = new L2tpv3Codec({ ...base, rxSession: 6, cookieSize: 4, rxCookie: 0xabcdn });
    const wrongCookie = new L2tpv3Codec({ ...base, rxSession: 5, cookieSize: 4, rxCookie: 0xabcen });
    const d = tx.encapsulate(Uint8Array.of(9, 8, 7));
    expect([...rx.decapsulate(d)!]).toEqual([9, 8, 7]);
    expect(wrongSession.decapsulate(d)).toBeUndefined();
    expect(wrongCookie.decapsulate(d)).toBeUndefined();
    expect(rx.decapsulate(d.subarray(0, 12))).toBeUndefined();
    expect(wrongSession.rejected.session + wrongCookie.rejected.cookie + rx.rejected.short).toBe(3);
  });
});

describe('-netdev l2tpv3 over UDP on loopback', () => {
  it('two ends with mirrored sessions and cookies carry frames both ways', async () => {
    const opts = (s: string): L2tpv3Options => parseNetdevOrThrow(s) as unknown as L2tpv3Options;
    const a = await L2tpv3Backend.open('a', opts('l2tpv3,id=a,src=127.0.0.1,dst=127.0.0.1,udp=on,srcport=47001,dstport=47002,txsession=1,rxsession=2,txcookie=0x11,rxcookie=0x22,counter=on'));
    const b = await L2tpv3Backend.open('b', opts('l2tpv3,id=b,src=127.0.0.1,dst=127.0.0.1,udp=on,srcport=47002,dstport=47001,txsession=2,rxsession=1,txcookie=0x22,rxcookie=0x11,counter=on'));
    const got: Record<string, Uint8Array[]> = { a: [], b: [] };
    for (const [name, be] of [['a', a], ['b', b]] as const) {
      NetClient.connect(new NetClient(`nic-${name}`, { canReceive: () => true, receive: (f): ReceiveResult => (got[name]!.push(f.slice()), 'ok') }, { kind: 'nic' }), be.client);
    }
    a.client.peer!.send(Uint8Array.from({ length: 1514 }, (_, i) => i & 0xff));
    b.client.peer!.send(Uint8Array.of(1, 2, 3));
    for (let i = 0; i < 200 && (got['a']!.length < 1 || got['b']!.length < 1); i++) await new Promise((r) => setTimeout(r, 5));
    expect(got['b']![0]).toEqual(Uint8Array.from({ length: 1514 }, (_, i) => i & 0xff));
    expect(got['a']![0]).toEqual(Uint8Array.of(1, 2, 3));
    a.close();
    b.close();
  });

  it('refuses IP encapsulation and half-given cookies with clear errors', async () => {
    const m = { machine: 'pc', ramSize: 16 << 20, devices: [], nics: [], nets: [] };
    await expect(buildMachine({ ...m, netdevs: ['l2tpv3,id=l,src=127.0.0.1,dst=127.0.0.1,txsession=1'] }, nodeBackends())).rejects.toThrow(/udp=off.*not supported yet/);
    await expect(buildMachine({ ...m, netdevs: ['l2tpv3,id=l,src=127.0.0.1,dst=127.0.0.1,udp=on,srcport=1,dstport=2,txsession=1,txcookie=1'] }, nodeBackends())).rejects.toThrow(/require both 'rxcookie' and 'txcookie'/);
    await expect(buildMachine({ ...m, netdevs: ['l2tpv3,id=l,src=127.0.0.1,dst=127.0.0.1,udp=on,txsession=1'] }, nodeBackends())).rejects.toThrow(/need both src and dst port for udp/);
  });
});
