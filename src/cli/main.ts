/**
 * The `nicemu` command.
 */
import { VERSION } from '../version.js';
import { ArgError } from './args.js';
import { QTEST_USAGE, runQtest } from './qtest.js';
import { RUN_USAGE, runDemo } from './run.js';
import { runFuzzCommand } from './fuzz.js';
import { NicemuError } from '../errors.js';

const USAGE = `nicemu ${VERSION}: emulated network cards for JavaScript PC emulators

usage: nicemu COMMAND [ARGS...]

commands:
  qtest ARGS...   run the PC machine under QEMU's qtest protocol (QEMU command line)
  run [OPTIONS]   boot Linux in v86 on a nicemu NIC and show what it does (alias: demo)
  fuzz ARGS...    fuzz a device model (nicemu fuzz --help)
  version         print the version
  help            this text

Run 'nicemu qtest --help' for the qtest options.
`;

export async function main(argv: readonly string[]): Promise<number> {
  const io = { stdout: (s: string) => process.stdout.write(s), stderr: (s: string) => process.stderr.write(s) };
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'qtest':
        return await runQtest(rest, io);
      case 'run':
      case 'demo':
        return await runDemo(rest, io);
      case 'fuzz':
        return await runFuzzCommand(rest, io);
      case 'version':
      case '--version':
        io.stdout(`nicemu ${VERSION}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return 0;
      default:
        io.stderr(`nicemu: unknown command '${cmd}'\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof ArgError || e instanceof NicemuError) {
      io.stderr(`nicemu ${cmd}: ${e.message}\n`);
      if (e instanceof ArgError && cmd === 'qtest' && /invalid option/.test(e.message)) io.stderr(QTEST_USAGE);
      if (e instanceof ArgError && (cmd === 'run' || cmd === 'demo')) io.stderr(RUN_USAGE);
      return 1;
    }
    throw e;
  }
}
