/**
 * DNS over TCP to the virtual DNS address (RFC 1035 §4.2.2, RFC 7766): a
 * `HostStream` that reads 2-byte length-prefixed queries, resolves each
 * through the host resolver and writes the answers back, framed the same way.
 */
import { be16, setBe16 } from '../../../wire/bytes.js';
import type { Core } from '../core.js';
import type { HostStream, HostStreamHandlers } from '../host.js';

/** Queries pending on one connection at most; the rest wait in the buffer (RFC 7766 §6.2.1.1 allows pipelining). */
const MAX_INFLIGHT = 8;
const MAX_BUFFER = 2 + 65535;

export function dnsTcpStream(core: Core, h: HostStreamHandlers): HostStream {
  let buf = new Uint8Array(0);
  let ended = false;
  let closed = false;
  let inflight = 0;
  let paused = false;
  const finish = (): void => {
    if (ended && inflight === 0 && !closed) {
      closed = true;
      h.onEnd();
      h.onClose();
    }
  };
  const parse = (): void => {
    while (!closed && inflight < MAX_INFLIGHT && buf.length >= 2) {
      const len = be16(buf, 0);
      if (buf.length < 2 + len) break;
      const q = buf.slice(2, 2 + len);
      buf = buf.slice(2 + len);
      if (len < 12) continue;
      inflight++;
      core.stats.dnsQueries++;
      core.host.dnsQuery(q, (r) => {
        inflight--;
        if (closed || core.closed) return;
        if (r.ok) {
          core.stats.dnsAnswers++;
          const out = new Uint8Array(2 + r.value.length);
          setBe16(out, 0, r.value.length);
          out.set(r.value, 2);
          h.onData(out);
        } else core.stats.dnsFailures++;
        parse();
        finish();
      });
    }
  };
  return {
    write(data: Uint8Array): boolean {
      if (closed) return true;
      if (buf.length + data.length > MAX_BUFFER + 2 * MAX_INFLIGHT * 2) {
        closed = true;
        h.onClose({ kind: 'other', message: 'DNS over TCP: buffer overflow' });
        return true;
      }
      const next = new Uint8Array(buf.length + data.length);
      next.set(buf);
      next.set(data, buf.length);
      buf = next;
      parse();
      return !paused;
    },
    end(): void {
      ended = true;
      finish();
    },
    destroy(): void {
      closed = true;
    },
    pause(): void {
      paused = true;
    },
    resume(): void {
      paused = false;
    },
  };
}
