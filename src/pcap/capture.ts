/**
 * Capture as a wrapper around a net client (QEMU `filter-dump`, `--pcap`):
 * every frame the client sends or accepts goes to a recorder. Frames the peer
 * refuses or that are dropped before delivery are not received, so they show
 * up on the tx side only.
 */
import { OptionError } from '../errors.js';
import type { NetClient } from '../hub/client.js';
import type { FrameRecorder } from './writer.js';

export type CaptureDirection = 'both' | 'tx' | 'rx';

export interface CaptureOptions {
  /** Which frames to record; default `both`. */
  direction?: CaptureDirection;
}

/**
 * Record the frames `client` sends (`tx`) and receives (`rx`). Returns a
 * function that stops the capture (calling it again does nothing).
 *
 * Capturing both ends of one peer pair with `both` records each frame twice:
 * once as the sender's tx, once as the receiver's rx.
 */
export function capture(client: NetClient, recorder: FrameRecorder, opts: CaptureOptions = {}): () => void {
  const direction = opts.direction ?? 'both';
  if (direction !== 'both' && direction !== 'tx' && direction !== 'rx') {
    throw new OptionError(`capture direction must be 'both', 'tx' or 'rx', got ${String(direction)}`);
  }
  return client.observe((dir, frame) => {
    if (direction === 'both' || direction === dir) recorder.write(frame);
  });
}
