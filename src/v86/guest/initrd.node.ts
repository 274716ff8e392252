/**
 * A gzip'd newc initramfs for the test guest, built with nothing but Node:
 * kernel modules and their dependencies (read from each .ko's `.modinfo`
 * `depends=`, since Debian's kernel .deb ships no modules.dep and the host
 * may lack depmod), busybox-static, and our /init.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** Bytes of ELF section `wanted` (ELF32/64 little endian), or undefined. */
export function elfSection(buf: Buffer, wanted: string): Buffer | undefined {
  if (buf.length < 0x40 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  const is64 = buf[4] === 2;
  const shoff = is64 ? Number(buf.readBigUInt64LE(0x28)) : buf.readUInt32LE(0x20);
  const shentsize = buf.readUInt16LE(is64 ? 0x3a : 0x2e);
  const shnum = buf.readUInt16LE(is64 ? 0x3c : 0x30);
  const shstrndx = buf.readUInt16LE(is64 ? 0x3e : 0x32);
  const sh = (i: number): { name: number; offset: number; size: number } => {
    const o = shoff + i * shentsize;
    return is64
      ? { name: buf.readUInt32LE(o), offset: Number(buf.readBigUInt64LE(o + 0x18)), size: Number(buf.readBigUInt64LE(o + 0x20)) }
      : { name: buf.readUInt32LE(o), offset: buf.readUInt32LE(o + 0x10), size: buf.readUInt32LE(o + 0x14) };
  };
  const strtab = sh(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const start = strtab.offset + s.name;
    const end = buf.indexOf(0, start);
    if (buf.toString('latin1', start, end) === wanted) return buf.subarray(s.offset, s.offset + s.size);
  }
  return undefined;
}

function modDepends(file: string): string[] {
  const sec = elfSection(fs.readFileSync(file), '.modinfo');
  if (!sec) return [];
  for (const entry of sec.toString('latin1').split('\0')) {
    if (entry.startsWith('depends=')) return entry.slice(8).split(',').filter(Boolean);
  }
  return [];
}

const norm = (n: string): string => n.replace(/-/g, '_');

function walk(dir: string, acc: string[] = []): string[] {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) walk(p, acc);
    else acc.push(p);
  }
  return acc;
}

/** Modules (files) in load order, dependencies first. Built-in modules are skipped. */
export function resolveModules(moduleDir: string, wanted: readonly string[]): string[] {
  const index = new Map<string, string>();
  for (const f of walk(path.join(moduleDir, 'kernel'))) {
    const m = /([^/]+)\.ko$/.exec(f);
    if (m) index.set(norm(m[1]!), f);
  }
  const builtin = new Set<string>();
  const bfile = path.join(moduleDir, 'modules.builtin');
  if (fs.existsSync(bfile)) {
    for (const line of fs.readFileSync(bfile, 'utf8').split('\n')) {
      const m = /([^/]+)\.ko$/.exec(line.trim());
      if (m) builtin.add(norm(m[1]!));
    }
  }
  const order: string[] = [];
  const state = new Map<string, 'active' | 'done'>();
  const visit = (raw: string, via: string | null): void => {
    const name = norm(raw);
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'active') throw new Error(`module dependency cycle at ${name}`);
    const file = index.get(name);
    if (!file) {
      if (builtin.has(name)) {
        state.set(name, 'done');
        return;
      }
      throw new Error(`kernel module not found: ${name}${via ? ` (needed by ${via})` : ''}`);
    }
    state.set(name, 'active');
    for (const d of modDepends(file)) visit(d, name);
    state.set(name, 'done');
    order.push(file);
  };
  for (const w of wanted) visit(w, null);
  return order;
}

interface Entry {
  name: string;
  mode: number;
  data?: Uint8Array;
  rdev?: [number, number];
}

/** A newc ("070701") cpio archive. */
export function cpioNewc(entries: readonly Entry[]): Buffer {
  const chunks: Buffer[] = [];
  const pad = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 1;
  const put = (e: Entry, inode: number): void => {
    const data = e.data ?? new Uint8Array(0);
    const fields = [inode, e.mode, 0, 0, 1, 0, data.length, 0, 0, e.rdev?.[0] ?? 0, e.rdev?.[1] ?? 0, e.name.length + 1, 0];
    const head = Buffer.from('070701' + fields.map((f) => (f >>> 0).toString(16).padStart(8, '0')).join('') + e.name + '\0', 'latin1');
    chunks.push(head, pad(head.length), Buffer.from(data.buffer, data.byteOffset, data.byteLength), pad(data.length));
  };
  for (const e of entries) put(e, ino++);
  put({ name: 'TRAILER!!!', mode: 0 }, 0);
  return Buffer.concat(chunks);
}

export interface InitrdSpec {
  /** Extracted Debian root (kernel modules + busybox-static). */
  root: string;
  kver: string;
  init: string;
  modules: readonly string[];
  /** Extra files: path inside the initramfs → bytes. */
  files?: Record<string, Uint8Array>;
}

/** Build the initramfs; returns gzip bytes and the module load order. */
export function buildInitrd(spec: InitrdSpec): { image: Buffer; modules: string[] } {
  const moddir = path.join(spec.root, 'lib/modules', spec.kver);
  const files = resolveModules(moddir, spec.modules);
  const busybox = path.join(spec.root, 'bin/busybox');
  if (!fs.existsSync(busybox)) throw new Error(`no busybox at ${busybox}`);
  const dir = (name: string): Entry => ({ name, mode: 0o040755 });
  const entries: Entry[] = ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'tmp', 'run', 'etc', 'root', 'lib', 'lib/modules', 'srv', 'www'].map(dir);
  entries.push({ name: 'dev/console', mode: 0o020600, rdev: [5, 1] });
  entries.push({ name: 'bin/busybox', mode: 0o100755, data: fs.readFileSync(busybox) });
  entries.push({ name: 'bin/sh', mode: 0o120777, data: Buffer.from('busybox') });
  entries.push({ name: 'init', mode: 0o100755, data: Buffer.from(spec.init) });
  const names: string[] = [];
  for (const f of files) {
    const base = path.basename(f);
    names.push(base);
    entries.push({ name: `lib/modules/${base}`, mode: 0o100644, data: fs.readFileSync(f) });
  }
  entries.push({ name: 'etc/modules-order', mode: 0o100644, data: Buffer.from(names.join('\n') + '\n') });
  for (const [name, data] of Object.entries(spec.files ?? {})) entries.push({ name: name.replace(/^\//, ''), mode: 0o100644, data });
  return { image: zlib.gzipSync(cpioNewc(entries), { level: 6 }), modules: names };
}
