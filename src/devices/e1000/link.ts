/**
 * Link state: the cable (the netdev's link, QMP set_link) and the PHY's
 * autonegotiation, as a small state machine. The register effects of each
 * state are applied by `enterLinkPhase`; the device decides which event a
 * change is (autonegotiation enabled or not) and signals LSC.
 *
 *   down --carrier-up-autoneg--> negotiating --an-complete--> up
 *   down --carrier-up-forced--> up
 *   negotiating|up --carrier-lost--> down
 *   up|negotiating --an-restart--> negotiating
 *
 * Autonegotiation takes 500 ms of virtual time (as in QEMU; the 88E1011
 * needs a few hundred ms, SDM 8.6).
 */
import { ANLPAR_ACK, BMSR, PHY } from './phy.js';
import { IDX, STATUS } from './regs.js';

export type LinkPhase = 'down' | 'negotiating' | 'up';
export type LinkEvent = 'carrier-lost' | 'carrier-up-autoneg' | 'carrier-up-forced' | 'an-restart' | 'an-complete';

export const LINK_PHASES: readonly LinkPhase[] = ['down', 'negotiating', 'up'];

export const LINK_TRANSITIONS: { readonly [P in LinkPhase]: { readonly [E in LinkEvent]?: LinkPhase } } = {
  down: { 'carrier-up-autoneg': 'negotiating', 'carrier-up-forced': 'up' },
  negotiating: { 'carrier-lost': 'down', 'an-restart': 'negotiating', 'an-complete': 'up' },
  up: { 'carrier-lost': 'down', 'an-restart': 'negotiating' },
};

export const AUTONEG_MS = 500;

export function nextLinkPhase(phase: LinkPhase, event: LinkEvent): LinkPhase | undefined {
  return LINK_TRANSITIONS[phase][event];
}

/** Register effects of entering `phase` (by `event`). */
export function enterLinkPhase(mac: Uint32Array, phy: Uint16Array, phase: LinkPhase, event: LinkEvent): void {
  switch (phase) {
    case 'down':
    case 'negotiating':
      mac[IDX.STATUS] = mac[IDX.STATUS]! & ~STATUS.LU;
      phy[PHY.BMSR] = phy[PHY.BMSR]! & ~(BMSR.LINK_ST | BMSR.AN_COMP);
      phy[PHY.ANLPAR] = phy[PHY.ANLPAR]! & ~ANLPAR_ACK;
      return;
    case 'up':
      mac[IDX.STATUS] = mac[IDX.STATUS]! | STATUS.LU;
      phy[PHY.BMSR] = phy[PHY.BMSR]! | BMSR.LINK_ST;
      if (event === 'an-complete') {
        phy[PHY.ANLPAR] = phy[PHY.ANLPAR]! | ANLPAR_ACK;
        phy[PHY.BMSR] = phy[PHY.BMSR]! | BMSR.AN_COMP;
      }
      return;
    default: {
      const never: never = phase;
      return never;
    }
  }
}
