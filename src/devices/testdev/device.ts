/**
 * nicemu-testdev: see regs.ts. PCI 1234:11e0, class 0xff0000 (unassigned),
 * BAR0 4 KiB MMIO, BAR1 64 B I/O, INTA.
 */
import { PciFunction } from '../../pci/index.js';
import { NetClient, type ReceiveResult } from '../../hub/client.js';
import type { BarHandler, DeviceContext, PciDevice } from '../../machine/device.js';
import type { Timer } from '../../time/clock.js';
import { INTX_LEVEL, INTX_ON_RX, INTX_ON_TIMER, REG_BY_OFFSET, REGS, type RegName, STATUS_DMA_ERROR, STATUS_TIMER, STATUS_TX_REFUSED } from './regs.js';

export const TESTDEV_VENDOR = 0x1234;
export const TESTDEV_DEVICE = 0x11e0;
const MAX_FRAME = 65536;

export class TestDevice implements PciDevice {
  readonly pci: PciFunction;
  readonly net: NetClient;
  private readonly regs = new Map<RegName, number>();
  private readonly timer: Timer;
  private readonly handler: BarHandler;
  /** Register accesses at offsets with no register. */
  unknownAccesses = 0;

  constructor(
    private readonly ctx: DeviceContext,
    name = 'testdev',
  ) {
    this.pci = new PciFunction({
      vendorId: TESTDEV_VENDOR,
      deviceId: TESTDEV_DEVICE,
      classCode: 0xff0000,
      interruptPin: 1,
      bars: [{ kind: 'mem32', size: 4096 }, { kind: 'io', size: 64 }],
      irq: ctx.intx,
    });
    this.net = new NetClient(name, {
      canReceive: () => this.reg('RX_LEN') === 0 && this.pci.busMaster,
      receive: (frame) => this.receive(frame),
    }, { kind: 'nic' });
    this.timer = ctx.clock.timer(() => this.timerFired(), `${name}.timer`);
    this.handler = {
      impl: { min: 4, max: 4 },
      read: (off) => this.read(off),
      write: (off, _size, v) => this.write(off, v),
    };
    this.reset();
  }

  bar(index: number): BarHandler | undefined {
    return index === 0 || index === 1 ? this.handler : undefined;
  }

  reset(): void {
    for (const r of REGS) this.regs.set(r.name, r.reset);
    this.timer.cancel();
    this.pci.setIntx(false);
    this.net.purgeQueue();
  }

  private reg(n: RegName): number {
    return this.regs.get(n) ?? 0;
  }

  private read(off: number): number {
    const r = REG_BY_OFFSET.get(off & ~3);
    if (!r || r.access === 'wo') {
      this.unknownAccesses += r ? 0 : 1;
      return 0;
    }
    switch (r.name) {
      case 'TIMER':
        return this.timer.armed ? Math.min(0xffffffff, this.timer.deadline - this.ctx.clock.now()) : 0;
      case 'CLOCK_LO':
        return this.ctx.clock.now() % 0x1_0000_0000;
      case 'CLOCK_HI':
        return Math.floor(this.ctx.clock.now() / 0x1_0000_0000);
      default:
        return this.reg(r.name);
    }
  }

  private write(off: number, v: number): void {
    const r = REG_BY_OFFSET.get(off & ~3);
    if (!r || r.access === 'ro') {
      this.unknownAccesses += r ? 0 : 1;
      return;
    }
    switch (r.name) {
      case 'INTX':
        this.regs.set('INTX', v & 7);
        this.pci.setIntx((v & INTX_LEVEL) !== 0);
        return;
      case 'TIMER':
        if (v === 0) this.timer.cancel();
        else this.timer.armAfter(v);
        return;
      case 'TX_GO':
        if (v & 1) this.transmit();
        return;
      case 'RX_LEN':
        this.regs.set('RX_LEN', 0);
        // The buffer is free again: frames that waited are offered now.
        this.net.flushQueue();
        return;
      case 'STATUS':
        this.regs.set('STATUS', this.reg('STATUS') & ~v);
        return;
      default:
        this.regs.set(r.name, v >>> 0);
    }
  }

  private raise(): void {
    this.regs.set('INTX', this.reg('INTX') | INTX_LEVEL);
    this.pci.setIntx(true);
  }

  private timerFired(): void {
    this.regs.set('STATUS', this.reg('STATUS') | STATUS_TIMER);
    if (this.reg('INTX') & INTX_ON_TIMER) this.raise();
  }

  private transmit(): void {
    const len = Math.min(this.reg('TX_LEN'), MAX_FRAME);
    const frame = new Uint8Array(len);
    if (!this.pci.busMaster || this.ctx.memory.read(this.reg('TX_ADDR'), frame) !== undefined) {
      this.regs.set('STATUS', this.reg('STATUS') | STATUS_DMA_ERROR);
      return;
    }
    this.net.enterIo();
    try {
      const r = this.net.send(frame);
      this.regs.set('TX_COUNT', this.reg('TX_COUNT') + 1);
      if (r === 'dropped') this.regs.set('STATUS', this.reg('STATUS') | STATUS_TX_REFUSED);
    } finally {
      this.net.exitIo();
    }
  }

  private receive(frame: Uint8Array): ReceiveResult {
    if (this.reg('RX_LEN') !== 0) return 'busy';
    const size = this.reg('RX_SIZE');
    if (frame.length > size) return 'drop';
    if (this.ctx.memory.write(this.reg('RX_ADDR'), frame) !== undefined) {
      this.regs.set('STATUS', this.reg('STATUS') | STATUS_DMA_ERROR);
      return 'drop';
    }
    this.regs.set('RX_LEN', frame.length);
    this.regs.set('RX_COUNT', this.reg('RX_COUNT') + 1);
    if (this.reg('INTX') & INTX_ON_RX) this.raise();
    return 'ok';
  }
}
