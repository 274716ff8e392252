/** ARP (RFC 826). The view handles any hardware/protocol lengths; the Repr is Ethernet/IPv4 only. */
import { be16, setBe16 } from './bytes.js';
import { EtherType } from './ethernet.js';
import { type WireError, truncated, unsupported } from './error.js';

/** Fixed-position fields; the four addresses follow at offsets that depend on HLEN and PLEN. */
export const ArpField = { HTYPE: 0, PTYPE: 2, HLEN: 4, PLEN: 5, OPER: 6, SHA: 8 } as const;

export const ARP_HTYPE_ETHERNET = 1;
/** Length of an Ethernet/IPv4 ARP packet. */
export const ARP_ETHERNET_IPV4_LEN = 28;

export const ArpOper = { REQUEST: 1, REPLY: 2 } as const;
export type ArpOperation = 'request' | 'reply' | { kind: 'unknown'; raw: number };

export class ArpPacket {
  private constructor(readonly buffer: Uint8Array) {}

  static unchecked(buffer: Uint8Array): ArpPacket {
    return new ArpPacket(buffer);
  }

  /** A view, once the fixed part and all four addresses fit in the buffer. */
  static checked(buffer: Uint8Array): ArpPacket | WireError {
    if (buffer.length < ArpField.SHA) return truncated('arp', ArpField.SHA, buffer.length);
    const need = ArpField.SHA + 2 * (buffer[ArpField.HLEN]! + buffer[ArpField.PLEN]!);
    if (buffer.length < need) return truncated('arp', need, buffer.length);
    return new ArpPacket(buffer);
  }

  get htype(): number {
    return be16(this.buffer, ArpField.HTYPE);
  }
  get ptype(): number {
    return be16(this.buffer, ArpField.PTYPE);
  }
  get hlen(): number {
    return this.buffer[ArpField.HLEN]!;
  }
  get plen(): number {
    return this.buffer[ArpField.PLEN]!;
  }
  get oper(): number {
    return be16(this.buffer, ArpField.OPER);
  }
  get operation(): ArpOperation {
    const raw = this.oper;
    return raw === ArpOper.REQUEST ? 'request' : raw === ArpOper.REPLY ? 'reply' : { kind: 'unknown', raw };
  }
  /** Sender hardware address. */
  get sha(): Uint8Array {
    const o = ArpField.SHA;
    return this.buffer.subarray(o, o + this.hlen);
  }
  /** Sender protocol address. */
  get spa(): Uint8Array {
    const o = ArpField.SHA + this.hlen;
    return this.buffer.subarray(o, o + this.plen);
  }
  /** Target hardware address. */
  get tha(): Uint8Array {
    const o = ArpField.SHA + this.hlen + this.plen;
    return this.buffer.subarray(o, o + this.hlen);
  }
  /** Target protocol address. */
  get tpa(): Uint8Array {
    const o = ArpField.SHA + 2 * this.hlen + this.plen;
    return this.buffer.subarray(o, o + this.plen);
  }
  /** Length of the packet proper (any Ethernet padding after it excluded). */
  get packetLen(): number {
    return ArpField.SHA + 2 * (this.hlen + this.plen);
  }
}

/** An Ethernet/IPv4 ARP packet. Addresses from `parse` are subarrays of the packet. */
export interface ArpRepr {
  operation: ArpOperation;
  senderMac: Uint8Array;
  senderIp: Uint8Array;
  targetMac: Uint8Array;
  targetIp: Uint8Array;
}

export const ArpRepr = {
  parse(packet: ArpPacket): ArpRepr | WireError {
    if (packet.htype !== ARP_HTYPE_ETHERNET) return unsupported('arp', 'htype', packet.htype);
    if (packet.ptype !== EtherType.IPV4) return unsupported('arp', 'ptype', packet.ptype);
    if (packet.hlen !== 6) return unsupported('arp', 'hlen', packet.hlen);
    if (packet.plen !== 4) return unsupported('arp', 'plen', packet.plen);
    return { operation: packet.operation, senderMac: packet.sha, senderIp: packet.spa, targetMac: packet.tha, targetIp: packet.tpa };
  },
  bufferLen(_repr?: ArpRepr): number {
    return ARP_ETHERNET_IPV4_LEN;
  },
  /** Write the 28-byte packet into `buf`. */
  emit(repr: ArpRepr, buf: Uint8Array): void {
    setBe16(buf, ArpField.HTYPE, ARP_HTYPE_ETHERNET);
    setBe16(buf, ArpField.PTYPE, EtherType.IPV4);
    buf[ArpField.HLEN] = 6;
    buf[ArpField.PLEN] = 4;
    const op = repr.operation;
    setBe16(buf, ArpField.OPER, op === 'request' ? ArpOper.REQUEST : op === 'reply' ? ArpOper.REPLY : op.raw);
    buf.set(repr.senderMac.subarray(0, 6), 8);
    buf.set(repr.senderIp.subarray(0, 4), 14);
    buf.set(repr.targetMac.subarray(0, 6), 18);
    buf.set(repr.targetIp.subarray(0, 4), 24);
  },
};
