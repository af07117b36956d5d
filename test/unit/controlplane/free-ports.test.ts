import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralPortRange, pickPortBelowEphemeral } from '../../../src/controlplane/free-ports.js';

describe('a port handed out now and bound later', () => {
  it('lies below the ephemeral range, is free, and is none of those to avoid', async () => {
    const [lo] = ephemeralPortRange();
    const first = await pickPortBelowEphemeral(new Set());
    expect(first).toBeLessThan(lo);
    expect(first).toBeGreaterThanOrEqual(1024);
    // Bindable right after: nothing holds it.
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ host: '127.0.0.1', port: first, exclusive: true }, resolve));
    try {
      // While it is bound it is never picked again, nor is any port asked to be avoided.
      const avoid = new Set<number>([first]);
      for (let i = 0; i < 20; i++) {
        const next = await pickPortBelowEphemeral(avoid);
        expect(avoid.has(next)).toBe(false);
        avoid.add(next);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
