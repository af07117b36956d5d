import { App, Chart } from 'cdk8s';
import { describe, expect, test } from 'vitest';
import { addTemplate, WORKER_CLASS } from '../../../src/charts/cluster-class.js';
import { AwsMachineTemplate } from '../../../src/imports/capa.js';
import { CLUSTER_CLASSES } from '../../../src/charts/cluster-classes.js';
import { StageChart } from '../../../src/charts/stage-chart.js';
import { PROVIDERS, type Provider, type WorkloadCluster } from '../../../src/model/workload-cluster.js';
import { CLUSTER_LABEL, DELETION_PROTECTION_ANNOTATION, STAGE_LABEL, type KubeObject } from '../../../src/model/manifest-set.js';
import { nodePool, workloadCluster } from '../../fixtures/fleets.js';

function stageObjects(stage: string, clusters: WorkloadCluster[]): KubeObject[] {
  return new StageChart(new App(), stage, clusters).toJson() as KubeObject[];
}

interface Ref {
  apiVersion: string;
  kind: string;
  name: string;
}
interface ClusterClassSpec {
  infrastructure: { templateRef: Ref };
  controlPlane: { templateRef: Ref; machineInfrastructure?: { templateRef: Ref } };
  workers: { machineDeployments: Array<{ class: string; bootstrap: { templateRef: Ref }; infrastructure: { templateRef: Ref } }> };
  variables: Array<{ name: string; required: boolean }>;
  patches: Array<{
    name: string;
    enabledIf?: string;
    definitions: Array<{
      selector: { apiVersion: string; kind: string; matchResources: Record<string, unknown> };
      jsonPatches: Array<{ op: string; path: string; valueFrom?: { variable?: string; template?: string } }>;
    }>;
  }>;
}

