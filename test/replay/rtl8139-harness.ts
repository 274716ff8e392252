/**
 * Replays QEMU-recorded rtl8139 traces against nicemu in process: the PC
 * machine with the rtl8139 at 00:02.0, a WireEnd as the netdev (`n0`), and
 * the qtest driver the replayer talks to.
 */
import { readFileSync } from 'node:fs';
import { PcMachine } from '../../src/machine/pc.js';
import { InProcessQtest } from '../../src/machine/inprocess.js';
import { WireEnd } from '../../src/machine/wire.js';
import { NetClient } from '../../src/hub/client.js';
import { SeededRandom } from '../../src/time/random.js';
import { replayTrace, type Mismatch, type ReplayResult } from '../../src/trace/replay.js';
import type { TraceDoc } from '../../src/trace/format.js';
import { Rtl8139 } from '../../src/devices/rtl8139/index.js';

export function parseMac(s: string): Uint8Array {
  return Uint8Array.from(s.split(':').map((x) => parseInt(x, 16)));
}

/** `rtl8139,mac=52:54:00:12:34:57,x-revision=0x10` -> MAC and revision. */
export function parseDevice(device: string): { mac: Uint8Array; revision: number } {
  const [driver, ...rest] = device.split(',');
  if (driver !== 'rtl8139') throw new Error(`not an rtl8139 device: ${device}`);
  let mac = parseMac('52:54:00:12:34:56');
  let revision = 0x20;
  for (const kv of rest) {
    const [k, v = ''] = kv.split('=');
    if (k === 'mac') mac = parseMac(v);
    else if (k === 'x-revision') revision = Number(v);
  }
  return { mac, revision };
}

export interface Rig {
  machine: PcMachine;
  qt: InProcessQtest;
  wire: WireEnd;
  nic: Rtl8139;
}

export function buildRig(device: string): Rig {
  const { mac, revision } = parseDevice(device);
  const machine = new PcMachine({ random: new SeededRandom(7) });
  const wire = new WireEnd('n0');
  const { device: nic } = machine.addPciDevice((ctx) => new Rtl8139(ctx, { mac, name: 'nic0' }, { revision }));
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

export function replayDoc(doc: TraceDoc): ReplayResult & { rig: Rig } {
  const rig = buildRig(doc.device);
  const r = replayTrace(doc.trace, rig.qt);
  return { ...r, rig };
}

export function describe(m: Mismatch): string {
  return `${m.at ?? '-'} ${m.what}: expected ${JSON.stringify(m.expected)} got ${JSON.stringify(m.actual)}`;
}
