/**
 * `nicemu qtest ARGS...`: QEMU's command line for qtest runs, on nicemu's
 * PC machine. Accepts what the qtest rig passes to qemu-system-x86_64
 * (`-machine pc[,pit=off]|none -accel qtest -qtest unix:PATH|stdio
 * -qtest-log FILE -display none -nodefaults -m SIZE -netdev ... -device ...
 * [-chardev socket,id=X,path=P -mon chardev=X,mode=control]`, `--version`),
 * so a wrapper script can stand in for QEMU.
 */
import fs from 'node:fs';
import { QEMU_COMPAT, VERSION } from '../version.js';
import { QtestSession } from '../machine/qtest.js';
import { QmpSession } from '../machine/qmp.js';
import { ArgError, QTEST_ARGS, splitArgs } from './args.js';
import { type Channel, type ChardevSpec, openChannel, parseChardevOption, parseChardevShort } from './chardev.js';
import { buildMachine, type MachineArgs } from '../machine/build.js';
import { nodeBackends } from '../netdev/backends.node.js';

export const QTEST_USAGE = `usage: nicemu qtest [QEMU options]

Runs nicemu's PC machine under QEMU's qtest protocol, with QEMU's options:
  -machine pc[,pit=off]|none   the machine (pc: i440FX + PIIX3, devices from slot 2)
  -accel qtest                 accepted (the clock is always virtual)
  -qtest unix:PATH|tcp:H:P|stdio   the qtest channel (connects unless ,server=on)
  -qtest-log FILE              log commands and replies (/dev/null: off)
  -m SIZE                      RAM size (default 128M; suffixes k, M, G)
  -netdev TYPE,id=ID,...       a network backend (socket udp=, hubport; others: not supported yet)
  -device DRIVER,netdev=ID,... a device (nicemu-testdev and the NIC models)
  -nic TYPE,model=M,...        a device with its own backend
  -net nic,model=M | -net TYPE,...   devices and backends on hub 0
  -chardev socket,id=ID,path=P -mon chardev=ID,mode=control   QMP on a socket
  -qmp unix:PATH               QMP on a socket (short form)
  -display none -nodefaults -S -bios FILE   accepted and ignored
  --version                    print the version (QEMU ${QEMU_COMPAT.major}.${QEMU_COMPAT.minor} compatible)
`;

export function versionText(): string {
  const v = `${QEMU_COMPAT.major}.${QEMU_COMPAT.minor}.${QEMU_COMPAT.micro}`;
  return `nicemu qtest machine version ${v} (nicemu ${VERSION}), QEMU ${v} compatible\n`;
}

function parseRamSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)[bB]?$/.exec(text.trim());
  if (!m) throw new ArgError(`-m ${text}: invalid RAM size`);
  const unit = (m[2] || 'M').toUpperCase();
  const mult = unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1024 ** 4;
  const size = Math.floor(Number(m[1]) * mult);
  if (size < 1024 * 1024 || size > 3.5 * 1024 ** 3) throw new ArgError(`-m ${text}: RAM size must be between 1M and 3584M`);
  return size;
}

