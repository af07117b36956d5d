// Helm add-ons delivered for real: a commit declares cert-manager and metrics-server (charts vendored
// in the repository, as a platform team keeps them) for a `local` workload cluster under real
// Cluster API; the reconciler renders them with helm inside its sandbox and applies them inside the
// workload cluster, CRDs first and established. A version bump in stage.yaml shows in `clusterops
// diff --addons` and is applied by its commit. Removing an add-on prunes its objects inside the
// workload cluster, but its CRDs stay (reported as kept) unless `pruneCRDs: true` was set.
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffCommand } from '../../../src/cli/commands/diff.js';
import { kubeconfigCommand } from '../../../src/cli/commands/kubeconfig.js';
import { localProviderController } from '../../../src/controlplane/cluster-api-runtime.js';
import { KubeClient } from '../../../src/kube/client.js';
import { Kubeconfig } from '../../../src/kube/kubeconfig.js';
import type { Reconciler } from '../../../src/reconciler/reconciler.js';
import type { TestRepo } from '../../unit/reconciler/_git-repo.js';
import { runCommand } from '../../_run-command.js';
import { getObject } from '../apply/_helpers.js';
import { vendoredCharts } from '../helm/_charts.js';
import { waitFor } from '../_wait-for.js';
import { PROJECT_ROOT, projectRepo } from '../reconciler/_project-repo.js';
import { testReconciler } from '../reconciler/_test-reconciler.js';
import { startCapiControlPlane, type CapiTestControlPlane } from './_capi-control-plane.js';

const STAGE = `hl-${randomBytes(3).toString('hex')}`;
const CLUSTER = 'edge';
type Obj = Record<string, any>;

/** The stage: local clusters, cert-manager's version, and the kinds these charts need admitted into workload clusters. */
function stageYaml(certManager: string | undefined): string {
  return `apiVersion: clusterops.io/v1alpha1
kind: Stage
metadata: {name: ${STAGE}}
spec:
  defaults:
    provider: local
    kubernetesVersion: v1.36.3
    controlPlane: {replicas: 1}
${certManager ? `    addons:\n      cert-manager:\n        version: ${certManager}\n` : ''}  admission:
    workload:
      - {group: apiextensions.k8s.io, kind: CustomResourceDefinition}
      - {group: admissionregistration.k8s.io, kind: MutatingWebhookConfiguration}
      - {group: admissionregistration.k8s.io, kind: ValidatingWebhookConfiguration}
      - {group: apiregistration.k8s.io, kind: APIService}
`;
}

const clusterYaml = (addons: string) => `apiVersion: clusterops.io/v1alpha1
kind: WorkloadCluster
metadata: {name: ${CLUSTER}}
spec:
  network: {podCIDRs: [10.244.0.0/16], serviceCIDRs: [10.96.0.0/12]}
  addons:
${addons}`;

let plane: CapiTestControlPlane;
let repo: TestRepo;
let reconciler: Reconciler;
let work: string;
let localClusters: string;

const workloadClusterPath = `/apis/clusterops.io/v1alpha1/namespaces/${STAGE}/workloadclusters/${CLUSTER}`;
const crdPath = (name: string) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
const established = (crd: Obj | undefined) => crd?.status?.conditions?.some((c: Obj) => c.type === 'Established' && c.status === 'True') === true;

/** A client for the workload cluster from `clusterops kubeconfig`, once Cluster API wrote its Secret. */
async function workloadClient(): Promise<KubeClient> {
  const kubeconfig = await waitFor('the workload kubeconfig', async () => {
    const run = await runCommand(kubeconfigCommand, [CLUSTER, '--stage', STAGE, '--kubeconfig', plane.kubeconfigPath]);
    return run.code === 0 ? run.stdout : undefined;
  }, 300_000);
  return KubeClient.fromKubeConfig(Kubeconfig.fromString(kubeconfig), { maxRetries: 1, timeoutMs: 10_000 });
}

/** The WorkloadCluster once its add-on set at `revision` is applied (whatever the health of pods nothing runs here). */
async function addonsAppliedAt(revision: string): Promise<Obj> {
  let wc: Obj | undefined;
  return waitFor(`${STAGE}/${CLUSTER} add-ons applied at ${revision.slice(0, 7)}`, async () => {
    wc = await getObject(plane.client, workloadClusterPath);
    const addons = wc?.status?.conditions?.find((c: Obj) => c.type === 'AddonsReady');
    const applied = wc?.status?.revision === revision && addons && !['WaitingForKubeconfig', 'ApplyFailed'].includes(addons.reason) && addons.message !== 'not applied yet';
    return applied ? wc : undefined;
  }, 600_000).catch((error: Error) => {
    throw new Error(`${error.message}; its status: ${JSON.stringify(wc?.status)}`);
  });
}

