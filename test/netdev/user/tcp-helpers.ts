import { type Setup, GUEST_IP, GuestTcp, type ParsedFrame, ip, parseFrame, setup } from './guest.js';
import type { UserNetOptions, tcpEngine } from '../../../src/netdev/user/index.js';
import type { FakeStream } from './fake-host.js';

export const REMOTE = ip('93.184.216.34');

export interface Opened extends Setup {
  conn: GuestTcp;
  stream: FakeStream;
  /** Every frame the stack sent to the guest. */
  frames: ParsedFrame[];
  /** Frames for which this returns true are lost on the way to the guest. */
  drop: (f: ParsedFrame) => boolean;
}

/** A guest TCP connection to 93.184.216.34:80 through the NAT, host side accepted. */
export async function openConn(opts: UserNetOptions = {}, guestParams: Partial<tcpEngine.TcpParams> = {}, port = 40000, batched = false): Promise<Opened> {
  const s = await setup(opts, 1, batched);
  s.guest.announce();
  s.guest.deferred = true;
  const o = { ...s } as Opened;
  o.frames = [];
  o.drop = () => false;
  o.conn = new GuestTcp(s.clock, (f) => s.guest.send(f), { addr: GUEST_IP, port }, { addr: REMOTE, port: 80 }, guestParams);
  s.guest.onFrame = (raw) => {
    const f = parseFrame(raw);
    o.frames.push(f);
    if (!o.drop(f)) o.conn.input(f);
  };
  o.stream = s.host.lastStream();
  o.stream.connect();
  s.clock.advance(0);
  return o;
}

/**
 * Write `data` from `off` into the guest connection in `chunk`-byte calls
 * until its send buffer is full or all is written; returns the new offset.
 * (Each write call runs the engine's output: the chunk size shapes segments.)
 */
export function writeAll(conn: { write(d: Uint8Array): number }, data: Uint8Array, off: number, chunk: number): number {
  while (off < data.length) {
    const n = conn.write(data.subarray(off, off + chunk));
    if (n === 0) break;
    off += n;
  }
  return off;
}

export function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** Byte equality without vitest's element-by-element deep diff (slow on megabytes); reports the first difference. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
