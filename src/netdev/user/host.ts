/**
 * The outbound side of the user-mode stack: everything that touches the
 * host (sockets, the resolver, files, processes) goes through `UserHost`.
 * The core calls it and never imports `node:`; `host.node.ts` implements it
 * for Node, tests use an in-memory fake, a browser could implement it over
 * WebSocket/Wisp.
 *
 * Runtime operations are callback based (a fake may answer synchronously,
 * a real host later); setup operations (listening for hostfwd, smbd) return
 * promises because `createUserNet` awaits them.
 */

export type HostErrorKind = 'refused' | 'unreachable' | 'timeout' | 'reset' | 'not-found' | 'denied' | 'unsupported' | 'addr-in-use' | 'other';

export interface HostError {
  kind: HostErrorKind;
  message: string;
}

export type HostResult<T> = { ok: true; value: T } | { ok: false; error: HostError };

export interface HostAddress {
  family: 4 | 6;
  /** Textual address ("127.0.0.1", "::1"). */
  address: string;
  port: number;
}

/** Events of a host byte stream (TCP connection, process pipes). After `onClose` nothing more arrives. */
export interface HostStreamHandlers {
  /** The stream is up (a connect finished, a process started). */
  onConnect(): void;
  /** Bytes from the host; the array may be kept by the callee. */
  onData(data: Uint8Array): void;
  /** The host side half-closed (EOF). */
  onEnd(): void;
  /** `write` may be called again after it returned false. */
  onDrain(): void;
  /** Closed; `error` when it failed (connect refused, reset, process failed to start). */
  onClose(error?: HostError): void;
}

/** A host byte stream. */
export interface HostStream {
  /** Queue bytes (the host may keep the array). False: its buffer is full, wait for `onDrain`. */
  write(data: Uint8Array): boolean;
  /**
   * Optional: as `write`, but `data` is valid only during the call (a view of
   * the stack's own buffers), so the host copies what it keeps, into buffers
   * it can recycle. The stack uses it instead of `write` when present.
   */
  writeCopy?(data: Uint8Array): boolean;
  /** Half-close after what was written (FIN / close stdin). */
  end(): void;
  /** Abort now (RST / kill). */
  destroy(): void;
  /** Stop `onData` until `resume` (backpressure). */
  pause(): void;
  resume(): void;
}

export interface HostListener {
  /** The bound address and port (the actual port when 0 was asked). */
  readonly address: string;
  readonly port: number;
  close(): void;
}

export interface HostUdpHandlers {
  onMessage(data: Uint8Array, from: HostAddress): void;
  onError?(error: HostError): void;
}

export interface HostUdpSocket {
  send(data: Uint8Array, to: HostAddress): void;
  close(): void;
}

export interface HostBoundUdp extends HostUdpSocket, HostListener {}

export interface PingRequest {
  family: 4 | 6;
  address: string;
  ident: number;
  seq: number;
  payload: Uint8Array;
  ttl: number;
}

export interface SpawnRequest {
  /** Run through the shell (`guestfwd ... cmd:`) or as argv[0] with `args`. */
  command: string;
  args?: string[];
  shell: boolean;
  /**
   * Give the process a socket as stdin/stdout (inetd style, as smbd needs);
   * otherwise pipes.
   */
  socketStdio?: boolean;
}

export interface SmbSetup {
  command: string;
  args: string[];
}

export interface UserHost {
  /** Open a TCP connection; events go to `handlers` (onConnect, or onClose with an error). */
  tcpConnect(target: HostAddress, handlers: HostStreamHandlers): HostStream;
  /**
   * Listen for hostfwd. Each accepted connection is handed over paused;
   * `onAccept` returns its handlers (the core resumes it once the guest accepted).
   */
  tcpListen(bind: { address: string; port: number }, onAccept: (stream: HostStream, peer: HostAddress) => HostStreamHandlers): Promise<HostListener>;
  /** An unbound UDP socket for NAT (bound by the host on first send). */
  udpOpen(family: 4 | 6, handlers: HostUdpHandlers): HostUdpSocket;
  /** A UDP socket bound for hostfwd. */
  udpBind(bind: { address: string; port: number }, handlers: HostUdpHandlers): Promise<HostBoundUdp>;
  /** Resolve a DNS query (wire format) with the host's resolver; answers a wire-format response with the same ID. */
  dnsQuery(query: Uint8Array, done: (r: HostResult<Uint8Array>) => void): void;
  /** Read part of a file under the TFTP root (`path` is already checked and relative); reports the file size too. */
  readFile(root: string, path: string, offset: number, length: number, done: (r: HostResult<{ data: Uint8Array; size: number }>) => void): void;
  /** Spawn a process whose stdin/stdout are a stream (guestfwd cmd:, smbd). */
  spawn(req: SpawnRequest, handlers: HostStreamHandlers): HostStream;
  /** Send one ICMP echo where the OS allows it (unprivileged ping sockets, or the system ping); `unsupported` otherwise. */
  ping(req: PingRequest, done: (r: HostResult<{ rttMs: number }>) => void): void;
  /** Prepare an smbd configuration sharing `dir`; fails with a clear message when smbd is not installed. */
  prepareSmb(dir: string): Promise<SmbSetup>;
  /**
   * Optional: run `fn` once the work in progress is done (the frames the NIC
   * hands over in one go, the current turn of the event loop), before waiting
   * for I/O. With it the stack batches: guest TCP data reaches host streams in
   * one write per burst and is acknowledged once per burst. Without it (tests
   * on virtual time) everything happens synchronously.
   */
  soon?(fn: () => void): void;
}

export function hostError(kind: HostErrorKind, message: string): HostError {
  return { kind, message };
}
