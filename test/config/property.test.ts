import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeValue, formatDevice, formatNet, formatNetdev, formatNic, formatQemuOpts, parseDevice, parseKeyval, parseLegacyMac,
  parseMac, parseNet, parseNetdev, parseNic, parseQemuOpts, parseSize, type ParseResult,
} from '../../src/config/index.js';

/** Grammar-flavoured text, to reach past the first error more often than random strings do. */
const TOKENS = [
  'user', 'tap', 'socket', 'stream', 'dgram', 'hubport', 'l2tpv3', 'vde', 'bridge', 'vhost-user', 'vhost-vdpa', 'none', 'nic',
  'e1000', 'rtl8139', 'virtio-net-pci', 'help', '?', 'id=a', 'id=1', 'type=', 'driver=', ',', ',,', '=', '.', ':', '-', '/',
  'hostfwd=', 'guestfwd=', 'tcp:', 'udp:', 'cmd:', 'net=', 'host=', 'dns=', 'dhcpstart=', '10.0.2.', '0x', '1', '24', '65536',
  'addr.', 'local.', 'remote.', 'type=inet', 'host=', 'port=', 'udp=', 'localaddr=', 'mcast=', 'listen=', 'hubid=', 'mac=',
  'macaddr=', 'model=', 'netdev=', 'addr=', 'no', 'on', 'off', 'ipv6-net=', 'fec0::', 'sndbuf=', 'k', 'M', 'queues=', '\0', 'é',
];
const grammarText = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((t) => t.join(''));
const anyText = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }), grammarText);

function settled<V>(r: ParseResult<V>): boolean {
  return r.ok ? r.kind === 'value' || r.kind === 'help' : typeof r.error === 'string' && r.error.length > 0;
}

describe('parsers are total: any string gives a result, never an exception', () => {
  it('parseNetdev / parseNic / parseNet / parseDevice', () => {
    fc.assert(fc.property(anyText, (s) => {
      expect(settled(parseNetdev(s))).toBe(true);
      expect(settled(parseNic(s))).toBe(true);
      expect(settled(parseNet(s))).toBe(true);
      expect(settled(parseDevice(s))).toBe(true);
    }), { numRuns: 2000 });
  });

  it('the low-level parsers', () => {
    fc.assert(fc.property(anyText, (s) => {
      expect(typeof parseQemuOpts(s, { impliedKey: 'type' }).ok).toBe('boolean');
      expect(typeof parseKeyval(s, 'type').ok).toBe('boolean');
      expect(typeof parseSize(s).ok).toBe('boolean');
      expect(typeof parseMac(s).ok).toBe('boolean');
      expect(typeof parseLegacyMac(s).ok).toBe('boolean');
    }), { numRuns: 2000 });
  });
});

// ---------------------------------------------------------------------------
// Generated option lists round-trip through format().

const identifier = fc.tuple(fc.constantFrom('a', 'n', 'X'), fc.stringMatching(/^[A-Za-z0-9._-]{0,8}$/)).map(([a, b]) => a + b);
const freeText = fc.string({ maxLength: 24 }).map((s) => s.replaceAll('\0', ''));
const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const port = fc.integer({ min: 1, max: 65535 });

describe('formatQemuOpts ∘ parseQemuOpts is the identity on option lists', () => {
  const name = fc.string({ maxLength: 10 }).filter((n) => !/[,=\0]/.test(n) && n !== 'id');
  it('with and without an implied key and an id', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ name, value: freeText }), { maxLength: 8 }),
      fc.option(identifier, { nil: undefined }),
      fc.boolean(),
      (list, id, implied) => {
        const opts = implied ? [{ name: 'type', value: 'user' }, ...list] : list;
        const fmt = { ...(implied ? { impliedKey: 'type' } : {}), ...(id !== undefined ? { id } : {}) };
        const r = parseQemuOpts(formatQemuOpts(opts, fmt), implied ? { impliedKey: 'type' } : {});
        if (!r.ok) throw new Error(r.error);
        expect(r.value.id).toBe(id);
        expect(r.value.opts).toEqual(opts);
      },
    ));
  });
});

