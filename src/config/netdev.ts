/**
 * `-netdev`, `-nic` and `-net` option strings, parsed and validated as
 * QEMU 7.2 does (net/net.c net_init_netdev, net_param_nic, net_client_init,
 * net_client_init1, net_init_nic, hw/pci/pci.c pci_nic_init_nofail for the
 * pc machine), then each backend's own static checks.
 *
 * `-netdev stream`/`dgram` use the keyval syntax (`addr.type=inet,...`) as in
 * 7.2; every other -netdev, and every -nic/-net, uses QemuOpts. JSON
 * (`-netdev {...}`) is not supported.
 */
import { idWellformed, isHelpOption, qemuStrtoul } from './cutils.js';
import { NIC_MODELS } from './help.js';
import { formatMac, isMulticastMac, isZeroMac, parseLegacyMac } from './mac.js';
import {
  BACKEND_MEMBERS, COMPILED_BACKENDS, NETDEV, NETDEV_HELP_TYPES, NETDEV_OPTIONAL_ID,
} from './netdev-schema.js';
import {
  cString, escapeValue, formatQemuOpts, optGet, parseKeyval, parseQemuOpts, type OptionWarning, type QemuOpt,
  type QemuOptsList,
} from './opts.js';
import type { Members, TypeSpec } from './schema.js';
import { formatGuestFwd, formatHostFwd, slirpInit, type UserRaw } from './slirp.js';
import { checkDgram, socketMode } from './sockets.js';
import type {
  BackendOptions, DgramOptions, HelpRequest, LegacyPciAddr, NetdevOptions, NetLegacyOptions, NicModel, NicOptions,
  ParseResult,
} from './types.js';
import { visitKeyval, visitOpts } from './visit.js';

type Fail = { readonly ok: false; readonly kind: 'error'; readonly error: string; readonly hint?: string };

function fail(error: string, hint?: string): Fail {
  return hint === undefined ? { ok: false, kind: 'error', error } : { ok: false, kind: 'error', error, hint };
}

function help(h: HelpRequest): ParseResult<never> {
  return { ok: true, kind: 'help', help: h };
}

function value<V>(v: V, warnings: readonly OptionWarning[]): ParseResult<V> {
  return { ok: true, kind: 'value', value: v, warnings };
}

/** net_client_init(): rewrite `ipv6-net=PREFIX[/LEN]` into ipv6-prefix/ipv6-prefixlen. */
function convertIpv6Net(list: QemuOptsList): { ok: true; list: QemuOptsList } | Fail {
  const ip6Net = optGet(list.opts, 'ipv6-net');
  if (ip6Net === undefined) return { ok: true, list };
  if (ip6Net === '') return fail("Parameter 'ipv6-net' expects a valid IPv6 prefix");
  const slash = ip6Net.indexOf('/');
  const prefix = slash < 0 ? ip6Net : ip6Net.slice(0, slash);
  let len = 64n;
  if (slash >= 0) {
    const r = qemuStrtoul(ip6Net.slice(slash + 1), 10);
    if (r.err) return fail("Parameter 'ipv6-prefixlen' expects a number");
    len = r.value;
  }
  const opts = [...list.opts];
  let last = -1;
  opts.forEach((o, i) => {
    if (o.name === 'ipv6-net') last = i;
  });
  opts.splice(last, 1);
  // qemu_opt_set_number() prints the unsigned long as int64.
  opts.push({ name: 'ipv6-prefix', value: prefix });
  opts.push({ name: 'ipv6-prefixlen', value: BigInt.asIntN(64, len).toString() });
  return { ok: true, list: { ...list, opts } };
}

/** net_client_init1()'s type checks for -netdev and -nic. */
function netdevTypeCheck(type: string): Fail | undefined {
  if (type === 'nic' || !COMPILED_BACKENDS.has(type)) {
    return fail(`network backend '${type}' is not compiled into this binary`);
  }
  return undefined;
}