export async function runQtest(argv: readonly string[], io: { stdout: (s: string) => void; stderr: (s: string) => void }): Promise<number> {
  const args = splitArgs(argv, QTEST_ARGS);
  if (args.some((a) => a.name === 'version')) {
    io.stdout(versionText());
    return 0;
  }
  if (args.some((a) => a.name === 'help' || a.name === 'h')) {
    io.stdout(QTEST_USAGE);
    return 0;
  }
  const margs: MachineArgs = { machine: 'pc', ramSize: 128 * 1024 * 1024, netdevs: [], devices: [], nics: [], nets: [] };
  let qtestSpec: ChardevSpec | undefined;
  let qtestLog: string | undefined;
  const chardevs = new Map<string, ChardevSpec>();
  const qmpSpecs: ChardevSpec[] = [];
  const monRefs: string[] = [];
  for (const a of args) {
    const v = a.value ?? '';
    switch (a.name) {
      case 'machine':
      case 'M':
        margs.machine = v;
        break;
      case 'm':
        margs.ramSize = parseRamSize(v.replace(/^size=/, ''));
        break;
      case 'accel':
        if (!/^(qtest|tcg|kvm)(,|$)/.test(v)) throw new ArgError(`-accel ${v}: invalid accelerator`);
        break;
      case 'qtest':
        qtestSpec = parseChardevShort(v);
        break;
      case 'qtest-log':
        qtestLog = v;
        break;
      case 'netdev':
        margs.netdevs.push(v);
        break;
      case 'device':
        margs.devices.push(v);
        break;
      case 'nic':
        margs.nics.push(v);
        break;
      case 'net':
        margs.nets.push(v);
        break;
      case 'chardev': {
        const c = parseChardevOption(v);
        if (chardevs.has(c.id)) throw new ArgError(`-chardev ${v}: attempt to add duplicate property '${c.id}'`);
        chardevs.set(c.id, c.spec);
        break;
      }
      case 'mon': {
        const m = /(?:^|,)chardev=([^,]+)/.exec(v);
        if (!m) throw new ArgError(`-mon ${v}: Parameter 'chardev' is missing`);
        if (!/(?:^|,)mode=control(?:,|$)/.test(v)) throw new ArgError(`-mon ${v}: only mode=control (QMP) is supported yet`);
        monRefs.push(m[1]!);
        break;
      }
      case 'qmp':
        qmpSpecs.push(parseChardevShort(v));
        break;
      case 'display':
        if (v !== 'none') throw new ArgError(`-display ${v}: not supported yet (nicemu has no display; use -display none)`);
        break;
      case 'enable-kvm':
        throw new ArgError('-enable-kvm: not supported (nicemu has no CPU; the clock is virtual)');
      default:
        // Accepted for QEMU command-line compatibility, with no effect here:
        // -nodefaults -S -bios -name -no-reboot -no-shutdown -nographic -serial -monitor -vga -smp -cpu.
        break;
    }
  }
  for (const id of monRefs) {
    const spec = chardevs.get(id);
    if (!spec) throw new ArgError(`-mon chardev=${id}: chardev "${id}" not found`);
    qmpSpecs.push(spec);
  }
  if (!qtestSpec) throw new ArgError('-qtest is required (e.g. -qtest unix:PATH or -qtest stdio)');

  const built = await buildMachine(margs, nodeBackends());
  const { machine } = built;
  let logFd: number | undefined;
  if (qtestLog && qtestLog !== '/dev/null') logFd = fs.openSync(qtestLog, 'a');
  const started = process.hrtime.bigint();
  const log = logFd === undefined ? undefined : (dir: 'recv' | 'send', line: string) => {
    const t = Number(process.hrtime.bigint() - started) / 1e9;
    fs.writeSync(logFd!, `[${dir === 'recv' ? 'R' : 'S'} +${t.toFixed(6)}] ${line}\n`);
  };

  let finish!: (code: number) => void;
  const done = new Promise<number>((r) => (finish = r));
  const channels: Channel[] = [];
  const shutdown = (code: number): void => {
    for (const c of channels) c.close();
    built.close();
    if (logFd !== undefined) fs.closeSync(logFd);
    finish(code);
  };
  process.once('SIGTERM', () => shutdown(0));
  process.once('SIGINT', () => shutdown(0));

  const qmpTarget = {
    version: { ...QEMU_COMPAT, package: `nicemu ${VERSION}` },
    setLink: (name: string, up: boolean) => built.setLink(name, up),
    quit: () => setImmediate(() => shutdown(0)),
    systemReset: () => machine.reset(),
    status: () => 'running' as const,
  };
  const [qtestChannel, ...qmpChannels] = await Promise.all([openChannel(qtestSpec), ...qmpSpecs.map((s) => openChannel(s))]);
  for (const ch of qmpChannels) {
    channels.push(ch);
    const qmp = new QmpSession(qmpTarget, (t) => ch.write(t));
    ch.onData((d) => qmp.feed(d));
  }
  channels.push(qtestChannel);
  const session = new QtestSession(machine, (t) => qtestChannel.write(t), log);
  qtestChannel.onData((d) => session.feed(d));
  qtestChannel.onClose(() => shutdown(0));
  return done;
}
