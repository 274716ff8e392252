/**
 * MAC address text, with the two grammars QEMU 7.2 uses:
 *
 * - `parseMac`: the qdev `mac=` property of `-device` (hw/core/qdev-properties-system.c
 *   set_mac): exactly six two-digit hex groups separated by ':' or '-'.
 *   Multicast addresses are accepted, as QEMU does for -device.
 * - `parseLegacyMac`: net/util.c net_parse_macaddr, used by `-nic mac=` and
 *   `-net nic,macaddr=`: either a number 0..0xffffff (base 0) that sets the
 *   last three bytes, or six strtol(base 16) groups separated by ':' or '-'.
 *   An all-zero result means "unset" (QEMU then assigns 52:54:00:12:34:xx).
 */
import { strtoll } from './cutils.js';

export type MacResult =
  | { readonly ok: true; readonly value: Uint8Array }
  | { readonly ok: false; readonly error: string };

const QDEV_MAC = /^[0-9a-fA-F]{2}(?:[:-][0-9a-fA-F]{2}){5}$/;

/** Parse `aa:bb:cc:dd:ee:ff` (or with '-') into six bytes. */
export function parseMac(text: string): MacResult {
  if (!QDEV_MAC.test(text)) return { ok: false, error: `invalid MAC address '${text}'` };
  const value = new Uint8Array(6);
  for (let i = 0; i < 6; i++) value[i] = parseInt(text.slice(i * 3, i * 3 + 2), 16);
  return { ok: true, value };
}

/** net_parse_macaddr(); the error text is QEMU's for `-nic`/`-net`. */
export function parseLegacyMac(text: string): MacResult {
  const value = new Uint8Array(6);
  const whole = strtoll(text, 0);
  if (!whole.errno && whole.end === text.length && whole.value >= 0n && whole.value <= 0xffffffn) {
    const n = Number(whole.value);
    value[3] = (n >> 16) & 0xff;
    value[4] = (n >> 8) & 0xff;
    value[5] = n & 0xff;
    return { ok: true, value };
  }
  let p = 0;
  for (let i = 0; i < 6; i++) {
    const r = strtoll(text, 16, p);
    value[i] = Number(BigInt.asUintN(8, r.value));
    p = r.end;
    if (i === 5) {
      if (p !== text.length) return { ok: false, error: 'invalid syntax for ethernet address' };
    } else {
      if (text[p] !== ':' && text[p] !== '-') return { ok: false, error: 'invalid syntax for ethernet address' };
      p++;
    }
  }
  return { ok: true, value };
}

/** Lower-case colon form, as QEMU prints MACs. */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** is_multicast_ether_addr(): the I/G bit of the first byte. */
export function isMulticastMac(mac: Uint8Array): boolean {
  return ((mac[0] ?? 0) & 1) === 1;
}

export function isZeroMac(mac: Uint8Array): boolean {
  return mac.every((b) => b === 0);
}