beforeAll(async () => {
  plane = await startCapiControlPlane({ controllers: (p) => [localProviderController(p.stateDir, p.kubeconfigPath)] });
  localClusters = path.join(plane.stateDir, 'local-clusters');
  repo = projectRepo({ [`clusters/${STAGE}/stage.yaml`]: stageYaml('v1.21.1') });
  for (const chart of ['cert-manager/v1.21.1', 'cert-manager/v1.21.2', 'metrics-server/3.12.2']) {
    cpSync(path.join(vendoredCharts(), 'charts', chart), path.join(repo.dir, 'charts', chart), { recursive: true });
  }
  repo.commit('vendor cert-manager v1.21.1 and v1.21.2, metrics-server 3.12.2');
  work = mkdtempSync(path.join(tmpdir(), 'clusterops-helm-addons-'));
  reconciler = testReconciler(repo.url, work, plane.client, { pollIntervalMs: 1_000, driftIntervalMs: 5_000, requestPollMs: 1_000 }, { seedInstallations: [PROJECT_ROOT] });
  reconciler.start();
}, 900_000);

afterAll(async () => {
  await reconciler?.stop();
  reconciler?.close();
  const { stopControlPlane } = await import('../../../src/controlplane/index.js');
  const dir = localClusters && path.join(localClusters, STAGE, CLUSTER);
  if (dir && existsSync(dir)) await stopControlPlane(dir).catch(() => undefined);
  await plane?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  repo?.cleanup();
}, 300_000);

