/**
 * Boot the test guest (Debian i386 kernel + our initramfs) in v86 under
 * Node, headless, with nicemu NICs attached before the CPU starts, and talk
 * to it over the serial console.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { V86Like } from '../internals.js';
import type { GuestManifest } from './prepare.node.js';

/** The slice of v86's public API we use here (v86.d.ts has the full one). */
export interface V86Emulator extends V86Like {
  run(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
  serial0_send(data: string): void;
  save_state(): Promise<ArrayBuffer>;
  restore_state(state: ArrayBuffer): Promise<void>;
}

type V86Constructor = new (options: Record<string, unknown>) => V86Emulator;

export interface SerialLine {
  /** ms since the boot started. */
  t: number;
  text: string;
}

/** Serial console: lines, waiters, and a command runner for the guest's batch shell. */
export class SerialConsole {
  readonly lines: SerialLine[] = [];
  private partial = '';
  private waiters: Array<{ re: RegExp; resolve: (l: SerialLine | null) => void; from: number }> = [];
  private seq = 0;
  firstByteMs: number | undefined;

  constructor(
    private readonly send: (s: string) => void,
    private readonly t0: number,
    private readonly echo?: (chunk: string) => void,
    private readonly onLine?: (l: SerialLine) => void,
  ) {}

  pushByte(byte: number): void {
    if (this.firstByteMs === undefined) this.firstByteMs = performance.now() - this.t0;
    const ch = String.fromCharCode(byte);
    this.echo?.(ch);
    if (ch !== '\n') {
      this.partial += ch;
      return;
    }
    const line = { t: performance.now() - this.t0, text: this.partial.replace(/\r$/, '') };
    this.partial = '';
    this.lines.push(line);
    this.onLine?.(line);
    const idx = this.lines.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (idx >= w.from && w.re.test(line.text)) {
        w.resolve(line);
        return false;
      }
      return true;
    });
  }

  /** The first line (from index `from`) matching `re`, now or when it arrives; null after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<SerialLine | null> {
    for (let i = from; i < this.lines.length; i++) if (re.test(this.lines[i]!.text)) return Promise.resolve(this.lines[i]!);
    return new Promise((resolve) => {
      const w = { re, resolve, from };
      this.waiters.push(w);
      const t = setTimeout(() => {
        if (this.waiters.includes(w)) {
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve(null);
        }
      }, timeoutMs);
      const done = w.resolve;
      w.resolve = (l): void => {
        clearTimeout(t);
        done(l);
      };
    });
  }

  find(re: RegExp): SerialLine | undefined {
    return this.lines.find((l) => re.test(l.text));
  }

  text(): string {
    return this.lines.map((l) => l.text).join('\n') + (this.partial ? '\n' + this.partial : '');
  }

  /**
   * Run a command line in the guest's batch shell; resolves with its exit
   * status and output lines. Throws after `timeoutMs`.
   */
  async run(cmd: string, timeoutMs = 60_000): Promise<{ code: number; output: string[] }> {
    const id = ++this.seq;
    const from = this.lines.length;
    const marker = new RegExp(`^@@NICEMU ${id} (\\d+)$`);
    this.send(`${cmd}\necho "@@NICEMU ${id} $?"\n`);
    const end = await this.waitFor(marker, timeoutMs, from);
    if (!end) throw new Error(`guest command timed out after ${timeoutMs} ms: ${cmd}\n--- console tail ---\n${this.lines.slice(-15).map((l) => l.text).join('\n')}`);
    const endIdx = this.lines.indexOf(end);
    let output = this.lines.slice(from, endIdx).map((l) => l.text);
    // The console may echo what we typed: drop those lines.
    const sent = [...cmd.split('\n'), `echo "@@NICEMU ${id} $?"`];
    while (output.length > 0 && sent.includes(output[0]!)) output = output.slice(1);
    return { code: Number(marker.exec(end.text)![1]), output };
  }
}

export interface BootOptions {
  manifest: GuestManifest;
  /** Guest RAM in MiB (default 128; v86 puts the initrd at 64 MiB). */
  memMiB?: number;
  /** Extra kernel command line. */
  append?: string;
  /** Print the serial console as it comes. */
  echo?: (chunk: string) => void;
  onLine?: (line: SerialLine) => void;
  /** v86's own NIC (none by default: nicemu's NICs are attached in `beforeRun`). */
  v86Nic?: 'none' | 'ne2k' | 'virtio';
  /** Called after emulator-loaded, before the CPU runs: attach devices here. */
  beforeRun?: (emulator: V86Emulator) => Promise<void> | void;
}

export interface BootedGuest {
  emulator: V86Emulator;
  console: SerialConsole;
  /** ms since boot start for the milestones seen so far. */
  marks: Record<string, number>;
  cmdline: string;
  v86Version: string;
  stop(): Promise<void>;
}

const asBuffer = (file: string): ArrayBuffer => {
  const b = fs.readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

/** Start the guest; resolves once the CPU runs (wait on `console` for what follows). */
export async function bootGuest(opts: BootOptions): Promise<BootedGuest> {
  const m = opts.manifest;
  const build = path.join(m.v86Dir, 'build');
  const mod = (await import(pathToFileURL(path.join(build, 'libv86.mjs')).href)) as { V86?: V86Constructor; default?: V86Constructor };
  const V86 = mod.V86 ?? mod.default;
  if (!V86) throw new Error(`no V86 export in ${build}/libv86.mjs`);
  const t0 = performance.now();
  const cmdline = ['console=ttyS0', 'loglevel=4', 'tsc=reliable', 'mitigations=off', 'random.trust_cpu=on', opts.append ?? ''].join(' ').trim();
  const emulator = new V86({
    wasm_path: path.join(build, 'v86.wasm'),
    memory_size: (opts.memMiB ?? 128) * 1024 * 1024,
    vga_memory_size: 2 * 1024 * 1024,
    bios: { buffer: asBuffer(m.bios) },
    bzimage: { buffer: asBuffer(m.bzimage) },
    initrd: { buffer: asBuffer(m.initrd) },
    cmdline,
    autostart: false,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
    acpi: false,
    // v86 creates an ne2k unless told otherwise.
    net_device: { type: opts.v86Nic ?? 'none' },
  });
  const marks: Record<string, number> = {};
  const con = new SerialConsole((s) => emulator.serial0_send(s), t0, opts.echo, (l) => {
    if (/Linux version/.test(l.text)) marks['kernel'] ??= l.t;
    if (/^NICEMU-INIT/.test(l.text)) marks['init'] ??= l.t;
    if (/^NICEMU-READY/.test(l.text)) marks['ready'] ??= l.t;
    opts.onLine?.(l);
  });
  emulator.add_listener('serial0-output-byte', (b) => con.pushByte(b as number));
  await new Promise<void>((resolve) => emulator.add_listener('emulator-loaded', () => resolve()));
  marks['loaded'] = performance.now() - t0;
  try {
    await opts.beforeRun?.(emulator);
  } catch (e) {
    await emulator.destroy().catch(() => {});
    throw e;
  }
  await emulator.run();
  let stopped = false;
  return {
    emulator,
    console: con,
    marks,
    cmdline,
    v86Version: m.v86Version,
    stop: async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      await emulator.stop().catch(() => {});
      await emulator.destroy().catch(() => {});
    },
  };
}
