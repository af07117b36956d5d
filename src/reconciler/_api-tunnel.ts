import { chown } from 'node:fs/promises';
import net from 'node:net';

/** Port the forwarder listens on inside the sandbox's own network namespace (loopback only there). */
export const TUNNEL_PORT = 6443;

/**
 * The forwarder that runs first inside the sandbox: listens on 127.0.0.1:TUNNEL_PORT of the
 * sandbox's own network namespace, passes each connection to the unix socket (argv[1]), and runs the
 * command after it (argv[3..]) with the same stdio, exiting with its code. TLS is end to end: it
 * forwards bytes, so the program's kubeconfig still verifies the API server's certificate.
 */
export const TUNNEL_SCRIPT = `
const net = require('net');
const { spawn } = require('child_process');
const [sock, port, ...cmd] = process.argv.slice(1);
const server = net.createServer((c) => {
  const up = net.connect(sock);
  c.pipe(up).pipe(c);
  c.on('error', () => up.destroy());
  up.on('error', () => c.destroy());
});
server.listen(Number(port), '127.0.0.1', () => {
  const child = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit' });
  child.on('error', (e) => { process.stderr.write(String(e) + '\\n'); process.exit(127); });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
});`;

/**
 * The host side: a unix socket at `socketPath` whose every connection is passed to the API server
 * of `server` (host and port only), so a sandbox without network can reach that one endpoint.
 */
export async function openApiTunnel(socketPath: string, server: string, ownerUid?: number): Promise<{ close(): Promise<void> }> {
  const url = new URL(server);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const sockets = new Set<net.Socket>();
  const tunnel = net.createServer((c) => {
    const up = net.connect(port, host);
    sockets.add(c).add(up);
    c.pipe(up).pipe(c);
    const done = () => {
      c.destroy();
      up.destroy();
      sockets.delete(c);
      sockets.delete(up);
    };
    c.on('error', done).on('close', done);
    up.on('error', done).on('close', done);
  });
  await new Promise<void>((resolve, reject) => tunnel.once('error', reject).listen(socketPath, resolve));
  if (ownerUid !== undefined) await chown(socketPath, ownerUid, ownerUid);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        tunnel.close(() => resolve());
      }),
  };
}
