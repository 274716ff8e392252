/**
 * `nicemu run` (alias `nicemu demo`): boot Debian's i386 kernel in v86 on a
 * nicemu NIC with `-netdev user`, and show what the guest did: DHCP lease,
 * ping of the gateway, an HTTP fetch from a loopback server on the host.
 * The first run downloads the guest (kernel, busybox, SeaBIOS; v86 from npm
 * if needed) into the cache, with a progress bar.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ArgError } from './args.js';
import { attachToV86, type V86Nic } from '../v86/index.js';
import { nodeV86Backends } from '../v86/backends.node.js';
import { bootGuest, type BootedGuest } from '../v86/guest/boot.node.js';
import { guestCacheDir, prepareGuest, type PrepareProgress } from '../v86/guest/prepare.node.js';
import { openPcapFile, type PcapFile } from '../pcap/file.node.js';
import { findNicModel } from '../devices/models.js';

export const RUN_USAGE = `usage: nicemu run [options]      (alias: nicemu demo)

Boots Debian 12's i386 kernel with a busybox initramfs in v86 on a nicemu NIC
and prints what the guest does (DHCP lease, ping, HTTP fetch from the host).
The first run downloads the guest (~70 MB, apt-get + npm) into
  ${'$'}NICEMU_GUEST_CACHE (default ~/.cache/nicemu/guest).

options:
  --nic MODEL        e1000 (default), virtio-net-pci, rtl8139, or a -device string
  --netdev SPEC      the -netdev user options (default: user,id=net0)
  --pcap FILE        write every frame of the NIC to FILE (pcap; opens in tshark/wireshark)
  --interactive      end in a shell on the serial console (Ctrl-] quits)
  --echo             show the whole serial console
  --timeout SECONDS  give up after this long (default 300)
  --prepare-only     download and build the guest, then exit
  --help             this text
`;

interface RunIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

interface RunArgs {
  nic: string;
  netdev: string;
  pcap: string | undefined;
  interactive: boolean;
  echo: boolean;
  timeoutS: number;
  prepareOnly: boolean;
  help: boolean;
}

function parseRunArgs(argv: readonly string[]): RunArgs {
  const a: RunArgs = { nic: 'e1000', netdev: 'user,id=net0', pcap: undefined, interactive: false, echo: false, timeoutS: 300, prepareOnly: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = (eq > 0 ? arg.slice(0, eq) : arg).replace(/^--?/, '');
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new ArgError(`--${name} needs a value`);
      return v;
    };
    switch (name) {
      case 'nic':
        a.nic = value();
        break;
      case 'netdev':
        a.netdev = value();
        break;
      case 'pcap':
        a.pcap = value();
        break;
      case 'timeout':
        a.timeoutS = Number(value());
        if (!(a.timeoutS > 0)) throw new ArgError('--timeout must be a positive number of seconds');
        break;
      case 'interactive':
        a.interactive = true;
        break;
      case 'echo':
        a.echo = true;
        break;
      case 'prepare-only':
        a.prepareOnly = true;
        break;
      case 'help':
      case 'h':
        a.help = true;
        break;
      default:
        throw new ArgError(`invalid option '${arg}'`);
    }
  }
  if (!/^user(,|$)/.test(a.netdev)) throw new ArgError(`--netdev: only 'user,...' is supported by nicemu run (got '${a.netdev}')`);
  if (!/(^|,)id=/.test(a.netdev)) a.netdev += ',id=net0';
  return a;
}

function progressBar(io: RunIo): (p: PrepareProgress) => void {
  const tty = process.stderr.isTTY === true;
  let last = '';
  return (p) => {
    if (p.phase === 'download' && p.total) {
      const frac = Math.min(1, (p.done ?? 0) / p.total);
      const width = 30;
      const filled = Math.round(frac * width);
      const line = `  downloading the guest [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${((p.done ?? 0) / 1e6).toFixed(1)}/${(p.total / 1e6).toFixed(1)} MB`;
      if (tty) io.stderr(`\r${line}`);
      else if (line.replace(/\d+(\.\d)?\/.*/, '') !== last && (frac === 0 || frac === 1)) io.stderr(`${line}\n`);
      last = line.replace(/\d+(\.\d)?\/.*/, '');
      if (frac === 1 && tty) io.stderr('\n');
      return;
    }
    io.stderr(`  ${p.message}\n`);
  };
}

