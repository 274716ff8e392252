/** UDP (RFC 768; IPv6 rules from RFC 8200 §8.1). */
import { be16, setBe16 } from './bytes.js';
import { checksumFinishNonZero, onesSum, pseudoHeaderSum } from './checksum.js';
import { type WireError, badChecksum, malformed, truncated } from './error.js';
import { IpProtocol } from './ip.js';

export const UdpField = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, CHECKSUM: 6, PAYLOAD: 8 } as const;
export const UDP_HEADER_LEN = 8;

/**
 * A view of a UDP datagram. `checked` validates a length field between 8 and
 * the buffer length; `payload` ends at that length. Checksum methods take the
 * IP source and destination (4 bytes for IPv4, 16 for IPv6).
 */
export class UdpPacket {
  private constructor(readonly buffer: Uint8Array) {}

  static unchecked(buffer: Uint8Array): UdpPacket {
    return new UdpPacket(buffer);
  }

  static checked(buffer: Uint8Array): UdpPacket | WireError {
    if (buffer.length < UDP_HEADER_LEN) return truncated('udp', UDP_HEADER_LEN, buffer.length);
    const len = be16(buffer, UdpField.LENGTH);
    if (len < UDP_HEADER_LEN) return malformed('udp', 'length', len);
    if (len > buffer.length) return truncated('udp', len, buffer.length);
    return new UdpPacket(buffer);
  }

  get srcPort(): number {
    return be16(this.buffer, UdpField.SRC_PORT);
  }
  set srcPort(v: number) {
    setBe16(this.buffer, UdpField.SRC_PORT, v);
  }
  get dstPort(): number {
    return be16(this.buffer, UdpField.DST_PORT);
  }
  set dstPort(v: number) {
    setBe16(this.buffer, UdpField.DST_PORT, v);
  }
  /** Header plus payload length, from the header. */
  get length(): number {
    return be16(this.buffer, UdpField.LENGTH);
  }
  set length(v: number) {
    setBe16(this.buffer, UdpField.LENGTH, v);
  }
  get checksum(): number {
    return be16(this.buffer, UdpField.CHECKSUM);
  }
  set checksum(v: number) {
    setBe16(this.buffer, UdpField.CHECKSUM, v);
  }
  get payload(): Uint8Array {
    return this.buffer.subarray(UDP_HEADER_LEN, this.length);
  }

  /**
   * True when the checksum is right. Over IPv4 a zero checksum means "none"
   * and passes; over IPv6 it is invalid (RFC 8200 §8.1).
   */
  verifyChecksum(src: Uint8Array, dst: Uint8Array): boolean {
    if (this.checksum === 0) return src.length === 4;
    const len = this.length;
    return onesSum(this.buffer, 0, len, pseudoHeaderSum(src, dst, IpProtocol.UDP, len)) === 0xffff;
  }
  /** The checksum to carry (never 0: a computed 0 is sent as 0xffff). */
  computeChecksum(src: Uint8Array, dst: Uint8Array): number {
    const b = this.buffer;
    const len = this.length;
    const ph = pseudoHeaderSum(src, dst, IpProtocol.UDP, len);
    return checksumFinishNonZero(onesSum(b, UDP_HEADER_LEN, len, onesSum(b, 0, UdpField.CHECKSUM, ph)));
  }
  fillChecksum(src: Uint8Array, dst: Uint8Array): void {
    setBe16(this.buffer, UdpField.CHECKSUM, this.computeChecksum(src, dst));
  }
}

/** A UDP datagram; `payload` from `parse` is a subarray of the packet. */
export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export const UdpRepr = {
  /** When `src`/`dst` are given the checksum is verified against them. */
  parse(packet: UdpPacket, src?: Uint8Array, dst?: Uint8Array): UdpRepr | WireError {
    if (src && dst && !packet.verifyChecksum(src, dst)) return badChecksum('udp', packet.checksum, packet.computeChecksum(src, dst));
    return { srcPort: packet.srcPort, dstPort: packet.dstPort, payload: packet.payload };
  },
  bufferLen(repr: UdpRepr): number {
    return UDP_HEADER_LEN + repr.payload.length;
  },
  /**
   * Write header and payload into `buf`. With `src`/`dst` the checksum is
   * filled in; without, it is left 0 (IPv4 "no checksum", or for offload).
   */
  emit(repr: UdpRepr, buf: Uint8Array, src?: Uint8Array, dst?: Uint8Array): void {
    const len = UDP_HEADER_LEN + repr.payload.length;
    setBe16(buf, UdpField.SRC_PORT, repr.srcPort);
    setBe16(buf, UdpField.DST_PORT, repr.dstPort);
    setBe16(buf, UdpField.LENGTH, len);
    setBe16(buf, UdpField.CHECKSUM, 0);
    if (repr.payload.buffer !== buf.buffer || repr.payload.byteOffset !== buf.byteOffset + UDP_HEADER_LEN) buf.set(repr.payload, UDP_HEADER_LEN);
    if (src && dst) {
      const ph = pseudoHeaderSum(src, dst, IpProtocol.UDP, len);
      setBe16(buf, UdpField.CHECKSUM, checksumFinishNonZero(onesSum(buf, 0, len, ph)));
    }
  },
};