/** net_client_init1()'s type checks for -net; 'none' means nothing to do. */
function netTypeCheck(type: string): Fail | 'none' | undefined {
  if (type === 'none') return 'none';
  if (type === 'hubport') return fail(`network backend '${type}' is only supported with -netdev/-nic`);
  if (!COMPILED_BACKENDS.has(type)) return fail(`network backend '${type}' is not compiled into this binary`);
  return undefined;
}

const MAX_QUEUE_NUM = 1024;

/** The backend's init-function checks that need no host resources. */
function finishBackend(rec: Record<string, unknown>): { ok: true; backend: BackendOptions } | Fail {
  const { id: _id, ...fields } = rec;
  void _id;
  const type = String(fields['type']);
  switch (type) {
    case 'user': {
      const raw = fields as UserRaw;
      const r = slirpInit(raw);
      if (!r.ok) return fail(r.error);
      const { hostfwd: _h, guestfwd: _g, dnssearch, ...rest } = raw;
      void _h;
      void _g;
      const user = { ...rest, type: 'user', dnssearch: dnssearch ?? [], hostfwd: r.hostfwd, guestfwd: r.guestfwd,
        slirp: r.slirp } as BackendOptions;
      return { ok: true, backend: user };
    }
    case 'socket': {
      const m = socketMode(fields);
      if (!m.ok) return fail(m.error);
      return { ok: true, backend: { ...fields, type: 'socket', mode: m.value } as BackendOptions };
    }
    case 'dgram': {
      const e = checkDgram(fields as Omit<DgramOptions, 'type'>);
      if (e) return fail(e);
      break;
    }
    case 'vhost-user': {
      const q = fields['queues'];
      const queues = typeof q === 'bigint' ? Number(BigInt.asIntN(32, q)) : 1;
      if (queues < 1 || queues > MAX_QUEUE_NUM) {
        return fail(`vhost-user number of queues must be in range [1, ${MAX_QUEUE_NUM}]`);
      }
      break;
    }
    case 'vhost-vdpa': {
      const dev = fields['vhostdev'] !== undefined;
      const fd = fields['vhostfd'] !== undefined;
      if (!dev && !fd) return fail('vhost-vdpa: neither vhostdev= nor vhostfd= was specified');
      if (dev && fd) return fail('vhost-vdpa: vhostdev= and vhostfd= are mutually exclusive');
      break;
    }
    default:
      break;
  }
  return { ok: true, backend: fields as unknown as BackendOptions };
}

/** net_init_netdev's reading of the type, as netdev_is_modern also sees it. */
function qemuOptsType(s: string): string | undefined {
  const r = parseQemuOpts(s, { impliedKey: 'type', warnOnFlag: false, extractId: false });
  return r.ok ? optGet(r.value.opts, 'type') : undefined;
}

/** Parse `-netdev` option text (what follows `-netdev `). */
export function parseNetdev(text: string): ParseResult<NetdevOptions> {
  const s = cString(text);
  if (s.startsWith('{')) return fail('JSON syntax for -netdev is not supported');
  const type = qemuOptsType(s);
  if (type === 'stream' || type === 'dgram') return parseNetdevModern(s);

  const parsed = parseQemuOpts(s, { impliedKey: 'type' });
  if (!parsed.ok) return fail(parsed.error, parsed.hint);
  const t = optGet(parsed.value.opts, 'type');
  if (t !== undefined && isHelpOption(t)) {
    return help({ kind: 'help', topic: 'netdev-types', netdevTypes: NETDEV_HELP_TYPES });
  }
  const conv = convertIpv6Net(parsed.value);
  if (!conv.ok) return conv;
  const v = visitOpts(conv.list, NETDEV);
  if (!v.ok) return fail(v.error);
  const check = netdevTypeCheck(String(v.value['type']));
  if (check) return check;
  const b = finishBackend(v.value);
  if (!b.ok) return b;
  return value({ ...b.backend, id: String(v.value['id']) }, [...parsed.value.warnings, ...v.warnings]);
}

