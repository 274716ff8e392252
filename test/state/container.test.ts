import { describe, expect, it } from 'vitest';
import {
  bool,
  bytes,
  defineState,
  parseContainer,
  restoreContainer,
  restoreDevice,
  save,
  saveContainer,
  u32array,
  u8,
  type StateOf,
} from '../../src/state/index.js';

const E1000 = defineState({ name: 'e1000', version: 2, fields: { mac: bytes(6), regs: u32array(8) } });
const HUB = defineState({ name: 'hub', version: 1, fields: { ports: u8(), up: bool() } });

const nic: StateOf<typeof E1000> = { mac: Uint8Array.of(1, 2, 3, 4, 5, 6), regs: Uint32Array.of(1, 2, 3, 4, 5, 6, 7, 8) };
const hub: StateOf<typeof HUB> = { ports: 3, up: true };
const machine = (): Record<string, unknown> => JSON.parse(JSON.stringify(saveContainer({ nic0: save(E1000, nic), hub0: save(HUB, hub) })));

describe('state container', () => {
  it('saveContainer wraps saved devices in the versioned envelope', () => {
    const c = saveContainer({ nic0: save(E1000, nic) });
    expect(c.format).toBe('nicemu-state');
    expect(c.version).toBe(1);
    expect(Object.keys(c.devices)).toEqual(['nic0']);
  });

  it('restoreContainer round-trips a whole machine through JSON', () => {
    const r = restoreContainer(machine(), { nic0: E1000, hub0: HUB });
    expect(r).toEqual({ ok: true, value: { nic0: nic, hub0: hub } });
    if (r.ok) {
      // typed per device
      const regs: Uint32Array = r.value.nic0.regs;
      const ports: number = r.value.hub0.ports;
      expect([regs[0], ports]).toEqual([1, 3]);
    }
  });

  it('restoreDevice restores one device; errors are prefixed with the device id', () => {
    const c = parseContainer(machine());
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(restoreDevice(c.value, 'hub0', HUB)).toEqual({ ok: true, value: hub });
    expect(restoreDevice(c.value, 'nic0', HUB)).toEqual({
      ok: false,
      error: { kind: 'wrong-name', path: 'nic0/hub', why: 'saved state is for "e1000", not "hub"' },
    });
    expect(restoreDevice(c.value, 'nic1', E1000)).toMatchObject({ ok: false, error: { kind: 'missing-device', path: 'nic1' } });
  });

  it('a device field error names the device and the field', () => {
    const m = machine() as { devices: { nic0: { fields: { regs: string } } } };
    m.devices.nic0.fields.regs = Buffer.alloc(12).toString('base64');
    const r = restoreContainer(m, { nic0: E1000, hub0: HUB });
    expect(r).toEqual({ ok: false, error: { kind: 'wrong-length', path: 'nic0/e1000.regs', why: 'expected 8 entries, got 3' } });
  });

  it('missing and unknown devices', () => {
    expect(restoreContainer(machine(), { nic0: E1000 })).toMatchObject({ ok: false, error: { kind: 'unknown-device', path: 'hub0' } });
    expect(restoreContainer(machine(), { nic0: E1000, hub0: HUB, nic1: E1000 })).toMatchObject({
      ok: false,
      error: { kind: 'missing-device', path: 'nic1' },
    });
  });

  it('the envelope is checked: format, version, devices, extra keys, device outline', () => {
    const m = machine();
    expect(parseContainer(null)).toMatchObject({ ok: false, error: { kind: 'bad-format', path: 'nicemu-state' } });
    expect(parseContainer({ ...m, format: 'qemu' })).toMatchObject({ ok: false, error: { kind: 'wrong-name', why: /"nicemu-state"/ } });
    expect(parseContainer({ ...m, version: 2 })).toMatchObject({ ok: false, error: { kind: 'version-too-new' } });
    expect(parseContainer({ ...m, version: '1' })).toMatchObject({ ok: false, error: { kind: 'bad-version' } });
    expect(parseContainer({ ...m, devices: [] })).toMatchObject({ ok: false, error: { kind: 'bad-format', path: 'nicemu-state.devices' } });
    expect(parseContainer({ ...m, extra: 1 })).toMatchObject({ ok: false, error: { kind: 'unknown-field', path: 'nicemu-state.extra' } });
    expect(parseContainer({ ...m, devices: { nic0: { name: 'e1000', version: 1 } } })).toMatchObject({
      ok: false,
      error: { kind: 'bad-format', path: 'nic0', why: /"fields"/ },
    });
    expect(parseContainer({ ...m, devices: { nic0: { name: 'e1000', version: 0, fields: {} } } })).toMatchObject({
      ok: false,
      error: { kind: 'bad-version', path: 'nic0' },
    });
  });
});
