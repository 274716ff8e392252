/**
 * Access to the shared qtest rig (../shared/rigs/qtest next to the repo) and
 * a wrapper that makes the rig launch `nicemu qtest` instead of QEMU.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const rigDir = path.resolve(repoRoot, '../shared/rigs/qtest');
export const rigAvailable = fs.existsSync(path.join(rigDir, 'replay.mjs'));

/** In CI a missing rig is a failure; elsewhere tests that need it skip with a message. */
export function requireRig(): boolean {
  if (rigAvailable) return true;
  if (process.env['CI']) throw new Error(`qtest rig not found at ${rigDir} (shared/ must sit next to the repository)`);
  console.warn(`\n*** SKIPPED: qtest rig not found at ${rigDir}; place shared/ next to the repository to run these tests ***\n`);
  return false;
}

/** An executable that behaves like qemu-system-x86_64 for the rig: `nicemu qtest "$@"`. */
export function nicemuQemuWrapper(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nicemu-qemu-'));
  const file = path.join(dir, 'qemu-system-x86_64');
  fs.writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${path.join(repoRoot, 'bin/nicemu.js')}" qtest "$@"\n`, { mode: 0o755 });
  return file;
}
