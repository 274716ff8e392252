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
import { completeChecksum, hdrToOffload, offloadToHdr, segmentByVnetHdr } from '../../wire/offload.js';
import { HDR, VNET_HDR_F_NEEDS_CSUM, VNET_HDR_GSO, VNET_HDR_LEN, newHdr, parseHdr, writeHdr } from '../../wire/vnet-hdr.js';

/** The header length the tap is set to (TUNSETVNETHDRSZ). */
export const TAP_VNET_HDR_LEN = VNET_HDR_LEN;

export interface VnetTapStats {
  /** Frames to the kernel with work left in their header (partial checksum, TCP GSO); counted by the backend once written. */
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
   * the next call); undefined when `o` does not describe `frame`
   * (`offloadToHdr`): the NIC then finishes the frame itself.
   */
  offloadedHeader(frame: Uint8Array, o: FrameOffload): Uint8Array | undefined {
    if (!offloadToHdr(frame, o, this.fields)) return undefined;
    const h = this.head;
    h.fill(0);
    writeHdr(h, this.fields);
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
    const gso = bytes[HDR.GSO_TYPE]! & ~VNET_HDR_GSO.ECN;
    const frame = bytes.subarray(TAP_VNET_HDR_LEN);
    if ((flags & VNET_HDR_F_NEEDS_CSUM) === 0 && gso === VNET_HDR_GSO.NONE) return client.send(frame) === 'queued';
    s.fromKernelOffloaded++;
    const hdr = parseHdr(bytes, this.hdr);
    if (hdrToOffload(hdr, this.offload) && client.sendOffloaded(frame, this.offload)) {
      s.fromKernelWhole++;
      return false;
    }
    if (gso === VNET_HDR_GSO.NONE) {
      if (!completeChecksum(frame, hdr.csumStart, hdr.csumOffset)) {
        s.fromKernelBad++;
        return false;
      }
      s.checksumsCompleted++;
      return client.send(frame) === 'queued';
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
