/**
 * Replays a trace against a target that executes qtest commands, and
 * reports every difference: read values, transmitted frames, the IRQ event
 * sequence and relative virtual time, with the rules of the qtest rig's
 * replay.mjs (polling runs repeat until the recorded value appears).
 */
import {
  type AccessEntry,
  type TraceEntry,
  commandLine,
  hexToBytes,
  bytesToHex,
  isAccess,
  isIrq,
  isNet,
  isQmp,
  replyValue,
} from './format.js';

/** A machine driven synchronously, one qtest line at a time. */
export interface ReplayTarget {
  /** Execute one qtest line; returns the reply line (without IRQ lines). */
  command(line: string): string;
  /** IRQ lines ("raise 11") reported since the last call. */
  takeIrqEvents(): string[];
  /** Deliver a frame to the device under test as if it came from the wire. */
  inject(frame: Uint8Array): void;
  /** The next frame the device transmitted, or undefined. */
  takeTx(): Uint8Array | undefined;
  /** QMP command; returns an error description or undefined. */
  qmp(command: string, args: Record<string, unknown> | undefined): string | undefined;
}

export interface Mismatch {
  /** Index of the entry in the trace (absent for end-of-trace checks). */
  at?: number;
  seq?: number;
  what: string;
  expected?: unknown;
  actual?: unknown;
}

export interface ReplayResult {
  entries: number;
  opsExecuted: number;
  mismatches: Mismatch[];
  ok: boolean;
}

const MAX_POLL_ROUNDS = 1000;

function sameValue(actual: string | undefined, expected: string): boolean {
  if (actual === undefined) return false;
  if (!expected.startsWith('0x')) return actual === expected;
  try {
    return BigInt(actual) === BigInt(expected);
  } catch {
    return false;
  }
}

export function replayTrace(entries: readonly TraceEntry[], target: ReplayTarget): ReplayResult {
  const mismatches: Mismatch[] = [];
  const wantIrq: string[] = [];
  const gotIrq: string[] = [];
  let ops = 0;
  let clockOffset: bigint | null = null;

  const exec = (e: AccessEntry): string | undefined => {
    const reply = target.command(commandLine(e));
    gotIrq.push(...target.takeIrqEvents());
    ops++;
    if (!reply.startsWith('OK')) return `!${reply}`;
    return replyValue(e, reply);
  };

  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (isIrq(e)) {
      wantIrq.push(`${e.irq} ${e.line}`);
      continue;
    }
    if (isNet(e)) {
      if (e.net === 'inject') {
        target.inject(hexToBytes(e.data ?? ''));
        gotIrq.push(...target.takeIrqEvents());
      } else if (!e.none) {
        const f = target.takeTx();
        const got = f ? bytesToHex(f) : null;
        if (got !== (e.data ?? null)) mismatches.push({ at: i, seq: e.seq, what: 'tx frame', expected: e.data, actual: got });
      }
      continue;
    }
    if (isQmp(e)) {
      const err = target.qmp(e.qmp, e.args);
      gotIrq.push(...target.takeIrqEvents());
      if (err) mismatches.push({ at: i, seq: e.seq, what: `qmp ${e.qmp}`, actual: err });
      continue;
    }
    if (!isAccess(e)) continue;
    if (e.poll) {
      // A run of polls (and the IRQ events inside it): repeat the distinct
      // accesses until each returns the last value recorded for it.
      let j = i;
      while (j + 1 < entries.length) {
        const n = entries[j + 1]!;
        if ((isAccess(n) && n.poll) || isIrq(n)) j++;
        else break;
      }
      const run = entries.slice(i, j + 1);
      const targets = new Map<string, AccessEntry>();
      for (const x of run) {
        if (isIrq(x)) wantIrq.push(`${x.irq} ${x.line}`);
        else if (isAccess(x)) targets.set(`${x.op}|${'addr' in x ? x.addr : 'port' in x ? x.port : ''}|${'len' in x ? x.len : ''}`, x);
      }
      let done = false;
      for (let round = 0; round < MAX_POLL_ROUNDS && !done; round++) {
        done = true;
        for (const x of targets.values()) {
          const v = exec(x);
          // Clock steps inside a poll are actions (wait, then look again), not values to reach.
          const want = 'val' in x && x.op !== 'clock_step' && x.op !== 'clock_set' ? x.val : undefined;
          if (want !== undefined && !sameValue(v, want)) done = false;
        }
      }
      if (!done) {
        mismatches.push({ at: i, seq: e.seq, what: `poll never reached recorded value(s) (${[...targets.keys()].join(', ')})` });
      }
      i = j;
      continue;
    }
    const v = exec(e);
    if (v?.startsWith('!')) {
      mismatches.push({ at: i, seq: e.seq, what: `${e.op} failed`, actual: v.slice(1) });
      continue;
    }
    if ((e.op === 'clock_step' || e.op === 'clock_set') && e.val !== undefined && v !== undefined) {
      const diff = BigInt(e.val) - BigInt(v);
      if (clockOffset === null) clockOffset = diff;
      if (diff !== clockOffset) {
        mismatches.push({ at: i, seq: e.seq, what: `${e.op} ${e.ns ?? ''} (relative virtual time)`, expected: e.val, actual: v });
      }
      continue;
    }
    const want = 'val' in e ? e.val : undefined;
    if (want !== undefined && v !== undefined && !sameValue(v, want)) {
      const where = 'addr' in e ? e.addr : 'port' in e ? e.port : '';
      mismatches.push({ at: i, seq: e.seq, what: `${e.op} ${where}`, expected: want, actual: v });
    }
  }
  const extra: string[] = [];
  for (let f = target.takeTx(); f; f = target.takeTx()) extra.push(bytesToHex(f));
  if (extra.length) mismatches.push({ what: 'frames transmitted but not in trace', actual: extra });
  if (JSON.stringify(gotIrq) !== JSON.stringify(wantIrq)) {
    mismatches.push({ what: 'IRQ event sequence', expected: wantIrq, actual: gotIrq });
  }
  return { entries: entries.length, opsExecuted: ops, mismatches, ok: mismatches.length === 0 };
}
