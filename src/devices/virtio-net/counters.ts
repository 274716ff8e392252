/** Named counters of virtio-net events (not guest-visible). */
export interface NetCounters {
  txFrames: number;
  txBytes: number;
  txChains: number;
  /** Chains the ring code rejected (bad descriptors): returned with length 0. */
  txBadChains: number;
  /** TX chains with device-writable buffers (§2.7.4.2: transmit buffers are device-readable). */
  txWritableBuffers: number;
  /** Shorter than the virtio-net header (CVE-2023-6693). */
  txShortHeader: number;
  /** Frames shorter than an Ethernet header (0, 1 byte...). */
  txRunt: number;
  txOversize: number;
  txChecksumsCompleted: number;
  txChecksumErrors: number;
  txGsoFrames: number;
  txGsoSegments: number;
  /** Frames handed whole to a peer that completes their checksum (and GSO) itself (`NetClient.sendOffloaded`). */
  txOffloaded: number;
  txGsoErrors: number;
  rxFrames: number;
  rxBytes: number;
  rxFiltered: number;
  rxRunt: number;
  /** A frame found no (or not enough) guest buffers and waits in the queue. */
  rxNoBuffers: number;
  /** Larger than the chain offered without MRG_RXBUF: dropped. */
  rxTooBig: number;
  rxBadChains: number;
  /** RX chains with device-readable buffers (§2.7.4.2: receive buffers are device-writable). */
  rxReadableBuffers: number;
  rxMergedBuffers: number;
  /** Frames placed with offload work left to the driver (NEEDS_CSUM, GSO; `NetReceiver.receiveOffloaded`). */
  rxOffloaded: number;
  /** Of those, TCP GSO frames (one frame for many wire segments). */
  rxGsoFrames: number;
  ctrlCommands: number;
  ctrlErrors: number;
  /** Control chains without room for the ack byte: returned with length 0. */
  ctrlNoAck: number;
  ctrlBadChains: number;
  /** Register access refused while the device was in its own DMA (re-entrancy). */
  nestedAccesses: number;
}

export function newNetCounters(): NetCounters {
  return {
    txFrames: 0,
    txBytes: 0,
    txChains: 0,
    txBadChains: 0,
    txWritableBuffers: 0,
    txShortHeader: 0,
    txRunt: 0,
    txOversize: 0,
    txChecksumsCompleted: 0,
    txChecksumErrors: 0,
    txGsoFrames: 0,
    txGsoSegments: 0,
    txOffloaded: 0,
    txGsoErrors: 0,
    rxFrames: 0,
    rxBytes: 0,
    rxFiltered: 0,
    rxRunt: 0,
    rxNoBuffers: 0,
    rxTooBig: 0,
    rxBadChains: 0,
    rxReadableBuffers: 0,
    rxMergedBuffers: 0,
    rxOffloaded: 0,
    rxGsoFrames: 0,
    ctrlCommands: 0,
    ctrlErrors: 0,
    ctrlNoAck: 0,
    ctrlBadChains: 0,
    nestedAccesses: 0,
  };
}
