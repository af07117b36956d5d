// The reconciler and `clusterops apply` build the very same `management.<stage>` set from the same
// revision: after the reconciler applied it, `clusterops apply --prune` of that revision deletes
// nothing (before, the reconciler appended WorkloadCluster mirrors the CLI did not know of).
import { testReconciler } from './_test-reconciler.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyCommand } from '../../../src/cli/commands/apply.js';
import { declarationYaml } from '../../../src/testing.js';
import { runCommand } from '../../_run-command.js';
import { getObject, suiteClient, suiteKubeconfig } from '../apply/_helpers.js';
import { PROJECT_ROOT, projectRepo } from './_project-repo.js';

type Entry = { action: string; kind: string; namespace: string; name: string };

describe('one management set for the reconciler and the CLI', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('clusterops apply --prune after the reconciler applied the same revision deletes nothing and changes nothing', async () => {
    const stage = `one-${randomBytes(3).toString('hex')}`;
    const repo = projectRepo({
      [`clusters/${stage}/kept.yaml`]: declarationYaml('kept', { deletionProtection: true, labels: { team: 'a' } }),
      [`clusters/${stage}/open.yaml`]: declarationYaml('open', { provider: 'aws', omit: ['kubernetesVersion'] }),
      [`clusters/${stage}/stage.yaml`]: `apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: ${stage}}\nspec:\n  defaults: {kubernetesVersion: v1.34.1}\n`,
    });
    dirs.push(repo.dir);
    const work = mkdtempSync(path.join(tmpdir(), 'clusterops-one-'));
    dirs.push(work);
    const client = await suiteClient();
    const reconciler = testReconciler(repo.url, work, client, {}, { seedInstallations: [PROJECT_ROOT] });
    try {
      const pass = await reconciler.runOnce();
      expect(pass.sourceError).toBeUndefined();
      const mine = pass.applied.find((a) => a.set === `management.${stage}`);
      expect(mine?.errors).toEqual([]);
      // The mirror carries the stage default (merged by the loader), not the file as written.
      const mirror = await getObject(client, `/apis/clusterops.io/v1alpha1/namespaces/${stage}/workloadclusters/open`);
      expect(mirror?.spec.kubernetesVersion).toBe('v1.34.1');

      const run = await runCommand(applyCommand, ['--clusters', path.join(repo.dir, 'clusters'), '--kubeconfig', suiteKubeconfig(), '--prune', '-o', 'json']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const entries = (JSON.parse(run.stdout) as { entries: Entry[] }).entries.filter((e) => e.namespace === stage || e.name === stage);
      expect(entries.length).toBeGreaterThan(10);
      expect(entries.filter((e) => e.action !== 'unchanged')).toEqual([]);
      expect(entries.filter((e) => e.kind === 'WorkloadCluster').map((e) => e.name).sort()).toEqual(['kept', 'open']);
    } finally {
      reconciler.close();
      client.close();
    }
  });
});
