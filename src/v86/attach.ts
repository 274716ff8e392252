/**
 * `attachToV86(emulator, options)`: put a nicemu NIC on a v86 guest's PCI bus
 * and connect it to a backend. Call it after v86's `emulator-loaded` event
 * and before `emulator.run()` (v86 option `autostart: false`), so SeaBIOS and
 * the guest enumerate the device.
 *
 * ```ts
 * const emulator = new V86({ ..., autostart: false, net_device: { type: 'none' } });
 * emulator.add_listener('emulator-loaded', async () => {
 *   const nic = await attachToV86(emulator, { device: 'e1000', netdev: hub.addPort() });
 *   emulator.run();
 * });
 * ```
 *
 * Save/restore: v86's `save_state()` keeps the device's config space (our
 * mirror) but knows nothing else of it. Save `nic.saveState()` next to the
 * ArrayBuffer from `emulator.save_state()` (both while the emulator is
 * stopped), and after `emulator.restore_state(buf)` call
 * `nic.restoreState(saved)` on a NIC attached the same way (same device,
 * slot). Timers are saved as time left, so the clocks need not agree.
 */
import {
  assertSupported,
  backendVariant,
  helpText,
  isHelpRequest,
  parseDeviceOrThrow,
  parseMac,
  parseNetdevOrThrow,
  type BackendVariant,
  type DeviceOptions,
} from '../config/index.js';
import { OptionError, StateError } from '../errors.js';
import { NetClient, type NetClientStats } from '../hub/client.js';
import { HubRegistry } from '../hub/hub.js';
import { defaultMac, type BackendFactories } from '../machine/build.js';
import type { DeviceContext } from '../machine/device.js';
import { findNicModel } from '../devices/models.js';
import type { NicDevice } from '../devices/nic.js';
import { capture, type CaptureOptions } from '../pcap/capture.js';
import type { FrameRecorder } from '../pcap/writer.js';
import type { SavedState } from '../state/index.js';
import type { TimerHost } from '../time/clock.js';
import { CryptoRandom, type RandomSource } from '../time/random.js';
import { hostFor, V86Function, type HostCounters } from './host.js';
import { v86Internals, V86CompatError, type V86Like } from './internals.js';

/** Anything with a net client: a backend (`-netdev`), a hub port, or your own peer. */
export interface NetBackend {
  readonly client: NetClient;
  /** Called by `detach()` when the adapter created the backend from a string. */
  close?(): void;
}

/** Short device names; any other string is parsed as a QEMU `-device` option string. */
export type V86NicDriver = 'e1000' | 'e1000-82544gc' | 'e1000-82545em' | 'rtl8139' | 'virtio-net-pci';

export interface AttachOptions {
  /** A driver name (`e1000`, `rtl8139`, `virtio-net-pci`) or a `-device` string (`e1000,mac=...,addr=4`). */
  device: V86NicDriver | (string & Record<never, never>);
  /** A `-netdev` string (`user,id=n0,hostfwd=...`, `hubport,id=h,hubid=0`) or a backend / hub port object. */
  netdev: string | NetBackend;
  /** PCI device number 1..31 (function 0). Default: the first free of 3, 4, 7, 8, ... (IRQ 11 after SeaBIOS). */
  slot?: number;
  /** MAC address (`52:54:00:12:34:56` or 6 bytes). Default: QEMU's 52:54:00:12:34:56 + n. */
  mac?: string | Uint8Array;
  /** Backend factories for `-netdev` strings other than hubport (`nicemu/v86/node` has the Node ones). */
  backends?: BackendFactories;
  /** Hubs for `hubport` netdevs; default: one registry shared by every emulator in this realm (like QEMU's process). */
  hubs?: HubRegistry;
  /** Fixed guest-physical base of the memory BARs (128 KiB aligned). Default: allocated from 0xFE000000 up. */
  mmioBase?: number;
  /** Randomness for the device and backend; default WebCrypto. */
  random?: RandomSource;
  /** The v86 package version, if known (`v86/package.json`); checked against the tested versions. */
  v86Version?: string;
  /** Accept an untested v86 version (internals are still checked). */
  allowUntestedV86?: boolean;
}

/** Counters of one attached NIC. */
export interface V86NicStats {
  /** The device model's own counters. */
  device: Readonly<Record<string, number>>;
  /** The NIC's net client (tx = from the guest, rx = to the guest). */
  net: Readonly<NetClientStats>;
  /** The adapter's repairs and refusals for this emulator. */
  host: Readonly<HostCounters>;
  /** Clock hook calls and host wake-ups. */
  clock: { readonly polls: number; readonly wakeups: number; readonly nowNs: number };
}

