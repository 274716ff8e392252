// A TCP sink in its own process (the "host application" of the user-mode
// stack benchmark): listens on 127.0.0.1, counts what each connection sends
// and, when the client half-closes, answers with the byte count as decimal
// text and closes. Idle connections are simply held open. Prints its port.
import net from 'node:net';

const server = net.createServer((sock) => {
  let n = 0;
  sock.on('data', (b) => { n += b.length; });
  sock.on('end', () => sock.end(`${n}\n`));
  sock.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
// The parent closes stdin (or dies): leave.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
