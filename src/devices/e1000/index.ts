/**
 * The e1000 family as `-device` models: `e1000` (82540EM, 8086:100E),
 * `e1000-82544gc` (8086:100C) and `e1000-82545em` (8086:100F).
 *
 * Deliberate differences from QEMU 7.2 (test/replay/allow-e1000.ts lists
 * each one a recorded trace shows, with its reason):
 *  - the I/O BAR works: IOADDR (offset 0) selects a register, IODATA (offset 4)
 *    reads and writes it (SDM 13.2.2); QEMU's BAR1 reads 0 and ignores writes.
 *    Linux uses it for CTRL.RST on 82545EM rev 3;
 *  - RX checksum offload (RXCSUM.IPOFLD/TUOFLD, SDM 3.2.9): IPCS/TCPCS and
 *    IPE/TCPE in the descriptor, the packet checksum (from PCSS) in its csum
 *    field; QEMU ignores RXCSUM and always reports IXSM;
 *  - RDTR and TIDV delay RXT0 and TXDW (RADV/TADV cap the delay, FPD
 *    flushes; SDM 13.4.30-31, 13.4.44-45); QEMU raises them at once and uses
 *    RADV/TADV only to lengthen its mitigation window. TIDV is a register here;
 *  - CTRL.RST resets the MAC registers (SDM 13.4.1), keeping the PHY and link;
 *    QEMU 7.2 ignores it;
 *  - registers QEMU lacks exist with their SDM masks: TIPG, CTRL_EXT (EE_RST
 *    self-clearing), FCAL/FCAH/FCT/FCTTV, FCRTL/FCRTH, TXCW/RXCW, RXDCTL, RSRPD,
 *    RXCSUM, TXDMAC, TSPMT (reset 0x01000400), WUPL; MANC is writable;
 *  - every statistics register clears on read (SDM 13.7), MPC and RNBC and the
 *    collision counters included; BPRC/MPRC count by destination address (QEMU
 *    counts a broadcast taken through MPE as multicast); TSCTC counts once per
 *    TSO frame; TSCTFC counts TSO frames that ended before their headers;
 *  - backpressure: a frame that needs more descriptors than are free waits in
 *    the queue (counted once in RNBC) and goes in after the next RDT write;
 *    QEMU drops it as an overrun. Frames that wait because the ring is empty
 *    are counted in RNBC too. Only a frame larger than the whole ring is
 *    dropped (RNBC, MPC, RXO). Descriptors from RDT on are never written, also
 *    with null buffer addresses (skipped with DD and length 0), where QEMU can
 *    run past RDT;
 *  - RX descriptors are written fresh (status, errors, checksum), not merged
 *    with what the guest left in them;
 *  - TSO: IPv6 payload length = segment length - IPCSS - 40 (QEMU: - IPCSS
 *    only); no extra header-only segment when the payload is a multiple of
 *    the MSS (SDM 3.5: PAYLEN/MSS segments); no zero-length frames;
 *  - legacy TX descriptors with IC insert a checksum at CSO from CSS (SDM
 *    3.3.2); QEMU ignores IC;
 *  - a machine reset also resets the EEPROM bit-bang state (QEMU keeps it);
 *  - with bus mastering off the TX ring is not walked at all.
 *
 * Kept from QEMU on purpose (drivers are used to them, traces replay):
 * the 128 us minimum interrupt window even with ITR 0 (property
 * `mitigation`); TXQE on every transmitter run; ICS reading as ICR; the 1 s
 * receive hold-off after an RCTL write (nicemu option `x-rctl-flush-ms`,
 * default 1000, 0 turns it off); millisecond-granular autonegotiation (500 ms)
 * and hold-off timers; no LSC when a BMCR restart takes the link down; the
 * 64-word EEPROM image and checksum; frames up to 1522 bytes (16384 with LPE)
 * counted without FCS; MPE accepting broadcast; the PHY register set and
 * PHY_RST/BMCR.RESET having no effect; no TX padding (PSP) and no FCS.
 */
import type { NicModel, RegisterSpot } from '../nic.js';
import { createE1000, type E1000Variant } from './device.js';
import { PHY_ID2_82544, PHY_ID2_8254X } from './phy.js';
import { E1000_REGS } from './regs.js';

export { E1000, createE1000, parseE1000Props, e1000OptionsFrom, DEFAULT_E1000_OPTIONS, type E1000Options, type E1000Variant, type E1000Counters } from './device.js';
export { E1000_REGS, regName, type RegDef } from './regs.js';
export { E1000_STATE } from './state.js';

export const E1000_82540EM: E1000Variant = { driver: 'e1000', deviceId: 0x100e, phyId2: PHY_ID2_8254X, description: 'Intel Gigabit Ethernet (82540EM)' };
export const E1000_82544GC: E1000Variant = { driver: 'e1000-82544gc', deviceId: 0x100c, phyId2: PHY_ID2_82544, description: 'Intel Gigabit Ethernet (82544GC)' };
export const E1000_82545EM: E1000Variant = { driver: 'e1000-82545em', deviceId: 0x100f, phyId2: PHY_ID2_8254X, description: 'Intel Gigabit Ethernet (82545EM)' };

/**
 * The register map for fuzzers and tracers, from the register table: every
 * register and table entry of BAR0 (the 16 K-entry packet buffer memory and
 * the flexible-filter tables by their first and last entries), and
 * IOADDR/IODATA in BAR1.
 */
export const E1000_REGISTER_SPOTS: readonly RegisterSpot[] = [
  ...E1000_REGS.flatMap((r) => {
    const n = r.count ?? 1;
    const idx = n > 128 ? [0, n - 1] : Array.from({ length: n }, (_, k) => k);
    return idx.map((k): RegisterSpot => ({ bar: 0, offset: r.offset + 4 * k, width: 4, name: n > 1 ? `${r.name}[${k}]` : r.name }));
  }),
  { bar: 1, offset: 0, width: 4, name: 'IOADDR' },
  { bar: 1, offset: 4, width: 4, name: 'IODATA' },
];

function model(v: E1000Variant): NicModel {
  return { driver: v.driver, description: v.description, create: (ctx, props) => createE1000(ctx, v, props), registers: E1000_REGISTER_SPOTS };
}

export const E1000_MODELS: readonly NicModel[] = [model(E1000_82540EM), model(E1000_82544GC), model(E1000_82545EM)];
