/**
 * `-netdev tap` and `-netdev bridge` on Linux. Node cannot issue the
 * TUNSETIFF ioctl, so a small helper (native/tap-helper.c, see
 * ../native.node.ts) opens the TAP interface and relays its frames. Needs
 * CAP_NET_ADMIN (root), like QEMU without a privileged helper.
 *
 * QEMU semantics kept: `ifname=` (a pattern with %d is allowed), `script=`
 * (default /etc/qemu-ifup, run with the interface name; `no` skips it),
 * `downscript=` (default /etc/qemu-ifdown, run on close), `br=`/`-netdev
 * bridge,br=` (interface brought up and enslaved to the bridge; default br0).
 * `vnet_hdr=` (default on, as QEMU when the kernel has IFF_VNET_HDR, which
 * Linux has had since 2.6.27): frames cross the tap with a virtio-net header
 * (./vnet.ts), so TSO frames and partial checksums go to the host kernel
 * whole and the kernel sends up to 64 KiB at once.
 * Options that need fds passed in (`fd=`, `fds=`, `vhostfd=`), multiqueue
 * and vhost are refused with "not supported yet".
 */
import { spawnSync } from 'node:child_process';
import type { NetClient } from '../../hub/client.js';
import { NotSupportedError, OptionError } from '../../errors.js';
import type { RelayStats } from '../socket/relay.node.js';
import { HelperBackend, nativeHelperPath } from '../native.node.js';
import { VnetTapCodec, type VnetTapStats } from './vnet.js';

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
  /** Frames with a virtio-net header (IFF_VNET_HDR; default true). */
  vnetHdr?: boolean;
}

/** Build (once) and return the tap helper. */
export function tapHelperPath(): string {
  return nativeHelperPath({ name: 'tap-helper', needs: 'a C compiler, e.g. apt-get install gcc' });
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
  private closed = false;

  private constructor(
    readonly opts: TapBackendOptions,
    private readonly helper: HelperBackend,
  ) {}

  get client(): NetClient {
    return this.helper.client;
  }

  get stats(): RelayStats {
    return this.helper.stats;
  }

  /** What the virtio-net header carried (undefined with `vnet_hdr=off`). */
  get vnetStats(): VnetTapStats | undefined {
    return this.helper.vnet?.stats;
  }

  /** The interface name the kernel gave. */
  get ifname(): string {
    return this.helper.info;
  }

  static async open(opts: TapBackendOptions): Promise<TapBackend> {
    if (process.platform !== 'linux') throw new NotSupportedError('-netdev tap on ' + process.platform);
    const vnet = opts.vnetHdr ?? true;
    const args = [...(vnet ? ['-v'] : []), opts.ifname ?? 'tap%d', ...(opts.bridge ? [opts.bridge] : [])];
    const helper = await HelperBackend.start(opts.id, tapHelperPath(), args, /^ifname=(.+)$/m, vnet ? new VnetTapCodec() : undefined);
    const b = new TapBackend(opts, helper);
    try {
      if (opts.script) runScript(opts.script, b.ifname, `-netdev ${opts.id}`);
    } catch (e) {
      b.close(false);
      throw e;
    }
    return b;
  }

  close(runDownscript = true): void {
    if (this.closed) return;
    this.closed = true;
    this.helper.close();
    if (runDownscript && this.opts.downscript) {
      try {
        runScript(this.opts.downscript, this.ifname, `-netdev ${this.opts.id}`);
      } catch {
        // QEMU only warns when the down script fails.
      }
    }
  }
}
