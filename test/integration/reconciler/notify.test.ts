import { randomBytes } from 'node:crypto';
import { testReconciler } from './_test-reconciler.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { Notifier, type Notification } from '../../../src/reconciler/notifier.js';
import { suiteClient } from '../apply/_helpers.js';
import { declaration, fleetRepo, stageFile } from './_fleet-repo.js';

/** The reconciler tells the notification URL when a revision is rejected, once, and when a good one follows. */
describe('failure and recovery notifications from the reconciler', () => {
  const repo = fleetRepo();
  const work = mkdtempSync(path.join(tmpdir(), 'clusterops-notify-'));
  const received: Notification[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as Notification);
      res.writeHead(204).end();
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    repo.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('notifies a rejected revision once and its recovery', async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const notifier = new Notifier({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`, logger: silentLogger(), baseDelayMs: 10 });
    const client = await suiteClient();
    const stage = `ntf-${randomBytes(3).toString('hex')}`;
    const reconciler = testReconciler(repo.url, work, client, { inventoryNamespace: `inv-${stage}`, backoffBaseMs: 1, notifier });
    try {
      repo.write(`clusters/${stage}/stage.yaml`, stageFile(stage));
      repo.write(`clusters/${stage}/a.yaml`, declaration('a'));
      repo.commit('a');
      expect((await reconciler.runOnce()).sourceError).toBeUndefined();
      await notifier.flush();
      expect(received).toEqual([]);

      repo.write(`clusters/${stage}/b.yaml`, declaration('b', { provider: 'aws' }));
      const bad = repo.commit('b on aws: refused by this synth');
      await reconciler.runOnce();
      await new Promise((r) => setTimeout(r, 10));
      await reconciler.runOnce();
      await notifier.flush();
      expect(received.map((n) => [n.event, n.subject, n.phase, n.revision])).toEqual([['failure', 'source', 'synth', bad]]);
      expect(received[0].message).toContain('b.yaml');

      repo.write(`clusters/${stage}/b.yaml`, declaration('b'));
      const good = repo.commit('b on docker');
      await reconciler.runOnce();
      await notifier.flush();
      expect(received.map((n) => [n.event, n.revision])).toEqual([['failure', bad], ['recovery', good]]);
    } finally {
      await notifier.close();
      reconciler.close();
      client.close();
    }
  });
});
