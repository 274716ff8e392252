/**
 * An in-memory stand-in for the far end of a netdev: frames a device sends
 * are collected; frames "from the wire" are injected. Used by the in-process
 * qtest driver and the trace replayer in place of a UDP socket.
 */
import { type FrameOffload, NetClient, type ReceiveResult } from '../hub/client.js';

export interface WireEndOptions {
  /**
   * Also be a peer that takes frames with offload work left
   * (`NetClient.sendOffloaded`), as the user-mode stack is: asked per frame,
   * true takes it (collected like any other). Unset: plain frames only.
   */
  takeOffloaded?: (frame: Uint8Array, offload: FrameOffload) => boolean;
}

export class WireEnd {
  readonly client: NetClient;
  private readonly frames: Uint8Array[] = [];
  /** Frames taken with offload work left. */
  offloaded = 0;

  constructor(name = 'wire', opts: WireEndOptions = {}) {
    const take = opts.takeOffloaded;
    this.client = new NetClient(
      name,
      {
        canReceive: () => true,
        receive: (frame): ReceiveResult => {
          this.frames.push(frame.slice());
          return 'ok';
        },
        ...(take
          ? {
              receiveOffloaded: (frame: Uint8Array, offload: FrameOffload): boolean => {
                if (!take(frame, offload)) return false;
                this.offloaded++;
                this.frames.push(frame.slice());
                return true;
              },
            }
          : {}),
      },
      { kind: 'backend' },
    );
  }

  /** A frame with offload work left arrives (as the user-mode stack sends them); true when the device took it. */
  injectOffloaded(frame: Uint8Array, offload: FrameOffload): boolean {
    return this.client.sendOffloaded(frame, offload);
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