/** netdev_parse_modern(): keyval + QObject input visitor. */
function parseNetdevModern(s: string): ParseResult<NetdevOptions> {
  const kv = parseKeyval(s, 'type');
  if (!kv.ok) return fail(kv.error);
  if (kv.help) return fail('Help is not available for this option');
  const v = visitKeyval(kv.value, NETDEV);
  if (!v.ok) return fail(v.error);
  const check = netdevTypeCheck(String(v.value['type']));
  if (check) return check;
  const b = finishBackend(v.value);
  if (!b.ok) return b;
  return value({ ...b.backend, id: String(v.value['id']) }, v.warnings);
}

/** pci_nic_init_nofail()'s model handling: alias, help, "Unsupported NIC model". */
function checkModel(model: string | undefined): { ok: true; model: NicModel | undefined } | Fail | 'help' {
  if (model === undefined) return { ok: true, model: undefined };
  const m = model === 'virtio' ? 'virtio-net-pci' : model;
  if (isHelpOption(m)) return 'help';
  if (!(NIC_MODELS as readonly string[]).includes(m)) return fail(`Unsupported NIC model: ${m}`);
  return { ok: true, model: m as NicModel };
}

/** Remove every `name` option, returning the last value (qemu_opt_get_del). */
function optGetDel(opts: QemuOpt[], name: string): string | undefined {
  const v = optGet(opts, name);
  for (let i = opts.length - 1; i >= 0; i--) if (opts[i]?.name === name) opts.splice(i, 1);
  return v;
}

/** Parse `-nic` option text. */
export function parseNic(text: string): ParseResult<NicOptions> {
  const s = cString(text);
  const parsed = parseQemuOpts(s, { impliedKey: 'type' });
  if (!parsed.ok) return fail(parsed.error, parsed.hint);
  const opts = [...parsed.value.opts];
  const type = optGet(opts, 'type');
  if (type === 'none') return value({ kind: 'none' }, parsed.value.warnings);
  if (type !== undefined && isHelpOption(type)) {
    return help({ kind: 'help', topic: 'nic', netdevTypes: NETDEV_HELP_TYPES, nicModels: NIC_MODELS });
  }
  if (type === undefined) opts.push({ name: 'type', value: 'user' });
  const model = optGetDel(opts, 'model');
  const macText = optGetDel(opts, 'mac');
  let mac: Uint8Array | undefined;
  if (macText !== undefined) {
    const m = parseLegacyMac(macText);
    if (!m.ok) return fail(m.error);
    if (isMulticastMac(m.value)) return fail('NIC cannot have multicast MAC address');
    if (!isZeroMac(m.value)) mac = m.value;
  }
  const conv = convertIpv6Net({ ...parsed.value, opts });
  if (!conv.ok) return conv;
  const v = visitOpts(conv.list, NETDEV_OPTIONAL_ID);
  if (!v.ok) return fail(v.error);
  const check = netdevTypeCheck(String(v.value['type']));
  if (check) return check;
  const b = finishBackend(v.value);
  if (!b.ok) return b;
  const mm = checkModel(model);
  if (mm === 'help') return help({ kind: 'help', topic: 'nic-models', nicModels: NIC_MODELS });
  if (!mm.ok) return mm;
  const nic: NicOptions = {
    kind: 'nic',
    ...(parsed.value.id !== undefined ? { id: parsed.value.id } : {}),
    ...(mm.model !== undefined ? { model: mm.model } : {}),
    ...(mac ? { mac } : {}),
    backend: b.backend,
  };
  return value(nic, [...parsed.value.warnings, ...v.warnings]);
}

