/**
 * Download and build the test guest into a cache outside the repository:
 * Debian 12's i386 kernel (`linux-image-*-686`), `busybox-static:i386` and
 * `seabios` with `apt-get download`, v86 from npm (the project's own
 * devDependency when it is the tested version), and an initramfs with our
 * /init. Idempotent: a finished cache is reused as long as its recipe
 * (init script, module list, package names) is unchanged.
 *
 * Cache: $NICEMU_GUEST_CACHE, else $XDG_CACHE_HOME/nicemu/guest, else
 * ~/.cache/nicemu/guest.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { TESTED_V86_VERSIONS, baseVersion } from '../internals.js';
import { buildInitrd } from './initrd.node.js';
import { GUEST_INIT } from './init-script.js';

export const GUEST_MODULES: readonly string[] = ['e1000', '8139too', '8139cp', 'virtio_net', 'virtio_pci', 'ne2k-pci', 'pktgen'];
const MANIFEST_VERSION = 1;

export interface GuestManifest {
  version: number;
  recipe: string;
  kernelPackage: string;
  kver: string;
  v86Dir: string;
  v86Version: string;
  bzimage: string;
  initrd: string;
  bios: string;
  modules: string[];
}

export function guestCacheDir(): string {
  const env = process.env['NICEMU_GUEST_CACHE'];
  if (env) return path.resolve(env);
  const xdg = process.env['XDG_CACHE_HOME'];
  return path.join(xdg ? path.resolve(xdg) : path.join(os.homedir(), '.cache'), 'nicemu', 'guest');
}

function recipe(): string {
  return createHash('sha256').update(JSON.stringify({ v: MANIFEST_VERSION, init: GUEST_INIT, modules: GUEST_MODULES, v86: TESTED_V86_VERSIONS })).digest('hex').slice(0, 16);
}

/** The manifest of a finished cache, or undefined (missing, stale or incomplete). */
export function readManifest(cache = guestCacheDir()): GuestManifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(cache, 'manifest.json'), 'utf8')) as GuestManifest;
    if (m.version !== MANIFEST_VERSION || m.recipe !== recipe()) return undefined;
    for (const f of [m.bzimage, m.initrd, m.bios]) if (!fs.existsSync(f)) return undefined;
    const v86 = findV86(cache);
    if (!v86) return undefined;
    return { ...m, v86Dir: v86.dir, v86Version: v86.version };
  } catch {
    return undefined;
  }
}

export interface PrepareProgress {
  phase: 'apt-update' | 'v86' | 'download' | 'extract' | 'initrd' | 'done';
  /** Bytes so far and expected, during downloads. */
  done?: number;
  total?: number;
  message: string;
}

export interface PrepareOptions {
  cache?: string;
  /** As root: enable the i386 architecture and run apt-get update when needed (default true). */
  setupApt?: boolean;
  force?: boolean;
  onProgress?: (p: PrepareProgress) => void;
}

export class GuestPrepareError extends Error {
  override readonly name = 'GuestPrepareError';
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

async function resolveKernel(): Promise<string | undefined> {
  const r = await run('apt-cache', ['depends', 'linux-image-686:i386']);
  const m = /Depends: (linux-image-[0-9][^\s:]*)/.exec(r.stdout);
  return m?.[1];
}

async function ensureApt(opts: PrepareOptions, progress: (p: PrepareProgress) => void): Promise<string> {
  const arch = (await run('dpkg', ['--print-architecture'])).stdout.trim();
  const foreign = (await run('dpkg', ['--print-foreign-architectures'])).stdout.split('\n').map((s) => s.trim());
  const setup = opts.setupApt !== false;
  if (arch !== 'i386' && !foreign.includes('i386')) {
    if (!setup || !isRoot()) {
      throw new GuestPrepareError('the i386 architecture is not enabled for apt. As root: dpkg --add-architecture i386 && apt-get update');
    }
    progress({ phase: 'apt-update', message: 'dpkg --add-architecture i386' });
    const r = await run('dpkg', ['--add-architecture', 'i386']);
    if (r.code !== 0) throw new GuestPrepareError(`dpkg --add-architecture i386 failed: ${r.stderr.trim()}`);
  }
  let kernel = process.env['NICEMU_KERNEL_PKG'] || (await resolveKernel());
  if (!kernel) {
    if (!setup || !isRoot()) throw new GuestPrepareError('apt knows no linux-image-686:i386. As root: apt-get update');
    progress({ phase: 'apt-update', message: 'apt-get update' });
    // A partial failure (one mirror mid-sync) still leaves the main lists usable.
    await run('apt-get', ['update', '-q']);
    kernel = await resolveKernel();
    if (!kernel) throw new GuestPrepareError('cannot resolve linux-image-686:i386 after apt-get update');
  }
  return kernel;
}

async function packageSize(pkg: string): Promise<number> {
  const r = await run('apt-cache', ['show', '--no-all-versions', pkg]);
  const m = /^Size: (\d+)/m.exec(r.stdout);
  return m ? Number(m[1]) : 0;
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const f of fs.readdirSync(dir)) {
    try {
      n += fs.statSync(path.join(dir, f)).size;
    } catch {
      // a partial file renamed meanwhile
    }
  }
  return n;
}

