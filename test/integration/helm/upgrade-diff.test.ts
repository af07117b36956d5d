// A chart upgrade across stages as a team does it: the version in clusters/staging/stage.yaml moves
// from v1.21.1 to v1.21.2 in a pull request, and `clusterops ci` shows, per cluster of that stage
// and offline, the exact object changes (the images and version labels the new chart renders),
// while production, still on the old version, shows none. Then production is promoted by a commit.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ciCommand } from '../../../src/cli/commands/ci.js';
import { writeFleet } from '../../../src/testing.js';
import { runCommand } from '../../_run-command.js';
import { prRepo } from '../../_pr-repo.js';
import { vendorInto } from './_charts.js';

const stage = (name: string, version: string) => `apiVersion: clusterops.io/v1alpha1
kind: Stage
metadata: {name: ${name}}
spec:
  defaults:
    provider: local
    kubernetesVersion: v1.36.3
    controlPlane: {replicas: 1}
    addons:
      cert-manager:
        version: ${version}
`;
const cluster = (name: string) => `apiVersion: clusterops.io/v1alpha1\nkind: WorkloadCluster\nmetadata: {name: ${name}}\nspec: {}\n`;
const section = (md: string, name: string) => md.split(/^## /m).find((s) => s.startsWith(`${name}\n`)) ?? '';

function repository(): { root: string; git: (...args: string[]) => string } {
  const root = writeFleet(
    {
      'clusters/staging/stage.yaml': stage('staging', 'v1.21.1'),
      'clusters/staging/a.yaml': cluster('a'),
      'clusters/staging/b.yaml': cluster('b'),
      'clusters/production/stage.yaml': stage('production', 'v1.21.1'),
      'clusters/production/p.yaml': cluster('p'),
    },
    'clusterops-helm-upgrade-',
  );
  vendorInto(root, 'cert-manager/v1.21.1', 'cert-manager/v1.21.2');
  return { root, git: prRepo(root) };
}

const ci = (root: string) => runCommand(ciCommand, ['--clusters', path.join(root, 'clusters'), '--no-preview']);

describe('a chart upgrade in staging, previewed per cluster and promoted by a commit', () => {
  it('clusterops ci shows the exact object changes in each staging cluster, and none in production', async () => {
    const { root, git } = repository();
    writeFileSync(path.join(root, 'clusters/staging/stage.yaml'), stage('staging', 'v1.21.2'));
    git('commit', '-qam', 'cert-manager v1.21.2 in staging');
    const r = await ci(root);
    expect(r.stdout).toContain('`staging/stage.yaml` changed; its defaults and policy reach: a, b.');
    for (const name of ['a', 'b']) {
      const s = section(r.stdout, `staging/${name}`);
      // Inside the workload cluster: the controller's image and the chart's version labels.
      expect(s).toMatch(/- changed Deployment `cert-manager\/cert-manager`\n(  - .*\n)*  - `spec\.template\.spec\.containers\[0\]\.image`: "quay\.io\/jetstack\/cert-manager-controller:v1\.21\.1" → "quay\.io\/jetstack\/cert-manager-controller:v1\.21\.2"\n/);
      expect(s).toMatch(/- changed CustomResourceDefinition `certificates\.cert-manager\.io`/);
      // In the management cluster: the WorkloadCluster mirror names the chart it runs.
      expect(s).toMatch(/- changed WorkloadCluster `staging\/[ab]`\n(  - .*\n)*  - `spec\.addons\.cert-manager\.version`: "v1\.21\.1" → "v1\.21\.2"\n/);
      expect(s).not.toMatch(/- (created|deleted) /);
    }
    expect(section(r.stdout, 'production/p')).toBe('');

    // Promotion is the same change to production's stage.yaml, reviewed the same way.
    git('checkout', '-q', 'main');
    git('merge', '-q', '--ff-only', 'pr');
    git('checkout', '-qb', 'promote');
    writeFileSync(path.join(root, 'clusters/production/stage.yaml'), readFileSync(path.join(root, 'clusters/production/stage.yaml'), 'utf8').replace('v1.21.1', 'v1.21.2'));
    git('commit', '-qam', 'promote cert-manager v1.21.2 to production');
    const promoted = await ci(root);
    expect(section(promoted.stdout, 'production/p')).toMatch(/- changed Deployment `cert-manager\/cert-manager`/);
    expect(section(promoted.stdout, 'staging/a')).toBe('');
  });

  it('a chart whose files change at the same version shows too (the base reads its own charts/, not the head stages)', async () => {
    const { root, git } = repository();
    const values = path.join(root, 'charts/cert-manager/v1.21.1/values.yaml');
    writeFileSync(values, readFileSync(values, 'utf8').replace(/^replicaCount: 1$/m, 'replicaCount: 2'));
    git('commit', '-qam', 'a patched vendored chart');
    const r = await ci(root);
    expect(r.stdout).toMatch(/in-process\)/);
    expect(section(r.stdout, 'staging/a')).toMatch(/- changed Deployment `cert-manager\/cert-manager`\n(  - .*\n)*  - `spec\.replicas`: 1 → 2\n/);
    expect(section(r.stdout, 'production/p')).toMatch(/`spec\.replicas`: 1 → 2/);
  });
});
