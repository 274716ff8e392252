/**
 * QEMU-style command lines: `-opt value` pairs and flags, accepting `--opt`
 * too, as qemu-system-x86_64 does. Order is kept: devices are placed in
 * command-line order.
 */

export interface ArgSpec {
  /** Options that take a value. */
  readonly withValue: ReadonlySet<string>;
  /** Options that are flags. */
  readonly flags: ReadonlySet<string>;
}

export interface ParsedArg {
  name: string;
  value?: string;
}

export class ArgError extends Error {}

export function splitArgs(argv: readonly string[], spec: ArgSpec): ParsedArg[] {
  const out: ParsedArg[] = [];
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (!raw.startsWith('-') || raw === '-') throw new ArgError(`${raw}: invalid option (expected -option)`);
    const name = raw.replace(/^--?/, '');
    if (spec.flags.has(name)) {
      out.push({ name });
      continue;
    }
    if (spec.withValue.has(name)) {
      const value = argv[i + 1];
      if (value === undefined) throw new ArgError(`-${name}: requires an argument`);
      out.push({ name, value });
      i++;
      continue;
    }
    throw new ArgError(`-${name}: invalid option`);
  }
  return out;
}

/** The QEMU options `nicemu qtest` understands. */
export const QTEST_ARGS: ArgSpec = {
  withValue: new Set([
    'machine', 'M', 'accel', 'qtest', 'qtest-log', 'display', 'm', 'netdev', 'device', 'nic', 'net',
    'chardev', 'mon', 'qmp', 'bios', 'name', 'serial', 'monitor', 'vga', 'smp', 'cpu', 'global', 'object', 'trace-file',
  ]),
  flags: new Set(['nodefaults', 'S', 'no-reboot', 'no-shutdown', 'nographic', 'version', 'help', 'h', 'enable-kvm']),
};
