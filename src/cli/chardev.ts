/**
 * Character devices for the qtest and QMP channels, as QEMU spells them:
 * `unix:PATH[,server=on][,wait=off]`, `tcp:HOST:PORT[,server=on]`, `stdio`,
 * and `-chardev socket,id=ID,path=PATH|host=H,port=P[,server=on]`.
 * Without `server`, nicemu connects to the path (QEMU's client mode, which
 * the qtest rig relies on: it listens and waits for the emulator).
 */
import net from 'node:net';
import fs from 'node:fs';
import { ArgError } from './args.js';

export type ChardevSpec =
  | { kind: 'stdio' }
  | { kind: 'unix'; path: string; server: boolean }
  | { kind: 'tcp'; host: string; port: number; server: boolean };

export interface Channel {
  write(text: string): void;
  onData(fn: (text: string) => void): void;
  onClose(fn: () => void): void;
  close(): void;
}

function parseFlag(v: string | undefined, what: string): boolean {
  if (v === undefined || v === '' || v === 'on' || v === 'yes' || v === 'true') return true;
  if (v === 'off' || v === 'no' || v === 'false') return false;
  throw new ArgError(`Parameter '${what}' expects 'on' or 'off'`);
}

/** Parse the short form used by -qtest, -qmp and -serial. */
export function parseChardevShort(text: string): ChardevSpec {
  if (text === 'stdio') return { kind: 'stdio' };
  const [head = '', ...opts] = text.split(',');
  let server = false;
  for (const o of opts) {
    const [k, v] = o.split('=', 2) as [string, string | undefined];
    if (k === 'server') server = parseFlag(v, 'server');
    else if (k === 'wait' || k === 'nowait' || k === 'nodelay') continue;
    else throw new ArgError(`'${text}': unknown chardev option '${k}'`);
  }
  if (head.startsWith('unix:')) return { kind: 'unix', path: head.slice(5), server };
  if (head.startsWith('tcp:')) {
    const m = /^tcp:(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(head);
    if (!m) throw new ArgError(`'${text}': expected tcp:HOST:PORT`);
    return { kind: 'tcp', host: m[1] ?? (m[2] || '127.0.0.1'), port: Number(m[3]), server };
  }
  throw new ArgError(`'${text}': chardev backend not supported yet (use unix:PATH, tcp:HOST:PORT or stdio)`);
}

/** Parse `-chardev socket,id=ID,path=P` (or host/port) into an id and a spec. */
export function parseChardevOption(text: string): { id: string; spec: ChardevSpec } {
  const parts = text.split(',');
  const backend = parts[0] ?? '';
  const kv = new Map<string, string | undefined>();
  for (const p of parts.slice(1)) {
    const i = p.indexOf('=');
    kv.set(i < 0 ? p : p.slice(0, i), i < 0 ? undefined : p.slice(i + 1));
  }
  const id = kv.get('id');
  if (!id) throw new ArgError(`-chardev ${text}: Parameter 'id' is missing`);
  if (backend === 'stdio') return { id, spec: { kind: 'stdio' } };
  if (backend !== 'socket') throw new ArgError(`-chardev ${text}: chardev backend '${backend}' not supported yet`);
  const server = kv.has('server') ? parseFlag(kv.get('server'), 'server') : false;
  for (const k of kv.keys()) {
    if (!['id', 'path', 'host', 'port', 'server', 'wait', 'nodelay'].includes(k)) throw new ArgError(`-chardev ${text}: Invalid parameter '${k}'`);
  }
  const path = kv.get('path');
  if (path) return { id, spec: { kind: 'unix', path, server } };
  const port = kv.get('port');
  if (port) return { id, spec: { kind: 'tcp', host: kv.get('host') || '127.0.0.1', port: Number(port), server } };
  throw new ArgError(`-chardev ${text}: chardev: socket: no host given`);
}

function socketChannel(sock: net.Socket): Channel {
  sock.setEncoding('latin1');
  sock.setNoDelay?.(true);
  let closed = false;
  const closers: Array<() => void> = [];
  sock.on('error', () => {});
  sock.on('close', () => {
    if (closed) return;
    closed = true;
    for (const f of closers) f();
  });
  return {
    write: (t) => {
      if (!closed) sock.write(t, 'latin1');
    },
    onData: (fn) => sock.on('data', (d: string) => fn(d)),
    onClose: (fn) => closers.push(fn),
    close: () => sock.end(),
  };
}

/** Open the channel: connect, or listen and accept the first client. */
export async function openChannel(spec: ChardevSpec): Promise<Channel> {
  if (spec.kind === 'stdio') {
    process.stdin.setEncoding('latin1');
    const closers: Array<() => void> = [];
    process.stdin.on('end', () => closers.forEach((f) => f()));
    return {
      write: (t) => process.stdout.write(t, 'latin1'),
      onData: (fn) => process.stdin.on('data', (d: string) => fn(d)),
      onClose: (fn) => closers.push(fn),
      close: () => process.stdin.pause(),
    };
  }
  if (!spec.server) {
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const s = spec.kind === 'unix' ? net.connect(spec.path) : net.connect(spec.port, spec.host);
      s.once('connect', () => resolve(s));
      s.once('error', (e) => reject(new ArgError(`Failed to connect to '${spec.kind === 'unix' ? spec.path : `${spec.host}:${spec.port}`}': ${e.message}`)));
    });
    return socketChannel(sock);
  }
  const server = net.createServer();
  if (spec.kind === 'unix') {
    try {
      fs.unlinkSync(spec.path);
    } catch {
      // Nothing to remove.
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (spec.kind === 'unix') server.listen(spec.path, resolve);
    else server.listen(spec.port, spec.host, resolve);
  });
  const sock = await new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  server.close();
  return socketChannel(sock);
}
