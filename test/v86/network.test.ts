/**
 * connectV86Network: a nicemu backend behind v86's own ne2k, checked on a
 * real (not booted) v86 0.5.462 through its bus events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { attachToV86, connectV86Network, V86CompatError, type V86Network } from '../../src/v86/index.js';
import { HubRegistry } from '../../src/hub/hub.js';
import { NetClient } from '../../src/hub/client.js';

interface Bus {
  register(name: string, fn: (v: unknown) => void, thisArg: unknown): void;
  send(name: string, v: unknown): void;
}
interface Cpu {
  run_hardware_timers(acpi: boolean, now: number): number;
  devices: { pci: { raise_irq(id: number): void; lower_irq(id: number): void; devices: Array<{ name: string } | undefined> } };
  get_pic_addr_master(): number;
  get_pic_addr_slave(): number;
  wasm_memory: { buffer: ArrayBufferLike };
  in_hlt: Uint8Array;
  flags: Int32Array;
}
interface Emu {
  add_listener(e: string, f: (v: unknown) => void): void;
  remove_listener(e: string, f: (v: unknown) => void): void;
  is_running(): boolean;
  destroy(): Promise<void>;
  bus: Bus;
  emulator_bus: Bus;
  v86: { cpu: Cpu };
}

let emu: Emu;
const hubs = new HubRegistry();

beforeAll(async () => {
  const pkg = createRequire(import.meta.url).resolve('v86/package.json');
  const build = path.join(path.dirname(pkg), 'build');
  const { V86 } = (await import(pathToFileURL(path.join(build, 'libv86.mjs')).href)) as { V86: new (o: object) => Emu };
  emu = new V86({ wasm_path: path.join(build, 'v86.wasm'), memory_size: 32 * 1024 * 1024, autostart: false, net_device: { type: 'ne2k' }, disable_keyboard: true, disable_mouse: true, disable_speaker: true });
  await new Promise<void>((resolve) => emu.add_listener('emulator-loaded', () => resolve()));
}, 30_000);

afterAll(async () => {
  await emu?.destroy();
});

const frame = (n: number): Uint8Array => {
  const f = new Uint8Array(60);
  f.fill(0xff, 0, 6);
  f[6] = 0x52;
  f[12] = 0x08;
  f[14] = n;
  return f;
};

describe('connectV86Network (a nicemu backend behind v86 ne2k)', () => {
  let net: V86Network;
  const seen: number[] = [];
  const peer = new NetClient('peer', { canReceive: () => true, receive: (f) => (seen.push(f[14]!), 'ok') });

  it('frames the guest sends (net0-send) reach the backend; frames for the guest reach net0-receive', async () => {
    const port = hubs.get(0).addPort('guest');
    const other = hubs.get(0).addPort('other');
    NetClient.connect(peer, other.client);
    net = await connectV86Network(emu, { netdev: { client: port.client }, v86Version: '0.5.462' });
    emu.emulator_bus.send('net0-send', frame(1)); // as v86's ne2k does on transmit
    expect(seen).toEqual([1]);
    const toGuest: number[] = [];
    emu.emulator_bus.register('net0-receive', (v) => toGuest.push((v as Uint8Array)[14]!), undefined);
    peer.send(frame(2));
    expect(toGuest).toEqual([2]);
    expect(net.stats()).toMatchObject({ txFrames: 1, rxFrames: 1 });
  });

  it('close() leaves the bus: later frames go nowhere', () => {
    net.close();
    emu.emulator_bus.send('net0-send', frame(3));
    expect(seen).toEqual([1]);
  });

  it('a -netdev string is opened with the given factories; bad options are named', async () => {
    const n = await connectV86Network(emu, { netdev: 'hubport,id=h1,hubid=5', hubs, v86Version: '0.5.462' });
    expect(hubs.get(5).ports.length).toBe(1);
    n.close();
    expect(hubs.get(5).ports.length).toBe(0);
    await expect(connectV86Network(emu, { netdev: 'user,id=u' })).rejects.toThrow(/-netdev user: not supported yet/);
    await expect(connectV86Network(emu, { netdev: 'hubport,id=h2,hubid=5', index: -1 })).rejects.toThrow(/index must be/);
    await expect(connectV86Network({} as never, { netdev: 'hubport,id=h3,hubid=5' })).rejects.toThrow(V86CompatError);
  });
});

describe('interrupts of v86\'s own NIC behind connectV86Network', () => {
  const NE2K = 5 << 3;
  const ISR = 2;
  const IRR = 3;
  let net: V86Network;
  const cpu = (): Cpu => emu.v86.cpu;
  const pic = (): { master: number; slave: number; mem: Uint8Array } => ({
    master: cpu().get_pic_addr_master(),
    slave: cpu().get_pic_addr_slave(),
    mem: new Uint8Array(cpu().wasm_memory.buffer),
  });
  const boundary = (): void => void cpu().run_hardware_timers(false, performance.now());

  beforeAll(async () => {
    expect(cpu().devices.pci.devices[NE2K]?.name).toBe('ne2k');
    net = await connectV86Network(emu, { netdev: 'hubport,id=h9,hubid=9', hubs, v86Version: '0.5.462' });
  });
  afterAll(() => net?.close());

  it('a raise of the ne2k (inside its port handler, in v86) is made at the next instruction boundary; a lower cancels it', () => {
    const p = pic();
    const requested = (): number => p.mem[p.master + IRR]! | p.mem[p.slave + IRR]!;
    const pci = cpu().devices.pci;
    pci.lower_irq(NE2K);
    const before = requested();
    const deferred = net.hostCounters().v86NicIrqDeferred;
    pci.raise_irq(NE2K); // what src/ne2k.js does when a cause is pending
    expect(net.hostCounters().v86NicIrqDeferred).toBe(deferred + 1);
    expect(requested()).toBe(before);
    boundary();
    expect(requested()).not.toBe(before);
    pci.lower_irq(NE2K);
    // Raised and lowered before a boundary: the PIC never sees the pulse.
    const settled = requested();
    pci.raise_irq(NE2K);
    pci.lower_irq(NE2K);
    boundary();
    expect(requested()).toBe(settled);
  });

  it('a nicemu NIC attached and detached meanwhile leaves the hook in place: the ne2k still gets its interrupts; close() undoes the guard', async () => {
    const p = pic();
    const requested = (): number => p.mem[p.master + IRR]! | p.mem[p.slave + IRR]!;
    const pci = cpu().devices.pci;
    const nic = await attachToV86(emu, { device: 'e1000', netdev: 'hubport,id=h10,hubid=10', hubs, v86Version: '0.5.462' });
    nic.detach();
    pci.lower_irq(NE2K);
    // Forget what the PIC latched before (no CPU runs here to take it).
    p.mem[p.master + IRR] = 0;
    p.mem[p.slave + IRR] = 0;
    pci.raise_irq(NE2K);
    expect(requested()).toBe(0);
    boundary();
    expect(requested()).not.toBe(0);
    pci.lower_irq(NE2K);
    // A second network on the same NIC, closed again: the first one's guard stays.
    const second = await connectV86Network(emu, { netdev: 'hubport,id=h11,hubid=11', hubs, v86Version: '0.5.462' });
    second.close();
    expect(Object.prototype.hasOwnProperty.call(pci, 'raise_irq')).toBe(true);
    const deferred = net.hostCounters().v86NicIrqDeferred;
    pci.raise_irq(NE2K);
    expect(net.hostCounters().v86NicIrqDeferred).toBe(deferred + 1);
    boundary();
    pci.lower_irq(NE2K);
  });

  it('the cascade left in service by v86 (nothing in service on the slave, CPU halted with IF=1) is repaired; any other state is left alone', () => {
    const p = pic();
    const c = cpu();
    const savedFlags = c.flags[0]!;
    const saved = [p.mem[p.master + ISR]!, p.mem[p.slave + ISR]!, c.in_hlt[0]!];
    try {
      const repairs = net.hostCounters().picCascadeRepairs;
      c.flags[0] = savedFlags | 0x200;
      c.in_hlt[0] = 1;
      // The slave still has an interrupt in service: its EOI (and the master's) is to come.
      p.mem[p.master + ISR] = 0x04;
      p.mem[p.slave + ISR] = 0x08;
      boundary();
      expect(p.mem[p.master + ISR]).toBe(0x04);
      // Running, not halted: it may sit between the slave's EOI and the master's.
      p.mem[p.slave + ISR] = 0;
      c.in_hlt[0] = 0;
      boundary();
      expect(p.mem[p.master + ISR]).toBe(0x04);
      // Interrupts off: the guest is not waiting for one.
      c.in_hlt[0] = 1;
      c.flags[0] = savedFlags & ~0x200;
      boundary();
      expect(p.mem[p.master + ISR]).toBe(0x04);
      expect(net.hostCounters().picCascadeRepairs).toBe(repairs);
      // Halted, IF=1, slave idle: the stale bit goes, other master bits stay.
      c.flags[0] = savedFlags | 0x200;
      p.mem[p.master + ISR] = 0x05;
      boundary();
      expect(p.mem[p.master + ISR]).toBe(0x01);
      expect(net.hostCounters().picCascadeRepairs).toBe(repairs + 1);
    } finally {
      c.flags[0] = savedFlags;
      p.mem[p.master + ISR] = saved[0]!;
      p.mem[p.slave + ISR] = saved[1]!;
      c.in_hlt[0] = saved[2]!;
    }
  });
  it('close() gives v86 its own raise_irq/lower_irq back', () => {
    const pci = cpu().devices.pci;
    net.close();
    expect(Object.prototype.hasOwnProperty.call(pci, 'raise_irq')).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(pci, 'lower_irq')).toBe(false);
  });
});
