/**
 * Reviewed differences between nicemu's e1000 and QEMU 7.2 in the recorded
 * traces (test/fixtures/qemu/e1000-*.json). Every entry is a deliberate
 * choice, explained in `reason`; the replay test fails on any mismatch not
 * listed here, and on any entry that no longer matches anything.
 *
 * `section` is the text of the trace's last `section: ...` note before the
 * mismatch (`*` for any section); `what` matches the replayer's description
 * (`readl 0xfebc3830`, `inl 0xc004`, `tx frame`, ...).
 */
import type { AllowEntry } from './harness.js';

const IO_BAR = 'The I/O BAR works: IOADDR (offset 0) selects a register and IODATA (offset 4) reads/writes it (SDM 13.2.2). QEMU 7.2 implements BAR1 as a stub that reads 0.';
const SDM_REGS =
  'Registers the SDM lists for the 82540EM but QEMU 7.2 does not store (TIPG, CTRL_EXT, FCAL/FCAH/FCT/FCTTV, TXCW, FCRTL/FCRTH, RXDCTL, RSRPD, TXDMAC, TIDV, TSPMT, RXCSUM) and MANC, which QEMU makes read-only: nicemu stores them with their SDM write masks.';

export const E1000_ALLOW: readonly AllowEntry[] = [
  // e1000-basic: the rig's own e1000 scenario.
  { fixture: 'e1000-basic', section: 'STATUS/CTRL/EECD', what: /^in[bwl] 0xc00[04]$/, reason: IO_BAR },

  // e1000-regs
  { fixture: 'e1000-regs', section: 'power-on values', what: /^readl 0xfebc3830$/, reason: 'TSPMT resets to 0x01000400 (TSMT 1024, TSPBP 256, SDM 13.4.47); QEMU 7.2 has no TSPMT register.' },
  { fixture: 'e1000-regs', section: 'write masks (registers QEMU does not implement)', what: /^readl 0xfebc/, reason: SDM_REGS },
  { fixture: 'e1000-regs', section: 'I/O BAR window (QEMU stub)', what: /^(in[bwl] 0xc0|readl 0xfebc0038)/, reason: IO_BAR },
  {
    fixture: 'e1000-regs',
    section: 'CTRL.RST (QEMU 7.2 ignores it)',
    what: /^readl 0xfebc/,
    reason: 'CTRL.RST resets the MAC registers to their power-on values (SDM 13.4.1: global reset, self-clearing); QEMU 7.2 only masks the bit off.',
  },

  // e1000-tso
  {
    fixture: 'e1000-tso',
    section: 'TSO IPv6, 2000 bytes, MSS 700',
    what: /^tx frame$/,
    reason: 'IPv6 TSO: the payload length of each segment excludes the 40-byte IPv6 header (segment length - IPCSS - 40). QEMU 7.2 writes segment length - IPCSS, 40 too many.',
  },
  {
    fixture: 'e1000-tso',
    section: 'TSO IPv4, 3000 bytes, MSS 1000, FIN|PSH',
    what: /^(tx frame|readl 0xfebc40(d4|80|c8|90|f8))$/,
    reason:
      'A TSO payload that is an exact multiple of the MSS gives PAYLEN/MSS segments (SDM 3.5). QEMU 7.2 sends one more, header-only segment (with FIN/PSH) when the last data descriptor fills a segment exactly, and counts it in TPT/GPTC/TOT/GOT and a second time in TSCTC (nicemu: TSCTC once per TSO frame).',
  },
  {
    fixture: 'e1000-tso',
    section: 'TSO with MSS 0 and HDRLEN 0',
    what: /^tx frame$/,
    reason: 'Degenerate TSO contexts (MSS 0): nicemu sends no header-only repeat and no zero-length frame; QEMU 7.2 sends both.',
  },
  {
    fixture: 'e1000-tso',
    section: 'statistics after the offloads',
    what: /^readl 0xfebc40(fc|d4|80|c8|90|d8|f8)$/,
    reason:
      'TSCTFC counts a TSO frame that ended (EOP) before HDRLEN bytes of headers were supplied (SDM 13.7, TCP Segmentation Context Transmit Fail Count); QEMU 7.2 never counts it. TPT/GPTC/TOT/GOT/PTC64/TSCTC differ by the degenerate MSS-0 frames QEMU sends and nicemu does not (previous section).',
  },

  // e1000-rx
  {
    fixture: 'e1000-rx',
    section: 'empty ring: frames wait and arrive after the RDT write',
    what: /^readl 0xfebc40a0$/,
    reason: 'RNBC counts a frame that arrived while no receive descriptor was free (SDM 13.7, Receive No Buffers Count), once per waiting frame. QEMU 7.2 leaves such frames in its queue without counting.',
  },
  {
    fixture: 'e1000-rx',
    section: 'frame larger than the free descriptors (QEMU: overrun, dropped; nicemu: waits)',
    what: /^readl 0xfebc(00c0|2810|4074|40d0|4088|40c0|4010|40a0)$/,
    reason: 'Backpressure: a frame that needs more descriptors than are free waits in the queue and is delivered after the next RDT write (counted once in RNBC). QEMU 7.2 drops it as an overrun (RXO, MPC). Only a frame larger than the whole ring is dropped by nicemu.',
  },
  {
    fixture: 'e1000-rx',
    section: 'RX checksum offload (RXCSUM.TUOFLD | IPOFLD)',
    what: /^read 0x1020[0-5]0$/,
    reason: 'RX checksum offload (SDM 3.2.9): with RXCSUM.IPOFLD/TUOFLD the descriptor reports IPCS/TCPCS and IPE/TCPE and carries the packet checksum; QEMU 7.2 ignores RXCSUM and always reports IXSM.',
  },

  // e1000-delay
  {
    fixture: 'e1000-delay',
    section: '*',
    what: /^readl 0xfebc(00c8|3820)$/,
    reason:
      'RDTR/RADV delay RXT0 and TIDV/TADV delay TXDW for descriptors with IDE, FPD flushes (SDM 13.4.30-31, 13.4.44-45); QEMU 7.2 raises both causes at once and has no TIDV register.',
  },
];
