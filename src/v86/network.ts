/**
 * nicemu backends behind v86's own NICs (its ne2k and virtio-net).
 *
 * v86's NICs talk to a "network adapter" over the emulator's bus: the NIC
 * sends `net<N>-send` with each frame the guest transmits, and takes frames
 * for the guest from `net<N>-receive` (src/ne2k.js, src/virtio_net.js). This
 * module is such an adapter with a nicemu backend on the other side, so a
 * guest on v86's ne2k or virtio-net gets `-netdev user` (DHCP, DNS, NAT,
 * hostfwd, ...), a socket, tap or vde backend, or a hub port.
 *
 * v86's NICs have no backpressure: a frame that finds no free buffer in the
 * guest is dropped inside v86. Create the emulator with
 * `net_device: { type: 'ne2k' | 'virtio' }` and no `relay_url` (which would
 * put v86's own adapter on the same bus).
 */
import { NetClient, type NetClientStats } from '../hub/client.js';
import { OptionError } from '../errors.js';
import { capture, type CaptureOptions } from '../pcap/capture.js';
import type { FrameRecorder } from '../pcap/writer.js';
import type { TimerHost } from '../time/clock.js';
import { CryptoRandom, type RandomSource } from '../time/random.js';
import { resolveBackend, type AttachOptions, type NetBackend } from './attach.js';
import { hostFor, type HostCounters } from './host.js';
import { v86Internals, V86CompatError, type V86Like, type V86Pci } from './internals.js';

/** The adapter side of v86's bus (`emulator.bus`). */
interface V86AdapterBus {
  register(name: string, fn: (data: unknown) => void, thisArg: unknown): void;
  unregister(name: string, fn: (data: unknown) => void): void;
  send(name: string, data: unknown): void;
}

export interface V86NetworkOptions extends Pick<AttachOptions, 'backends' | 'hubs' | 'v86Version' | 'allowUntestedV86'> {
  /** A `-netdev` string or a backend / hub port object. */
  netdev: string | NetBackend;
  /** Which of v86's NICs (`net<N>-*` on the bus); default 0. */
  index?: number;
  random?: RandomSource;
}

export interface V86Network {
  readonly backend: NetBackend;
  /** Raises of v86's NIC moved to an instruction boundary (host counter `v86NicIrqDeferred`, shared per emulator). */
  hostCounters(): Readonly<HostCounters>;
  /** The client standing for v86's NIC (tx = from the guest, rx = to the guest). */
  readonly client: NetClient;
  /** The clock device timers use here (follows v86's time): give it to backends you create yourself. */
  readonly clock: TimerHost;
  stats(): Readonly<NetClientStats>;
  startCapture(recorder: FrameRecorder, opts?: CaptureOptions): void;
  stopCapture(): void;
  /** Leave the bus, disconnect, and close a backend made from a string. */
  close(): void;
}

/**
 * The PCI id of v86's NIC number `index`, when it is one we know: ne2k
 * number N sits at device 5 (N = 0) or 7 + N (src/ne2k.js), v86 has one
 * virtio-net (src/virtio_net.js, device 10).
 */
function v86NicPciId(pci: V86Pci, index: number): number | undefined {
  const ne2k = (index === 0 ? 5 : 7 + index) << 3;
  if (pci.devices[ne2k]?.name === 'ne2k') return ne2k;
  if (index === 0) {
    const virtio = pci.devices.findIndex((d) => d?.name === 'virtio-net');
    if (virtio >= 0) return virtio;
  }
  return undefined;
}

function adapterBus(emulator: V86Like): V86AdapterBus {
  const bus = (emulator as unknown as { bus?: Partial<V86AdapterBus> }).bus;
  if (!bus || typeof bus.register !== 'function' || typeof bus.unregister !== 'function' || typeof bus.send !== 'function') {
    throw new V86CompatError('connectV86Network: emulator.bus (register/unregister/send) is missing');
  }
  return bus as V86AdapterBus;
}

/** Put a nicemu backend behind v86's own NIC number `index`. Call before `emulator.run()`. */
export async function connectV86Network(emulator: V86Like, options: V86NetworkOptions): Promise<V86Network> {
  if (typeof options !== 'object' || options === null) throw new OptionError('connectV86Network: options are required');
  const internals = v86Internals(emulator, {
    ...(options.v86Version !== undefined ? { v86Version: options.v86Version } : {}),
    ...(options.allowUntestedV86 ? { allowUntestedV86: true } : {}),
  });
  const index = options.index ?? 0;
  if (!Number.isInteger(index) || index < 0) throw new OptionError(`connectV86Network: index must be a NIC number >= 0, got ${String(index)}`);
  const bus = adapterBus(emulator);
  const host = hostFor(internals, () => emulator.is_running());
  const random = options.random ?? new CryptoRandom();
  const { backend, owned } = await resolveBackend('connectV86Network', options.netdev, options, { clock: host.clock, random });
  const receiveEvent = `net${index}-receive`;
  const client = new NetClient(
    `v86.net${index}`,
    {
      canReceive: () => true,
      receive: (frame) => {
        // The NIC keeps the frame (v86 copies it into guest memory later, or not at all): hand it a copy.
        bus.send(receiveEvent, frame.slice());
        return 'ok';
      },
    },
    { kind: 'nic' },
  );
  try {
    if (backend.client.peer) throw new OptionError(`connectV86Network: netdev '${backend.client.name}' is already in use`);
    NetClient.connect(client, backend.client);
  } catch (e) {
    if (owned) backend.close?.();
    throw e;
  }
  // Device timers of the backend (user-mode TCP, DHCP) follow v86's clock.
  host.retainClock();
  // v86's NIC raises its interrupt from inside the guest's port accesses (and when our
  // backend answers during the guest's transmit): raise it at the next instruction
  // boundary instead, where v86 delivers it properly (see V86Host.guardV86Intx).
  const nicPciId = v86NicPciId(internals.pci, index);
  const unguard = nicPciId !== undefined ? host.guardV86Intx(nicPciId) : undefined;
  const onSend = (data: unknown): void => {
    if (data instanceof Uint8Array) client.send(data);
  };
  bus.register(`net${index}-send`, onSend, undefined);
  let stopCapture: (() => void) | undefined;
  let closed = false;
  return {
    backend,
    client,
    clock: host.clock,
    hostCounters: () => ({ ...host.counters }),
    stats: () => ({ ...client.stats }),
    startCapture(recorder, opts) {
      stopCapture?.();
      stopCapture = capture(client, recorder, opts);
    },
    stopCapture() {
      stopCapture?.();
      stopCapture = undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      stopCapture?.();
      bus.unregister(`net${index}-send`, onSend);
      unguard?.();
      client.disconnect();
      if (owned) backend.close?.();
      host.releaseClock();
    },
  };
}
