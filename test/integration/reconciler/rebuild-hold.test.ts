// While a rebuild holds the management cluster (Lease kube-system/clusterops-rebuild), the reconciler
// applies nothing: the Clusters the rebuild applies paused are not applied unpaused under it. Once
// the rebuild releases the Lease, the next pass applies the revision.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireRebuildLock } from '../../../src/recovery/rebuild-lock.js';
import { declarationYaml } from '../../../src/testing.js';
import { getObject, suiteClient } from '../apply/_helpers.js';
import { PROJECT_ROOT, projectRepo } from './_project-repo.js';
import { testReconciler } from './_test-reconciler.js';

describe('the reconciler and a rebuild', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('applies nothing while a rebuild holds the Lease, and the revision once it is released', async () => {
    const stage = `hold-${randomBytes(3).toString('hex')}`;
    const repo = projectRepo({ [`clusters/${stage}/one.yaml`]: declarationYaml('one') });
    dirs.push(repo.dir);
    const work = mkdtempSync(path.join(tmpdir(), 'clusterops-hold-'));
    dirs.push(work);
    const client = await suiteClient();
    const reconciler = testReconciler(repo.url, work, client, {}, { seedInstallations: [PROJECT_ROOT] });
    const lock = await acquireRebuildLock(client, { holder: 'rebuild-host/1' });
    let released = false;
    try {
      const held = await reconciler.runOnce();
      // The revision is fetched and synthesized, but nothing of it is applied.
      expect(held.revision).toMatch(/^[0-9a-f]{40}$/);
      expect(held.applied).toEqual([]);
      expect(await getObject(client, `/apis/cluster.x-k8s.io/v1beta2/namespaces/${stage}/clusters/one`)).toBeUndefined();

      await lock.release();
      released = true;
      const after = await reconciler.runOnce();
      expect(after.applied.find((a) => a.set === `management.${stage}`)?.errors).toEqual([]);
      expect(await getObject(client, `/apis/cluster.x-k8s.io/v1beta2/namespaces/${stage}/clusters/one`)).toBeDefined();
    } finally {
      if (!released) await lock.release();
      reconciler.close();
      client.close();
    }
  });
});
