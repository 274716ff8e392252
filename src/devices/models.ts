/**
 * Every NIC model `-device`, `-nic model=` and the v86 adapter can create.
 * A static list (no registration side effects), so bundlers can see it.
 */
import type { NicModel } from './nic.js';
import { E1000_MODELS } from './e1000/index.js';
import { VIRTIO_NET_PCI } from './virtio-net/index.js';
import { RTL8139_MODEL } from './rtl8139/index.js';

export const NIC_MODELS: readonly NicModel[] = [...E1000_MODELS, RTL8139_MODEL, VIRTIO_NET_PCI];

export function findNicModel(driver: string): NicModel | undefined {
  return NIC_MODELS.find((m) => m.driver === driver);
}
