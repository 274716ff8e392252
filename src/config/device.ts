/**
 * `-device DRIVER,...` for the NICs nicemu emulates, following QEMU 7.2:
 * QemuOpts with the implied key `driver`, `help` handling of
 * qdev-monitor.c qdev_device_help, qdev_device_add_from_qdict (driver
 * lookup with aliases, `bus`/`id` taken out, then each property set through
 * the keyval input visitor), and the static parts of realize
 * (pci_qdev_realize, virtio_pci_realize, virtio_net_device_realize).
 *
 * QEMU sets properties in QDict hash order; we use the order the keys first
 * appear, so with several bad properties the one reported may differ.
 * Checks needing the running machine (netdev exists, slot free, bus exists,
 * duplicate id or bootindex) are left to the machine.
 */
import { isCSpace, isHelpOption, qapiBoolParse, qemuStrtoi64, qemuStrtou64, strtoull } from './cutils.js';
import { ABSTRACT_DRIVERS, DRIVER_ALIASES, DRIVERS, NIC_PROPS, PCI_PROPS, type PropSpec } from './device-schema.js';
import { formatMac, parseMac } from './mac.js';
import { cString, formatQemuOpts, optGet, parseQemuOpts, type QemuOpt } from './opts.js';
import { typeName } from './schema.js';
import type { DeviceOptions, ParseResult, PciDevfn, PropertyHelp } from './types.js';

type Fail = { readonly ok: false; readonly kind: 'error'; readonly error: string; readonly hint?: string };

function fail(error: string, hint?: string): Fail {
  return hint === undefined ? { ok: false, kind: 'error', error } : { ok: false, kind: 'error', error, hint };
}

/** All properties of `driver` (field name → spec), PCI and NIC ones first. */
export function driverProps(driver: string): Readonly<Record<string, PropSpec>> | undefined {
  const info = DRIVERS[driver];
  if (!info) return undefined;
  const nic: Record<string, PropSpec> = {};
  for (const [field, spec] of Object.entries(NIC_PROPS)) {
    nic[field] = info.nicOwner && field !== 'bootindex' ? { ...spec, owner: info.nicOwner } : spec;
  }
  return { ...PCI_PROPS, ...nic, ...info.props };
}

/** sscanf("%x") at `p`: optional whitespace, sign, 0x prefix, hex digits. */
function scanHex(s: string, p: number): { value: number; end: number } | undefined {
  let i = p;
  while (isCSpace(s[i])) i++;
  const r = strtoull(s, 16, i);
  if (r.end === i) return undefined;
  return { value: Number(BigInt.asUintN(32, r.value)), end: r.end };
}

/** qdev set_pci_devfn(): `slot[.fn]`, hex, slot ≤ 31, fn ≤ 7. */
export function parsePciDevfn(s: string): PciDevfn | undefined {
  let slot: number;
  let fn = 0;
  let end: number;
  const a = scanHex(s, 0);
  if (!a) return undefined;
  const b = s[a.end] === '.' ? scanHex(s, a.end + 1) : undefined;
  if (b) {
    slot = a.value;
    fn = b.value;
    end = b.end;
  } else {
    slot = a.value;
    end = a.end;
  }
  if (end !== s.length || fn > 7 || slot > 31) return undefined;
  return { slot, fn };
}

export function formatPciDevfn(d: PciDevfn): string {
  return `${d.slot.toString(16).padStart(2, '0')}.${d.fn}`;
}

class PropError {
  constructor(readonly message: string) {}
}

/** One property value through the keyval visitor and its qdev setter. */
function propValue(driver: string, spec: PropSpec, text: string): unknown {
  const name = spec.key;
  const owner = spec.owner ?? driver;
  const t = spec.type;
  switch (t.kind) {
    case 'str':
      return text;
    case 'bool': {
      const b = qapiBoolParse(text);
      if (!b.ok) throw new PropError(`Parameter '${name}' expects 'on' or 'off'`);
      return b.value;
    }
    case 'int': {
      const r = t.signed ? qemuStrtoi64(text, 0) : qemuStrtou64(text, 0);
      if (r.err) throw new PropError(`Parameter '${name}' expects integer`);
      if (t.bits === 64) return r.value;
      const bits = BigInt(t.bits);
      const min = t.signed ? -(1n << (bits - 1n)) : 0n;
      const max = t.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
      if (r.value < min || r.value > max) {
        throw new PropError(`Parameter '${name}' expects ${t.signed ? 'int' : 'uint'}${t.bits}_t`);
      }
      return Number(r.value);
    }
    case 'enum':
      if (!t.values.includes(text)) throw new PropError(`Parameter '${name}' does not accept value '${text}'`);
      return text;
    case 'pci-devfn': {
      const d = parsePciDevfn(text);
      if (!d) throw new PropError(`Property '${owner}.${name}' doesn't take value '${text}'`);
      return d;
    }
    case 'macaddr': {
      const m = parseMac(text);
      if (!m.ok) throw new PropError(`Property '${owner}.${name}' doesn't take value '${text}'`);
      return m.value;
    }
    default:
      throw new PropError(`Parameter '${name}' is not supported here`);
  }
}

