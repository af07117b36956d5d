/** Free TCP ports on the loopback interface, for the listeners of a local control plane. */
import { createServer, type Server } from 'node:net';

/** Returns `count` distinct ports that were free a moment ago; `preferred` ones are kept when still free. */
export async function pickFreePorts(count: number, preferred: number[] = []): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const wanted = preferred[i];
      let server = wanted && !ports.includes(wanted) ? await listen(wanted).catch(() => undefined) : undefined;
      server ??= await listen(0);
      held.push(server);
      ports.push((server.address() as { port: number }).port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}
