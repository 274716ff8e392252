/** The backend in its surroundings: behind a hub, and the core's import rule. */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { Hub } from '../../../src/hub/hub.js';
import { NetClient } from '../../../src/hub/client.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { SeededRandom } from '../../../src/time/random.js';
import { createUserNet } from '../../../src/netdev/user/index.js';
import { FakeHost } from './fake-host.js';
import { HOST_IP, icmp4EchoFrame, parseFrame } from './guest.js';

describe('-netdev user in its surroundings', () => {
  it('works behind a hub port (-net nic -net user)', async () => {
    const net = await createUserNet({}, { timers: new VirtualClock(), random: new SeededRandom(1), host: new FakeHost() });
    const hub = new Hub(0);
    const got: Uint8Array[] = [];
    const nic = new NetClient('nic', { canReceive: () => true, receive: (f) => (got.push(f.slice()), 'ok') }, { kind: 'nic' });
    NetClient.connect(hub.addPort('p0').client, net.client);
    NetClient.connect(hub.addPort('p1').client, nic);
    nic.send(icmp4EchoFrame(HOST_IP, 3, 4, new Uint8Array([9])));
    const replies = got.map(parseFrame).filter((f) => f.icmp4?.type === 'echo-reply');
    expect(replies.length).toBe(1);
    net.close();
  });

  it('the core imports no node: module (only *.node.ts may)', () => {
    const root = path.resolve(__dirname, '../../../src/netdev/user');
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith('.node.ts')) files.push(p);
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const src = fs.readFileSync(f, 'utf8');
      expect(/from ['"]node:|require\(|from ['"]dns-packet['"]/.test(src), f).toBe(false);
      expect(/\bBuffer\./.test(src), f).toBe(false);
    }
  });
});
