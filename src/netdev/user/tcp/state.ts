/**
 * TCP connection states and the transitions between them (RFC 9293 §3.3.2,
 * Figure 5), as data. The engine asks `nextState` and never assigns a state
 * the table does not allow.
 */
export type TcpState =
  | 'closed'
  | 'syn-sent'
  | 'syn-received'
  | 'established'
  | 'fin-wait-1'
  | 'fin-wait-2'
  | 'close-wait'
  | 'closing'
  | 'last-ack'
  | 'time-wait';

export type TcpTransition =
  /** We send a SYN (hostfwd: connect to the guest). */
  | 'open-active'
  /** A SYN arrived and we answer SYN-ACK (the host side of a NAT flow is up). */
  | 'open-passive'
  /** SYN-ACK acknowledging our SYN. */
  | 'rcv-syn-ack'
  /** A bare SYN while in SYN-SENT (simultaneous open). */
  | 'rcv-syn'
  /** ACK of our SYN. */
  | 'rcv-ack-of-syn'
  /** The application closes (FIN to send). */
  | 'close'
  /** The peer's FIN, in order. */
  | 'rcv-fin'
  /** ACK of our FIN. */
  | 'rcv-ack-of-fin'
  /** Reset received, or we abort. */
  | 'reset'
  /** Retransmissions exhausted. */
  | 'timeout'
  /** 2 MSL passed in TIME-WAIT. */
  | 'time-wait-done';

type Table = { readonly [S in TcpState]: Readonly<Partial<Record<TcpTransition, TcpState>>> };

export const TCP_TRANSITIONS: Table = {
  closed: { 'open-active': 'syn-sent', 'open-passive': 'syn-received' },
  'syn-sent': { 'rcv-syn-ack': 'established', 'rcv-syn': 'syn-received', close: 'closed', reset: 'closed', timeout: 'closed' },
  'syn-received': { 'rcv-ack-of-syn': 'established', reset: 'closed', timeout: 'closed' },
  established: { close: 'fin-wait-1', 'rcv-fin': 'close-wait', reset: 'closed', timeout: 'closed' },
  'fin-wait-1': { 'rcv-ack-of-fin': 'fin-wait-2', 'rcv-fin': 'closing', reset: 'closed', timeout: 'closed' },
  'fin-wait-2': { 'rcv-fin': 'time-wait', reset: 'closed', timeout: 'closed' },
  'close-wait': { close: 'last-ack', reset: 'closed', timeout: 'closed' },
  closing: { 'rcv-ack-of-fin': 'time-wait', reset: 'closed', timeout: 'closed' },
  'last-ack': { 'rcv-ack-of-fin': 'closed', reset: 'closed', timeout: 'closed' },
  // RFC 1337: a RST does not cut TIME-WAIT short.
  'time-wait': { 'time-wait-done': 'closed', timeout: 'closed' },
};

/** The state after `t` in `s`, or undefined when the table has no such edge. */
export function nextState(s: TcpState, t: TcpTransition): TcpState | undefined {
  return TCP_TRANSITIONS[s][t];
}

/** States in which both SYNs have been exchanged. */
export function isSynchronized(s: TcpState): boolean {
  switch (s) {
    case 'closed':
    case 'syn-sent':
    case 'syn-received':
      return false;
    case 'established':
    case 'fin-wait-1':
    case 'fin-wait-2':
    case 'close-wait':
    case 'closing':
    case 'last-ack':
    case 'time-wait':
      return true;
    default: {
      const never: never = s;
      return never;
    }
  }
}

/** States in which the peer may still send data. */
export function canReceiveData(s: TcpState): boolean {
  return s === 'established' || s === 'fin-wait-1' || s === 'fin-wait-2';
}
