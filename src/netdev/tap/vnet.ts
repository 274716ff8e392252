/**
 * The virtio-net header a TAP interface opened with IFF_VNET_HDR puts before
 * every frame, both ways (Linux `Documentation/networking/tuntap.rst`; the
 * header is struct virtio_net_hdr_mrg_rxbuf, 12 bytes after TUNSETVNETHDRSZ,
 * num_buffers unused), and what the tap backend does with it:
 *
 * - to the kernel: a plain frame gets a header of zeros; a frame a NIC hands
 *   over whole (`FrameOffload`: a partial checksum, a TCP GSO frame) gets
 *   NEEDS_CSUM and the GSO fields, and the host kernel finishes it (as QEMU
 *   passes a virtio-net driver's header, or e1000's TSO, to its tap);
 * - from the kernel (the tap offers CSUM, TSO4 and TSO6 to it with
 *   TUNSETOFFLOAD, so it sends up to 64 KiB at once): a frame with work left
 *   goes whole to a NIC whose driver takes it (`NetClient.sendOffloaded`,
 *   virtio-net with GUEST_TSO4/6), else it is finished here (checksum
 *   completed, segments cut) and sent as plain frames.
 *
 * The kernel checks what it is given; what it gives is checked here before
 * use (a header shorter than 12 bytes, a GSO request that does not fit its
 * frame: dropped and counted, never thrown).
 */
import { type FrameOffload, type NetClient, newFrameOffload } from '../../hub/client.js';
import { isWireError } from '../../wire/error.js';
import { completeChecksum, segmentByVnetHdr } from '../../wire/offload.js';
import { HDR, VNET_HDR_F_NEEDS_CSUM, VNET_HDR_GSO, VNET_HDR_LEN, newHdr, parseHdr, writeHdr } from '../../wire/vnet-hdr.js';

/** The header length the tap is set to (TUNSETVNETHDRSZ). */
export const TAP_VNET_HDR_LEN = VNET_HDR_LEN;

export interface VnetTapStats {
  /** Frames to the kernel with work left in their header (partial checksum, TCP GSO). */
  toKernelOffloaded: number;
  /** Frames from the kernel with work left in their header. */
  fromKernelOffloaded: number;
  /** Of those, handed whole to a NIC whose driver takes them. */
  fromKernelWhole: number;
  /** Of those, finished here: checksums completed... */
  checksumsCompleted: number;
  /** ...and GSO frames cut into this many plain frames. */
  gsoSegments: number;
  /** Frames from the kernel dropped: shorter than header + Ethernet header, or a request that does not fit the frame. */
  fromKernelBad: number;
}

export class VnetTapCodec {
  readonly stats: VnetTapStats = { toKernelOffloaded: 0, fromKernelOffloaded: 0, fromKernelWhole: 0, checksumsCompleted: 0, gsoSegments: 0, fromKernelBad: 0 };
  private readonly head = new Uint8Array(TAP_VNET_HDR_LEN);
  private readonly hdr = newHdr();
  private readonly fields = newHdr();
  private readonly offload: FrameOffload = newFrameOffload();
  private fragmentId = 0;

  /** The header of a plain frame to the kernel: zeros (reused: valid until the next call). */
  plainHeader(): Uint8Array {
    this.head.fill(0);
    return this.head;
  }

  /**
   * The header of a frame to the kernel with work left (reused: valid until
   * the next call); undefined when `o` does not describe `frame` (a
   * checksum field outside it, a GSO frame without a TCP header there): the
   * NIC then finishes the frame itself.
   */
  offloadedHeader(frame: Uint8Array, o: FrameOffload): Uint8Array | undefined {
    const start = o.csumStart;
    if (start < 14 || start > 0xffff || o.csumOffset < 0 || o.csumOffset > 0xffff || start + o.csumOffset + 2 > frame.length) return undefined;
    const f = this.fields;
    f.flags = VNET_HDR_F_NEEDS_CSUM;
    f.gsoType = VNET_HDR_GSO.NONE;
    f.gsoSize = 0;
    f.hdrLen = start + o.csumOffset + 2;
    if (o.gso !== 'none') {
      if (start + 20 > frame.length || o.gsoSize < 1 || o.gsoSize > 0xffff) return undefined;
      f.hdrLen = start + ((frame[start + 12]! >>> 4) << 2);
      if (f.hdrLen < start + 20 || f.hdrLen > frame.length) return undefined;
      // CWR set in the frame: the kernel sets it on the first segment only with GSO_ECN (as a NIC does).
      f.gsoType = (o.gso === 'tcpv4' ? VNET_HDR_GSO.TCPV4 : VNET_HDR_GSO.TCPV6) | (frame[start + 13]! & 0x80 ? VNET_HDR_GSO.ECN : 0);
      f.gsoSize = o.gsoSize;
    }
    f.csumStart = start;
    f.csumOffset = o.csumOffset;
    const h = this.head;
    h.fill(0);
    writeHdr(h, f);
    this.stats.toKernelOffloaded++;
    return h;
  }

  /**
   * A frame from the kernel, header first: sent on through `client`, whole
   * or finished here (see the module comment). Returns true when a frame
   * had to wait at the NIC (the caller stops reading until it drains).
   */
  fromKernel(bytes: Uint8Array, client: NetClient): boolean {
    const s = this.stats;
    if (bytes.length < TAP_VNET_HDR_LEN + 14) {
      s.fromKernelBad++;
      return false;
    }
    const flags = bytes[HDR.FLAGS]!;
    const gsoType = bytes[HDR.GSO_TYPE]!;
    const frame = bytes.subarray(TAP_VNET_HDR_LEN);
    if ((flags & VNET_HDR_F_NEEDS_CSUM) === 0 && gsoType === VNET_HDR_GSO.NONE) return client.send(frame) === 'queued';
    s.fromKernelOffloaded++;
    const hdr = parseHdr(bytes, this.hdr);
    const gso = gsoType & ~VNET_HDR_GSO.ECN;
    if (flags & VNET_HDR_F_NEEDS_CSUM) {
      const kind = gso === VNET_HDR_GSO.NONE ? 'none' : gso === VNET_HDR_GSO.TCPV4 ? 'tcpv4' : gso === VNET_HDR_GSO.TCPV6 ? 'tcpv6' : undefined;
      if (kind !== undefined && (kind === 'none' || hdr.gsoSize > 0)) {
        const o = this.offload;
        o.csumStart = hdr.csumStart;
        o.csumOffset = hdr.csumOffset;
        o.gso = kind;
        o.gsoSize = kind === 'none' ? 0 : hdr.gsoSize;
        if (client.sendOffloaded(frame, o)) {
          s.fromKernelWhole++;
          return false;
        }
      }
      if (gso === VNET_HDR_GSO.NONE) {
        if (!completeChecksum(frame, hdr.csumStart, hdr.csumOffset)) {
          s.fromKernelBad++;
          return false;
        }
        s.checksumsCompleted++;
        return client.send(frame) === 'queued';
      }
    }
    if (gso === VNET_HDR_GSO.UDP) this.fragmentId = (this.fragmentId + 1) >>> 0;
    let waited = false;
    const n = segmentByVnetHdr(frame, hdr, this.fragmentId, (piece) => {
      if (client.send(piece) === 'queued') waited = true;
    });
    if (isWireError(n)) s.fromKernelBad++;
    else s.gsoSegments += n;
    return waited;
  }
}
