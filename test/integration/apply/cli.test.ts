import { declarationYaml } from '../../../src/testing.js';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCommand } from '../../../src/cli/commands/apply.js';
import { diffCommand } from '../../../src/cli/commands/diff.js';
import { getObject, suiteClient, suiteKubeconfig, unique } from './_helpers.js';
import { runCommand } from '../../_run-command.js';

function cluster(name: string, replicas: number, deletionProtection: boolean): string {
  return declarationYaml(name, { nodePools: [{ name: 'general', replicas }], deletionProtection });
}

const run = runCommand;

type Entry = { action: string; kind: string; namespace: string; name: string; reason?: string };

describe('clusterops diff and apply', () => {
  let dir: string;
  let stage: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clusterops-cli-'));
    stage = unique('ci');
    await mkdir(join(dir, stage));
    await writeFile(join(dir, stage, 'c1.yaml'), cluster('c1', 1, true));
    await writeFile(join(dir, stage, 'c2.yaml'), cluster('c2', 2, false));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('diff says 1 before the first apply, apply creates, diff then says 0; a change shows in markdown; prune skips a protected Cluster', async () => {
    const common = ['--clusters', dir, '--kubeconfig', suiteKubeconfig()];
    let r = await run(diffCommand, [...common, '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    let entries = (JSON.parse(r.stdout) as { entries: Entry[] }).entries;
    expect(entries.every((e) => e.action === 'created')).toBe(true);
    expect(entries.filter((e) => e.kind === 'Cluster').map((e) => e.name)).toEqual(['c1', 'c2']);

    r = await run(applyCommand, [...common, '-o', 'json']);
    expect(r.code).toBe(0);
    entries = (JSON.parse(r.stdout) as { entries: Entry[] }).entries;
    expect(entries.length).toBeGreaterThanOrEqual(4);
    expect(entries.every((e) => e.action === 'created')).toBe(true);
    const client = await suiteClient();
    try {
      expect(await getObject(client, `/apis/cluster.x-k8s.io/v1beta2/namespaces/${stage}/clusters/c2`)).toBeDefined();
    } finally {
      client.close();
    }

    r = await run(diffCommand, common);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/0 created, 0 configured, \d+ unchanged, 0 deleted, 0 skipped \(dry run\)/);

    await writeFile(join(dir, stage, 'c2.yaml'), cluster('c2', 5, false));
    r = await run(diffCommand, [...common, '-o', 'markdown']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`| 🟡 configured | Cluster | ${stage} | c2 |  |`);
    expect(r.stdout).toMatch(/-\s+replicas: 2\n\+\s+replicas: 5/);

    r = await run(applyCommand, common);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Cluster/${stage}/c2 configured`);

    // c1 (deletion protection) and c2 are removed, c3 is added: c2 is pruned, c1 is kept and reported.
    await unlink(join(dir, stage, 'c1.yaml'));
    await unlink(join(dir, stage, 'c2.yaml'));
    await writeFile(join(dir, stage, 'c3.yaml'), cluster('c3', 1, false));
    r = await run(diffCommand, [...common, '--prune', '-o', 'json']);
    expect(r.code).toBe(1);
    entries = (JSON.parse(r.stdout) as { entries: Entry[] }).entries;
    expect(entries.filter((e) => e.kind === 'Cluster').map((e) => [e.name, e.action, e.reason])).toEqual([
      ['c3', 'created', undefined],
      ['c1', 'skipped', 'deletion protection'],
      ['c2', 'deleted', undefined],
    ]);
    r = await run(applyCommand, [...common, '--prune']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Cluster/${stage}/c1 skipped (deletion protection)`);
    expect(r.stdout).toContain(`Cluster/${stage}/c2 deleted`);
    const after = await suiteClient();
    try {
      expect(await getObject(after, `/apis/cluster.x-k8s.io/v1beta2/namespaces/${stage}/clusters/c1`)).toBeDefined();
      expect(await getObject(after, `/apis/cluster.x-k8s.io/v1beta2/namespaces/${stage}/clusters/c2`)).toBeUndefined();
    } finally {
      after.close();
    }
  });

  it('--wait waits for health within --timeout (no Cluster API controllers run here, so Clusters never get ready)', async () => {
    const r = await run(applyCommand, ['--clusters', dir, '--kubeconfig', suiteKubeconfig(), '--wait', '--timeout', '3s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/wait: timed out after 3s waiting for \d+ of \d+ objects: .*Cluster\/ci-[0-9a-f]+\/c3: /);
  });

  it('apply and diff refuse what the reconciler would refuse: a stage named kube-public writes into a reserved namespace', async () => {
    const fleet = await mkdtemp(join(tmpdir(), 'clusterops-cli-adm-'));
    const name = unique('adm');
    try {
      await mkdir(join(fleet, 'kube-public'));
      await writeFile(join(fleet, 'kube-public', `${name}.yaml`), cluster(name, 1, false));
      // apply fails (1); diff keeps 1 for "changes found", so it says error with 2, as for invalid declarations.
      for (const [command, code] of [[applyCommand, 1], [diffCommand, 2]] as const) {
        const r = await run(command, ['--clusters', fleet, '--kubeconfig', suiteKubeconfig()]);
        expect(r.code).toBe(code);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^admission refused \d+ objects, nothing of this revision is applied: Namespace kube-public, /);
        expect(r.stderr).toContain(`  management.kube-public: cluster.x-k8s.io/v1beta2 Cluster kube-public/${name}: namespace kube-public is reserved; no revision writes there\n`);
      }
      const client = await suiteClient();
      try {
        expect(await getObject(client, `/apis/cluster.x-k8s.io/v1beta2/namespaces/kube-public/clusters/${name}`)).toBeUndefined();
      } finally {
        client.close();
      }
    } finally {
      await rm(fleet, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2 with one line, no stack', async () => {
    let r = await run(diffCommand, ['--clusters', dir, '--kubeconfig', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: kubeconfig ${join(dir, 'nope.yaml')} does not exist\n`);
    r = await run(applyCommand, ['--clusters', dir, '--kubeconfig', suiteKubeconfig(), '--context', 'nowhere']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: context "nowhere" is not in .*\n$/);
    r = await run(applyCommand, ['--clusters', join(dir, 'missing'), '--kubeconfig', suiteKubeconfig()]);
    expect(r.code).toBe(2);
  });
});
