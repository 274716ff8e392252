/**
 * Small native helper programs (native/*.c) that do what Node cannot: open a
 * TAP device, plug into a VDE switch. Each is built with the system C
 * compiler on first use, cached by a hash of its sources, and spawned as a
 * child that relays length-prefixed frames over its stdin/stdout; a
 * `HelperBackend` turns that child into a netdev.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FrameOffload, NetClient, OFFLOAD_ALL, type ReceiveResult } from '../hub/client.js';
import { OptionError } from '../errors.js';
import { FrameRelay, type RelayStats, newRelayStats } from './socket/relay.node.js';
import type { VnetTapCodec } from './tap/vnet.js';

function nativeDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../native', '../../../native']) {
    const p = path.resolve(here, up);
    if (fs.existsSync(path.join(p, 'relay.h'))) return p;
  }
  throw new OptionError('the native/ folder is missing from the nicemu installation');
}

export interface HelperSpec {
  /** Source file name without `.c` (native/NAME.c). */
  name: string;
  /** Extra linker arguments, e.g. ['-lvdeplug']. */
  libs?: string[];
  /** What to install when the build fails. */
  needs: string;
}

/** Build (once, cached by source hash) and return the path of a native helper. */
export function nativeHelperPath(spec: HelperSpec): string {
  const dir = nativeDir();
  const src = path.join(dir, `${spec.name}.c`);
  const hash = createHash('sha256').update(fs.readFileSync(src)).update(fs.readFileSync(path.join(dir, 'relay.h'))).digest('hex').slice(0, 16);
  const out = path.join(process.env['NICEMU_CACHE'] ?? path.join(os.tmpdir(), 'nicemu-native'), hash);
  const bin = path.join(out, `nicemu-${spec.name}`);
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(out, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const cc = process.env['CC'] ?? 'cc';
  try {
    execFileSync(cc, ['-O2', '-Wall', '-o', tmp, src, ...(spec.libs ?? [])], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  } catch (e) {
    const msg = e instanceof Error && 'stderr' in e ? String((e as { stderr: unknown }).stderr) : String(e);
    throw new OptionError(`could not build the ${spec.name} with '${cc}' (install ${spec.needs}): ${msg.trim().split('\n').slice(0, 3).join(' ')}`);
  }
  fs.renameSync(tmp, bin);
  return bin;
}

/**
 * A netdev whose frames come from a helper child. The helper prints
 * `ready...` (or `ifname=...`) on stderr when connected, or `error=...` and
 * exits.
 */
export class HelperBackend {
  readonly client: NetClient;
  readonly stats: RelayStats = newRelayStats();
  private relay: FrameRelay | undefined;
  private closed = false;

  private constructor(
    id: string,
    private readonly child: ChildProcess,
    /** The helper's first status line after the `ready`/`ifname=` word. */
    readonly info: string,
    /** Frames on the pipe carry a virtio-net header (a tap with IFF_VNET_HDR). */
    readonly vnet: VnetTapCodec | undefined,
  ) {
    const client = new NetClient(id, {
      canReceive: () => this.relay === undefined || this.relay.canSend(),
      receive: (frame): ReceiveResult => (this.relay ? this.relay.send(frame, vnet?.plainHeader()) : 'ok'),
      drained: () => this.relay?.resume(),
      ...(vnet === undefined
        ? {}
        : {
            // The host kernel finishes checksums and cuts TCP segments itself.
            receiveOffloaded: (frame: Uint8Array, o: FrameOffload): boolean => {
              const head = vnet.offloadedHeader(frame, o);
              if (head === undefined || this.relay === undefined || this.relay.send(frame, head) !== 'ok') return false;
              vnet.stats.toKernelOffloaded++;
              return true;
            },
            offloadsTaken: () => OFFLOAD_ALL,
          }),
    }, { kind: 'backend' });
    this.client = client;
    this.relay = new FrameRelay(client, child.stdout!, child.stdin!, this.stats, () => this.close(), vnet ? (bytes) => vnet.fromKernel(bytes, client) : undefined);
    child.stdin!.on('error', () => {});
    child.once('exit', () => {
      this.relay?.stop();
      this.relay = undefined;
    });
  }

  static async start(id: string, bin: string, args: string[], ready: RegExp, vnet?: VnetTapCodec): Promise<HelperBackend> {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const info = await new Promise<string>((resolve, reject) => {
      let err = '';
      const onData = (d: Buffer): void => {
        err += d.toString();
        const m = ready.exec(err);
        if (m) {
          child.stderr!.off('data', onData);
          resolve(m[1] ?? '');
        }
      };
      child.stderr!.on('data', onData);
      child.once('error', (e) => reject(new OptionError(`-netdev ${id}: could not start ${path.basename(bin)}: ${e.message}`)));
      // 'close' comes after the child's stderr is fully read, so the error line is there.
      child.once('close', () => {
        const m = /^error=(.+)$/m.exec(err);
        reject(new OptionError(`-netdev ${id}: ${m ? m[1] : err.trim() || `${path.basename(bin)} exited`}`));
      });
    });
    return new HelperBackend(id, child, info, vnet);
  }

  get running(): boolean {
    return !this.closed && this.relay !== undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.relay?.stop();
    this.client.disconnect();
    this.child.stdin?.end();
    this.child.kill();
  }
}
