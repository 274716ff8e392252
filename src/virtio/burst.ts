/**
 * Bursts: publishing used buffers once per burst instead of once per buffer.
 *
 * A device draining a transmit queue hands every frame on synchronously
 * (peer, hub, backend); a virtio receiver reached that way would otherwise
 * publish its used ring, and decide about an interrupt, once per frame.
 * Inside a burst it may instead push its used elements and ask to be called
 * back when the burst ends; it then publishes and notifies once for all of
 * them. The spec allows this: the device may add several used elements
 * before it updates used.idx (virtio 1.2 §2.7.8, §2.8.13), and the event
 * index covers every element used since the last decision (§2.7.10).
 *
 * A burst is the extent of one synchronous call (the sender's doorbell
 * access): nothing the receiving guest can run happens inside it, and the
 * publish is done before that call returns. Bursts nest; the callbacks run
 * when the outermost one ends, outside any burst.
 */

/** Something with work held back until the current burst ends. */
export interface BurstListener {
  burstEnded(): void;
}

let depth = 0;
const waiting: BurstListener[] = [];

/** True inside a burst: held-back work will be done by `endBurst`. */
export function inBurst(): boolean {
  return depth > 0;
}

export function beginBurst(): void {
  depth++;
}

/** End a burst (pair with `beginBurst` in a `finally`); the outermost end runs the waiting listeners. */
export function endBurst(): void {
  if (depth > 1) {
    depth--;
    return;
  }
  depth = 0;
  // Taken off the list before being called: a listener that throws (a bug)
  // leaves the others for the next burst's end rather than losing them.
  for (let l = waiting.pop(); l !== undefined; l = waiting.pop()) l.burstEnded();
}

/** Call `l.burstEnded()` when the current burst ends (once per call: the listener keeps track). */
export function afterBurst(l: BurstListener): void {
  waiting.push(l);
}

/** Run `fn` as a burst. */
export function asBurst(fn: () => void): void {
  beginBurst();
  try {
    fn();
  } finally {
    endBurst();
  }
}
