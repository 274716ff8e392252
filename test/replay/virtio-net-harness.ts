/**
 * Replays QEMU-recorded virtio-net-pci traces against nicemu in process: the
 * PC machine with the device at 00:02.0 built from the trace's -device
 * string, a WireEnd as the netdev (`n0`), and the qtest driver the replayer
 * talks to.
 */
import { readFileSync } from 'node:fs';
import { parseDeviceOrThrow, isHelpRequest, type DeviceOptions } from '../../src/config/index.js';
import { PcMachine } from '../../src/machine/pc.js';
import { InProcessQtest } from '../../src/machine/inprocess.js';
import { WireEnd } from '../../src/machine/wire.js';
import { NetClient } from '../../src/hub/client.js';
import { SeededRandom } from '../../src/time/random.js';
import { replayTrace, type Mismatch, type ReplayResult } from '../../src/trace/replay.js';
import type { TraceDoc } from '../../src/trace/format.js';
import { createVirtioNet, type VirtioNet, type VirtioNetOptions } from '../../src/devices/virtio-net/index.js';

export interface VirtioRig {
  machine: PcMachine;
  qt: InProcessQtest;
  wire: WireEnd;
  nic: VirtioNet;
}

export function deviceOptions(device: string): DeviceOptions {
  const d = parseDeviceOrThrow(device);
  if (isHelpRequest(d)) throw new Error(`not a device: ${device}`);
  return d;
}

export function buildVirtioRig(device: string, overrides: Partial<VirtioNetOptions> = {}): VirtioRig {
  const options = deviceOptions(device);
  const mac = options.mac ?? Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
  const machine = new PcMachine({ random: new SeededRandom(7) });
  const wire = new WireEnd('n0');
  const { device: nic } = machine.addPciDevice((ctx) => createVirtioNet(ctx, { mac, name: 'nic0', options }, overrides));
  NetClient.connect(nic.net, wire.client);
  const qt = new InProcessQtest(machine, {
    wire,
    setLink: (name, up) => {
      if (name !== 'n0') return false;
      wire.client.setLinkUp(up);
      return true;
    },
  });
  return { machine, qt, wire, nic };
}

export function loadTrace(path: string): TraceDoc {
  return JSON.parse(readFileSync(path, 'utf8')) as TraceDoc;
}

export function replayVirtio(doc: TraceDoc): ReplayResult & { rig: VirtioRig } {
  const rig = buildVirtioRig(doc.device);
  const r = replayTrace(doc.trace, rig.qt);
  return { ...r, rig };
}

export function describeMismatch(m: Mismatch): string {
  return `${m.at ?? '-'} ${m.what}: expected ${JSON.stringify(m.expected)} got ${JSON.stringify(m.actual)}`;
}

/** The text of the last `section: ...` note at or before entry `at`. */
export function sectionOf(doc: TraceDoc, at: number | undefined): string {
  if (at === undefined) return '*end*';
  for (let i = at; i >= 0; i--) {
    const n = (doc.trace[i] as { note?: unknown }).note;
    if (typeof n === 'string' && n.startsWith('section: ')) return n.slice(9);
  }
  return '';
}