/** What `saveState()` returns: JSON-safe, to be stored next to v86's own state. */
export interface V86NicState {
  readonly format: 'nicemu-v86-nic';
  readonly version: 1;
  readonly driver: string;
  readonly pciId: number;
  readonly linkUp: boolean;
  readonly device: SavedState;
}

export interface V86Nic {
  readonly device: NicDevice;
  readonly driver: string;
  /** The net client name (the device id or `driver.N`). */
  readonly name: string;
  readonly slot: number;
  /** v86's pci_id: slot << 3. */
  readonly pciId: number;
  readonly mac: string;
  readonly backend: NetBackend;
  /** The device clock (follows v86's time). */
  readonly clock: TimerHost;
  /** Where the memory BARs are (fixed) and where the guest put the I/O BARs. */
  bars(): { mem: Array<{ index: number; base: number; size: number; active: boolean }>; io: Array<{ index: number; addr: number; size: number }> };
  /** Cable plugged in or pulled out (QMP set_link). */
  setLink(up: boolean): void;
  readonly linkUp: boolean;
  stats(): V86NicStats;
  /** Record every frame the NIC sends and accepts (pcap on). Replaces a running capture. */
  startCapture(recorder: FrameRecorder, opts?: CaptureOptions): void;
  /** pcap off. */
  stopCapture(): void;
  saveState(): V86NicState;
  /** Load a saved state (after `emulator.restore_state`); throws StateError, changing nothing, when it does not fit. */
  restoreState(state: unknown): void;
  /** Unplug from v86 (handlers, IRQ, config hooks), disconnect, and close a backend made from a string. */
  detach(): void;
}

const sharedHubs = new HubRegistry();

/** The hub registry `hubport` netdevs use when no `hubs` option is given. */
export function defaultHubs(): HubRegistry {
  return sharedHubs;
}

function parseDevice(text: string): DeviceOptions {
  if (!/[,=]/.test(text)) {
    const model = findNicModel(text);
    if (!model) throw new OptionError(`attachToV86: device '${text}': no such NIC model (have: ${listModels()})`);
    return { driver: text } as DeviceOptions;
  }
  const d = parseDeviceOrThrow(text);
  if (isHelpRequest(d)) throw new OptionError(helpText(d));
  return d;
}

function listModels(): string {
  return ['e1000', 'rtl8139', 'virtio-net-pci'].filter((d) => findNicModel(d)).join(', ') || 'none';
}

function toMac(mac: string | Uint8Array): Uint8Array {
  if (typeof mac !== 'string') {
    if (mac.length !== 6) throw new OptionError(`attachToV86: mac must have 6 bytes, got ${mac.length}`);
    return mac.slice();
  }
  const r = parseMac(mac);
  if (!r.ok) throw new OptionError(`attachToV86: ${r.error}`);
  return r.value;
}

const macText = (m: Uint8Array): string => Array.from(m, (b) => b.toString(16).padStart(2, '0')).join(':');

/**
 * The backend for `netdev`: a `-netdev` string opened with the given factories
 * (owned: closed on detach), or a backend / hub port object as it is. `who`
 * names the caller in error messages.
 */
export async function resolveBackend(
  who: string,
  netdev: string | NetBackend,
  opts: Pick<AttachOptions, 'backends' | 'hubs'>,
  env: { clock: TimerHost; random: RandomSource },
): Promise<{ backend: NetBackend; owned: boolean }> {
  if (typeof netdev !== 'string') {
    if (netdev && netdev.client instanceof NetClient) return { backend: netdev, owned: false };
    throw new OptionError(`${who}: netdev must be a -netdev string or an object with a NetClient \`client\``);
  }
  const nd = parseNetdevOrThrow(netdev);
  if (isHelpRequest(nd)) throw new OptionError(helpText(nd));
  const factories = opts.backends ?? {};
  const supported = new Set<BackendVariant>(['hubport', ...(Object.keys(factories) as BackendVariant[])]);
  assertSupported(nd, supported);
  if (nd.type === 'hubport') {
    if (nd.netdev !== undefined) throw new OptionError(`${who}: -netdev ${netdev}: hubport netdev= is not supported here; attach the backend to the hub yourself`);
    const port = (opts.hubs ?? sharedHubs).get(nd.hubid).addPort(nd.id);
    return { backend: { client: port.client, close: () => port.hub.removePort(port) }, owned: true };
  }
  const factory = factories[backendVariant(nd)] ?? factories[nd.type];
  if (!factory) throw new OptionError(`${who}: -netdev ${nd.type}: no backend factory given (pass backends, e.g. nodeV86Backends() from nicemu/v86/node)`);
  const b = await factory(nd, nd.id, env);
  return { backend: b, owned: true };
}

