/**
 * Moves length-prefixed frames between a byte stream (a socket, a helper
 * process's pipes) and a NetClient, with backpressure both ways: reading
 * pauses while the NIC's queue holds frames and resumes when it drains;
 * writing reports `busy` while the stream's buffer is over a bound, and the
 * client's queue is flushed when the stream drains.
 */
import type { Readable, Writable } from 'node:stream';
import type { NetClient, ReceiveResult } from '../../hub/client.js';
import { LengthPrefixDecoder, lengthPrefix } from './framing.js';

/** Bytes allowed to wait in a stream's write buffer before senders are told `busy`. */
export const WRITE_BUFFER_LIMIT = 4 * 1024 * 1024;

export interface RelayStats {
  framesIn: number;
  framesOut: number;
  /** Times a frame had to wait because the write buffer was full. */
  waitsBackpressure: number;
  /** Streams closed for announcing an impossible frame length. */
  protocolErrors: number;
}

export function newRelayStats(): RelayStats {
  return { framesIn: 0, framesOut: 0, waitsBackpressure: 0, protocolErrors: 0 };
}

export class FrameRelay {
  private readonly decoder = new LengthPrefixDecoder();
  private stopped = false;

  constructor(
    private readonly client: NetClient,
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly stats: RelayStats,
    /** Called when the input announced an impossible frame length (the caller closes the stream). */
    private readonly onProtocolError: () => void,
    /** Hands a frame read from the input on; true when one had to wait (reading pauses). Default: `client.send`. */
    deliver: (frame: Uint8Array) => boolean = (frame) => client.send(frame) === 'queued',
  ) {
    input.on('data', (chunk: Buffer) => {
      if (this.stopped) return;
      const err = this.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), (frame) => {
        stats.framesIn++;
        if (deliver(frame)) input.pause();
      });
      if (err) {
        stats.protocolErrors++;
        this.stop();
        onProtocolError();
      }
    });
    output.on('drain', () => client.flushQueue());
  }

  canSend(): boolean {
    return !this.stopped && this.output.writableLength <= WRITE_BUFFER_LIMIT;
  }

  /** Write a frame, after `head` when given (both count in the length prefix). */
  send(frame: Uint8Array, head?: Uint8Array): ReceiveResult {
    if (this.output.writableLength > WRITE_BUFFER_LIMIT) {
      this.stats.waitsBackpressure++;
      return 'busy';
    }
    this.output.write(lengthPrefix(frame.length + (head?.length ?? 0)));
    if (head !== undefined) this.output.write(Buffer.from(head));
    this.output.write(Buffer.from(frame));
    this.stats.framesOut++;
    return 'ok';
  }

  /** The NIC took everything that waited: read again. */
  resume(): void {
    if (!this.stopped) this.input.resume();
  }

  stop(): void {
    this.stopped = true;
  }
}
