/**
 * C+ mode tally counters (RTL8139C+ datasheet §6.2, "Dump Tally Counter
 * Command"): 64 bytes written to the 64-byte aligned address in DTCCR when
 * the driver sets its Cmd bit. Layout (little-endian):
 * 0x00 TxOk u64, 0x08 RxOk u64, 0x10 TxErr u64, 0x18 RxErr u32,
 * 0x1C MissPkt u16, 0x1E FAE u16, 0x20 Tx1Col u32, 0x24 TxMCol u32,
 * 0x28 RxOkPhy u64, 0x30 RxOkBrd u64, 0x38 RxOkMul u32, 0x3C TxAbt u16,
 * 0x3E TxUndrn u16. Counters saturate at their field width.
 */
export interface Tally {
  txOk: number;
  rxOk: number;
  txErr: number;
  rxErr: number;
  missPkt: number;
  fae: number;
  tx1Col: number;
  txMCol: number;
  rxOkPhy: number;
  rxOkBrd: number;
  rxOkMul: number;
  txAbt: number;
  txUndrn: number;
}

export const TALLY_BYTES = 64;

export function newTally(): Tally {
  return { txOk: 0, rxOk: 0, txErr: 0, rxErr: 0, missPkt: 0, fae: 0, tx1Col: 0, txMCol: 0, rxOkPhy: 0, rxOkBrd: 0, rxOkMul: 0, txAbt: 0, txUndrn: 0 };
}

export function clearTally(t: Tally): void {
  Object.assign(t, newTally());
}

/** [field, offset, width in bytes] */
const LAYOUT: ReadonlyArray<readonly [keyof Tally, number, 2 | 4 | 8]> = [
  ['txOk', 0x00, 8],
  ['rxOk', 0x08, 8],
  ['txErr', 0x10, 8],
  ['rxErr', 0x18, 4],
  ['missPkt', 0x1c, 2],
  ['fae', 0x1e, 2],
  ['tx1Col', 0x20, 4],
  ['txMCol', 0x24, 4],
  ['rxOkPhy', 0x28, 8],
  ['rxOkBrd', 0x30, 8],
  ['rxOkMul', 0x38, 4],
  ['txAbt', 0x3c, 2],
  ['txUndrn', 0x3e, 2],
];

/** Serialise the counters into `out` (64 bytes). */
export function encodeTally(t: Tally, out: Uint8Array): void {
  out.fill(0, 0, TALLY_BYTES);
  for (const [k, off, w] of LAYOUT) {
    let v = t[k];
    if (w === 2) v = Math.min(v, 0xffff);
    else if (w === 4) v = Math.min(v, 0xffffffff);
    for (let i = 0; i < w; i++) {
      out[off + i] = v % 256;
      v = Math.floor(v / 256);
    }
  }
}
