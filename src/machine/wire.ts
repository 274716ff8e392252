/**
 * An in-memory stand-in for the far end of a netdev: frames a device sends
 * are collected; frames "from the wire" are injected. Used by the in-process
 * qtest driver and the trace replayer in place of a UDP socket.
 */
import { NetClient, type ReceiveResult } from '../hub/client.js';

export class WireEnd {
  readonly client: NetClient;
  private readonly frames: Uint8Array[] = [];

  constructor(name = 'wire') {
    this.client = new NetClient(name, {
      canReceive: () => true,
      receive: (frame): ReceiveResult => {
        this.frames.push(frame.slice());
        return 'ok';
      },
    }, { kind: 'backend' });
  }

  /** A frame arrives from the wire. */
  inject(frame: Uint8Array): void {
    this.client.send(frame);
  }

  /** The oldest frame the device sent and nobody took yet. */
  take(): Uint8Array | undefined {
    return this.frames.shift();
  }

  get pending(): number {
    return this.frames.length;
  }
}
