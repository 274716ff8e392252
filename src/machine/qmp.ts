/**
 * A minimal QMP server (QEMU Machine Protocol): greeting, capabilities
 * negotiation, and the commands a NIC test needs. Transport-agnostic: feed it
 * text, it calls `out` with JSON lines.
 */

export interface QmpVersion {
  major: number;
  minor: number;
  micro: number;
  package: string;
}

/** What QMP commands act on. */
export interface QmpTarget {
  version: QmpVersion;
  /** set_link: false when no client has that name. */
  setLink(name: string, up: boolean): boolean;
  /** quit: the machine shuts down after the reply is sent. */
  quit(): void;
  /** system_reset. */
  systemReset(): void;
  /** query-status: running or paused. */
  status(): 'running' | 'paused';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

type QmpError = {
  class: 'GenericError' | 'CommandNotFound' | 'DeviceNotFound';
  desc: string;
};

type CommandResult = { return: Json } | { error: QmpError };

const COMMANDS = ['qmp_capabilities', 'query-version', 'query-commands', 'query-status', 'set_link', 'system_reset', 'quit'] as const;

export class QmpSession {
  private inbuf = '';
  private negotiated = false;
  private closed = false;

  constructor(
    private readonly target: QmpTarget,
    private readonly out: (text: string) => void,
    private readonly now: () => { seconds: number; microseconds: number } = wallTime,
  ) {
    const v = target.version;
    this.write({ QMP: { version: { qemu: { micro: v.micro, minor: v.minor, major: v.major }, package: v.package }, capabilities: ['oob'] } });
  }

  /** Emit an asynchronous event (e.g. SHUTDOWN, NIC_RX_FILTER_CHANGED). */
  event(name: string, data?: { [k: string]: Json }): void {
    if (this.closed) return;
    this.write({ timestamp: this.now(), event: name, ...(data ? { data } : {}) });
  }

  feed(chunk: string): void {
    this.inbuf += chunk;
    for (;;) {
      const end = jsonEnd(this.inbuf);
      if (end < 0) break;
      const text = this.inbuf.slice(0, end);
      this.inbuf = this.inbuf.slice(end);
      if (text.trim() !== '') this.handle(text);
    }
    if (this.inbuf.trim() === '') this.inbuf = '';
  }

  private write(obj: { [k: string]: Json }): void {
    this.out(JSON.stringify(obj) + '\r\n');
  }

  private handle(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.write({ error: { class: 'GenericError', desc: 'JSON parse error, invalid literal' } });
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.write({ error: { class: 'GenericError', desc: 'QMP input must be a JSON object' } });
      return;
    }
    const m = msg as { [k: string]: unknown };
    const id = m['id'] as Json | undefined;
    const withId = (r: CommandResult): { [k: string]: Json } => (id === undefined ? { ...r } : { ...r, id });
    const cmd = m['execute'];
    if (typeof cmd !== 'string') {
      this.write(withId({ error: { class: 'GenericError', desc: "QMP input lacks member 'execute'" } }));
      return;
    }
    const args = m['arguments'];
    if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) {
      this.write(withId({ error: { class: 'GenericError', desc: "QMP input member 'arguments' must be an object" } }));
      return;
    }
    const result = this.run(cmd, (args ?? {}) as { [k: string]: unknown });
    this.write(withId(result));
    if (cmd === 'quit' && 'return' in result) {
      this.event('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' });
      this.closed = true;
      this.target.quit();
    }
  }

  private run(cmd: string, args: { [k: string]: unknown }): CommandResult {
    if (!this.negotiated) {
      if (cmd === 'qmp_capabilities') {
        this.negotiated = true;
        return { return: {} };
      }
      return { error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" } };
    }
    const unexpected = (allowed: string[]): CommandResult | undefined => {
      for (const k of Object.keys(args)) {
        if (!allowed.includes(k)) return { error: { class: 'GenericError', desc: `Parameter '${k}' is unexpected` } };
      }
      return undefined;
    };
    switch (cmd) {
      case 'qmp_capabilities':
        return { error: { class: 'CommandNotFound', desc: 'Capabilities negotiation is already complete, command ignored' } };
      case 'query-version': {
        const v = this.target.version;
        return unexpected([]) ?? { return: { qemu: { micro: v.micro, minor: v.minor, major: v.major }, package: v.package } };
      }
      case 'query-commands':
        return unexpected([]) ?? { return: COMMANDS.map((name) => ({ name })) };
      case 'query-status': {
        const s = this.target.status();
        return unexpected([]) ?? { return: { status: s, singlestep: false, running: s === 'running' } };
      }
      case 'set_link': {
        const bad = unexpected(['name', 'up']);
        if (bad) return bad;
        const name = args['name'];
        const up = args['up'];
        if (name === undefined) return { error: { class: 'GenericError', desc: "Parameter 'name' is missing" } };
        if (typeof name !== 'string') return { error: { class: 'GenericError', desc: "Invalid parameter type for 'name', expected: string" } };
        if (up === undefined) return { error: { class: 'GenericError', desc: "Parameter 'up' is missing" } };
        if (typeof up !== 'boolean') return { error: { class: 'GenericError', desc: "Invalid parameter type for 'up', expected: boolean" } };
        if (!this.target.setLink(name, up)) return { error: { class: 'DeviceNotFound', desc: `Device '${name}' not found` } };
        return { return: {} };
      }
      case 'system_reset':
        this.target.systemReset();
        return unexpected([]) ?? { return: {} };
      case 'quit':
        return unexpected([]) ?? { return: {} };
      default:
        return { error: { class: 'CommandNotFound', desc: `The command ${cmd} has not been found` } };
    }
  }
}

function wallTime(): { seconds: number; microseconds: number } {
  const ms = Date.now();
  return { seconds: Math.floor(ms / 1000), microseconds: (ms % 1000) * 1000 };
}

/** End index of the first complete JSON value in `s` (after leading whitespace), or -1. */
function jsonEnd(s: string): number {
  let depth = 0;
  let inStr = false;
  let esc = false;
  let started = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (inStr) {
      if (esc) esc = false;
      else if (c === '\\') esc = true;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') {
      inStr = true;
      started = true;
    } else if (c === '{' || c === '[') {
      depth++;
      started = true;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth <= 0) return i + 1;
    } else if (!started && c === '\n') {
      return i + 1;
    } else if (!/\s/.test(c)) {
      started = true;
      if (depth === 0 && c !== '{' && c !== '[') {
        // A bare scalar: runs to the end of the line.
        const nl = s.indexOf('\n', i);
        return nl < 0 ? -1 : nl + 1;
      }
    }
  }
  return -1;
}
