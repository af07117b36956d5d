/** Free TCP ports on the loopback interface, for the listeners of a local control plane. */
import { readFileSync } from 'node:fs';
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

/** The kernel's ephemeral port range (`listen(0)` and outgoing connections take ports from it). */
export function ephemeralPortRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo > 0 && hi >= lo) return [lo, hi];
  } catch {
    // Not Linux: the IANA range.
  }
  return [49152, 65535];
}

/**
 * A free loopback port below the ephemeral range and not in `avoid`: for a port that is handed out
 * now and bound only later (a local cluster's endpoint, fixed before its API server starts), which a
 * port from the ephemeral range would not survive: any `listen(0)` or outgoing connection of the
 * machine may take it meanwhile.
 */
export async function pickPortBelowEphemeral(avoid: ReadonlySet<number | undefined>): Promise<number> {
  const [lo] = ephemeralPortRange();
  const first = Math.max(1024, lo - 12_000);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = first + Math.floor(Math.random() * (lo - first));
    if (avoid.has(port)) continue;
    const server = await listen(port).catch(() => undefined);
    if (!server) continue;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }
  throw new Error(`no free port between ${first} and ${lo - 1}`);
}
