/**
 * Builds a machine from QEMU command-line options (`-machine`, `-m`,
 * `-netdev`, `-nic`, `-net`, `-device`), the way QEMU wires them: netdevs
 * first, then NICs from -nic/-net (hub 0 for -net), then -device in order.
 * Backends that need a host (sockets, files) come from injected factories,
 * so this module stays browser-safe; a parsed backend without a factory
 * fails with "not supported yet".
 */
import {
  type BackendOptions,
  type BackendVariant,
  type DeviceOptions,
  type NetdevOptions,
  assertSupported,
  backendVariant,
  helpText,
  isHelpRequest,
  parseDeviceOrThrow,
  parseNetOrThrow,
  parseNetdevOrThrow,
  parseNicOrThrow,
  parsePciDevfn,
  parseQemuOpts,
} from '../config/index.js';
import { OptionError } from '../errors.js';
import { NetClient } from '../hub/client.js';
import { HubRegistry } from '../hub/hub.js';
import { findNicModel } from '../devices/models.js';
import type { NicDevice } from '../devices/nic.js';
import { TestDevice } from '../devices/testdev/device.js';
import type { TimerHost } from '../time/clock.js';
import type { RandomSource } from '../time/random.js';
import { PcMachine } from './pc.js';

export interface MachineArgs {
  machine: string;
  ramSize: number;
  netdevs: string[];
  devices: string[];
  nics: string[];
  nets: string[];
}

/** A running backend: its client (peer of a NIC or hub port) and how to stop it. */
export interface Backend {
  readonly client: NetClient;
  close(): void;
}

export interface BackendEnv {
  clock: TimerHost;
  random: RandomSource;
}

export type BackendFactory = (opts: BackendOptions, id: string, env: BackendEnv) => Promise<Backend>;
export type BackendFactories = Partial<Record<BackendVariant, BackendFactory>>;

export interface BuiltMachine {
  machine: PcMachine;
  hubs: HubRegistry;
  /** Net clients by QMP name (netdev ids, device ids or `driver.N`). */
  clients: Map<string, NetClient>;
  nics: NicDevice[];
  setLink(name: string, up: boolean): boolean;
  close(): void;
}

/** QEMU's default MAC for the n-th NIC without mac= (52:54:00:12:34:56, :57, ...). */
export function defaultMac(index: number): Uint8Array {
  return Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, (0x56 + index) & 0xff);
}

function parseMachine(text: string): { bare: boolean } {
  const r = parseQemuOpts(text, { impliedKey: 'type', extractId: false });
  if (!r.ok) throw new OptionError(`-machine ${text}: ${r.error}`);
  let type = 'pc';
  for (const o of r.value.opts) {
    if (o.name === 'type') type = o.value;
    else if (o.name === 'pit') {
      // Our PC has no i8254 at all: pit=off is what we are; pit=on is refused rather than pretended.
      if (o.value === 'on') throw new OptionError(`-machine ${text}: the PIT (i8254) is not supported yet; use pit=off`);
    } else if (o.name !== 'accel' && o.name !== 'usb' && o.name !== 'graphics') throw new OptionError(`-machine ${text}: Invalid parameter '${o.name}'`);
  }
  if (type === 'help') throw new OptionError('Supported machines are:\npc                   Standard PC (i440FX + PIIX, 1996)\nnone                 empty machine');
  if (type !== 'pc' && !/^pc-i440fx-/.test(type) && type !== 'none') throw new OptionError(`-machine ${text}: unsupported machine type '${type}' (supported: pc, none)`);
  return { bare: type === 'none' };
}

function orThrowHelp<T>(v: T | import('../config/index.js').HelpRequest): T {
  if (isHelpRequest(v)) throw new OptionError(helpText(v));
  return v;
}

