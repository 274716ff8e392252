/**
 * A qtest session over a machine in the same process, driven synchronously:
 * `command(line)` returns the reply, IRQ lines are collected separately.
 * This is the trace replayer's target and the quickest way to script a
 * machine from tests.
 */
import type { ReplayTarget } from '../trace/replay.js';
import { QtestSession, type QtestTarget } from './qtest.js';
import type { WireEnd } from './wire.js';

export interface InProcessOptions {
  /** The far end of the device's netdev, for net entries. */
  wire?: WireEnd;
  /** QMP set_link by client name. */
  setLink?: (name: string, up: boolean) => boolean;
}

export class InProcessQtest implements ReplayTarget {
  private readonly session: QtestSession;
  private replies: string[] = [];
  private irqs: string[] = [];

  constructor(
    private readonly target: QtestTarget,
    private readonly opts: InProcessOptions = {},
  ) {
    this.session = new QtestSession(target, (text) => {
      for (const line of text.split('\n')) {
        if (line === '') continue;
        if (line.startsWith('IRQ ')) this.irqs.push(line.slice(4));
        else this.replies.push(line);
      }
    });
  }

  command(line: string): string {
    this.session.handleLine(line);
    const r = this.replies.shift() ?? 'FAIL no reply';
    this.replies = [];
    return r;
  }

  /** `command` that throws unless the reply is OK; returns the value after "OK ". */
  ok(line: string): string {
    const r = this.command(line);
    if (!r.startsWith('OK')) throw new Error(`${line} -> ${r}`);
    return r.slice(3);
  }

  takeIrqEvents(): string[] {
    const e = this.irqs;
    this.irqs = [];
    return e;
  }

  inject(frame: Uint8Array): void {
    if (!this.opts.wire) throw new Error('no wire attached');
    this.opts.wire.inject(frame);
  }

  takeTx(): Uint8Array | undefined {
    return this.opts.wire?.take();
  }

  qmp(command: string, args: Record<string, unknown> | undefined): string | undefined {
    if (command === 'set_link') {
      const name = String(args?.['name'] ?? '');
      if (!this.opts.setLink?.(name, args?.['up'] === true)) return `DeviceNotFound: Device '${name}' not found`;
      return undefined;
    }
    return `CommandNotFound: The command ${command} has not been found`;
  }
}