async function download(pkgs: string[], dir: string, progress: (p: PrepareProgress) => void): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const have = (p: string): boolean => fs.readdirSync(dir).some((f) => f.startsWith(`${p.split(':')[0]}_`) && f.endsWith('.deb'));
  const need = pkgs.filter((p) => !have(p));
  if (need.length === 0) return;
  const sizes = await Promise.all(need.map(packageSize));
  const total = sizes.reduce((a, b) => a + b, 0);
  const start = dirBytes(dir);
  const msg = `apt-get download ${need.join(' ')}`;
  progress({ phase: 'download', done: 0, total, message: msg });
  await new Promise<void>((resolve, reject) => {
    const child = spawn('apt-get', ['download', '-q', '-o', 'APT::Sandbox::User=root', ...need], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const tick = setInterval(() => progress({ phase: 'download', done: Math.min(total, dirBytes(dir) - start), total, message: msg }), 250);
    child.on('close', (code) => {
      clearInterval(tick);
      if (code === 0) {
        progress({ phase: 'download', done: total, total, message: msg });
        resolve();
      } else reject(new GuestPrepareError(`apt-get download failed (${String(code)}): ${err.trim().split('\n').slice(-3).join(' ')}`));
    });
    child.on('error', (e) => {
      clearInterval(tick);
      reject(new GuestPrepareError(`apt-get: ${e.message}`));
    });
  });
}

const WANT_V86 = TESTED_V86_VERSIONS[TESTED_V86_VERSIONS.length - 1]!;

/** v86 at the tested version: the project's own devDependency, else the cache's copy; undefined if neither. */
export function findV86(cache = guestCacheDir()): { dir: string; version: string } | undefined {
  const want = WANT_V86;
  const fromPkg = (pkgJson: string): { dir: string; version: string } | undefined => {
    try {
      const v = (JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { version: string }).version;
      const dir = path.dirname(pkgJson);
      if (baseVersion(v) === want && fs.existsSync(path.join(dir, 'build', 'libv86.mjs'))) return { dir, version: v };
    } catch {
      // not there
    }
    return undefined;
  };
  try {
    const found = fromPkg(createRequire(import.meta.url).resolve('v86/package.json'));
    if (found) return found;
  } catch {
    // not installed next to nicemu
  }
  return fromPkg(path.join(cache, 'node', 'node_modules', 'v86', 'package.json'));
}

/** findV86, else `npm install` v86 into the cache. */
async function ensureV86(cache: string, progress: (p: PrepareProgress) => void): Promise<{ dir: string; version: string }> {
  const found = findV86(cache);
  if (found) return found;
  const want = WANT_V86;
  const local = path.join(cache, 'node');
  progress({ phase: 'v86', message: `npm install v86@${want}` });
  fs.mkdirSync(local, { recursive: true });
  if (!fs.existsSync(path.join(local, 'package.json'))) fs.writeFileSync(path.join(local, 'package.json'), '{"name":"nicemu-guest-cache","private":true}\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = await run(npm, ['install', '--prefix', local, '--no-audit', '--no-fund', '--no-save', `v86@${want}`]);
  const got = findV86(cache);
  if (!got) throw new GuestPrepareError(`npm install v86@${want} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return got;
}

/** Make sure the guest cache is complete; returns its manifest. */
export async function prepareGuest(opts: PrepareOptions = {}): Promise<GuestManifest> {
  const cache = opts.cache ?? guestCacheDir();
  const progress = opts.onProgress ?? ((): void => {});
  fs.mkdirSync(cache, { recursive: true });
  const v86 = await ensureV86(cache, progress);
  if (!opts.force) {
    const m = readManifest(cache);
    if (m) return m;
  }
  const kernelPkg = await ensureApt(opts, progress);
  const kver = kernelPkg.replace(/^linux-image-/, '');
  const debs = path.join(cache, 'debs');
  if (opts.force) fs.rmSync(debs, { recursive: true, force: true });
  const pkgs = [`${kernelPkg}:i386`, 'busybox-static:i386', 'seabios'];
  await download(pkgs, debs, progress);

  progress({ phase: 'extract', message: 'extracting packages' });
  const root = path.join(cache, 'root');
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  for (const p of pkgs) {
    const name = p.split(':')[0]!;
    const deb = fs.readdirSync(debs).find((f) => f.startsWith(`${name}_`) && f.endsWith('.deb'));
    if (!deb) throw new GuestPrepareError(`no .deb for ${name} in ${debs}`);
    const r = await run('dpkg-deb', ['-x', path.join(debs, deb), root]);
    if (r.code !== 0) throw new GuestPrepareError(`dpkg-deb -x ${deb} failed: ${r.stderr.trim()}`);
  }
  const bzimage = path.join(cache, 'bzImage');
  const bios = path.join(cache, 'bios.bin');
  const initrd = path.join(cache, 'initrd.img');
  fs.copyFileSync(path.join(root, 'boot', `vmlinuz-${kver}`), bzimage);
  // bios.bin (128 KiB): v86 loads the BIOS at 1 MiB - size; the 256 KiB image would overlap the VGA BIOS area.
  fs.copyFileSync(path.join(root, 'usr/share/seabios/bios.bin'), bios);

  progress({ phase: 'initrd', message: 'building the initramfs' });
  const built = buildInitrd({ root, kver, init: GUEST_INIT, modules: GUEST_MODULES });
  fs.writeFileSync(initrd, built.image);
  fs.rmSync(root, { recursive: true, force: true });

  const manifest: GuestManifest = {
    version: MANIFEST_VERSION,
    recipe: recipe(),
    kernelPackage: kernelPkg,
    kver,
    v86Dir: v86.dir,
    v86Version: v86.version,
    bzimage,
    initrd,
    bios,
    modules: built.modules,
  };
  fs.writeFileSync(path.join(cache, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  progress({ phase: 'done', message: `guest ready in ${cache}` });
  return manifest;
}
