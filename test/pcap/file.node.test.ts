import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NetClient } from '../../src/hub/index.js';
import { VirtualClock } from '../../src/time/clock.js';
import { capture, readPcap } from '../../src/pcap/index.js';
import { createFileSink, openPcapFile } from '../../src/pcap/file.node.js';

const dir = mkdtempSync(join(tmpdir(), 'nicemu-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TSHARK = process.env.TSHARK ?? 'tshark';
const haveTshark = spawnSync(TSHARK, ['--version'], { stdio: 'ignore' }).status === 0;
const skipTshark = !haveTshark && !process.env.CI;
if (skipTshark) {
  console.warn('\n*** SKIPPING the tshark pcap test: tshark is not installed (apt-get install tshark). In CI this test fails instead. ***\n');
}

/** An Ethernet frame: dst, src, EtherType 0x0800, zero payload padded to `len`. */
function ethFrame(dst: string, src: string, len: number): Uint8Array {
  const f = new Uint8Array(len);
  const mac = (s: string): number[] => s.split(':').map((x) => parseInt(x, 16));
  f.set(mac(dst), 0);
  f.set(mac(src), 6);
  f[12] = 0x08;
  f[13] = 0x00;
  return f;
}

const MAC_A = '52:54:00:12:34:56';
const MAC_B = '52:54:00:ab:cd:ef';

function capturePair(path: string): void {
  const clock = new VirtualClock();
  const file = openPcapFile(path, clock);
  const ok = { canReceive: () => true, receive: () => 'ok' as const };
  const a = new NetClient('nic', ok);
  const b = new NetClient('backend', ok);
  NetClient.connect(a, b);
  const stop = capture(a, file.writer);
  clock.advance(1_000_000);
  a.send(ethFrame(MAC_B, MAC_A, 60));
  clock.advance(1_000_000);
  b.send(ethFrame(MAC_A, MAC_B, 1514));
  stop();
  file.close();
  file.close(); // idempotent
  expect(file.error).toBeNull();
}

describe('pcap file (Node)', () => {
  it('openPcapFile writes a file readPcap reads back', () => {
    const path = join(dir, 'roundtrip.pcap');
    capturePair(path);
    const r = readPcap(new Uint8Array(readFileSync(path)));
    expect(r.ok).toBe(true);
    expect(r.records.map((x) => x.data.length)).toEqual([60, 1514]);
  });

  it('openPcapFile truncates an existing file', () => {
    const path = join(dir, 'twice.pcap');
    capturePair(path);
    capturePair(path);
    const r = readPcap(new Uint8Array(readFileSync(path)));
    expect(r.ok && r.records.length).toBe(2);
  });

  it('writes after close are ignored', () => {
    const path = join(dir, 'closed.pcap');
    const file = openPcapFile(path, new VirtualClock());
    file.close();
    file.writer.write(new Uint8Array(60));
    expect(readFileSync(path).length).toBe(24);
  });

  it('createFileSink with flags a appends', () => {
    const path = join(dir, 'append.bin');
    const s1 = createFileSink(path);
    s1.write(Uint8Array.of(1, 2));
    s1.close();
    const s2 = createFileSink(path, { flags: 'a' });
    s2.write(Uint8Array.of(3));
    s2.close();
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
  });

  it.skipIf(skipTshark)('tshark reads the file: frame lengths and MAC addresses', () => {
    const path = join(dir, 'tshark.pcap');
    capturePair(path);
    const r = spawnSync(TSHARK, ['-r', path, '-T', 'fields', '-e', 'frame.len', '-e', 'eth.src', '-e', 'eth.dst'], {
      encoding: 'utf8',
    });
    expect(r.error, `running ${TSHARK} (is tshark installed?)`).toBeUndefined();
    expect(r.status, `tshark failed: ${r.stderr}`).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([`60\t${MAC_A}\t${MAC_B}`, `1514\t${MAC_B}\t${MAC_A}`]);
  });

  it.skipIf(skipTshark)('tshark reads microsecond and nanosecond timestamps', () => {
    for (const resolution of ['usec', 'nsec'] as const) {
      const path = join(dir, `time-${resolution}.pcap`);
      const clock = new VirtualClock(1_234_567_891);
      const file = openPcapFile(path, clock, { resolution, epochSec: 1_700_000_000 });
      file.writer.write(ethFrame(MAC_B, MAC_A, 60));
      file.close();
      const r = spawnSync(TSHARK, ['-r', path, '-T', 'fields', '-e', 'frame.time_epoch'], { encoding: 'utf8' });
      expect(r.status, `tshark failed: ${r.stderr}`).toBe(0);
      expect(r.stdout.trim()).toBe(resolution === 'usec' ? '1700000001.234567000' : '1700000001.234567891');
    }
  });
});
