/**
 * Replays QEMU-recorded e1000 traces against nicemu in process: the PC
 * machine with the e1000 at 00:02.0, a WireEnd as the netdev (`n0`), and
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
import { createE1000, E1000_82540EM, E1000_82544GC, E1000_82545EM, parseE1000Props, type E1000, type E1000Variant } from '../../src/devices/e1000/index.js';

const VARIANTS: Record<string, E1000Variant> = { e1000: E1000_82540EM, 'e1000-82544gc': E1000_82544GC, 'e1000-82545em': E1000_82545EM };

export function parseMac(s: string): Uint8Array {
  return Uint8Array.from(s.split(':').map((x) => parseInt(x, 16)));
}

/** `e1000,mac=52:54:00:12:34:56,mitigation=off` -> variant, MAC and other properties. */
export function parseDevice(device: string): { variant: E1000Variant; mac: Uint8Array; props: Record<string, string> } {
  const [driver, ...rest] = device.split(',');
  const variant = VARIANTS[driver ?? ''];
  if (!variant) throw new Error(`not an e1000 device: ${device}`);
  let mac = parseMac('52:54:00:12:34:56');
  const props: Record<string, string> = {};
  for (const kv of rest) {
    const [k, v = ''] = kv.split('=');
    if (k === 'mac') mac = parseMac(v);
    else if (k !== 'netdev' && k) props[k] = v;
  }
  return { variant, mac, props };
}

export interface Rig {
  machine: PcMachine;
  qt: InProcessQtest;
  wire: WireEnd;
  nic: E1000;
}

export function buildRig(device: string, extraProps: Record<string, string> = {}): Rig {
  const { variant, mac, props } = parseDevice(device);
  const machine = new PcMachine({ random: new SeededRandom(7) });
  const wire = new WireEnd('n0');
  const options = parseE1000Props(variant.driver, { ...props, ...extraProps });
  const { device: nic } = machine.addPciDevice((ctx) => createE1000(ctx, variant, { mac, name: 'nic0' }, options));
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
