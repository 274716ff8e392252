/**
 * Guest tier: Debian 12's i386 kernel in v86, its real drivers against our
 * NICs, `-netdev user` on the other side. One boot per NIC row; a row runs
 * when its model is in NIC_MODELS (so a model landing turns its row on).
 * Checks go through the serial console (the guest's batch shell).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { findNicModel } from '../../src/devices/models.js';
import { attachToV86, type V86Nic } from '../../src/v86/index.js';
import { nodeV86Backends } from '../../src/v86/backends.node.js';
import { openPcapFile, type PcapFile } from '../../src/pcap/file.node.js';
import { readPcap } from '../../src/pcap/reader.js';
import type { BootedGuest } from '../../src/v86/guest/boot.node.js';
import type { UserNet } from '../../src/netdev/user/index.js';
import { IN_CI, blob, boot, guestAvailability, httpGet, httpServer, pingSummary } from './harness.js';

interface NicRow {
  title: string;
  /** The NIC_MODELS driver that must exist for the row to run. */
  model: string;
  /** The -device string; undefined: the model has no way yet to present this variant. */
  device: string | undefined;
  /** vendor:device as Linux prints it in sysfs. */
  ids: string;
  /** The Linux PCI driver that must bind. */
  linuxDriver: string;
  /** The driver sends TCP segmentation offload frames (handed whole to the user-mode stack). */
  tso: boolean;
  /** The driver takes TCP GSO frames on receive (virtio-net's GUEST_TSO4). */
  rxGso?: boolean;
}

export const NIC_ROWS: readonly NicRow[] = [
  { title: 'e1000 (82540EM)', model: 'e1000', device: 'e1000', ids: '0x8086:0x100e', linuxDriver: 'e1000', tso: true },
  { title: 'virtio-net-pci legacy', model: 'virtio-net-pci', device: 'virtio-net-pci,disable-modern=on', ids: '0x1af4:0x1000', linuxDriver: 'virtio-pci', tso: true, rxGso: true },
  { title: 'virtio-net-pci modern', model: 'virtio-net-pci', device: 'virtio-net-pci,disable-legacy=on', ids: '0x1af4:0x1041', linuxDriver: 'virtio-pci', tso: true, rxGso: true },
  { title: 'rtl8139 rev 0x20 (8139cp)', model: 'rtl8139', device: 'rtl8139', ids: '0x10ec:0x8139', linuxDriver: '8139cp', tso: true },
  // QEMU's rtl8139 is rev 0x20 (RTL8139C+); x-revision=0x10 (a nicemu property) presents an RTL8139C for 8139too.
  { title: 'rtl8139 rev 0x10 (8139too)', model: 'rtl8139', device: 'rtl8139,x-revision=0x10', ids: '0x10ec:0x8139', linuxDriver: '8139too', tso: false },
];

const { manifest, reason } = guestAvailability();
const PING_OVERRIDE = process.env['NICEMU_GUEST_PINGS'];

describe('guest tier prerequisites', () => {
  it.runIf(IN_CI)('the guest image is prepared (CI=true)', () => {
    expect(reason, `guest image missing in CI: run scripts/prepare-guest.sh in .ci/run`).toBeUndefined();
  });
});

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

