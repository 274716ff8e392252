/**
 * Re-entrancy guard. Every way into the stack other than a received frame
 * (timer callbacks, host callbacks) runs inside the client's I/O section, so
 * a frame the guest answers with synchronously waits in the client's queue
 * instead of re-entering a half-updated TCB (QEMU MemReentrancyGuard's idea,
 * applied to the backend). Frames themselves arrive inside `NetClient`'s own
 * delivery section.
 */
import type { TimerHost } from '../../time/clock.js';
import type { HostStreamHandlers, HostUdpHandlers, UserHost } from './host.js';

export type IoSection = <T>(fn: () => T) => T;

export function guardTimers(timers: TimerHost, io: IoSection): TimerHost {
  return {
    now: () => timers.now(),
    timer: (cb, name) => timers.timer(() => io(cb), name),
  };
}

function guardStream(h: HostStreamHandlers, io: IoSection): HostStreamHandlers {
  return {
    onConnect: () => io(() => h.onConnect()),
    onData: (d) => io(() => h.onData(d)),
    onEnd: () => io(() => h.onEnd()),
    onDrain: () => io(() => h.onDrain()),
    onClose: (e) => io(() => h.onClose(e)),
  };
}

function guardUdp(h: HostUdpHandlers, io: IoSection): HostUdpHandlers {
  const g: HostUdpHandlers = { onMessage: (d, from) => io(() => h.onMessage(d, from)) };
  if (h.onError) {
    const onError = h.onError;
    g.onError = (e) => io(() => onError(e));
  }
  return g;
}

function cb<A extends unknown[]>(fn: (...a: A) => void, io: IoSection): (...a: A) => void {
  return (...a: A) => io(() => fn(...a));
}

export function guardHost(host: UserHost, io: IoSection): UserHost {
  const soon = host.soon?.bind(host);
  return {
    ...(soon ? { soon: (fn: () => void): void => soon(() => io(fn)) } : {}),
    tcpConnect: (target, h) => host.tcpConnect(target, guardStream(h, io)),
    tcpListen: (bind, onAccept) => host.tcpListen(bind, (stream, peer) => io(() => guardStream(onAccept(stream, peer), io))),
    udpOpen: (family, h) => host.udpOpen(family, guardUdp(h, io)),
    udpBind: (bind, h) => host.udpBind(bind, guardUdp(h, io)),
    dnsQuery: (q, done) => host.dnsQuery(q, cb(done, io)),
    readFile: (root, path, offset, length, done) => host.readFile(root, path, offset, length, cb(done, io)),
    spawn: (req, h) => host.spawn(req, guardStream(h, io)),
    ping: (req, done) => host.ping(req, cb(done, io)),
    prepareSmb: (dir) => host.prepareSmb(dir),
  };
}
