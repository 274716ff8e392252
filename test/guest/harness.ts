/**
 * Shared pieces of the guest tier: find the prepared guest (or explain how to
 * get it), boot it with nicemu NICs attached, and loopback servers for the
 * checks. Everything network-facing binds 127.0.0.1 only.
 */
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { readManifest, guestCacheDir, type GuestManifest } from '../../src/v86/guest/prepare.node.js';
import { bootGuest, type BootedGuest, type V86Emulator } from '../../src/v86/guest/boot.node.js';

export const IN_CI = process.env['CI'] === 'true' || process.env['CI'] === '1';

export interface GuestAvailability {
  manifest: GuestManifest | undefined;
  /** Why the tier cannot run (undefined when it can). */
  reason: string | undefined;
}

let warned = false;

/** The prepared guest, or a loud explanation. In CI a missing guest is a failure (the caller asserts). */
export function guestAvailability(): GuestAvailability {
  if (process.env['NICEMU_SKIP_GUEST'] === '1') return { manifest: undefined, reason: 'NICEMU_SKIP_GUEST=1' };
  const manifest = readManifest();
  if (manifest) return { manifest, reason: undefined };
  const reason = `no prepared guest image in ${guestCacheDir()}`;
  if (!warned && !IN_CI) {
    warned = true;
    const bar = '='.repeat(78);
    process.stderr.write(
      `\n${bar}\n  GUEST TIER SKIPPED: ${reason}.\n` +
        `  Enable it with:   scripts/prepare-guest.sh        (as root on Debian; ~70 MB download)\n` +
        `  or:               npm run build && node bin/nicemu.js run --prepare-only\n` +
        `  (In CI, CI=true, a missing guest image fails the run.)\n${bar}\n\n`,
    );
  }
  return { manifest: undefined, reason };
}

export async function boot(manifest: GuestManifest, attach: (emu: V86Emulator) => Promise<void>, append = ''): Promise<BootedGuest> {
  const echo = process.env['NICEMU_GUEST_ECHO'] === '1' ? (c: string): void => void process.stderr.write(c) : undefined;
  return bootGuest({ manifest, append, beforeRun: attach, ...(echo ? { echo } : {}) });
}

/** A deterministic blob of `size` bytes and its md5. */
export function blob(size: number, seed = 1): { bytes: Buffer; md5: string } {
  const bytes = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return { bytes, md5: createHash('md5').update(bytes).digest('hex') };
}

/** An HTTP server on 127.0.0.1 serving `files` (path → bytes; the record may be added to while it runs). */
export async function httpServer(files: Record<string, Buffer>): Promise<{ port: number; requests: string[]; files: Record<string, Buffer>; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const body = files[req.url ?? ''];
    if (!body) {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, requests, files, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** GET http://127.0.0.1:port/path → body (rejects after timeoutMs). */
export function httpGet(port: number, path: string, timeoutMs = 20_000): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timeout`)));
    req.on('error', reject);
  });
}

/** Parse busybox ping's summary. */
export function pingSummary(lines: readonly string[]): { sent: number; received: number; lossPct: number } | undefined {
  for (const l of lines) {
    const m = /(\d+) packets transmitted, (\d+) packets received, (\d+)% packet loss/.exec(l);
    if (m) return { sent: Number(m[1]), received: Number(m[2]), lossPct: Number(m[3]) };
  }
  return undefined;
}
