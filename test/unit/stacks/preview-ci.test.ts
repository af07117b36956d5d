import { declarationYaml } from '../../../src/testing.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChangeSet } from '../../../src/apply/change-set.js';
import { loadFleet } from '../../../src/spec/load.js';
import { synthFleet } from '../../../src/synth/synth.js';
import { formatCiSummary } from '../../../src/cli/commands/_ci-summary.js';
import { explainPulumiFailure, findPulumiDir, PulumiUnavailableError } from '../../../src/pulumi/stack-run.js';
import { ciCommand } from '../../../src/cli/commands/ci.js';
import { previewCommand } from '../../../src/cli/commands/preview.js';
import { clustersFolder } from './_pulumi-run.js';
import { runCommand } from '../../_run-command.js';

/** A valid docker cluster (3 control-plane replicas, one pool of 3); `extra` adds spec fields (also invalid ones). */
const cluster = (name: string, extra: Record<string, unknown> = {}) =>
  declarationYaml(name, { controlPlaneReplicas: 3, nodePools: [{ name: 'general', replicas: 3 }], spec: extra });

/** Runs a command as the CLI would, with PATH and the tools cache emptied so no pulumi binary can be found. */
async function run(make: Parameters<typeof runCommand>[0], args: string[]) {
  const saved = { PATH: process.env.PATH, dir: process.env.CLUSTEROPS_PULUMI_DIR, cache: process.env.CLUSTEROPS_CACHE_DIR };
  process.env.PATH = await mkdtemp(path.join(tmpdir(), 'empty-path-'));
  process.env.CLUSTEROPS_CACHE_DIR = await mkdtemp(path.join(tmpdir(), 'empty-cache-'));
  delete process.env.CLUSTEROPS_PULUMI_DIR;
  try {
    return await runCommand(make, args);
  } finally {
    process.env.PATH = saved.PATH;
    for (const [key, value] of [['CLUSTEROPS_PULUMI_DIR', saved.dir], ['CLUSTEROPS_CACHE_DIR', saved.cache]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

describe('clusterops preview and ci without a Pulumi engine', () => {
  it('preview says how to get the pulumi CLI and exits 2 when it is not installed', async () => {
    const dir = await clustersFolder({ 'staging/a.yaml': cluster('a') });
    const r = await run(previewCommand, ['--clusters', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: the pulumi CLI is not built: run `bash tools\/build-pulumi.sh`/);
  });

  it('preview refuses a backend that is not a URL', async () => {
    await expect(run(previewCommand, ['--backend', '/var/state'])).rejects.toThrow(/--backend "\/var\/state" is not a URL/);
  });

  it('ci names every check that could not run in its header and exits 3, never a silent pass', async () => {
    const dir = await clustersFolder({ 'staging/a.yaml': cluster('a'), 'production/b.yaml': cluster('b') });
    const r = await run(ciCommand, ['--clusters', dir]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('| declarations | 2 cluster(s) in 2 stage(s), all valid |');
    expect(r.stdout).toMatch(/\*\*Not checked:\*\* offline diff \(not run: .* is not inside a git repository.*\); management cluster diff \(not run: no --kubeconfig given\); pulumi preview \(not run: the pulumi CLI is not built/);
    expect(r.stdout).toContain('| management cluster diff | not run: no --kubeconfig given |');
    expect(r.stdout).toMatch(/\| pulumi preview \| not run: the pulumi CLI is not built/);
    expect(r.stdout).toContain('## 2 cluster(s) without changes\n\nNo check ran: `production/b`, `staging/a`.');
  });

  it('ci exits 1 on invalid declarations and lists each problem under its file', async () => {
    const dir = await clustersFolder({ 'staging/a.yaml': cluster('a', { bogus: true }), 'staging/b.yaml': cluster('b') });
    const r = await run(ciCommand, ['--clusters', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('**Declarations: 1 problem(s)');
    expect(r.stdout).toMatch(/## `.*staging\/a\.yaml`\n\n- `.*staging\/a\.yaml:\d+:\d+: spec\.bogus: unknown field "bogus"`/);
    expect(r.stderr).toMatch(/staging\/a\.yaml:\d+:\d+: spec\.bogus/);
  });
});

describe('the CI summary', () => {
  it('puts each diff entry and Pulumi step under the cluster it belongs to', async () => {
    const dir = await clustersFolder({ 'staging/a.yaml': cluster('a'), 'staging/b.yaml': cluster('b') });
    const { fleet } = await loadFleet(dir);
    const sets = synthFleet(fleet!).filter((s) => s.target.kind === 'management');
    const changes = new ChangeSet(true);
    changes.add('management.staging', { group: 'cluster.x-k8s.io', kind: 'Cluster', namespace: 'staging', name: 'b' }, 'configured', { diff: '-  replicas: 1\n+  replicas: 3\n' });
    changes.add('management.staging', { group: 'cluster.x-k8s.io', kind: 'Cluster', namespace: 'staging', name: 'a' }, 'unchanged');
    changes.add('management.staging', { group: '', kind: 'Namespace', namespace: '', name: 'staging' }, 'unchanged');
    const md = formatCiSummary({
      clustersDir: dir,
      fleet,
      problems: [],
      offline: { ran: false, note: 'not run: --no-offline' },
      diff: { ran: true, result: { changes, sets } },
      preview: {
        ran: true,
        result: {
          stack: 'mgmt',
          durationMs: 1,
          summary: { create: 4 },
          steps: ['ca', 'etcd', 'proxy', 'sa'].map((s) => ({ op: 'create' as const, type: 'kubernetes:core/v1:Secret', name: `staging/b/${s}-secret` })),
        },
      },
    });
    const section = (name: string) => md.split(/^## /m).find((s) => s.startsWith(`${name}\n`)) ?? '';
    expect(section('staging/b')).toContain('**Management cluster:** 1 configured');
    expect(section('staging/b')).toContain('+  replicas: 3');
    expect(section('staging/b')).toContain('**Pulumi:** 4 create');
    expect(section('staging/b')).toContain('- create kubernetes:core/v1:Secret `staging/b/sa-secret`');
    expect(section('staging/a')).toBe('');
    expect(md).toContain('## 1 cluster(s) without changes\n\nNothing to report by management cluster diff, pulumi preview: `staging/a`.');
    expect(section('management plane')).toContain('1 unchanged');
  });
});

describe('Pulumi failures', () => {
  it.each([
    ['error: getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables', /set PULUMI_CONFIG_PASSPHRASE/],
    ['error: constructing secrets manager of type "passphrase": incorrect passphrase', /wrong passphrase/],
    [
      'Preview failed: resource "urn:pulumi:s::clusterops-management::clusterops:identity:ClusterIdentity$kubernetes:core/v1:Secret::production/a/ca-secret" cannot be deleted\nbecause it is protected.',
      /^production\/a\/ca-secret is protected \(its cluster has deletionProtection\), so removing the cluster's file deletes nothing/,
    ],
    ["error: no stack named 'mgmt' found", /stack "mgmt" does not exist.*pulumi stack init mgmt/],
    [
      'error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n  file:///s/.pulumi/locks/organization/p/drill/1a.json: created by root@vm (pid 4242) at 2026-12-03T10:00:00Z',
      /^the stack is locked by another update \(root@vm, pid 4242\): wait for it to end; .*delete file:\/\/\/s\/\.pulumi\/locks\/organization\/p\/drill\/1a\.json\)/,
    ],
    ["error: no resource plugin 'pulumi-resource-kubernetes' found in the workspace", /provider plugin pulumi-resource-kubernetes is not installed/],
    ['error: something else entirely\nmore', /^something else entirely$/],
    [
      // As `pulumi preview` prints a program failure: in the progress line, then under Diagnostics.
      ' +  pulumi:pulumi:Stack p-s create error: 2 problem(s) in /c:\nDiagnostics:\n  pulumi:pulumi:Stack (p-s):\n    error: 2 problem(s) in /c:\n    /c/s/x.yaml:4:7: spec.a: missing\n    /c/s/x.yaml:4:7: spec.b: missing\n\nResources:\n',
      /^2 problem\(s\) in \/c:\n\/c\/s\/x\.yaml:4:7: spec\.a: missing\n\/c\/s\/x\.yaml:4:7: spec\.b: missing$/,
    ],
  ])('%s', (stderr, expected) => {
    expect(explainPulumiFailure(Object.assign(new Error('code: 255'), { stderr }))).toMatch(expected);
  });

  it('finds no pulumi on an empty PATH', async () => {
    await expect(findPulumiDir(process.cwd(), { PATH: '/nonexistent', CLUSTEROPS_CACHE_DIR: '/nonexistent' })).rejects.toBeInstanceOf(PulumiUnavailableError);
  });
});
