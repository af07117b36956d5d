import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ciCommand } from '../../../src/cli/commands/ci.js';
import { declarationYaml, writeFleet } from '../../../src/testing.js';
import { runCommand } from '../../_run-command.js';
import { prRepo } from '../../_pr-repo.js';

const cluster = (name: string, version = 'v1.33.4') =>
  declarationYaml(name, { controlPlaneReplicas: 3, nodePools: [{ name: 'general', replicas: 3 }], spec: { kubernetesVersion: version } });
const stage = (name: string, defaults: Record<string, unknown>) =>
  `apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: ${name}}\nspec:\n  defaults: ${JSON.stringify(defaults)}\n`;

/** A git repository whose `main` holds `files` under clusters/, checked out on a `pr` branch. */
function repository(files: Record<string, string>): { root: string; git: (...args: string[]) => string } {
  const root = writeFleet(Object.fromEntries(Object.entries(files).map(([p, c]) => [`clusters/${p}`, c])), 'clusterops-ci-repo-');
  return { root, git: prRepo(root) };
}

const ci = (root: string, ...args: string[]) => runCommand(ciCommand, ['--clusters', path.join(root, 'clusters'), '--no-preview', ...args]);
const section = (md: string, name: string) => md.split(/^## /m).find((s) => s.startsWith(`${name}\n`)) ?? '';

describe('clusterops ci: the offline diff (base against head, no cluster)', () => {
  it('shows per cluster what is created, changed field by field and deleted, against the merge base with main', async () => {
    const { root, git } = repository({ 'staging/a.yaml': cluster('a'), 'staging/b.yaml': cluster('b'), 'staging/gone.yaml': cluster('gone') });
    writeFileSync(path.join(root, 'clusters/staging/a.yaml'), cluster('a', 'v1.34.1'));
    writeFileSync(path.join(root, 'clusters/staging/new.yaml'), cluster('new'));
    rmSync(path.join(root, 'clusters/staging/gone.yaml'));
    git('add', '-A');
    git('commit', '-qm', 'pr');
    const r = await ci(root);
    expect(r.code).toBe(3); // no kubeconfig: the live diff could not run, and --no-preview
    expect(r.stdout).toMatch(/\| offline diff \| base `[0-9a-f]{12}` \(merge-base HEAD main; in-process\): 2 changed, 2 deleted, 2 created in 3 cluster\(s\)\/stage\(s\) \|/);
    const a = section(r.stdout, 'staging/a');
    expect(a).toContain('- changed Cluster `staging/a`\n  - `spec.topology.version`: "v1.33.4" → "v1.34.1"\n');
    expect(a).toContain('- changed WorkloadCluster `staging/a`\n  - `spec.kubernetesVersion`: "v1.33.4" → "v1.34.1"\n');
    expect(section(r.stdout, 'staging/new')).toMatch(/- created Cluster `staging\/new`/);
    const gone = section(r.stdout, 'staging/gone');
    expect(gone).toContain('Removed from the declarations.');
    expect(gone).toMatch(/- deleted Cluster `staging\/gone`/);
    expect(r.stdout).toContain('## 1 cluster(s) without changes\n\nNothing to report by offline diff: `staging/b`.');
  });

  it('names the clusters a stage default change reaches', async () => {
    const followsStage = (name: string) => declarationYaml(name, { controlPlaneReplicas: 3, nodePools: [{ name: 'general', replicas: 3 }], omit: ['kubernetesVersion'] });
    const { root } = repository({
      'staging/stage.yaml': stage('staging', { kubernetesVersion: 'v1.33.4' }),
      'staging/a.yaml': followsStage('a'),
      'staging/b.yaml': cluster('b'),
    });
    writeFileSync(path.join(root, 'clusters/staging/stage.yaml'), stage('staging', { kubernetesVersion: 'v1.35.0' }));
    const r = await ci(root, '--base', 'main');
    const st = section(r.stdout, 'stage staging');
    expect(st).toContain('`staging/stage.yaml` changed; its defaults and policy reach: a.');
    expect(section(r.stdout, 'staging/a')).toContain('`spec.topology.version`: "v1.33.4" → "v1.35.0"');
    expect(section(r.stdout, 'staging/b')).toBe('');
  });

  it('fails (exit 1) on a --base that is no commit, and says so in the header', async () => {
    const { root } = repository({ 'staging/a.yaml': cluster('a') });
    const r = await ci(root, '--base', 'no-such-ref');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('**Failed:** offline diff.');
    expect(r.stdout).toContain('| offline diff | failed: --base no-such-ref is not a commit of');
  });

  it('reports no changes on an unchanged tree', async () => {
    const { root } = repository({ 'staging/a.yaml': cluster('a') });
    mkdirSync(path.join(root, 'clusters/staging'), { recursive: true });
    const r = await ci(root);
    expect(r.stdout).toMatch(/\| offline diff \| base `[0-9a-f]{12}` \(merge-base HEAD main; in-process\): no changes \|/);
  });

  // The base takes stage folders whose files are unchanged from the head's load; these make sure what it takes is really the same.
  it('sees a file moved between stages as deleted from one and created in the other', async () => {
    const { root, git } = repository({ 'staging/a.yaml': cluster('a'), 'production/p.yaml': cluster('p'), 'production/moved.yaml': cluster('moved') });
    renameSync(path.join(root, 'clusters/production/moved.yaml'), path.join(root, 'clusters/staging/moved.yaml'));
    git('add', '-A');
    git('commit', '-qm', 'move');
    const r = await ci(root);
    expect(section(r.stdout, 'production/moved')).toContain('Removed from the declarations.');
    expect(section(r.stdout, 'production/moved')).toMatch(/- deleted Cluster `production\/moved`/);
    expect(section(r.stdout, 'staging/moved')).toMatch(/- created Cluster `staging\/moved`/);
    expect(r.stdout).toContain('## 2 cluster(s) without changes\n\nNothing to report by offline diff: `production/p`, `staging/a`.');
  });

  it('compares the working tree, uncommitted and untracked files included', async () => {
    const { root } = repository({ 'staging/a.yaml': cluster('a'), 'production/p.yaml': cluster('p') });
    writeFileSync(path.join(root, 'clusters/staging/a.yaml'), cluster('a', 'v1.34.1'));
    writeFileSync(path.join(root, 'clusters/production/untracked.yaml'), cluster('untracked'));
    const r = await ci(root);
    expect(section(r.stdout, 'staging/a')).toContain('`spec.topology.version`: "v1.33.4" → "v1.34.1"');
    expect(section(r.stdout, 'production/untracked')).toMatch(/- created Cluster `production\/untracked`/);
    expect(section(r.stdout, 'production/p')).toBe('');
  });

  it('reads a base whose clusters folder holds a symlink as it is', async () => {
    const { root, git } = repository({ 'staging/a.yaml': cluster('a'), 'production/p.yaml': cluster('p'), 'shared/x.yaml': cluster('x') });
    symlinkSync('../shared/x.yaml', path.join(root, 'clusters/staging/x.yaml'));
    git('add', '-A');
    git('commit', '-qm', 'link');
    git('branch', '-f', 'main');
    writeFileSync(path.join(root, 'clusters/shared/x.yaml'), cluster('x', 'v1.34.1'));
    const r = await ci(root);
    // The link reads the changed file: the cluster changes in both stages that hold it.
    expect(section(r.stdout, 'staging/x')).toContain('`spec.topology.version`: "v1.33.4" → "v1.34.1"');
    expect(section(r.stdout, 'shared/x')).toContain('`spec.topology.version`: "v1.33.4" → "v1.34.1"');
    expect(r.stdout).toContain('Nothing to report by offline diff: `production/p`, `staging/a`.');
  });

  it('finds the change in a file whose name git would quote', async () => {
    const { root, git } = repository({ 'staging/é.yaml': cluster('e'), 'production/p.yaml': cluster('p') });
    writeFileSync(path.join(root, 'clusters/staging/é.yaml'), cluster('e', 'v1.34.1'));
    git('commit', '-qam', 'upgrade');
    const r = await ci(root);
    expect(section(r.stdout, 'staging/e')).toContain('`spec.topology.version`: "v1.33.4" → "v1.34.1"');
  });
});
