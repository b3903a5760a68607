/**
 * Run inside an emulated VM's network namespace (`nsenter --net=… node namespaceForwarder.js DIR
 * ADDRESS PORT…`): for each port, a unix socket `DIR/fwd-PORT.sock` whose connections go on to
 * ADDRESS:PORT in the namespace. Unix sockets are reachable from every network namespace, so the
 * emulator's listener on the VM's public address pipes into them (see dockerHostBoot.ts). Exits when
 * the process that started it is gone, so a killed run leaves no forwarder behind.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

const [dir, address, ...ports] = process.argv.slice(2);
const parent = process.ppid;

for (const port of ports) {
  const socket = path.join(dir, `fwd-${port}.sock`);
  fs.rmSync(socket, { force: true });
  net
    .createServer((client) => {
      const upstream = net.connect({ host: address, port: Number(port) });
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    })
    .listen(socket);
}
process.stdout.write('ready\n');

setInterval(() => {
  if (process.ppid !== parent) {
    process.exit(0);
  }
}, 1000);
