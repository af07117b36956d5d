// `clusterops apply --addons` / `diff --addons`: each cluster's add-on set is delivered into that
// workload cluster (a second real control plane) through Secret `<cluster>-kubeconfig`, key `value`,
// in the stage's namespace of the management cluster, as Cluster API writes it.
import { declarationYaml } from '../../../src/testing.js';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCommand } from '../../../src/cli/commands/apply.js';
import { diffCommand } from '../../../src/cli/commands/diff.js';
import { pickFreePorts } from '../../../src/controlplane/free-ports.js';
import { KubeError, type KubeClient } from '../../../src/kube/client.js';
import { startTestControlPlane, type TestControlPlane } from '../_control-plane.js';
import { getObject, suiteClient, suiteKubeconfig, unique } from './_helpers.js';
import { runCommand } from '../../_run-command.js';

/** A WorkloadCluster declaration whose add-ons are one team namespace per name. */
function cluster(name: string, teams: string[]): string {
  return declarationYaml(name, { deletionProtection: false, addons: { 'team-namespaces': { teams: teams.map((t) => ({ name: t, admins: [`${t}-admins`] })) } } });
}

const run = runCommand;

type Entry = { action: string; kind: string; namespace: string; name: string; set: string; cluster: string; reason?: string };
type Output = { entries: Entry[]; errors: Array<{ set: string; cluster: string; message: string }> };