export async function buildMachine(args: MachineArgs, factories: BackendFactories, env: Partial<BackendEnv> = {}): Promise<BuiltMachine> {
  const { bare } = parseMachine(args.machine);
  const machine = new PcMachine({ ramSize: args.ramSize, bare, ...(env.random ? { random: env.random } : {}) });
  const benv: BackendEnv = { clock: env.clock ?? machine.clock, random: env.random ?? machine.random };
  const hubs = new HubRegistry();
  const clients = new Map<string, NetClient>();
  const netdevs = new Map<string, NetClient>();
  const backends: Backend[] = [];
  const nics: NicDevice[] = [];
  const perDriver = new Map<string, number>();
  let nicIndex = 0;
  let autoId = 0;
  const supported = new Set<BackendVariant>(['hubport', ...(Object.keys(factories) as BackendVariant[])]);

  const close = (): void => {
    for (const b of backends) {
      try {
        b.close();
      } catch {
        // Closing is best effort.
      }
    }
  };

  const startBackend = async (b: BackendOptions, id: string): Promise<NetClient> => {
    assertSupported(b, supported);
    if (b.type === 'hubport') {
      const port = hubs.get(b.hubid).addPort(id);
      if (b.netdev !== undefined) {
        const peer = netdevs.get(b.netdev);
        if (!peer) throw new OptionError(`-netdev hubport,id=${id}: netdev '${b.netdev}' not found`);
        if (peer.peer) throw new OptionError(`-netdev hubport,id=${id}: netdev '${b.netdev}' is already in use`);
        NetClient.connect(port.client, peer);
      }
      return port.client;
    }
    const factory = factories[backendVariant(b)] ?? factories[b.type];
    if (!factory) throw new OptionError(`-netdev ${b.type}: not supported yet`);
    const backend = await factory(b, id, benv);
    backends.push(backend);
    return backend.client;
  };

  const addNic = (opts: DeviceOptions | { driver: 'nicemu-testdev'; id?: string; netdev?: string; mac?: Uint8Array; addr?: { slot: number; fn: number } }, peer: NetClient | undefined): NicDevice | TestDevice => {
    const n = perDriver.get(opts.driver) ?? 0;
    perDriver.set(opts.driver, n + 1);
    const name = opts.id ?? `${opts.driver}.${n}`;
    if (clients.has(name)) throw new OptionError(`Duplicate ID '${name}' for device`);
    const where = opts.addr ? { slot: opts.addr.slot, fn: opts.addr.fn } : {};
    let device: NicDevice | TestDevice;
    if (opts.driver === 'nicemu-testdev') {
      device = machine.addPciDevice((ctx) => new TestDevice(ctx, name), where).device;
    } else {
      const model = findNicModel(opts.driver);
      if (!model) throw new OptionError(`-device ${opts.driver}: not supported yet`);
      const mac = opts.mac ?? defaultMac(nicIndex);
      nicIndex++;
      const nic = machine.addPciDevice((ctx) => model.create(ctx, { mac, name, options: opts }), where).device;
      nics.push(nic);
      device = nic;
    }
    clients.set(name, device.net);
    if (peer) NetClient.connect(device.net, peer);
    return device;
  };

  const claim = (id: string, what: string): NetClient => {
    const c = netdevs.get(id);
    if (!c) throw new OptionError(`${what}: Property '${what.split(',')[0]}.netdev' can't find value '${id}'`);
    if (c.peer) throw new OptionError(`${what}: Property '${what.split(',')[0]}.netdev' can't take value '${id}', it's in use`);
    return c;
  };

  try {
    for (const text of args.netdevs) {
      const nd = orThrowHelp(parseNetdevOrThrow(text)) as NetdevOptions;
      if (netdevs.has(nd.id)) throw new OptionError(`-netdev ${text}: Duplicate ID '${nd.id}' for netdev`);
      const client = await startBackend(nd, nd.id);
      netdevs.set(nd.id, client);
      clients.set(nd.id, client);
    }
    for (const text of args.nics) {
      const nic = orThrowHelp(parseNicOrThrow(text));
      if (nic.kind === 'none') continue;
      const id = nic.id ?? `__org.qemu.nic${autoId++}`;
      const client = await startBackend(nic.backend, id);
      netdevs.set(id, client);
      clients.set(id, client);
      addNic({ driver: nic.model ?? 'e1000', ...(nic.mac ? { mac: nic.mac } : {}) } as DeviceOptions, client);
    }
    for (const text of args.nets) {
      const net = orThrowHelp(parseNetOrThrow(text));
      if (net.kind === 'none') continue;
      if (net.kind === 'backend') {
        const id = net.id ?? `hub0port${autoId++}`;
        const client = await startBackend(net.backend, id);
        clients.set(id, client);
        NetClient.connect(hubs.get(0).addPort().client, client);
        continue;
      }
      const peer = net.netdev !== undefined ? claim(net.netdev, `-net nic,netdev=${net.netdev}`) : hubs.get(0).addPort().client;
      addNic(
        {
          driver: net.model ?? 'e1000',
          ...(net.id ? { id: net.id } : {}),
          ...(net.macaddr ? { mac: net.macaddr } : {}),
          ...(net.addr ? { addr: { slot: net.addr.slot, fn: 0 } } : {}),
        } as DeviceOptions,
        peer,
      );
    }
    for (const text of args.devices) {
      if (/^nicemu-testdev(,|$)/.test(text)) {
        const r = parseQemuOpts(text, { impliedKey: 'driver' });
        if (!r.ok) throw new OptionError(`-device ${text}: ${r.error}`);
        let netdev: string | undefined;
        let addr: { slot: number; fn: number } | undefined;
        for (const o of r.value.opts) {
          if (o.name === 'netdev') netdev = o.value;
          else if (o.name === 'addr') {
            addr = parsePciDevfn(o.value);
            if (!addr) throw new OptionError(`-device ${text}: Property 'nicemu-testdev.addr' doesn't take value '${o.value}'`);
          } else if (o.name !== 'driver') throw new OptionError(`-device ${text}: Property 'nicemu-testdev.${o.name}' not found`);
        }
        const peer = netdev !== undefined ? claim(netdev, `nicemu-testdev,netdev=${netdev}`) : undefined;
        addNic({ driver: 'nicemu-testdev', ...(r.value.id ? { id: r.value.id } : {}), ...(addr ? { addr } : {}) }, peer);
        continue;
      }
      const dev = orThrowHelp(parseDeviceOrThrow(text));
      const peer = dev.netdev !== undefined ? claim(dev.netdev, `${dev.driver},netdev=${dev.netdev}`) : undefined;
      addNic(dev, peer);
    }
  } catch (e) {
    close();
    throw e;
  }

  return {
    machine,
    hubs,
    clients,
    nics,
    setLink: (name, up) => {
      const c = clients.get(name);
      if (!c) return false;
      c.setLinkUp(up);
      return true;
    },
    close,
  };
}
