/**
 * Every NIC model `-device`, `-nic model=` and the v86 adapter can create.
 * A static list (no registration side effects), so bundlers can see it.
 */
import type { NicModel } from './nic.js';

export const NIC_MODELS: readonly NicModel[] = [];

export function findNicModel(driver: string): NicModel | undefined {
  return NIC_MODELS.find((m) => m.driver === driver);
}
