/**
 * Reviewed differences between nicemu's rtl8139 and QEMU 7.2 in the recorded
 * traces (test/fixtures/qemu/rtl8139-*.json). Every entry is a deliberate
 * choice, explained in `reason` (see also src/devices/rtl8139/index.ts); the
 * replay test fails on any mismatch not listed here, and on any entry that no
 * longer matches anything.
 *
 * `section` is the text of the trace's last `section: ...` note before the
 * mismatch (`*` for any section, `*end*` for the end-of-trace IRQ and frame
 * checks); `what` matches the replayer's description (`inw 0xc03e`, `tx frame`, ...).
 */
import type { AllowEntry } from './harness.js';

const WORD_ONLY =
  'Byte and dword accesses to the 16-bit registers CAPR, TSAD (TxSummary) and BMCR..ANER, CSCR read the register bytes they cover (registers are byte-addressable in the datasheet map; nicemu assembles any access from the register table). QEMU 7.2 implements these registers for 16-bit accesses only and answers 0 otherwise.';
const TSO_FLAGS =
  'TSO keeps FIN and PSH on the last segment (Linux GSO semantics, wire/offload.ts). QEMU 7.2 clears them in place in its header template while building the first segment and never restores them, so every segment it sends lacks FIN/PSH (a FIN sent with large send is lost).';
const HPQ =
  'TPPoll.HPQ transmits the high-priority ring at THPDS (RTL8139C+ datasheet, TPPoll); QEMU 7.2 ignores HPQ, so the descriptor stays owned and no TOK is raised. The frame sent here shows up at the end of the replay.';
const RX_WAIT =
  'C+ RX backpressure: a frame that meets a host-owned descriptor waits in the net queue (RDU reported once, MPC and MissPkt not counted) and is delivered once the driver hands the descriptor back. QEMU 7.2 drops it with RxOverflow, MPC+1 and MissPkt+1.';

export const RTL8139_ALLOW: readonly AllowEntry[] = [
  // rtl8139-regs
  { fixture: 'rtl8139-regs', section: 'power-on register file, dword reads', what: /^inl 0xc0(38|6[048]|74)$/, reason: WORD_ONLY },
  { fixture: 'rtl8139-regs', section: 'power-on register file, word and byte reads', what: /^inb 0xc0(38|6[02468a]|74)$/, reason: WORD_ONLY },
  { fixture: 'rtl8139-regs', section: 'MMIO BAR mirrors the I/O registers', what: /^readl 0xfebc0064$/, reason: WORD_ONLY },

  // rtl8139-rx
  {
    fixture: 'rtl8139-rx',
    section: 'promiscuous (AAP)',
    what: /^read 0x400054$/,
    reason: 'In promiscuous mode the packet header still tells the address class (PAM for a frame to our own address, datasheet RX header bits 13-15); QEMU 7.2 sets no class bit when AAP accepts a frame.',
  },
  {
    fixture: 'rtl8139-rx',
    section: 'ring full: frames that do not fit',
    what: /^(inw 0xc03e|inl 0xc04c)$/,
    reason: 'Ring-mode RX backpressure: a frame that does not fit in the free part of the ring waits in the net queue and goes in after the driver advances CAPR; no RxOverflow, no MPC. QEMU 7.2 drops it (RxOverflow, MPC+1) when IMR enables RxOverflow. The frames delivered afterwards are the same in both.',
  },
  {
    fixture: 'rtl8139-rx',
    section: 'an RCR write while receiving (QEMU restarts the ring at 0, nicemu keeps the pointers)',
    what: /^(inw 0xc03[8a]|read 0x4000[0-9a-f]0)$/,
    reason: 'An RCR write keeps CBR/CAPR (the datasheet gives RCR no such side effect; a real RTL8139 keeps receiving where it was, which 8139too relies on when it toggles promiscuous mode). QEMU 7.2 restarts the ring at 0 on every RCR write. The header also carries PAM under AAP (see the promiscuous section).',
  },

  // rtl8139-tx
  {
    fixture: 'rtl8139-tx',
    section: 'TE on again, the next descriptor written (QEMU sends only the current one)',
    what: /^(inl 0xc018|inw 0xc060)$/,
    reason: 'Normal-mode TX sends every descriptor the driver has released (OWN=0), in order from the current one (datasheet §6.2: the four descriptors are used round-robin). QEMU 7.2 sends only the current descriptor per TSD write, so descriptor 2 stays pending there. That frame is the extra one at the end of the replay.',
  },
  { fixture: 'rtl8139-tx', section: '*end*', what: /^frames transmitted but not in trace$/, reason: 'Descriptor 2 of the section "TE on again, the next descriptor written": nicemu sends it, QEMU 7.2 leaves it pending.' },

  // rtl8139-cplus
  { fixture: 'rtl8139-cplus', section: 'TX TSO 3000 bytes, MSS 1000', what: /^tx frame$/, reason: TSO_FLAGS },
  { fixture: 'rtl8139-cplus', section: 'TX TSO 2000 bytes, MSS 536, over two descriptors', what: /^tx frame$/, reason: TSO_FLAGS },
  { fixture: 'rtl8139-cplus', section: 'TX TSO with a VLAN tag', what: /^tx frame$/, reason: TSO_FLAGS },
  { fixture: 'rtl8139-cplus', section: 'TPPoll HPQ (high priority ring), interrupts masked', what: /^(read 0x300400|inw 0xc03e)$/, reason: HPQ },
  { fixture: 'rtl8139-cplus', section: '*end*', what: /^frames transmitted but not in trace$/, reason: HPQ },
  { fixture: 'rtl8139-cplus', section: 'DTCCR tally dump', what: /^read 0x302000$/, reason: `TxOk counts the high-priority frame. ${HPQ}` },
  {
    fixture: 'rtl8139-cplus',
    section: 'TX status of the descriptors, tally after traffic',
    what: /^read 0x302000$/,
    reason: `TxOk counts the high-priority frame (${HPQ}). RxOkPhy/RxOkBrd/RxOkMul count frames delivered to the host; QEMU 7.2 counts them when the address filter accepts a frame, also when it is then dropped for lack of buffer space.`,
  },
  {
    fixture: 'rtl8139-cplus',
    section: 'RX checksum report (RxChkSum)',
    what: /^read 0x3010[4-6]0$/,
    reason: 'RX checksum offload with CPCR.RxChkSum: the descriptor reports the protocol (TCP 1, UDP 2, IP 3 in bits 17:16) and IPF/UDPF/TCPF for bad checksums, as 8139cp expects (cp_rx_csum_ok). QEMU 7.2 leaves these bits 0 ("do some packet checksumming" is empty).',
  },
  {
    fixture: 'rtl8139-cplus',
    section: 'RX short frame (padded to 60)',
    what: /^read 0x343800$/,
    reason: 'The FCS written after a padded short frame is the CRC of the padded 60 bytes, as it was on the wire (and as QEMU itself does in normal mode). QEMU 7.2 C+ mode computes it over the unpadded length.',
  },
  { fixture: 'rtl8139-cplus', section: 'RX with the descriptor owned by the host (QEMU: dropped, RxOverflow; nicemu: waits)', what: /^(inl 0xc04c|read 0x301010)$/, reason: RX_WAIT },
  { fixture: 'rtl8139-cplus', section: '*end*', what: /^IRQ event sequence$/, reason: `${RX_WAIT} Its ROK raises the line once more at the end of the trace.` },
];
