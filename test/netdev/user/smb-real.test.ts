/**
 * `smb=` with Samba's real smbd (installed by .ci/run; the test says so and
 * skips elsewhere when smbd is missing): a guest TCP connection to
 * 10.0.2.4:445 spawns smbd inetd-style on the generated configuration, and
 * an SMB2 NEGOTIATE gets a well-formed answer.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SeededRandom } from '../../../src/time/random.js';
import { createUserNet } from '../../../src/netdev/user/index.js';
import { NodeUserHost, WallClockTimers } from '../../../src/netdev/user/host.node.js';
import { GUEST_IP, Guest, GuestTcp, parseFrame } from './guest.js';

const SMBD = ['/usr/sbin/smbd', '/usr/local/sbin/smbd'].find((p) => fs.existsSync(p));
const IN_CI = process.env['CI'] === 'true' || process.env['CI'] === '1';

/** NetBIOS session header + SMB2 header + NEGOTIATE for dialects 2.0.2 and 2.1 (MS-SMB2 2.2.1, 2.2.3). */
function negotiate(): Uint8Array {
  const body = 64 + 36 + 4;
  const b = new Uint8Array(4 + body);
  const v = new DataView(b.buffer);
  v.setUint32(0, body); // session message, 24-bit length
  b.set([0xfe, 0x53, 0x4d, 0x42], 4);
  v.setUint16(8, 64, true); // StructureSize
  v.setUint16(16, 0, true); // Command NEGOTIATE
  v.setUint16(18, 1, true); // CreditRequest
  const n = 4 + 64;
  v.setUint16(n, 36, true); // StructureSize
  v.setUint16(n + 2, 2, true); // DialectCount
  v.setUint16(n + 4, 1, true); // SecurityMode: signing enabled
  for (let i = 0; i < 16; i++) b[n + 12 + i] = i + 1; // ClientGuid
  v.setUint16(n + 36, 0x0202, true);
  v.setUint16(n + 38, 0x0210, true);
  return b;
}

function until(cond: () => boolean, ms: number): Promise<boolean> {
  const start = Date.now();
  return new Promise((resolve) => {
    const poll = (): void => {
      if (cond()) resolve(true);
      else if (Date.now() - start > ms) resolve(false);
      else setTimeout(poll, 10);
    };
    poll();
  });
}

describe('smb= with the real smbd', () => {
  it.runIf(IN_CI && !SMBD)('smbd is installed in CI (.ci/run installs samba)', () => {
    expect(SMBD, 'smbd missing: .ci/run should install samba').toBeDefined();
  });

  it.skipIf(!SMBD)('a guest connection to 10.0.2.4:445 reaches smbd, which answers SMB2 NEGOTIATE', async () => {
    const share = fs.mkdtempSync(path.join(os.tmpdir(), 'nicemu-smb-share-'));
    fs.writeFileSync(path.join(share, 'hello.txt'), 'hello\n');
    const timers = new WallClockTimers();
    const net = await createUserNet({ smb: share }, { timers, random: new SeededRandom(5), host: new NodeUserHost({ ping: false }) });
    const guest = new Guest(net, timers);
    guest.deferred = true;
    guest.announce();
    const conn = new GuestTcp(timers, (f) => guest.send(f), { addr: GUEST_IP, port: 42000 }, { addr: Uint8Array.from([10, 0, 2, 4]), port: 445 });
    guest.onFrame = (f) => conn.input(parseFrame(f));
    try {
      expect(await until(() => conn.tcb.state === 'established', 10_000)).toBe(true);
      conn.write(negotiate());
      expect(await until(() => conn.receivedBytes >= 4 + 64 + 65, 20_000)).toBe(true);
      const r = conn.data();
      const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
      expect(r[0]).toBe(0); // session message
      expect(v.getUint32(0) & 0xffffff).toBe(r.length - 4);
      expect([...r.subarray(4, 8)]).toEqual([0xfe, 0x53, 0x4d, 0x42]);
      expect(v.getUint32(4 + 8, true)).toBe(0); // STATUS_SUCCESS
      expect(v.getUint16(4 + 12, true)).toBe(0); // NEGOTIATE
      expect(v.getUint16(4 + 64, true)).toBe(65); // response StructureSize
      expect([0x0202, 0x0210]).toContain(v.getUint16(4 + 64 + 4, true)); // DialectRevision
    } finally {
      conn.close();
      net.close();
      fs.rmSync(share, { recursive: true, force: true });
    }
  }, 40_000);
});
