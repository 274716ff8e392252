/**
 * Node-only: a pcap sink that writes to a file, and `openPcapFile` for the
 * `--pcap FILE` option. Writes are synchronous, so a record is on disk (in
 * the OS cache) before the frame that caused it is delivered; a crash loses
 * nothing already captured.
 *
 * A write error (disk full, say) stops the capture instead of throwing into
 * the network path, as QEMU's dump does; the error is kept in `error`.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Clock } from '../time/clock.js';
import { PcapWriter, type PcapSink, type PcapWriterOptions } from './writer.js';

export interface FileSink {
  /** Append a chunk (ignored once closed or after a write error). */
  readonly write: PcapSink;
  /** Close the file; further writes are ignored. Idempotent. */
  close(): void;
  /** The first write error, after which nothing more is written. */
  readonly error: Error | null;
}

export interface FileSinkOptions {
  /** `fs.open` flags: `w` (default) truncates, `a` appends to an existing file. */
  flags?: 'w' | 'a' | 'wx' | 'ax';
  /** Mode of a newly created file; default 0o644. */
  mode?: number;
}

/** Open `path` and return a sink that writes each chunk in order. Throws if the file cannot be opened. */
export function createFileSink(path: string, opts: FileSinkOptions = {}): FileSink {
  let fd: number | null = openSync(path, opts.flags ?? 'w', opts.mode ?? 0o644);
  let error: Error | null = null;
  const write = (chunk: Uint8Array): void => {
    if (fd === null || error) return;
    try {
      let done = 0;
      while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
    } catch (e) {
      error = e instanceof Error ? e : new Error(String(e));
    }
  };
  return {
    write,
    close(): void {
      if (fd === null) return;
      const f = fd;
      fd = null;
      closeSync(f);
    },
    get error(): Error | null {
      return error;
    },
  };
}

export interface PcapFile {
  readonly writer: PcapWriter;
  /** Close the file; frames recorded afterwards are ignored. Idempotent. */
  close(): void;
  /** The first write error, after which the capture stopped. */
  readonly error: Error | null;
}

/**
 * Create (or truncate) `path` and write a pcap global header to it. Frames
 * given to `writer` are appended as records stamped from `clock`.
 */
export function openPcapFile(path: string, clock: Clock, opts: PcapWriterOptions = {}): PcapFile {
  const sink = createFileSink(path, { flags: 'w' });
  let writer: PcapWriter;
  try {
    writer = new PcapWriter(sink.write, clock, opts);
  } catch (e) {
    sink.close();
    throw e;
  }
  return {
    writer,
    close: () => sink.close(),
    get error(): Error | null {
      return sink.error;
    },
  };
}
