/**
 * `-netdev tap` and `-netdev bridge` on Linux. Node cannot issue the
 * TUNSETIFF ioctl, so a small helper program (native/tap-helper.c, built
 * with the system C compiler on first use and cached) opens the TAP
 * interface and relays its frames over a pipe; frames are length-prefixed as
 * on stream netdevs. Needs CAP_NET_ADMIN (root) like QEMU without a
 * privileged helper.
 *
 * QEMU semantics kept: `ifname=` (a pattern with %d is allowed), `script=`
 * (default /etc/qemu-ifup, run with the interface name; `no` skips it),
 * `downscript=` (default /etc/qemu-ifdown, run on close), `br=`/`-netdev
 * bridge,br=` (interface brought up and enslaved to the bridge; default br0).
 * Options that need fds passed in (`fd=`, `fds=`, `vhostfd=`), multiqueue,
 * vhost and vnet headers are refused with "not supported yet".
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetClient, type ReceiveResult } from '../../hub/client.js';
import { NotSupportedError, OptionError } from '../../errors.js';
import { FrameRelay, type RelayStats, newRelayStats } from '../socket/relay.node.js';

export const DEFAULT_IFUP = '/etc/qemu-ifup';
export const DEFAULT_IFDOWN = '/etc/qemu-ifdown';

export interface TapBackendOptions {
  id: string;
  /** Interface name or pattern (default `tap%d`). */
  ifname?: string;
  /** Bridge to enslave the interface to. */
  bridge?: string;
  /** Script run after creation with the interface name (undefined: none). */
  script?: string;
  /** Script run on close (undefined: none). */
  downscript?: string;
}

function helperSource(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../../native/tap-helper.c', '../../native/tap-helper.c']) {
    const p = path.resolve(here, up);
    if (fs.existsSync(p)) return p;
  }
  throw new OptionError('tap: native/tap-helper.c is missing from the nicemu installation');
}

/** Build (once, cached by source hash) and return the path of the tap helper. */
export function tapHelperPath(): string {
  const src = helperSource();
  const text = fs.readFileSync(src);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = path.join(process.env['NICEMU_CACHE'] ?? path.join(os.tmpdir(), 'nicemu-native'), hash);
  const bin = path.join(dir, 'nicemu-tap-helper');
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const cc = process.env['CC'] ?? 'cc';
  try {
    execFileSync(cc, ['-O2', '-Wall', '-o', tmp, src], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  } catch (e) {
    const msg = e instanceof Error && 'stderr' in e ? String((e as { stderr: unknown }).stderr) : String(e);
    throw new OptionError(`tap: could not build the tap helper with '${cc}' (install a C compiler, e.g. apt-get install gcc): ${msg.trim()}`);
  }
  fs.renameSync(tmp, bin);
  return bin;
}

function runScript(script: string, ifname: string, what: string): void {
  const r = spawnSync(script, [ifname], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 60_000 });
  if (r.error || r.status !== 0) {
    // QEMU reports the wait status (exit code << 8; 256 when the script could not be run).
    const status = r.error ? 256 : (r.status ?? 0) << 8;
    throw new OptionError(`${what}: network script ${script} failed with status ${status}`);
  }
}

export class TapBackend {
  readonly client: NetClient;
  readonly stats: RelayStats = newRelayStats();
  private relay: FrameRelay | undefined;
  private closed = false;

  private constructor(
    readonly opts: TapBackendOptions,
    private readonly child: ChildProcess,
    readonly ifname: string,
  ) {
    this.client = new NetClient(opts.id, {
      canReceive: () => this.relay === undefined || this.relay.canSend(),
      receive: (frame): ReceiveResult => (this.relay ? this.relay.send(frame) : 'ok'),
      drained: () => this.relay?.resume(),
    }, { kind: 'backend' });
    this.relay = new FrameRelay(this.client, child.stdout!, child.stdin!, this.stats, () => this.close());
    child.stdin!.on('error', () => {});
    child.once('exit', () => {
      this.relay?.stop();
      this.relay = undefined;
    });
  }

  static async open(opts: TapBackendOptions): Promise<TapBackend> {
    if (process.platform !== 'linux') throw new NotSupportedError('-netdev tap on ' + process.platform);
    const helper = tapHelperPath();
    const args = [opts.ifname ?? 'tap%d', ...(opts.bridge ? [opts.bridge] : [])];
    const child = spawn(helper, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const ifname = await new Promise<string>((resolve, reject) => {
      let err = '';
      const onData = (d: Buffer): void => {
        err += d.toString();
        const m = /^ifname=(.+)$/m.exec(err);
        if (m) {
          child.stderr!.off('data', onData);
          resolve(m[1]!);
        }
      };
      child.stderr!.on('data', onData);
      child.once('error', (e) => reject(new OptionError(`-netdev ${opts.id}: could not start the tap helper: ${e.message}`)));
      child.once('exit', () => {
        const m = /^error=(.+)$/m.exec(err);
        reject(new OptionError(`-netdev ${opts.id}: ${m ? m[1] : err.trim() || 'tap helper exited'}`));
      });
    });
    const b = new TapBackend(opts, child, ifname);
    try {
      if (opts.script) runScript(opts.script, ifname, `-netdev ${opts.id}`);
    } catch (e) {
      b.close(false);
      throw e;
    }
    return b;
  }

  close(runDownscript = true): void {
    if (this.closed) return;
    this.closed = true;
    this.relay?.stop();
    this.client.disconnect();
    this.child.stdin?.end();
    this.child.kill();
    if (runDownscript && this.opts.downscript) {
      try {
        runScript(this.opts.downscript, this.ifname, `-netdev ${this.opts.id}`);
      } catch {
        // QEMU only warns when the down script fails.
      }
    }
  }
}