/** Attach a NIC. See the module comment for when to call it. */
export async function attachToV86(emulator: V86Like, options: AttachOptions): Promise<V86Nic> {
  const internals = v86Internals(emulator, {
    ...(options.v86Version !== undefined ? { v86Version: options.v86Version } : {}),
    ...(options.allowUntestedV86 ? { allowUntestedV86: true } : {}),
  });
  if (typeof options !== 'object' || options === null) throw new OptionError('attachToV86: options are required');
  const host = hostFor(internals, () => emulator.is_running());
  const devOpts = parseDevice(options.device);
  const model = findNicModel(devOpts.driver);
  if (!model) throw new OptionError(`attachToV86: -device ${devOpts.driver}: not supported yet (have: ${listModels()})`);
  if (devOpts.addr && devOpts.addr.fn !== 0) throw new OptionError(`attachToV86: only function 0 is supported (addr=${devOpts.addr.slot}.${devOpts.addr.fn})`);
  const slot = host.pickSlot(options.slot ?? devOpts.addr?.slot);
  const pciId = slot << 3;
  const mac = options.mac !== undefined ? toMac(options.mac) : devOpts.mac ?? defaultMac(host.nicCount);
  const name = devOpts.id ?? `${devOpts.driver}.${host.nicCount}`;
  const random = options.random ?? new CryptoRandom();

  const { backend, owned } = await resolveBackend('attachToV86', options.netdev, options, { clock: host.clock, random });

  const fn = new V86Function(host, pciId, `nicemu ${devOpts.driver}`);
  const ctx: DeviceContext = { memory: host.memory, clock: host.clock, random, intx: fn.intx, msi: () => {} };
  let device: NicDevice;
  try {
    if (backend.client.peer) throw new OptionError(`attachToV86: netdev '${backend.client.name}' is already in use`);
    // The slot may have been taken while a backend was being opened.
    if (internals.pci.devices[pciId] !== undefined) throw new V86CompatError(`attachToV86: PCI slot ${slot} was taken meanwhile`);
    device = model.create(ctx, { mac, name, options: { ...devOpts, mac } as DeviceOptions });
    fn.bind(device, options.mmioBase);
    NetClient.connect(device.net, backend.client);
  } catch (e) {
    fn.detach();
    if (owned) backend.close?.();
    throw e;
  }
  host.nicCount++;

  let stopCapture: (() => void) | undefined;
  let detached = false;

  const nic: V86Nic = {
    device,
    driver: devOpts.driver,
    name,
    slot,
    pciId,
    mac: macText(mac),
    backend,
    clock: host.clock,
    bars: () => ({ mem: fn.memWindows(), io: fn.ioBars() }),
    setLink(up: boolean): void {
      device.net.setLinkUp(up);
    },
    get linkUp(): boolean {
      return !device.net.linkDown;
    },
    stats: () => ({
      device: device.counters(),
      net: { ...device.net.stats },
      host: { ...host.counters },
      clock: { polls: host.clock.polls, wakeups: host.clock.wakeups, nowNs: host.clock.now() },
    }),
    startCapture(recorder: FrameRecorder, opts?: CaptureOptions): void {
      stopCapture?.();
      stopCapture = capture(device.net, recorder, opts);
    },
    stopCapture(): void {
      stopCapture?.();
      stopCapture = undefined;
    },
    saveState: () => ({ format: 'nicemu-v86-nic', version: 1, driver: devOpts.driver, pciId, linkUp: !device.net.linkDown, device: device.saveState() }),
    restoreState(state: unknown): void {
      const s = state as Partial<V86NicState> | null;
      if (typeof s !== 'object' || s === null || s.format !== 'nicemu-v86-nic') throw new StateError('restoreState: not a nicemu v86 NIC state');
      if (s.version !== 1) throw new StateError(`restoreState: unsupported version ${String(s.version)}`);
      if (s.driver !== devOpts.driver) throw new StateError(`restoreState: state of a ${String(s.driver)}, this NIC is a ${devOpts.driver}`);
      if (s.pciId !== pciId) throw new StateError(`restoreState: state of the device at pci_id ${String(s.pciId)}, this NIC is at ${pciId}`);
      const err = device.restoreState(s.device);
      if (err !== undefined) throw new StateError(`restoreState: ${err}`);
      // Config space and BARs come from the device state: put v86's mirror, ports and IRQ in line.
      fn.sync();
      if (typeof s.linkUp === 'boolean' && s.linkUp === device.net.linkDown) device.net.setLinkUp(s.linkUp);
    },
    detach(): void {
      if (detached) return;
      detached = true;
      stopCapture?.();
      stopCapture = undefined;
      fn.detach();
      device.net.disconnect();
      if (owned) backend.close?.();
    },
  };
  return nic;
}
