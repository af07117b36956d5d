import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCommand } from '../../../src/cli/commands/apply.js';
import { isAlive } from '../../../src/controlplane/_proc.js';
import { readControllersState } from '../../../src/controlplane/cluster-api-runtime.js';
import { WEBHOOKS_LABEL } from '../../../src/controlplane/webhook-configurations.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { runCommand } from '../../_run-command.js';
import { waitFor } from '../_wait-for.js';
import { startCapiControlPlane, type CapiTestControlPlane } from './_capi-control-plane.js';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface Listed {
  items: Array<{ metadata: { namespace: string; name: string; labels?: Record<string, string> }; status?: { conditions?: Condition[] } }>;
}

async function list(client: KubeClient, path: string): Promise<Listed['items']> {
  return (await client.request<Listed>({ verb: 'list', method: 'GET', path })).body.items;
}

/** Only against a hang: the vitest test timeout is longer. */
const SAFETY_NET_MS = 600_000;

const condition = (item: { status?: { conditions?: Condition[] } }, type: string) => item.status?.conditions?.find((c) => c.type === type);

/**
 * Real Cluster API (core, kubeadm bootstrap, kubeadm control plane) on the local control plane acts
 * on what clusterops synthesizes for the example fleet: every ClusterClass is reconciled and every
 * topology Cluster renders (TopologyReconciled=True), which needs the providers' contract labels.
 * No infrastructure controllers run for docker, aws and azure, so no machine comes up for them.
 */
describe('the example fleet under real Cluster API', () => {
  let plane: CapiTestControlPlane;
  beforeAll(async () => {
    plane = await startCapiControlPlane();
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it('installs the provider CRDs with the contract labels of their upstream kustomizations', async () => {
    const crd = async (name: string) =>
      (await plane.client.request<{ metadata: { labels?: Record<string, string> } }>({ verb: 'get', method: 'GET', path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}` })).body.metadata.labels ?? {};
    expect(await crd('kubeadmconfigtemplates.bootstrap.cluster.x-k8s.io')).toMatchObject({ 'cluster.x-k8s.io/v1beta2': 'v1beta2' });
    expect(await crd('kubeadmcontrolplanetemplates.controlplane.cluster.x-k8s.io')).toMatchObject({ 'cluster.x-k8s.io/v1beta2': 'v1beta2' });
    expect(await crd('dockerclustertemplates.infrastructure.cluster.x-k8s.io')).toMatchObject({ 'cluster.x-k8s.io/v1beta2': 'v1beta2' });
    expect(await crd('awsclustertemplates.infrastructure.cluster.x-k8s.io')).toMatchObject({ 'cluster.x-k8s.io/v1beta1': 'v1beta1_v1beta2' });
    // CAPZ labels each CRD by its own capicontract_in_<plural>.yaml patch.
    expect(await crd('azureclustertemplates.infrastructure.cluster.x-k8s.io')).toMatchObject({ 'cluster.x-k8s.io/v1beta1': 'v1beta1' });
    // Core CRDs define the contract; they carry none.
    expect(Object.keys(await crd('clusters.cluster.x-k8s.io')).filter((key) => key.startsWith('cluster.x-k8s.io/v'))).toEqual([]);
  });

  it('serves the managers\' admission webhooks on loopback: a Cluster with an invalid topology is refused by Cluster API', async () => {
    const configurations = await list(plane.client, `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations?labelSelector=${WEBHOOKS_LABEL}`);
    expect(configurations.length).toBe(3);
    await plane.client.request({ verb: 'create', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'webhook-probe' } } });
    const refused = await plane.client
      .request({
        verb: 'create',
        method: 'POST',
        path: '/apis/cluster.x-k8s.io/v1beta2/namespaces/webhook-probe/clusters',
        body: { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'probe' }, spec: { topology: { classRef: { name: 'missing' }, version: 'not-a-version' } } },
      })
      .catch((error: unknown) => error as Error);
    expect(refused).toBeInstanceOf(Error);
    // The message comes from Cluster API's validating webhook, not from the CRD schema.
    expect((refused as Error).message).toMatch(/admission webhook "validation\.cluster\.cluster\.x-k8s\.io" denied the request/);
  });

  it('reconciles every ClusterClass and renders every topology Cluster of the example fleet', async () => {
    const applied = await runCommand(applyCommand, ['--kubeconfig', plane.kubeconfigPath, '--clusters', 'clusters']);
    expect(applied.code, applied.stderr).toBe(0);
    const clusters = await waitFor('every Cluster TopologyReconciled=True', async () => {
      const items = await list(plane.client, '/apis/cluster.x-k8s.io/v1beta2/clusters');
      return items.length === 6 && items.every((item) => condition(item, 'TopologyReconciled')?.status === 'True') && items;
    }, SAFETY_NET_MS);
    expect(clusters.map((item) => `${item.metadata.namespace}/${item.metadata.name}`).sort()).toEqual([
      'dev/jobs',
      'dev/web',
      'production/analytics-weu',
      'production/payments-eu1',
      'staging/dev-local',
      'staging/payments-eu1',
    ]);
    const classes = await waitFor('every ClusterClass reconciled', async () => {
      const items = await list(plane.client, '/apis/cluster.x-k8s.io/v1beta2/clusterclasses');
      return items.every((item) => condition(item, 'VariablesReady')?.status === 'True' && condition(item, 'RefVersionsUpToDate')?.status === 'True') && items;
    }, SAFETY_NET_MS);
    expect(classes.length).toBe(5);
    // The rendered objects carry the declared values: one control plane and MachineDeployments per cluster
    // (KubeadmControlPlanes for docker, aws and azure; LocalControlPlanes for the dev stage's local clusters).
    const controlPlanes = await list(plane.client, '/apis/controlplane.cluster.x-k8s.io/v1beta2/kubeadmcontrolplanes');
    expect(controlPlanes.length).toBe(4);
    const localControlPlanes = await list(plane.client, '/apis/controlplane.clusterops.io/v1alpha1/localcontrolplanes');
    expect(localControlPlanes.map((item) => item.metadata.labels?.['cluster.x-k8s.io/cluster-name']).sort()).toEqual(['jobs', 'web']);
    const deployments = await list(plane.client, '/apis/cluster.x-k8s.io/v1beta2/machinedeployments');
    expect(deployments.map((item) => item.metadata.labels?.['cluster.x-k8s.io/cluster-name']).sort()).toEqual([
      'analytics-weu',
      'dev-local',
      'jobs',
      'payments-eu1',
      'payments-eu1',
      'payments-eu1',
      'web',
    ]);
    // Applying the same revision again changes nothing of ours, although Cluster API's webhooks defaulted
    // fields, its topology controller wrote spec fields of its own and its status writes keep coming.
    const again = await runCommand(applyCommand, ['--kubeconfig', plane.kubeconfigPath, '--clusters', 'clusters']);
    expect(again.stdout).toMatch(/0 created, 0 configured, \d+ unchanged, 0 deleted/);
  });

  it('records the managers in controllers.json and stops them and their webhooks', async () => {
    const state = await readControllersState(plane.stateDir);
    const pids = Object.values(state!.processes).map((entry) => entry.pid);
    expect(Object.keys(state!.processes).sort()).toEqual(['capi-kubeadm-bootstrap-manager', 'capi-kubeadm-control-plane-manager', 'capi-manager']);
    expect(pids.every(isAlive)).toBe(true);
    await plane.clusterApi.stop();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(await list(plane.client, `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations?labelSelector=${WEBHOOKS_LABEL}`)).toEqual([]);
  });
});
