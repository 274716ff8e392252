/**
 * The Realtek RTL8139 family as the `-device rtl8139` model.
 *
 * Revision (`-device rtl8139,x-revision=N`, nicemu extension, default 0x20):
 *  - 0x20 and above: RTL8139C+ (QEMU's fixed choice). TCR reads the C+
 *    hardware version (0x74800000), CPCR exists and C+ mode works. Linux
 *    binds `8139cp` (8139too refuses revisions >= 0x20).
 *  - below 0x20, e.g. 0x10: RTL8139C. TCR reads 0x74000000, CPCR reads 0 and
 *    ignores writes (no C+ mode). Linux binds `8139too` (8139cp refuses it).
 *
 * Deliberate differences from QEMU 7.2 (each one that a recorded trace shows
 * is listed with its reason in test/replay/allow-rtl8139.ts):
 *  - RX backpressure: in ring mode a frame that does not fit in the free part
 *    of the ring waits in the net queue until a CAPR write makes room
 *    (a wait lasting RX_POLL_NS is reported with RxOverflow, ISR bit 4,
 *    again RX_POLL_NS after each acknowledgement while it lasts; no MPC); in C+
 *    mode a frame that meets a host-owned descriptor waits (reported once
 *    with RDU, ISR bit 4, no MPC) until the driver hands a descriptor back.
 *    QEMU drops (RxOverflow, MPC) in both cases. Only frames that can never
 *    fit (larger than the ring, larger than the current C+ buffer) are
 *    dropped with RxOverflow and MPC.
 *  - How C+ mode learns of new RX descriptors: the driver pokes no register
 *    when it sets OWN. While a frame waits, the current descriptor is checked
 *    again at the end of every register access (8139cp always writes
 *    IntrStatus/IntrMask in its RX poll) and by a poll timer every 500 us of
 *    virtual time, armed only while a frame waits in C+ mode.
 *  - RX checksum reporting with CPCR.RxChkSum: protocol ID (TCP 1, UDP 2,
 *    other IPv4 3) and IPF/UDPF/TCPF in RX descriptors (QEMU leaves them 0).
 *  - IntrMitigate (0xE2) is honoured on the clock: bits 7:4 hold ROK back for
 *    that many units of 100 us (bits 3:0: or until that many frames), bits
 *    15:12 and 11:8 the same for TOK. 0 (what 8139cp writes) changes nothing.
 *    The RTL8139C+ datasheet names the register without a public layout;
 *    this is nicemu's reading after the RTL8169's register of the same name.
 *  - TPPoll.HPQ sends the high-priority ring (THPDS) before the normal one;
 *    QEMU ignores it. TPPoll.FSWInt raises SWInt.
 *  - TSO keeps FIN/PSH on the last segment (QEMU loses them on every
 *    segment); CWR only on the first.
 *  - Normal-mode TX sends every descriptor the driver released, in order,
 *    from the current one (QEMU sends at most the current descriptor per
 *    TSD write and leaves later ones pending).
 *  - An RCR write keeps the ring pointers (QEMU resets them to 0, which
 *    desynchronises 8139too when it toggles promiscuous mode); enabling the
 *    receiver (CR.RE rising) starts at the ring's beginning and the first C+
 *    descriptor, CR.TE rising at the first C+ TX descriptors.
 *  - CR.RST keeps IDR0-5 and MAR0-7 (datasheet §5.5); QEMU restores the
 *    MAC address.
 *  - The RX packet header and C+ RX descriptor tell the address class (PAM,
 *    BAR, MAR) also in promiscuous mode. C+ RX descriptors are written fresh
 *    (EOR kept), QEMU merges into what the driver left. The FCS after a C+
 *    frame is the CRC of the frame as received padded to 60 bytes (QEMU: of
 *    the unpadded length).
 *  - Byte and dword accesses to 16-bit registers (CAPR, TSAD, BMCR..CSCR)
 *    read/write the bytes they cover; QEMU answers 0 to them.
 *  - A link change (set_link) raises ISR.LinkChg and latches CSCR.LinkChange
 *    (clear on read); MSR.LINKB and BMSR.LinkStatus follow the link.
 *  - Frames longer than 4096 bytes are never delivered (the chip's LONG
 *    limit); no DMA happens while PCI bus mastering is off.
 * Kept from QEMU on purpose: the capability pointer 0xdc without the
 * capability-list status bit, CR reading RST|BUFE at power-on, IMR bits
 * 9-12, the write masks of TCR/RCR/CONFIGx/Cfg9346/BMCR/CSCR, TCR writes
 * ignored while TE is off, what a software reset keeps (RCR, TSADs),
 * unpadded short TX frames, ISR writes dropping the line for a moment, TCTR
 * in 30 ns ticks with QEMU's TimerInt schedule, the EEPROM image and its
 * read protocol, C+ TSO with the descriptor MSS as TCP payload per segment.
 */
import type { NicModel, RegisterSpot } from '../nic.js';
import { RTL8139_REGS } from './regs.js';
import { createRtl8139 } from './device.js';

export {
  Rtl8139,
  createRtl8139,
  rtl8139OptionsFrom,
  DEFAULT_RTL8139_OPTIONS,
  REVISION_8139C,
  REVISION_8139CP,
  PCI_PERIOD_NS,
  MITIGATION_UNIT_NS,
  RX_POLL_NS,
  type Rtl8139Options,
  type Rtl8139Counters,
} from './device.js';
export { RTL8139_REGS, REG, regName, type RegDef } from './regs.js';
export { RTL8139_STATE } from './state.js';
export { encodeTally, TALLY_BYTES, type Tally } from './tally.js';

/** The register map for fuzzers and tracers: every register through both BARs (I/O and MMIO). */
const RTL8139_REGISTER_SPOTS: readonly RegisterSpot[] = RTL8139_REGS.flatMap((r) => [
  { bar: 0, offset: r.offset, width: r.width, name: r.name },
  { bar: 1, offset: r.offset, width: r.width, name: r.name },
]);

export const RTL8139_MODEL: NicModel = {
  driver: 'rtl8139',
  description: 'Realtek RTL8139C+ Fast Ethernet (x-revision=0x10: RTL8139C)',
  create: (ctx, props) => createRtl8139(ctx, props),
  registers: RTL8139_REGISTER_SPOTS,
};