/** The value at JSON pointer `path` in `object`, or undefined. */
function at(object: unknown, path: string): unknown {
  let value: unknown = object;
  for (const part of path.split('/').slice(1)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

const oneOfEach = PROVIDERS.map((provider) =>
  workloadCluster(`c-${provider}`, { stage: 'staging', provider, spec: { provider, nodePools: [nodePool()] } }),
);

describe('StageChart', () => {
  test('puts everything of a stage into the namespace named after it', () => {
    const objects = stageObjects('staging', oneOfEach);
    const namespaces = objects.filter((o) => o.kind === 'Namespace');
    expect(namespaces.map((n) => n.metadata)).toEqual([{ name: 'staging', labels: { [STAGE_LABEL]: 'staging' } }]);
    for (const object of objects.filter((o) => o.kind !== 'Namespace')) {
      expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe('staging');
    }
  });

  test('labels every object with the stage, and each Cluster and WorkloadCluster mirror with its cluster too', () => {
    for (const object of stageObjects('staging', oneOfEach)) {
      expect(object.metadata.labels?.[STAGE_LABEL], `${object.kind} ${object.metadata.name}`).toBe('staging');
      if (object.kind === 'Cluster' || object.kind === 'WorkloadCluster') expect(object.metadata.labels?.[CLUSTER_LABEL]).toBe(object.metadata.name);
      else expect(object.metadata.labels).not.toHaveProperty(CLUSTER_LABEL);
    }
  });

  test('has one ClusterClass per provider its clusters use, and none for the others', () => {
    const twoAws = [
      workloadCluster('a', { provider: 'aws' }),
      workloadCluster('b', { provider: 'aws' }),
      workloadCluster('c', { provider: 'docker', spec: { provider: 'docker', region: undefined } }),
    ];
    const classes = stageObjects('staging', twoAws).filter((o) => o.kind === 'ClusterClass');
    expect(classes.map((c) => c.metadata.name).sort()).toEqual(['clusterops-aws', 'clusterops-docker']);
    expect(stageObjects('empty', []).map((o) => o.kind)).toEqual(['Namespace']);
  });

  test('mirrors each declaration as a WorkloadCluster with its defaulted spec and deletion protection', () => {
    const [protectedOne, open] = [workloadCluster('a', { spec: { deletionProtection: true } }), workloadCluster('b', { spec: { deletionProtection: false } })];
    const mirrors = stageObjects('staging', [protectedOne, open]).filter((o) => o.kind === 'WorkloadCluster');
    expect(mirrors.map((m) => [m.metadata.namespace, m.metadata.name])).toEqual([['staging', 'a'], ['staging', 'b']]);
    expect(mirrors[0].spec).toEqual(protectedOne.spec);
    expect(mirrors[0].metadata.annotations?.[DELETION_PROTECTION_ANNOTATION]).toBe('true');
    expect(mirrors[1].metadata.annotations).toBeUndefined();
  });

  test('refuses a cluster of another stage', () => {
    expect(() => stageObjects('production', [workloadCluster('a', { stage: 'staging' })])).toThrow('belongs to stage staging');
  });
});

describe.each(PROVIDERS)('the %s ClusterClass', (provider: Provider) => {
  const objects = stageObjects('staging', [workloadCluster('c', { provider, spec: { provider } })]);
  const cls = objects.find((o) => o.kind === 'ClusterClass');
  const spec = cls?.spec as ClusterClassSpec;
  const byRef = (ref: Ref): KubeObject | undefined =>
    objects.find((o) => o.apiVersion === ref.apiVersion && o.kind === ref.kind && o.metadata.name === ref.name);

  test('is cluster.x-k8s.io/v1beta2 and named as its definition says', () => {
    expect(cls?.apiVersion).toBe('cluster.x-k8s.io/v1beta2');
    expect(cls?.metadata.name).toBe(CLUSTER_CLASSES[provider].name);
  });

  test('refers to templates that are in the same set, of the expected kinds', () => {
    const md = spec.workers.machineDeployments;
    expect(md.map((m) => m.class)).toEqual([WORKER_CLASS]);
    const refs = [
      spec.infrastructure.templateRef,
      spec.controlPlane.templateRef,
      ...(spec.controlPlane.machineInfrastructure ? [spec.controlPlane.machineInfrastructure.templateRef] : []),
      md[0].bootstrap.templateRef,
      md[0].infrastructure.templateRef,
    ];
    for (const ref of refs) expect(byRef(ref), `${ref.kind} ${ref.name}`).toBeDefined();
    // The local control plane is machineless (ours); every other provider's is kubeadm's, on machines.
    expect(spec.controlPlane.templateRef).toMatchObject(
      provider === 'local'
        ? { apiVersion: 'controlplane.clusterops.io/v1alpha1', kind: 'LocalControlPlaneTemplate' }
        : { apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2', kind: 'KubeadmControlPlaneTemplate' },
    );
    expect(spec.controlPlane.machineInfrastructure === undefined).toBe(provider === 'local');
    expect(md[0].bootstrap.templateRef).toMatchObject({ apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta2', kind: 'KubeadmConfigTemplate' });
    const templates = objects.filter((o) => o.kind.endsWith('Template'));
    expect(templates).toHaveLength(provider === 'local' ? 4 : 5);
  });

  test('patches only templates it refers to, at paths whose parent exists, with defined variables', () => {
    const variables = new Set(spec.variables.map((v) => v.name));
    const roles: Record<string, Ref[]> = {
      infrastructureCluster: [spec.infrastructure.templateRef],
      controlPlane: [spec.controlPlane.templateRef, ...(spec.controlPlane.machineInfrastructure ? [spec.controlPlane.machineInfrastructure.templateRef] : [])],
      machineDeploymentClass: [spec.workers.machineDeployments[0].bootstrap.templateRef, spec.workers.machineDeployments[0].infrastructure.templateRef],
    };
    for (const patch of spec.patches) {
      for (const variable of patch.enabledIf?.match(/\.([A-Za-z]+)/g) ?? []) expect(variables).toContain(variable.slice(1));
      for (const definition of patch.definitions) {
        const { selector } = definition;
        const targets = Object.keys(selector.matchResources)
          .flatMap((role) => roles[role])
          .filter((ref) => ref.apiVersion === selector.apiVersion && ref.kind === selector.kind);
        expect(targets, `patch ${patch.name} selects no template`).not.toHaveLength(0);
        for (const jsonPatch of definition.jsonPatches) {
          const variable = jsonPatch.valueFrom?.variable;
          if (variable && !variable.startsWith('builtin.')) expect(variables).toContain(variable);
          const parent = jsonPatch.path.slice(0, jsonPatch.path.lastIndexOf('/'));
          for (const ref of targets) {
            const container = at(byRef(ref), parent);
            expect(container, `patch ${patch.name}: ${ref.kind} has no ${parent}`).toBeTypeOf('object');
            if (jsonPatch.path.endsWith('/-')) expect(Array.isArray(container)).toBe(true);
          }
        }
      }
    }
  });

  test('declares every variable a Cluster of it sets', () => {
    const variables = new Set(spec.variables.map((v) => v.name));
    const cluster = objects.find((o) => o.kind === 'Cluster');
    const topology = (cluster?.spec as { topology: { variables?: Array<{ name: string }> } }).topology;
    for (const variable of topology.variables ?? []) expect(variables).toContain(variable.name);
    const required = spec.variables.filter((v) => v.required).map((v) => v.name);
    expect((topology.variables ?? []).map((v) => v.name).sort()).toEqual(required.sort());
  });
});

describe('template names', () => {
  const named = (instanceType: string): string =>
    addTemplate(new Chart(new App(), 't'), 'm', AwsMachineTemplate, {
      baseName: 'clusterops-aws-worker-machine',
      namespace: 'staging',
      spec: { template: { spec: { instanceType } } },
    }).name;

  test('end in a hash of the spec: the same for the same spec, new for a changed one', () => {
    expect(named('m6i.large')).toMatch(/^clusterops-aws-worker-machine-[0-9a-f]{10}$/);
    expect(named('m6i.large')).toBe(named('m6i.large'));
    expect(named('m6i.xlarge')).not.toBe(named('m6i.large'));
  });

  test('of every template in a stage carry their base name and the hash', () => {
    const templates = stageObjects('staging', oneOfEach).filter((o) => o.kind.endsWith('Template'));
    expect(templates).toHaveLength(19);
    for (const t of templates) expect(t.metadata.name).toMatch(/^clusterops-(docker|aws|azure|local)-(cluster|control-plane|control-plane-machine|worker-bootstrap|worker-machine)-[0-9a-f]{10}$/);
  });
});