describe('Helm add-ons inside a real local workload cluster', () => {
  let workload: KubeClient;

  it('a commit delivers cert-manager and metrics-server: their objects inside the workload cluster, CRDs established', async () => {
    repo.write(`clusters/${STAGE}/${CLUSTER}.yaml`, clusterYaml('    cert-manager: {}\n    metrics-server:\n      values: {replicas: 2}\n'));
    const sha = repo.commit(`add ${CLUSTER} with cert-manager and metrics-server`);
    await addonsAppliedAt(sha);
    workload = await workloadClient();
    const controller = await waitFor('the cert-manager Deployment inside the workload cluster', () => getObject(workload, '/apis/apps/v1/namespaces/cert-manager/deployments/cert-manager'), 300_000);
    expect(controller?.spec.template.spec.containers[0].image).toBe('quay.io/jetstack/cert-manager-controller:v1.21.1');
    expect(controller?.metadata.labels).toMatchObject({ 'clusterops.io/addon': 'cert-manager', 'clusterops.io/cluster': CLUSTER });
    for (const name of ['certificates.cert-manager.io', 'issuers.cert-manager.io', 'clusterissuers.cert-manager.io']) {
      const crd = await waitFor(`CRD ${name} established`, async () => {
        const o = await getObject(workload, crdPath(name));
        return established(o) ? o : undefined;
      });
      expect(crd.metadata.annotations['clusterops.io/prune']).toBe('disabled');
    }
    expect((await getObject(workload, '/apis/apps/v1/namespaces/kube-system/deployments/metrics-server'))?.spec.replicas).toBe(2);
    expect(await getObject(workload, '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io')).toBeDefined();
    expect(await getObject(workload, '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/cert-manager-webhook')).toBeDefined();
    // Nothing of it in the management cluster.
    expect(await getObject(plane.client, '/apis/apps/v1/namespaces/cert-manager/deployments/cert-manager')).toBeUndefined();
    // Health is what the cluster says: no kubelet runs pods in a local cluster, so the Deployments are not available.
    const addons = await waitFor('AddonsReady to report the Deployments', async () => {
      const c = (await getObject(plane.client, workloadClusterPath))?.status?.conditions?.find((x: Obj) => x.type === 'AddonsReady');
      return c?.reason === 'NotReady' && /Deployment\/cert-manager\/cert-manager/.test(c.message) ? c : undefined;
    });
    expect(addons).toMatchObject({ status: 'False', reason: 'NotReady' });
  });

  it('a version bump in stage.yaml shows in clusterops diff --addons, and its commit applies it', async () => {
    repo.write(`clusters/${STAGE}/stage.yaml`, stageYaml('v1.21.2'));
    const diff = await runCommand(diffCommand, ['--clusters', path.join(repo.dir, 'clusters'), '--kubeconfig', plane.kubeconfigPath, '--addons']);
    expect(diff.code, diff.stderr).toBe(1);
    expect(diff.stdout).toMatch(/quay\.io\/jetstack\/cert-manager-controller:v1\.21\.1/);
    expect(diff.stdout).toMatch(/quay\.io\/jetstack\/cert-manager-controller:v1\.21\.2/);
    const sha = repo.commit('cert-manager v1.21.2');
    await addonsAppliedAt(sha);
    await waitFor('cert-manager v1.21.2 inside the workload cluster', async () => {
      const controller = await getObject(workload, '/apis/apps/v1/namespaces/cert-manager/deployments/cert-manager');
      return controller?.spec.template.spec.containers[0].image === 'quay.io/jetstack/cert-manager-controller:v1.21.2';
    }, 300_000);
  });

  it('removing cert-manager prunes it inside the workload cluster but keeps its CRDs, and says so', async () => {
    repo.write(`clusters/${STAGE}/stage.yaml`, stageYaml(undefined));
    repo.write(`clusters/${STAGE}/${CLUSTER}.yaml`, clusterYaml('    metrics-server:\n      values: {replicas: 2}\n'));
    const sha = repo.commit('remove cert-manager');
    await addonsAppliedAt(sha);
    await waitFor('the cert-manager Deployment pruned', async () => (await getObject(workload, '/apis/apps/v1/namespaces/cert-manager/deployments/cert-manager')) === undefined, 300_000);
    expect(await getObject(workload, '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/cert-manager-webhook')).toBeUndefined();
    expect(established(await getObject(workload, crdPath('certificates.cert-manager.io')))).toBe(true);
    expect(await getObject(workload, '/apis/apps/v1/namespaces/kube-system/deployments/metrics-server')).toBeDefined();
    // What prune kept, and why, in the cluster's events.
    let messages: string[] = [];
    await waitFor('the kept CRDs and namespace reported', async () => {
      const { body: events } = await plane.client.request<{ items: Obj[] }>({ verb: 'list', method: 'GET', path: `/api/v1/namespaces/${STAGE}/events` });
      messages = events.items.map((e) => e.message as string);
      return messages.some((m) => /still holds/.test(m)) && messages.some((m) => /prune: disabled/.test(m));
    }, 300_000).catch((error: Error) => {
      throw new Error(`${error.message}:\n${messages.join('\n')}`);
    });
    const all = messages.join('\n');
    expect(messages.find((m) => /CustomResourceDefinition\/certificates\.cert-manager\.io: .*prune: disabled/.test(m)), all).toBeDefined();
    // The release namespace is kept too, and says why: metrics-server's API is registered but nothing serves it
    // (no pods run here), so what the namespace holds of metrics.k8s.io cannot be seen.
    expect(await getObject(workload, '/api/v1/namespaces/cert-manager')).toBeDefined();
    expect(messages.find((m) => /Namespace\/cert-manager: still holds 1 object\(s\) prune does not delete: \*\/cert-manager\/\(API metrics\.k8s\.io\/v1beta1 unavailable\)[;]?/.test(m)), all).toBeDefined();
  });

  it('with pruneCRDs: true, removing the add-on deletes its CRDs too', async () => {
    repo.write(`clusters/${STAGE}/${CLUSTER}.yaml`, clusterYaml('    cert-manager: {version: v1.21.2, pruneCRDs: true}\n    metrics-server:\n      values: {replicas: 2}\n'));
    const readded = repo.commit('cert-manager again, its CRDs pruned with it');
    await addonsAppliedAt(readded);
    await waitFor('the opt-in on the CRD', async () => (await getObject(workload, crdPath('certificates.cert-manager.io')))?.metadata.annotations?.['clusterops.io/prune'] === undefined, 300_000);
    repo.write(`clusters/${STAGE}/${CLUSTER}.yaml`, clusterYaml('    metrics-server:\n      values: {replicas: 2}\n'));
    const sha = repo.commit('remove cert-manager, CRDs too');
    await addonsAppliedAt(sha);
    await waitFor('the cert-manager CRDs deleted', async () => (await getObject(workload, crdPath('certificates.cert-manager.io'))) === undefined, 300_000);
    workload.close();
  });
});