const WRITE_VERBS = new Set(['APPLY', 'POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Write requests the workload API server has served for the resources clusterops writes there
 * (the add-on kinds and the inventory ConfigMap), from its own `apiserver_request_total` metric.
 */
async function serverWrites(cp: TestControlPlane, resources: string[]): Promise<number> {
  const res = await cp.client.request<string>({ verb: 'get', method: 'GET', path: '/metrics', responseType: 'text' });
  let n = 0;
  for (const line of res.body.split('\n')) {
    const m = /^apiserver_request_total\{(.*)\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (WRITE_VERBS.has(labels.verb) && labels.dry_run === '' && labels.subresource === '' && resources.includes(labels.resource)) n += Number(m[2]);
  }
  return n;
}

describe('clusterops apply --addons', () => {
  let dir: string;
  let stage: string;
  let teams: [string, string, string, string];
  let management: KubeClient;
  let workloadCp: TestControlPlane;
  let workloadKubeconfig: string;
  let common: string[];
  const inWorkload = (path: string) =>
    workloadCp.client.request<Record<string, any>>({ verb: 'get', method: 'GET', path }).then(
      (r) => r.body,
      (error: unknown) => {
        if (error instanceof KubeError) return undefined;
        throw error;
      },
    );

  async function putSecret(name: string, value: string): Promise<void> {
    await management.request({
      verb: 'apply',
      method: 'PATCH',
      path: `/api/v1/namespaces/${stage}/secrets/${name}`,
      query: { fieldManager: 'test', force: 'true' },
      contentType: 'application/apply-patch+yaml',
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: stage }, data: { value: Buffer.from(value).toString('base64') } },
    });
  }

  beforeAll(async () => {
    management = await suiteClient();
    workloadCp = await startTestControlPlane({ waitForControllers: false });
    workloadKubeconfig = await readFile(workloadCp.kubeconfigPath, 'utf8');
    dir = await mkdtemp(join(tmpdir(), 'clusterops-addons-'));
    stage = unique('addons');
    teams = [unique('ta'), unique('tb'), unique('tc'), unique('td')];
    common = ['--clusters', dir, '--kubeconfig', suiteKubeconfig()];
    await mkdir(join(dir, stage));
    await writeFile(join(dir, stage, 'edge.yaml'), cluster('edge', [teams[0], teams[1]]));
    await writeFile(join(dir, stage, 'later.yaml'), cluster('later', [teams[2]]));
    // What Cluster API does once edge's control plane is up; `later` has no Secret yet.
    await management.request({ verb: 'create', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: stage } } });
    await putSecret('edge-kubeconfig', workloadKubeconfig);
  });
  afterAll(async () => {
    management?.close();
    await workloadCp?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies the management sets in the management cluster and each add-on set inside its workload cluster; a cluster without a Secret is skipped', async () => {
    const writesBefore = await serverWrites(workloadCp, ['namespaces', 'rolebindings', 'configmaps']);
    const r = await run(applyCommand, [...common, '--addons', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Output;
    expect(out.errors).toEqual([]);
    const mgmt = out.entries.filter((e) => e.set === `management.${stage}`);
    expect(mgmt.length).toBeGreaterThanOrEqual(3);
    expect(mgmt.every((e) => e.cluster === 'management')).toBe(true);
    expect(mgmt.filter((e) => e.kind === 'Cluster').map((e) => [e.name, e.action])).toEqual([
      ['edge', 'created'],
      ['later', 'created'],
    ]);
    const edge = out.entries.filter((e) => e.set === `addons.${stage}.edge`);
    expect(edge.map((e) => [e.cluster, e.action, e.kind, e.namespace, e.name])).toEqual([
      [`${stage}/edge`, 'created', 'Namespace', '', teams[0]],
      [`${stage}/edge`, 'created', 'Namespace', '', teams[1]],
      [`${stage}/edge`, 'created', 'RoleBinding', teams[0], `${teams[0]}-admin`],
      [`${stage}/edge`, 'created', 'RoleBinding', teams[1], `${teams[1]}-admin`],
    ]);
    const later = out.entries.filter((e) => e.set === `addons.${stage}.later`);
    expect(later.length).toBe(2);
    for (const e of later) {
      expect(e).toMatchObject({ cluster: `${stage}/later`, action: 'skipped', reason: `no Secret ${stage}/later-kubeconfig yet: cluster not provisioned` });
    }
    expect(await serverWrites(workloadCp, ['namespaces', 'rolebindings', 'configmaps'])).toBeGreaterThan(writesBefore);

    // The add-ons and their inventory are in the workload cluster, not in the management cluster.
    expect(await inWorkload(`/api/v1/namespaces/${teams[0]}`)).toBeDefined();
    expect(await inWorkload(`/apis/rbac.authorization.k8s.io/v1/namespaces/${teams[1]}/rolebindings/${teams[1]}-admin`)).toBeDefined();
    const inventory = await inWorkload(`/api/v1/namespaces/clusterops-system/configmaps/applyset-addons.${stage}.edge`);
    expect(inventory?.data.objects.split('\n')).toHaveLength(4);
    expect(await getObject(management, `/api/v1/namespaces/${teams[0]}`)).toBeUndefined();
    expect(await getObject(management, `/api/v1/namespaces/clusterops-system/configmaps/applyset-addons.${stage}.edge`)).toBeUndefined();
    expect(await getObject(management, `/apis/cluster.x-k8s.io/v1beta2/namespaces/${stage}/clusters/edge`)).toBeDefined();
    // The workload cluster holds none of the management set.
    expect(await inWorkload(`/api/v1/namespaces/${stage}`)).toBeUndefined();
    // Nothing was written for `later`, in either cluster.
    expect(await getObject(management, `/api/v1/namespaces/${teams[2]}`)).toBeUndefined();
    expect(await inWorkload(`/api/v1/namespaces/${teams[2]}`)).toBeUndefined();

    // Text output says which cluster each set is in; the diff sees nothing to do (skipped is no change).
    const d = await run(diffCommand, [...common, '--addons']);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain(`addons.${stage}.edge (in cluster ${stage}/edge):\n  4 unchanged\n`);
    expect(d.stdout).toContain(`addons.${stage}.later (in cluster ${stage}/later):\n  Namespace/${teams[2]} skipped (no Secret ${stage}/later-kubeconfig yet: cluster not provisioned)\n`);
    // Without --addons nothing of the add-on sets is looked at.
    const plain = await run(applyCommand, [...common, '-o', 'json']);
    expect(plain.code).toBe(0);
    expect((JSON.parse(plain.stdout) as Output).entries.every((e) => e.set === `management.${stage}` || !e.set.includes(stage))).toBe(true);
  });

  it('a second run is a no-op with zero writes in the workload cluster', async () => {
    // Let kube-controller-manager finish its own writes for the new namespaces (root CA ConfigMap).
    for (const ns of [teams[0], teams[1], 'clusterops-system']) {
      await expect.poll(() => inWorkload(`/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`), { timeout: 30_000, interval: 200 }).toBeDefined();
    }
    const before = await serverWrites(workloadCp, ['namespaces', 'rolebindings', 'configmaps']);
    const r = await run(applyCommand, [...common, '--addons', '-o', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Output;
    const edge = out.entries.filter((e) => e.cluster === `${stage}/edge`);
    expect(edge.length).toBe(4);
    expect(edge.every((e) => e.action === 'unchanged')).toBe(true);
    expect(await serverWrites(workloadCp, ['namespaces', 'rolebindings', 'configmaps'])).toBe(before);
  });

  it('--wait also waits for the add-ons inside each workload cluster', async () => {
    // No Cluster API controllers run here, so the management cluster's Clusters never get ready.
    const r = await run(applyCommand, [...common, '--addons', '--wait', '--timeout', '3s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`wait: ${stage}/edge: 4 objects are current\n`);
    expect(r.stderr).toMatch(/wait: timed out after 3s waiting for \d+ of \d+ objects: /);
  });

  it('--prune deletes a removed add-on object inside the workload cluster', async () => {
    await writeFile(join(dir, stage, 'edge.yaml'), cluster('edge', [teams[0]]));
    const d = await run(diffCommand, [...common, '--addons', '--prune', '-o', 'markdown']);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain(`#### \`addons.${stage}.edge\` in cluster \`${stage}/edge\``);
    expect(d.stdout).toContain(`| 🔴 deleted | Namespace |  | ${teams[1]} |  |`);

    const r = await run(applyCommand, [...common, '--addons', '--prune', '-o', 'json']);
    expect(r.code).toBe(0);
    const edge = (JSON.parse(r.stdout) as Output).entries.filter((e) => e.cluster === `${stage}/edge` && e.action !== 'unchanged');
    expect(edge.map((e) => [e.action, e.kind, e.name]).sort()).toEqual([
      ['deleted', 'Namespace', teams[1]],
      ['deleted', 'RoleBinding', `${teams[1]}-admin`],
    ]);
    const gone = await inWorkload(`/api/v1/namespaces/${teams[1]}`);
    expect(gone === undefined || gone.metadata.deletionTimestamp !== undefined).toBe(true);
    expect(await inWorkload(`/api/v1/namespaces/${teams[0]}`)).toMatchObject({ metadata: { name: teams[0] } });
    const inventory = await inWorkload(`/api/v1/namespaces/clusterops-system/configmaps/applyset-addons.${stage}.edge`);
    expect(inventory?.data.objects.split('\n')).toHaveLength(2);
  });

  it('a workload cluster that fails never blocks another, makes the exit code 1 and never shows the kubeconfig', async () => {
    // `unreachable` has a real kubeconfig (same credentials) for a port nothing listens on; `garbled` has no kubeconfig at all.
    const [port] = await pickFreePorts(1);
    const unreachable = workloadKubeconfig.replace(workloadCp.server, `https://127.0.0.1:${port}`);
    expect(unreachable).not.toBe(workloadKubeconfig);
    await putSecret('unreachable-kubeconfig', unreachable);
    await putSecret('garbled-kubeconfig', 'this is not a kubeconfig');
    await writeFile(join(dir, stage, 'unreachable.yaml'), cluster('unreachable', [unique('tu')]));
    await writeFile(join(dir, stage, 'garbled.yaml'), cluster('garbled', [unique('tg')]));
    await writeFile(join(dir, stage, 'edge.yaml'), cluster('edge', [teams[0], teams[3]]));

    const r = await run(applyCommand, [...common, '--addons', '-o', 'json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as Output;
    expect(out.errors.map((e) => [e.set, e.cluster])).toEqual([
      [`addons.${stage}.garbled`, `${stage}/garbled`],
      [`addons.${stage}.unreachable`, `${stage}/unreachable`],
    ]);
    expect(out.errors[0].message).toBe(`Secret ${stage}/garbled-kubeconfig does not hold a usable kubeconfig`);
    expect(out.errors[1].message).toMatch(/^GET \/api\/v1\/namespaces\/clusterops-system\/configmaps\/\S+: cannot reach the API server \(\w+\) after \d+ attempt\(s\)$/);
    // edge was delivered all the same.
    expect(out.entries.filter((e) => e.cluster === `${stage}/edge` && e.action === 'created').map((e) => e.name).sort()).toEqual([teams[3], `${teams[3]}-admin`].sort());
    expect(await inWorkload(`/api/v1/namespaces/${teams[3]}`)).toBeDefined();

    // No secret material in any output, in any format.
    const keyData = /client-key-data: (\S+)/.exec(workloadKubeconfig)![1];
    const certData = /client-certificate-data: (\S+)/.exec(workloadKubeconfig)![1];
    const text = await run(applyCommand, [...common, '--addons']);
    const markdown = await run(diffCommand, [...common, '--addons', '-o', 'markdown']);
    expect(text.code).toBe(1);
    expect(markdown.code).toBe(2);
    expect(text.stdout).toContain(`addons.${stage}.unreachable (in cluster ${stage}/unreachable):\n  error: `);
    expect(markdown.stdout).toContain(`#### \`addons.${stage}.garbled\` in cluster \`${stage}/garbled\``);
    for (const output of [r, text, markdown]) {
      for (const stream of [output.stdout, output.stderr]) {
        expect(stream).not.toContain(keyData.slice(0, 40));
        expect(stream).not.toContain(certData.slice(0, 40));
        expect(stream).not.toContain('this is not a kubeconfig');
        expect(stream).not.toContain('BEGIN');
      }
    }
  });
});