/** hw/pci/pci.c pci_parse_devaddr() without a function: `[[domain:]bus:]slot`. */
function parseLegacyPciAddr(text: string): { dom: number; bus: number; slot: number } | undefined {
  const hex = (p: number): { v: bigint; end: number } | undefined => {
    const r = qemuStrtoul(text.slice(p), 16, true);
    if (r.err === 'EINVAL') return undefined;
    return { v: r.value, end: p + r.end };
  };
  let dom = 0n;
  let bus = 0n;
  let r = hex(0);
  if (!r) return undefined;
  if (text[r.end] === ':') {
    bus = r.v;
    r = hex(r.end + 1);
    if (!r) return undefined;
    if (text[r.end] === ':') {
      dom = bus;
      bus = r.v;
      r = hex(r.end + 1);
      if (!r) return undefined;
    }
  }
  const slot = r.v;
  if (dom > 0xffffn || bus > 0xffn || slot > 0x1fn) return undefined;
  if (r.end !== text.length) return undefined;
  return { dom: Number(dom), bus: Number(bus), slot: Number(slot) };
}

/** Parse `-net` option text. */
export function parseNet(text: string): ParseResult<NetLegacyOptions> {
  const s = cString(text);
  const parsed = parseQemuOpts(s, { impliedKey: 'type' });
  if (!parsed.ok) return fail(parsed.error, parsed.hint);
  const conv = convertIpv6Net(parsed.value);
  if (!conv.ok) return conv;
  const v = visitOpts(conv.list, NETDEV_OPTIONAL_ID);
  if (!v.ok) return fail(v.error);
  const warnings = [...parsed.value.warnings, ...v.warnings];
  const type = String(v.value['type']);
  const check = netTypeCheck(type);
  if (check === 'none') return value({ kind: 'none' }, warnings);
  if (check) return check;
  const id = parsed.value.id;
  if (type !== 'nic') {
    const b = finishBackend(v.value);
    if (!b.ok) return b;
    return value({ kind: 'backend', ...(id !== undefined ? { id } : {}), hub: 0, backend: b.backend }, warnings);
  }
  // net_init_nic()
  const nic = v.value as { netdev?: string; macaddr?: string; model?: string; addr?: string; vectors?: number };
  let macaddr: Uint8Array | undefined;
  if (nic.macaddr !== undefined) {
    const m = parseLegacyMac(nic.macaddr);
    if (!m.ok) return fail(m.error);
    if (isMulticastMac(m.value)) return fail('NIC cannot have multicast MAC address (odd 1st byte)');
    if (!isZeroMac(m.value)) macaddr = m.value;
  }
  if (nic.vectors !== undefined && nic.vectors > 0x7ffffff) return fail(`invalid # of vectors: ${nic.vectors}`);
  // pci_nic_init_nofail()
  const mm = checkModel(nic.model);
  if (mm === 'help') return help({ kind: 'help', topic: 'nic-models', nicModels: NIC_MODELS });
  if (!mm.ok) return mm;
  let addr: LegacyPciAddr | undefined;
  if (nic.addr !== undefined) {
    const a = parseLegacyPciAddr(nic.addr);
    if (!a) return fail(`Invalid PCI device address ${nic.addr} for device ${mm.model ?? 'e1000'}`);
    if (a.dom !== 0) return fail('No support for non-zero PCI domains');
    addr = { bus: a.bus, slot: a.slot };
  }
  const out: NetLegacyOptions = {
    kind: 'nic',
    ...(id !== undefined ? { id } : {}),
    ...(mm.model !== undefined ? { model: mm.model } : {}),
    ...(macaddr ? { macaddr } : {}),
    ...(nic.netdev !== undefined ? { netdev: nic.netdev } : {}),
    ...(addr ? { addr } : {}),
    ...(nic.vectors !== undefined ? { vectors: nic.vectors } : {}),
    hub: nic.netdev !== undefined ? null : 0,
  };
  return value(out, warnings);
}

// ---------------------------------------------------------------------------
// Formatting

function scalarText(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (v instanceof Uint8Array) return formatMac(v);
  return String(v);
}