function roundTrip<V>(text: string, parse: (s: string) => ParseResult<V>, format: (v: V) => string): void {
  const first = parse(text);
  if (!first.ok || first.kind !== 'value') throw new Error(`generated option did not parse: ${text}: ${first.ok ? 'help' : first.error}`);
  const again = parse(format(first.value));
  expect(again.ok && again.kind === 'value' && again.value).toEqual(first.value);
}

const hostfwd = fc.tuple(fc.constantFrom('tcp', 'udp', ''), fc.option(ipv4, { nil: '' }), fc.integer({ min: 0, max: 65535 }),
  fc.option(fc.tuple(octet, octet).map(([a, b]) => `10.0.${a}.${b}`), { nil: '' }), port)
  .map(([p, h, hp, g, gp]) => `${p}:${h}:${hp}-${g}:${gp}`);
const guestfwd = fc.tuple(fc.integer({ min: 4, max: 254 }), port, fc.boolean(), freeText)
  .map(([host, p, cmd, t]) => `tcp:10.0.2.${host === 15 ? 16 : host}:${p}-${cmd ? `cmd:${t}` : `tcp:h:${p}`}`);

const userText = fc.record({
  hostname: freeText, restrict: fc.boolean(), tftp: freeText, bootfile: freeText, domainname: freeText.filter((s) => s !== ''),
  'tftp-server-name': freeText, 'ipv6-prefixlen': fc.integer({ min: 1, max: 126 }), smb: freeText,
  dnssearch: fc.array(freeText, { maxLength: 3 }), hostfwd: fc.array(hostfwd, { maxLength: 3 }),
  guestfwd: fc.array(guestfwd, { maxLength: 2 }), net: fc.constantFrom('10.0.2.0/24', '10.0.2.0/255.255.255.0', '10.0.0.0'),
}, { requiredKeys: [] }).map((r) => {
  const items: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (Array.isArray(v)) for (const x of v) items.push(`${k}=${escapeValue(x)}`);
    else if (typeof v === 'boolean') items.push(`${k}=${v ? 'on' : 'off'}`);
    else items.push(`${k}=${escapeValue(String(v))}`);
  }
  return items;
});

