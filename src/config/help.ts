/**
 * What QEMU 7.2 prints for the help requests the parsers return:
 * net/net.c show_netdevs ("Available netdev backend types:") and
 * qemu_show_nic_models ("Available NIC models:"), qdev-monitor.c
 * qdev_print_devinfos / qdev_device_help for -device.
 */
import type { HelpRequest, NicModel } from './types.js';

/** NIC models in QEMU's sorted order (qemu_get_nic_models on pc). */
export const NIC_MODELS: readonly NicModel[] = ['e1000', 'e1000-82544gc', 'e1000-82545em', 'rtl8139', 'virtio-net-pci'];

export function isHelpRequest(x: unknown): x is HelpRequest {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'help';
}

/** The text QEMU prints for `help` (then it exits). */
export function helpText(h: HelpRequest): string {
  const lines: string[] = [];
  switch (h.topic) {
    case 'netdev-types':
      lines.push('Available netdev backend types:', ...h.netdevTypes);
      break;
    case 'nic':
      lines.push('Available netdev backend types:', ...h.netdevTypes, '', 'Available NIC models:', ...h.nicModels);
      break;
    case 'nic-models':
      lines.push('Available NIC models:', ...h.nicModels);
      break;
    case 'devices':
      lines.push('Network devices:', ...h.drivers.map((d) => `name "${d}", bus PCI`));
      break;
    case 'device-properties':
      if (h.properties.length === 0) {
        lines.push(`There are no options for ${h.driver}.`);
        break;
      }
      lines.push(`${h.driver} options:`);
      for (const p of [...h.properties].sort((a, b) => a.name.localeCompare(b.name))) {
        let line = `  ${p.name}=<${p.type}>`;
        const extra = [p.doc, p.default !== undefined ? `(default: ${p.default})` : undefined].filter(Boolean);
        if (extra.length) line = `${line.padEnd(24)} - ${extra.join(' ')}`;
        lines.push(line);
      }
      break;
    default: {
      const never: never = h;
      return never;
    }
  }
  return `${lines.join('\n')}\n`;
}