/** Key/value pairs for a backend's fields, in schema order (QemuOpts flavour). */
function backendOpts(b: BackendOptions): QemuOpt[] {
  const members: Members = BACKEND_MEMBERS[b.type] ?? {};
  const rec = b as unknown as Record<string, unknown>;
  const out: QemuOpt[] = [];
  for (const [field, m] of Object.entries(members)) {
    const v = rec[field];
    if (v === undefined) continue;
    if (b.type === 'user' && field === 'hostfwd') {
      for (const r of b.hostfwd) out.push({ name: m.key, value: formatHostFwd(r) });
    } else if (b.type === 'user' && field === 'guestfwd') {
      for (const r of b.guestfwd) out.push({ name: m.key, value: formatGuestFwd(r) });
    } else if (Array.isArray(v)) {
      for (const item of v) out.push({ name: m.key, value: String(item) });
    } else if (m.type.kind === 'union' || m.type.kind === 'struct') {
      pushDotted(out, m.key, v as Record<string, unknown>, m.type);
    } else {
      out.push({ name: m.key, value: scalarText(v) });
    }
  }
  return out;
}

/** Nested values (SocketAddress) as keyval dotted keys. */
function pushDotted(out: QemuOpt[], prefix: string, rec: Record<string, unknown>, t: TypeSpec): void {
  let members: Members = {};
  if (t.kind === 'struct') members = t.members;
  if (t.kind === 'union') members = { ...t.base, ...(t.variants[String(rec[t.tag])] ?? {}) };
  for (const [field, m] of Object.entries(members)) {
    const v = rec[field];
    if (v === undefined) continue;
    out.push({ name: `${prefix}.${m.key}`, value: scalarText(v) });
  }
}

/** `-netdev` text that parseNetdev reads back as the same options. */
export function formatNetdev(n: NetdevOptions): string {
  const opts = backendOpts(n);
  if (n.type === 'stream' || n.type === 'dgram') {
    return [n.type, `id=${escapeValue(n.id)}`, ...opts.map((o) => `${o.name}=${escapeValue(o.value)}`)].join(',');
  }
  return formatQemuOpts([{ name: 'type', value: n.type }, ...opts], { impliedKey: 'type', id: n.id });
}

/** `-nic` text that parseNic reads back as the same options. */
export function formatNic(n: NicOptions): string {
  if (n.kind === 'none') return 'none';
  const opts: QemuOpt[] = [{ name: 'type', value: n.backend.type }, ...backendOpts(n.backend)];
  if (n.model !== undefined) opts.push({ name: 'model', value: n.model });
  if (n.mac) opts.push({ name: 'mac', value: formatMac(n.mac) });
  return formatQemuOpts(opts, n.id !== undefined ? { impliedKey: 'type', id: n.id } : { impliedKey: 'type' });
}

/** `-net` text that parseNet reads back as the same options. */
export function formatNet(n: NetLegacyOptions): string {
  if (n.kind === 'none') return 'none';
  const idOpt = n.id !== undefined ? { impliedKey: 'type', id: n.id } : { impliedKey: 'type' };
  if (n.kind === 'backend') {
    return formatQemuOpts([{ name: 'type', value: n.backend.type }, ...backendOpts(n.backend)], idOpt);
  }
  const opts: QemuOpt[] = [{ name: 'type', value: 'nic' }];
  if (n.netdev !== undefined) opts.push({ name: 'netdev', value: n.netdev });
  if (n.macaddr) opts.push({ name: 'macaddr', value: formatMac(n.macaddr) });
  if (n.model !== undefined) opts.push({ name: 'model', value: n.model });
  if (n.addr) opts.push({ name: 'addr', value: `${n.addr.bus.toString(16)}:${n.addr.slot.toString(16)}` });
  if (n.vectors !== undefined) opts.push({ name: 'vectors', value: String(n.vectors) });
  return formatQemuOpts(opts, idOpt);
}

/** Is `id` usable as a QemuOpts id (for callers building options)? */
export function isValidId(id: string): boolean {
  return idWellformed(id);
}