for (const row of NIC_ROWS) {
  const modelThere = findNicModel(row.model) !== undefined;
  const runnable = manifest !== undefined && modelThere && row.device !== undefined;
  const title = `guest: Linux in v86 on ${row.title}`;
  if (!runnable) {
    describe(title, () => {
      it.todo(!modelThere ? `waits for the ${row.model} model in NIC_MODELS` : `skipped: ${reason}`);
    });
    continue;
  }
  describe.sequential(title, () => {
    let guest: BootedGuest;
    let nic: V86Nic;
    let user: UserNet | undefined;
    let http: Awaited<ReturnType<typeof httpServer>>;
    let pcap: PcapFile;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nicemu-guest-'));
    const pcapPath = path.join(tmp, 'guest.pcap');
    const web = blob(512 * 1024, 7);
    const tftpFile = blob(96 * 1024, 11);
    const token = `nicemu-hostfwd-${process.pid}-${Date.now()}`;
    // A command that times out says what the device and the adapter saw (counters, IRQ deferrals, clock).
    const sh = (cmd: string, timeoutMs?: number): ReturnType<BootedGuest['console']['run']> =>
      guest.console.run(cmd, timeoutMs).catch((e: unknown) => {
        const st = nic.stats();
        throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- ${row.title} ---\n${JSON.stringify({ device: st.device, net: st.net, host: st.host, clock: st.clock })}`);
      });
    const PING_COUNT = Number(PING_OVERRIDE ?? 1000);

    beforeAll(async () => {
      fs.mkdirSync(path.join(tmp, 'tftp'));
      fs.writeFileSync(path.join(tmp, 'tftp', 'tftp.bin'), tftpFile.bytes);
      http = await httpServer({ '/blob': web.bytes });
      guest = await boot(manifest!, async (emu) => {
        nic = await attachToV86(emu, {
          device: row.device!,
          netdev: `user,id=net0,hostname=nicemu-guest,domainname=nicemu.test,dnssearch=a.nicemu.test,dnssearch=nicemu.test,hostfwd=tcp:127.0.0.1:0-:8080,tftp=${path.join(tmp, 'tftp')}`,
          backends: nodeV86Backends({ onUserNet: (n) => (user = n) }),
          v86Version: manifest!.v86Version,
        });
        pcap = openPcapFile(pcapPath, nic.clock);
        nic.startCapture(pcap.writer);
      });
      const ready = await guest.console.waitFor(/^NICEMU-READY/, 150_000);
      if (!ready) throw new Error(`guest did not get ready:\n${guest.console.text().split('\n').slice(-30).join('\n')}`);
    }, 180_000);

    afterAll(async () => {
      nic?.detach();
      pcap?.close();
      await guest?.stop();
      await http?.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    it(`Linux's ${row.linuxDriver} driver probed our device`, () => {
      const line = guest.console.find(/^NICEMU-PCI 0000:00:03\.0 /);
      expect(line?.text).toContain(row.ids);
      expect(line?.text).toContain(`driver=${row.linuxDriver}`);
      expect(line?.text).toMatch(/irq=11\b/);
    });

    it('link is up', () => {
      expect(guest.console.find(/^NICEMU-LINK /)?.text).toMatch(new RegExp(`carrier=1 mac=${nic.mac}`));
      expect(nic.linkUp).toBe(true);
    });

    it('DHCP lease from -netdev user', () => {
      expect(guest.console.find(/^NICEMU-LEASE /)?.text).toMatch(/bound ip=10\.0\.2\.15 mask=24 router=10\.0\.2\.2 dns=10\.0\.2\.3/);
    });

    it(`ping the gateway ${PING_COUNT} x 1400 bytes, 0% loss`, async () => {
      const t = performance.now();
      const r = await sh(`ping -c ${PING_COUNT} -s 1400 -A -W 2 10.0.2.2 | tail -n 3`, 240_000);
      const s = pingSummary(r.output);
      process.stderr.write(`[guest ${row.title}] ${PING_COUNT} pings in ${((performance.now() - t) / 1000).toFixed(1)} s: ${r.output.join(' | ')}\n`);
      expect(s).toEqual({ sent: PING_COUNT, received: PING_COUNT, lossPct: 0 });
    }, 250_000);

    it('DNS lookup through the virtual DNS server', async () => {
      const r = await sh('nslookup localhost 10.0.2.3 2>&1', 30_000);
      expect(r.output.join('\n')).toMatch(/Address:?\s+(1: )?127\.0\.0\.1/);
    }, 40_000);

    it('wget from a loopback HTTP server, byte-exact', async () => {
      const r = await sh(`wget -q -O /tmp/blob http://10.0.2.2:${http.port}/blob && md5sum /tmp/blob`, 120_000);
      expect(r.code).toBe(0);
      expect(r.output.join('\n')).toContain(web.md5);
      expect(http.requests).toContain('GET /blob');
    }, 130_000);

    it('hostfwd: the host reaches a server in the guest', async () => {
      const started = await sh(`mkdir -p /www && echo ${token} > /www/index.html && httpd -p 8080 -h /www && echo started`);
      expect(started.output).toContain('started');
      const port = user?.hostfwd[0]?.port;
      expect(port).toBeGreaterThan(0);
      const res = await httpGet(port!, '/index.html');
      expect(res.status).toBe(200);
      expect(res.body.toString().trim()).toBe(token);
    }, 60_000);

    it('TFTP get from the built-in server', async () => {
      const r = await sh('tftp -g -r tftp.bin -l /tmp/tftp.bin 10.0.2.2 && md5sum /tmp/tftp.bin', 120_000);
      expect(r.code).toBe(0);
      expect(r.output.join('\n')).toContain(tftpFile.md5);
    }, 130_000);

    it('IPv6: SLAAC address in fec0::/64 and ping6 of the host', async () => {
      const addr = await sh(`for i in $(seq 1 50); do ip -6 addr show dev $(cat /tmp/iface) | grep 'inet6 fec0::' | grep -qv tentative && break; sleep 0.2; done; ip -6 addr show dev $(cat /tmp/iface) | grep 'inet6 fec0::'`, 30_000);
      expect(addr.output.join('\n')).toMatch(/inet6 fec0::[0-9a-f:]+\/64/);
      const r = await sh('ping -6 -c 5 -i 0.2 -W 2 -w 15 fec0::2 2>&1 | tail -n 3', 40_000);
      expect(pingSummary(r.output)).toEqual({ sent: 5, received: 5, lossPct: 0 });
    }, 70_000);

    it('the pcap holds the guest traffic (and opens in tshark when installed)', () => {
      pcap.close();
      const parsed = readPcap(fs.readFileSync(pcapPath));
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(parsed.records.length).toBeGreaterThan(2 * PING_COUNT);
      if (hasTshark()) {
        const out = execFileSync('tshark', ['-r', pcapPath, '-Y', 'dhcp || bootp', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        expect(out.trim().split('\n').length).toBeGreaterThanOrEqual(2);
      } else if (IN_CI) {
        throw new Error('tshark is not installed (.ci/run installs it)');
      }
      const st = nic.stats();
      process.stderr.write(`[guest ${row.title}] boot: ${JSON.stringify(guest.marks)} device: ${JSON.stringify({ tx: st.net.txFrames, rx: st.net.rxFrames, host: st.host, clock: st.clock })}\n`);
    });

    it(`capture off: 2 MiB from the guest's httpd through hostfwd, byte-exact${row.tso ? ', TSO frames handed whole to the user-mode stack' : ''}`, async () => {
      // With no capture on the NIC, TSO frames go to the user-mode stack unsegmented.
      nic.stopCapture();
      const made = await sh('dd if=/dev/urandom of=/www/big bs=65536 count=32 2>/dev/null && md5sum /www/big', 60_000);
      const md5 = /^([0-9a-f]{32})/m.exec(made.output.join('\n'))?.[1];
      expect(md5).toBeDefined();
      const before = nic.stats().device['txOffloaded'] ?? 0;
      const res = await httpGet(user!.hostfwd[0]!.port, '/big', 60_000);
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(2 * 1024 * 1024);
      expect(createHash('md5').update(res.body).digest('hex')).toBe(md5);
      const handed = (nic.stats().device['txOffloaded'] ?? 0) - before;
      if (row.tso) expect(handed).toBeGreaterThan(0);
      else expect(handed).toBe(0);
    }, 90_000);

    it(`capture off: 4 MiB wget from the host, byte-exact${row.rxGso ? ', as GSO frames the driver takes whole' : ''}`, async () => {
      const big = blob(4 * 1024 * 1024, 13);
      http.files['/big'] = big.bytes;
      const before = nic.stats().device['rxGsoFrames'] ?? 0;
      const r = await sh(`wget -q -O /tmp/big http://10.0.2.2:${http.port}/big && md5sum /tmp/big && rm /tmp/big`, 120_000);
      expect(r.code).toBe(0);
      expect(r.output.join('\n')).toContain(big.md5);
      const gso = (nic.stats().device['rxGsoFrames'] ?? 0) - before;
      if (row.rxGso) expect(gso).toBeGreaterThan(0);
      else expect(gso).toBe(0);
    }, 130_000);
  });
}