describe('format(parse(x)) round-trips generated options', () => {
  it('-netdev user', () => {
    fc.assert(fc.property(identifier, userText, (id, items) => {
      roundTrip(['user', `id=${id}`, ...items].join(','), parseNetdev, formatNetdev);
    }));
  });

  it('-netdev socket/hubport/tap/l2tpv3', () => {
    const text = fc.oneof(
      fc.tuple(ipv4, port, port).map(([h, a, b]) => `socket,udp=${h}:${a},localaddr=:${b}`),
      fc.tuple(ipv4, port).map(([h, a]) => `socket,connect=${h}:${a}`),
      fc.tuple(fc.integer({ min: 224, max: 239 }), port).map(([a, p]) => `socket,mcast=${a}.1.2.3:${p}`),
      fc.integer({ min: -2147483648, max: 2147483647 }).map((h) => `hubport,hubid=${h}`),
      fc.tuple(freeText, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.boolean(), fc.integer({ min: 0, max: 0xffffffff }))
        .map(([ifname, sndbuf, vh, q]) => `tap,ifname=${escapeValue(ifname)},sndbuf=${sndbuf},vhost=${vh ? 'on' : 'off'},queues=${q}`),
      fc.tuple(ipv4, ipv4, fc.integer({ min: 0, max: 0xffffffff }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }))
        .map(([s, d, t, c]) => `l2tpv3,src=${s},dst=${d},txsession=${t},rxcookie=${c},udp=on`),
    );
    fc.assert(fc.property(identifier, text, (id, t) => roundTrip(`${t},id=${id}`, parseNetdev, formatNetdev)));
  });

  it('-netdev stream/dgram (keyval)', () => {
    const text = fc.oneof(
      fc.tuple(freeText, port, fc.boolean()).map(([h, p, s]) =>
        `stream,addr.type=inet,addr.host=${escapeValue(h)},addr.port=${p},server=${s ? 'on' : 'off'}`),
      fc.stringMatching(/^\/[a-z]{1,20}$/).map((p) => `stream,addr.type=unix,addr.path=${p}`),
      fc.tuple(ipv4, port, ipv4, port).map(([lh, lp, rh, rp]) =>
        `dgram,local.type=inet,local.host=${lh},local.port=${lp},remote.type=inet,remote.host=${rh},remote.port=${rp}`),
    );
    fc.assert(fc.property(identifier, text, (id, t) => roundTrip(`${t},id=${id}`, parseNetdev, formatNetdev)));
  });

  const unicastMac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((m) => {
    m[0] = (m[0] ?? 0) & 0xfe;
    m[5] = (m[5] ?? 0) | 1;
    return Array.from(m, (b) => b.toString(16).padStart(2, '0')).join(':');
  });
  const model = fc.constantFrom('e1000', 'e1000-82544gc', 'e1000-82545em', 'rtl8139', 'virtio-net-pci');

  it('-nic', () => {
    const text = fc.tuple(fc.constantFrom('user', 'hubport,hubid=3', 'user,restrict=on'), fc.option(model, { nil: undefined }),
      fc.option(unicastMac, { nil: undefined }), fc.option(identifier, { nil: undefined }))
      .map(([t, m, mac, id]) => [t, m && `model=${m}`, mac && `mac=${mac}`, id && `id=${id}`].filter(Boolean).join(','));
    fc.assert(fc.property(text, (t) => roundTrip(t, parseNic, formatNic)));
  });

  it('-net', () => {
    const nic = fc.tuple(fc.option(identifier, { nil: undefined }), fc.option(model, { nil: undefined }),
      fc.option(unicastMac, { nil: undefined }), fc.option(fc.integer({ min: 0, max: 31 }), { nil: undefined }),
      fc.option(fc.integer({ min: 0, max: 0x7ffffff }), { nil: undefined }))
      .map(([nd, m, mac, slot, v]) => ['nic', nd && `netdev=${nd}`, m && `model=${m}`, mac && `macaddr=${mac}`,
        slot !== undefined && `addr=${slot.toString(16)}`, v !== undefined && `vectors=${v}`].filter(Boolean).join(','));
    const backend = fc.tuple(ipv4, port, port).map(([h, a, b]) => `socket,udp=${h}:${a},localaddr=:${b}`);
    fc.assert(fc.property(fc.oneof(nic, backend, fc.constant('user,hostname=x')), (t) => roundTrip(t, parseNet, formatNet)));
  });

  it('-device', () => {
    const slot = fc.tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 7 }))
      .map(([s, f]) => `${s.toString(16)}.${f}`);
    const e1000 = fc.record({
      driver: fc.constantFrom('e1000', 'e1000-82544gc', 'e1000-82545em', 'rtl8139'), netdev: identifier, mac: unicastMac,
      addr: slot, bootindex: fc.integer({ min: -1, max: 100 }), romfile: freeText,
    }, { requiredKeys: ['driver'] });
    const virtio = fc.record({
      driver: fc.constant('virtio-net-pci'), mq: fc.boolean(), csum: fc.boolean(), packed: fc.boolean(),
      rx_queue_size: fc.constantFrom(256, 512, 1024), tx_queue_size: fc.constantFrom(256, 512, 1024),
      speed: fc.integer({ min: -1, max: 100000 }), duplex: fc.constantFrom('half', 'full'), vectors: fc.nat(),
      'disable-legacy': fc.constantFrom('on', 'off', 'auto'), host_mtu: fc.integer({ min: 0, max: 65535 }),
    }, { requiredKeys: ['driver'] });
    const text = fc.tuple(fc.oneof(e1000, virtio), fc.option(identifier, { nil: undefined })).map(([r, id]) => {
      const { driver, ...props } = r;
      const items = [driver, ...Object.entries(props).map(([k, v]) =>
        `${k}=${typeof v === 'boolean' ? (v ? 'on' : 'off') : escapeValue(String(v))}`)];
      if (id) items.push(`id=${id}`);
      return items.join(',');
    });
    fc.assert(fc.property(text, (t) => roundTrip(t, parseDevice, formatDevice)));
  });
});
