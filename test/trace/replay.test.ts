import { describe, expect, it } from 'vitest';
import { PcMachine } from '../../src/machine/pc.js';
import { InProcessQtest } from '../../src/machine/inprocess.js';
import { WireEnd } from '../../src/machine/wire.js';
import { TestDevice } from '../../src/devices/testdev/device.js';
import { NetClient } from '../../src/hub/client.js';
import { SeededRandom } from '../../src/time/random.js';
import { TraceRecorder, replayTrace, type TraceEntry } from '../../src/trace/index.js';

function target() {
  const m = new PcMachine({ random: new SeededRandom(7) });
  const wire = new WireEnd();
  const { device } = m.addPciDevice((ctx) => new TestDevice(ctx, 'td'));
  NetClient.connect(device.net, wire.client);
  return new InProcessQtest(m, { wire, setLink: (name, up) => (name === 'td' ? (device.net.setLinkUp(up), true) : false) });
}

const cfg = (r: TraceRecorder, dev: number, off: number, v?: number): number | void => {
  r.out(4, 0xcf8, (0x80000000 | (dev << 11) | off) >>> 0);
  if (v === undefined) return r.in(4, 0xcfc);
  r.out(4, 0xcfc, v);
};

/** A scenario touching every entry kind: config cycles, MMIO, bulk memory, IRQs, clock, frames, QMP, polls. */
function record(): TraceEntry[] {
  const r = new TraceRecorder(target());
  r.irqInterceptIn();
  cfg(r, 2, 0x10, 0xfebc0000);
  cfg(r, 2, 0x14, 0xc000);
  cfg(r, 2, 0x04, 7);
  cfg(r, 1, 0x60, 0x80800b80); // PIRQB (byte 0x61) -> IRQ 11
  r.readMem(4, 0xfebc0000);
  r.writeMem(4, 0xfebc0004, 0x5a5a5a5a);
  r.in(4, 0xc004);
  r.write(0x2000, new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2]));
  r.writeMem(4, 0xfebc0010, 0x2000);
  r.writeMem(4, 0xfebc0014, 6);
  r.writeMem(4, 0xfebc0018, 1);
  r.takeTx();
  r.writeMem(4, 0xfebc001c, 0x3000);
  r.writeMem(4, 0xfebc0020, 100);
  r.writeMem(4, 0xfebc0008, 0x2); // raise on RX
  r.inject(new Uint8Array([9, 8, 7, 6]));
  r.read(0x3000, 4);
  r.writeMem(4, 0xfebc0008, 0x4); // lower; raise on timer
  r.writeMem(4, 0xfebc000c, 2500);
  r.clockStep(1000);
  r.poll(() => (r.readMem(4, 0xfebc0028) & 2) !== 0 || (r.clockStep(500), false));
  r.qmp('set_link', { name: 'td', up: false });
  r.writeMem(4, 0xfebc0018, 1);
  r.takeTx();
  return r.trace;
}

describe('trace record and replay', () => {
  it('a trace recorded on nicemu replays on a fresh machine with no mismatch', () => {
    const trace = record();
    const kinds = new Set(trace.map((e) => ('op' in e ? e.op : 'irq' in e ? 'irq' : 'net' in e ? `net:${e.net}` : 'qmp' in e ? 'qmp' : 'info')));
    for (const k of ['outl', 'inl', 'readl', 'writel', 'write', 'read', 'clock_step', 'irq', 'net:inject', 'net:tx', 'qmp']) expect(kinds).toContain(k);
    expect(trace.some((e) => 'poll' in e && e.poll)).toBe(true);
    const res = replayTrace(trace, target());
    expect(res.mismatches).toEqual([]);
    expect(res.ok).toBe(true);
    expect(res.opsExecuted).toBeGreaterThan(20);
  });

  it('reports a changed register value, a changed frame, a missing IRQ and extra frames', () => {
    const trace = record().map((e) => ({ ...e })) as TraceEntry[];
    const idRead = trace.find((e) => 'op' in e && e.op === 'readl' && e.addr === '0xfebc0000') as { val?: string };
    idRead.val = '0x12345678';
    const tx = trace.find((e) => 'net' in e && e.net === 'tx' && !e.none) as { data?: string };
    tx.data = 'deadbeef0102ff';
    const irqAt = trace.findIndex((e) => 'irq' in e);
    trace.splice(irqAt, 1);
    // Drop the second (expected-empty) tx check and add a transmit the trace does not expect.
    trace.push({ op: 'writel', addr: '0xfebc0018', data: '0x1' });
    trace.push({ qmp: 'set_link', args: { name: 'td', up: true } });
    trace.push({ op: 'writel', addr: '0xfebc0018', data: '0x1' });
    const res = replayTrace(trace, target());
    const what = res.mismatches.map((m) => m.what);
    expect(what).toContain('readl 0xfebc0000');
    expect(what).toContain('tx frame');
    expect(what).toContain('IRQ event sequence');
    expect(what).toContain('frames transmitted but not in trace');
    expect(res.ok).toBe(false);
  });

  it('reports virtual time that drifts relative to the first clock value', () => {
    const trace: TraceEntry[] = [
      { op: 'clock_step', ns: '100', val: '0x1064' }, // recorded at a later absolute time: offset 4000
      { op: 'clock_step', ns: '100', val: '0x10c8' },
      { op: 'clock_step', ns: '100', val: '0x1200' },
    ];
    const res = replayTrace(trace, target());
    expect(res.mismatches).toHaveLength(1);
    expect(res.mismatches[0]!.what).toMatch(/relative virtual time/);
  });

  it('reports a poll that never reaches its recorded value', () => {
    const trace: TraceEntry[] = [{ op: 'readl', addr: '0x100', val: '0x1', poll: true }];
    const res = replayTrace(trace, target());
    expect(res.mismatches[0]!.what).toMatch(/poll never reached/);
  });
});
