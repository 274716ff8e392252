/**
 * Stream framing of QEMU's `socket` and `stream` netdevs: every frame is
 * preceded by its length as a 32-bit big-endian integer. The decoder is
 * bounded: a length above the limit means the peer is not speaking this
 * protocol (or is hostile), and the stream is refused.
 */

/** QEMU's NET_BUFSIZE (4096 + 65536): the largest frame a socket netdev carries. */
export const MAX_STREAM_FRAME = 69632;

export type DecodeError = { kind: 'frame-too-large'; length: number; limit: number };

export class LengthPrefixDecoder {
  private header = new Uint8Array(4);
  private headerFill = 0;
  private frame: Uint8Array | undefined;
  private frameFill = 0;
  /** Frames that were complete. */
  decoded = 0;

  constructor(private readonly limit = MAX_STREAM_FRAME) {}

  /** Feed bytes; `onFrame` gets each complete frame (a fresh buffer). Stops at the first error. */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): DecodeError | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.frame === undefined) {
        const take = Math.min(4 - this.headerFill, chunk.length - i);
        this.header.set(chunk.subarray(i, i + take), this.headerFill);
        this.headerFill += take;
        i += take;
        if (this.headerFill < 4) break;
        const h = this.header;
        const len = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
        if (len > this.limit) return { kind: 'frame-too-large', length: len, limit: this.limit };
        this.headerFill = 0;
        this.frame = new Uint8Array(len);
        this.frameFill = 0;
      }
      const f = this.frame;
      const take = Math.min(f.length - this.frameFill, chunk.length - i);
      f.set(chunk.subarray(i, i + take), this.frameFill);
      this.frameFill += take;
      i += take;
      if (this.frameFill === f.length) {
        this.frame = undefined;
        this.decoded++;
        onFrame(f);
      }
    }
    return undefined;
  }

  reset(): void {
    this.headerFill = 0;
    this.frame = undefined;
    this.frameFill = 0;
  }
}

/** The 4-byte big-endian length header for a frame. */
export function lengthPrefix(len: number): Uint8Array {
  return Uint8Array.of((len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
}