function isPowerOf2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** Static realize checks, in QEMU's order. */
function realizeChecks(dev: Record<string, unknown>): Fail | undefined {
  const romsize = dev['romsize'];
  if (typeof romsize === 'number' && romsize !== 0xffffffff && !isPowerOf2(romsize)) {
    return fail(`ROM size ${romsize | 0} is not a power of two`);
  }
  if (dev['driver'] !== 'virtio-net-pci') return undefined;
  // virtio_pci_realize(): on the pc machine's conventional PCI bus, auto means legacy on.
  if (dev['disableLegacy'] === 'on' && dev['disableModern'] === true) {
    return fail('device cannot work as neither modern nor legacy mode is enabled',
      'Set either disable-modern or disable-legacy to off');
  }
  // virtio_net_device_realize()
  const duplex = dev['duplex'];
  if (duplex !== undefined && duplex !== 'half' && duplex !== 'full') return fail("'duplex' must be 'half' or 'full'");
  const speed = dev['speed'];
  if (typeof speed === 'number' && speed < -1) return fail("'speed' must be between 0 and INT_MAX");
  const rx = typeof dev['rxQueueSize'] === 'number' ? dev['rxQueueSize'] : 256;
  if (rx < 256 || rx > 1024 || !isPowerOf2(rx)) {
    return fail(`Invalid rx_queue_size (= ${rx}), must be a power of 2 between 256 and 1024.`);
  }
  const tx = typeof dev['txQueueSize'] === 'number' ? dev['txQueueSize'] : 256;
  if (tx < 256 || tx > 1024 || !isPowerOf2(tx)) {
    return fail(`Invalid tx_queue_size (= ${tx}), must be a power of 2 between 256 and 1024`);
  }
  return undefined;
}

/** The property list `-device DRIVER,help` prints. */
export function deviceHelp(driver: string): readonly PropertyHelp[] | undefined {
  const props = driverProps(driver);
  if (!props) return undefined;
  return Object.values(props).map((p) => ({
    name: p.key,
    type: typeName(p.type),
    ...(p.default !== undefined ? { default: String(p.default) } : {}),
    ...(p.doc !== undefined ? { doc: p.doc } : {}),
  }));
}

/** Parse `-device` option text for one of the emulated NICs. */
export function parseDevice(text: string): ParseResult<DeviceOptions> {
  const s = cString(text);
  if (s.startsWith('{')) return fail('JSON syntax for -device is not supported');
  const parsed = parseQemuOpts(s, { impliedKey: 'driver' });
  if (!parsed.ok) return fail(parsed.error, parsed.hint);
  const { id, warnings } = parsed.value;
  const opts = parsed.value.opts;

  // qdev_device_help()
  let driver = optGet(opts, 'driver');
  if (driver !== undefined && isHelpOption(driver)) {
    return { ok: true, kind: 'help', help: { kind: 'help', topic: 'devices', drivers: Object.keys(DRIVERS) } };
  }
  if (driver !== undefined && opts.some((o) => isHelpOption(o.name))) {
    const real = DRIVERS[driver] ? driver : DRIVER_ALIASES[driver] ?? driver;
    const properties = deviceHelp(real);
    if (!properties) return fail(`Device '${real}' not found`);
    return { ok: true, kind: 'help', help: { kind: 'help', topic: 'device-properties', driver: real, properties } };
  }

  // qdev_device_add_from_qdict()
  if (driver === undefined) return fail("Parameter 'driver' is missing");
  if (!DRIVERS[driver]) {
    const alias = DRIVER_ALIASES[driver];
    if (alias) {
      driver = alias;
    } else if (ABSTRACT_DRIVERS.has(driver)) {
      return fail("Parameter 'driver' expects a non-abstract device type");
    } else {
      return fail(`'${driver}' is not a valid device model name`);
    }
  }
  const props = driverProps(driver) ?? {};
  const byKey = new Map<string, [string, PropSpec]>();
  for (const [field, spec] of Object.entries(props)) byKey.set(spec.key, [field, spec]);

  // qemu_opts_to_qdict(): one entry per key, the last value wins.
  const dict = new Map<string, string>();
  for (const o of opts) dict.set(o.name, o.value);
  const dev: Record<string, unknown> = { driver };
  if (id !== undefined) dev['id'] = id;
  const bus = dict.get('bus');
  if (bus !== undefined) dev['bus'] = bus;
  dict.delete('driver');
  dict.delete('bus');
  try {
    for (const [key, text] of dict) {
      const entry = byKey.get(key);
      if (!entry) throw new PropError(`Property '${driver}.${key}' not found`);
      const [field, spec] = entry;
      dev[field] = propValue(driver, spec, text);
    }
  } catch (e) {
    if (e instanceof PropError) return fail(e.message);
    throw e;
  }
  const r = realizeChecks(dev);
  if (r) return r;
  return { ok: true, kind: 'value', value: dev as unknown as DeviceOptions, warnings };
}

/** `-device` text that parseDevice reads back as the same options. */
export function formatDevice(d: DeviceOptions): string {
  const props = driverProps(d.driver) ?? {};
  const rec = d as unknown as Record<string, unknown>;
  const opts: QemuOpt[] = [{ name: 'driver', value: d.driver }];
  if (d.bus !== undefined) opts.push({ name: 'bus', value: d.bus });
  for (const [field, spec] of Object.entries(props)) {
    const v = rec[field];
    if (v === undefined) continue;
    let text: string;
    if (typeof v === 'boolean') text = v ? 'on' : 'off';
    else if (v instanceof Uint8Array) text = formatMac(v);
    else if (spec.type.kind === 'pci-devfn') text = formatPciDevfn(v as PciDevfn);
    else text = String(v);
    opts.push({ name: spec.key, value: text });
  }
  return formatQemuOpts(opts, d.id !== undefined ? { impliedKey: 'driver', id: d.id } : { impliedKey: 'driver' });
}