export async function runDemo(argv: readonly string[], io: RunIo): Promise<number> {
  const args = parseRunArgs(argv);
  if (args.help) {
    io.stdout(RUN_USAGE);
    return 0;
  }
  io.stderr(`nicemu run: preparing the guest in ${guestCacheDir()}\n`);
  const manifest = await prepareGuest({ onProgress: progressBar(io) });
  if (args.prepareOnly) {
    io.stdout(`guest ready: kernel ${manifest.kver}, v86 ${manifest.v86Version}, cache ${path.dirname(manifest.initrd)}\n`);
    return 0;
  }
  const driver = args.nic.split(',')[0]!;
  if (!findNicModel(driver)) throw new ArgError(`--nic ${args.nic}: model '${driver}' is not available yet`);

  // A loopback HTTP server the guest fetches from (10.0.2.2 is the host in -netdev user).
  const page = Buffer.from(`Hello from the host, fetched through nicemu's ${driver}.\n`);
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': page.length }).end(page));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  let nic: V86Nic | undefined;
  let pcap: PcapFile | undefined;
  let guest: BootedGuest | undefined;
  const t0 = performance.now();
  const secs = (): string => ((performance.now() - t0) / 1000).toFixed(1).padStart(5) + 's';
  const say = (s: string): void => io.stdout(`[${secs()}] ${s}\n`);
  const deadline = setTimeout(() => {
    io.stderr(`\nnicemu run: timeout after ${args.timeoutS} s\n`);
    process.exit(3);
  }, args.timeoutS * 1000);
  deadline.unref();
  try {
    say(`booting Linux ${manifest.kver} in v86 ${manifest.v86Version} on ${args.nic} with -netdev ${args.netdev}`);
    guest = await bootGuest({
      manifest,
      append: args.interactive ? 'nicemu.shell=interactive' : '',
      ...(args.echo || args.interactive ? { echo: (c: string): void => void process.stdout.write(c) } : {}),
      onLine: (l) => {
        if (args.echo || args.interactive) return;
        const t = l.text;
        if (/^NICEMU-PCI .* driver=(?!-)/.test(t) && /:00:03\.0/.test(t)) say(`guest: PCI ${t.slice(11)}`);
        else if (/^NICEMU-LINK /.test(t)) say(`guest: link ${t.slice(12)}`);
        else if (/^NICEMU-LEASE /.test(t)) say(`guest: DHCP lease ${t.slice(13).replace(/ (host|domain|search)=(?= |$)/g, '')}`);
        else if (/^Linux version/.test(t)) say('guest: kernel started');
      },
      beforeRun: async (emu) => {
        nic = await attachToV86(emu, { device: args.nic, netdev: args.netdev, backends: nodeV86Backends(), v86Version: manifest.v86Version });
        if (args.pcap) {
          pcap = openPcapFile(args.pcap, nic.clock);
          nic.startCapture(pcap.writer);
        }
      },
    });
    if (args.interactive) {
      io.stderr('nicemu run: interactive shell on the serial console; Ctrl-] quits\n');
      const stdin = process.stdin;
      if (stdin.isTTY) stdin.setRawMode(true);
      await new Promise<void>((resolve) => {
        stdin.on('data', (buf: Buffer) => {
          if (buf.includes(0x1d)) return resolve();
          guest!.emulator.serial0_send(buf.toString('latin1'));
        });
      });
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      return 0;
    }
    const ready = await guest.console.waitFor(/^NICEMU-READY/, args.timeoutS * 1000);
    if (!ready) {
      io.stderr(`nicemu run: the guest did not come up; last console lines:\n${guest.console.text().split('\n').slice(-20).join('\n')}\n`);
      return 1;
    }
    const lease = guest.console.find(/^NICEMU-LEASE .* bound /);
    if (!lease) {
      io.stderr('nicemu run: no DHCP lease\n');
      return 1;
    }
    const ping = await guest.console.run('ping -c 5 -s 1400 -A -W 2 10.0.2.2 | tail -n 2', 60_000);
    say(`guest: ping 10.0.2.2: ${ping.output.filter(Boolean).join('; ')}`);
    const fetch = await guest.console.run(`wget -q -O - http://10.0.2.2:${port}/hello.txt`, 60_000);
    const fetched = fetch.code === 0 && fetch.output.join('\n') === page.toString().trimEnd();
    say(`guest: wget http://10.0.2.2:${port}/hello.txt (host 127.0.0.1:${port}): ${fetched ? 'ok' : 'FAILED'}: ${fetch.output.join(' ')}`);
    const st = nic!.stats();
    say(`nic: ${nic!.driver} at 00:${nic!.slot.toString(16).padStart(2, '0')}.0 mac ${nic!.mac}, frames tx ${st.net.txFrames} rx ${st.net.rxFrames}`);
    if (pcap) {
      pcap.close();
      const size = fs.statSync(args.pcap!).size;
      say(`pcap: ${path.resolve(args.pcap!)} (${size} bytes; try: tshark -r ${args.pcap})`);
    }
    return fetched ? 0 : 1;
  } finally {
    clearTimeout(deadline);
    nic?.detach();
    pcap?.close();
    await guest?.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
