import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject, ManifestSet } from '../../../src/model/manifest-set.js';
import type { Stage } from '../../../src/model/stage.js';
import { admit, refusalMessage } from '../../../src/reconciler/admission.js';
import { ADMISSION_TABLE, admissionPolicy, groupKindKey, objectKindKey } from '../../../src/reconciler/admission-policy.js';
import { AdmissionError, admitRevision } from '../../../src/reconciler/admit-revision.js';
import { loadFleet } from '../../../src/spec/load.js';
import { synthFleet } from '../../../src/synth/synth.js';

const stages = (...names: string[]): Stage[] => names.map((name) => ({ name, defaults: {}, policy: {} }));
const policy = admissionPolicy(stages('staging', 'production'));

const management = (stage: string, ...objects: KubeObject[]): ManifestSet => ({ id: `management.${stage}`, target: { kind: 'management', stage }, objects });
const addons = (stage: string, cluster: string, ...objects: KubeObject[]): ManifestSet => ({
  id: `addons.${stage}.${cluster}`,
  target: { kind: 'workload', stage, cluster },
  objects,
});
const obj = (apiVersion: string, kind: string, name: string, namespace?: string): KubeObject => ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });

async function exampleSets(): Promise<{ sets: ManifestSet[]; stages: Stage[] }> {
  const { fleet, problems } = await loadFleet('clusters');
  expect(problems).toEqual([]);
  // synth emits the WorkloadCluster mirrors itself.
  const sets = synthFleet(fleet!);
  return { sets, stages: fleet!.stages };
}

describe('admit: the example fleet', () => {
  it('admits everything the example fleet in clusters/ synthesizes, WorkloadCluster mirrors included', async () => {
    const { sets, stages } = await exampleSets();
    expect(admit(sets, admissionPolicy(stages))).toEqual({ admitted: true, violations: [] });
  });

  it('has no management row the example fleet does not use (all four providers are in it)', async () => {
    const { sets } = await exampleSets();
    const used = new Set(sets.filter((s) => s.target.kind === 'management').flatMap((s) => s.objects.map(objectKindKey)));
    expect(ADMISSION_TABLE.management.map(groupKindKey).filter((key) => !used.has(key))).toEqual([]);
  });

  it('lets into workload clusters every kind the add-on catalog renders, RBAC included', async () => {
    const { sets } = await exampleSets();
    const workload = new Set(ADMISSION_TABLE.workload.map(groupKindKey));
    for (const key of sets.filter((s) => s.target.kind === 'workload').flatMap((s) => s.objects.map(objectKindKey))) expect(workload).toContain(key);
    for (const key of ['rbac.authorization.k8s.io/ClusterRoleBinding', 'rbac.authorization.k8s.io/RoleBinding', 'scheduling.k8s.io/PriorityClass', 'networking.k8s.io/NetworkPolicy']) {
      expect(workload).toContain(key);
    }
  });
});

/** One forbidden shape per row: the set it comes in and every reason it must be refused for. */
const forbidden: Array<{ shape: string; set: ManifestSet; reasons: string[] }> = [
  {
    shape: 'a ClusterRoleBinding in the management cluster',
    set: management('staging', obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'outsider-admin')),
    reasons: ['kind not allowed in the management cluster (cluster-wide; no stage.yaml can admit it there)', 'no namespace: in the management cluster it must be in namespace staging'],
  },
  {
    shape: 'a ConfigMap in kube-system of the management cluster',
    set: management('staging', obj('v1', 'ConfigMap', 'stolen', 'kube-system')),
    reasons: ['kind not allowed in the management cluster', "namespace kube-system is not stage staging's", 'namespace kube-system is reserved; no revision writes there'],
  },
  { shape: 'a Secret in the stage namespace', set: management('staging', obj('v1', 'Secret', 'creds', 'staging')), reasons: ['kind not allowed in the management cluster'] },
  { shape: 'a Deployment in the stage namespace', set: management('staging', obj('apps/v1', 'Deployment', 'miner', 'staging')), reasons: ['kind not allowed in the management cluster'] },
  {
    shape: "a Cluster in another stage's namespace",
    set: management('staging', obj('cluster.x-k8s.io/v1beta2', 'Cluster', 'payments-eu1', 'production')),
    reasons: ["namespace production is not stage staging's"],
  },
  {
    shape: 'a Cluster without a namespace',
    set: management('staging', obj('cluster.x-k8s.io/v1beta2', 'Cluster', 'payments-eu1')),
    reasons: ['no namespace: in the management cluster it must be in namespace staging'],
  },
  {
    shape: 'a Namespace other than the stage namespace',
    set: management('staging', obj('v1', 'Namespace', 'production')),
    reasons: ["Namespace production is not stage staging's namespace"],
  },
  {
    shape: 'a Cluster of a kind of the same name in another group',
    set: management('staging', obj('example.com/v1', 'Cluster', 'x', 'staging')),
    reasons: ['kind not allowed in the management cluster'],
  },
  {
    shape: 'a set for a stage that is not a folder of clusters/',
    set: management('kube-system', obj('v1', 'ConfigMap', 'x', 'kube-system')),
    reasons: ['stage kube-system is not a folder of clusters/'],
  },
  {
    shape: 'an admission webhook in a workload cluster',
    set: addons('staging', 'dev-local', obj('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'hook')),
    reasons: ['kind not allowed in workload clusters'],
  },
  {
    shape: 'a CustomResourceDefinition in a workload cluster (a stage must grant it)',
    set: addons('staging', 'dev-local', obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'x.example.com')),
    reasons: ['kind not allowed in workload clusters'],
  },
  {
    shape: "a ConfigMap in a workload cluster's inventory namespace",
    set: addons('staging', 'dev-local', obj('v1', 'ConfigMap', 'applyset-addons.staging.dev-local', 'clusterops-system')),
    reasons: ['namespace clusterops-system is reserved; no revision writes there'],
  },
];

describe('admit: forbidden shapes', () => {
  it.each(forbidden)('refuses $shape', ({ set, reasons }) => {
    const verdict = admit([set], policy);
    expect(verdict.admitted).toBe(false);
    expect(verdict.violations).toHaveLength(1);
    expect(verdict.violations[0].set).toBe(set.id);
    expect(verdict.violations[0].reasons).toEqual(reasons);
  });

  it('refuses the whole revision for one bad object, naming only the bad ones', () => {
    const good = obj('cluster.x-k8s.io/v1beta2', 'Cluster', 'payments-eu1', 'staging');
    const verdict = admit([management('staging', obj('v1', 'Namespace', 'staging'), good, obj('v1', 'ConfigMap', 'stolen', 'kube-system')), addons('staging', 'a', obj('v1', 'ConfigMap', 'ok', 'platform'))], policy);
    expect(verdict.admitted).toBe(false);
    expect(verdict.violations.map((v) => v.object?.name)).toEqual(['stolen']);
  });

  it('refuses a stage named like a reserved namespace, even with its folder declared', () => {
    const verdict = admit([management('kube-system', obj('v1', 'Namespace', 'kube-system'), obj('cluster.x-k8s.io/v1beta2', 'Cluster', 'x', 'kube-system'))], admissionPolicy(stages('kube-system')));
    expect(verdict.violations.map((v) => v.reasons)).toEqual([['namespace kube-system is reserved; no revision writes there'], ['namespace kube-system is reserved; no revision writes there']]);
  });
});

describe('admit: stage.yaml grants', () => {
  const granted = admissionPolicy([
    { name: 'staging', defaults: {}, policy: {}, admission: { management: [{ group: '', kind: 'ConfigMap' }, { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' }], workload: [{ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' }] } },
    ...stages('production'),
  ]);

  it('admits a granted kind in the stage namespace, and only in that stage', () => {
    expect(admit([management('staging', obj('v1', 'ConfigMap', 'settings', 'staging'))], granted).admitted).toBe(true);
    expect(admit([management('production', obj('v1', 'ConfigMap', 'settings', 'production'))], granted).violations[0].reasons).toEqual(['kind not allowed in the management cluster']);
    expect(admit([addons('staging', 'a', obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'x.example.com'))], granted).admitted).toBe(true);
  });

  it('keeps the namespace rule for a granted kind', () => {
    expect(admit([management('staging', obj('v1', 'ConfigMap', 'stolen', 'kube-system'))], granted).violations[0].reasons).toEqual([
      "namespace kube-system is not stage staging's",
      'namespace kube-system is reserved; no revision writes there',
    ]);
  });

  it('never lets a grant open the management cluster to a cluster-wide kind', () => {
    const verdict = admit([management('staging', obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'x', 'staging'))], granted);
    expect(verdict.violations[0].reasons).toEqual(['kind not allowed in the management cluster (cluster-wide; no stage.yaml can admit it there)']);
  });
});

describe('refusalMessage', () => {
  it('names the refused objects on its first line (what an Event shows) and gives one line each', () => {
    const { violations } = admit([management('staging', obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'outsider-admin'), obj('v1', 'ConfigMap', 'stolen', 'kube-system'))], policy);
    const lines = refusalMessage(violations).split('\n');
    expect(lines[0]).toBe('admission refused 2 objects, nothing of this revision is applied: ClusterRoleBinding outsider-admin, ConfigMap kube-system/stolen');
    expect(lines[1]).toBe(
      '  management.staging: rbac.authorization.k8s.io/v1 ClusterRoleBinding outsider-admin: kind not allowed in the management cluster (cluster-wide; no stage.yaml can admit it there); no namespace: in the management cluster it must be in namespace staging',
    );
    expect(lines).toHaveLength(3);
  });

  it('stays bounded: long names are cut and at most 20 objects are listed', () => {
    const many = Array.from({ length: 25 }, (_, i) => obj('v1', 'Secret', `${'x'.repeat(500)}-${i}`, 'staging'));
    const message = refusalMessage(admit([management('staging', ...many)], policy).violations);
    expect(message.split('\n')[0]).toMatch(/^admission refused 25 objects, .* and 5 more$/);
    expect(message.split('\n')).toHaveLength(22);
    expect(message).not.toContain('x'.repeat(81));
    expect(message.length).toBeLessThan(8 * 1024);
  });
});

describe('admitRevision: the policy read from the checkout by the reconciler itself', () => {
  const checkout = (files: Record<string, string>) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'clusterops-admit-'));
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    }
    return dir;
  };
  const stageYaml = (name: string, spec: string) => `apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: ${name}}\nspec:\n${spec}`;

  it('reads the grants of stage.yaml', async () => {
    const dir = checkout({ 'clusters/dev/stage.yaml': stageYaml('dev', '  admission:\n    management: [{group: "", kind: ConfigMap}]\n') });
    const sets = [management('dev', obj('v1', 'ConfigMap', 'x', 'dev'))];
    await expect(admitRevision(dir, sets)).resolves.toEqual({ sets, blocked: [] });
    await expect(admitRevision(dir, [management('dev', obj('v1', 'Secret', 'x', 'dev'))])).rejects.toThrow(/admission refused 1 object, .*: Secret dev\/x/);
  });

  it('leaves out (blocks) a stage whose stage.yaml it cannot read, whatever the revision emitted for it, with file:line relative to the checkout', async () => {
    const dir = checkout({
      'clusters/dev/stage.yaml': stageYaml('dev', '  admission:\n    management: [{group: "", kind: ConfigMap, verbs: [all]}]\n'),
      'clusters/prod/stage.yaml': stageYaml('prod', '  defaults: {}\n'),
    });
    const prod = management('prod', obj('v1', 'Namespace', 'prod'));
    const r = await admitRevision(dir, [management('dev', obj('v1', 'Secret', 'x', 'dev')), prod]);
    expect(r.sets).toEqual([prod]);
    expect(r.blocked).toEqual([{ stage: 'dev', problems: [expect.objectContaining({ file: 'clusters/dev/stage.yaml', line: 6, message: 'unknown field "verbs"' })] }]);
  });

  it('refuses the whole revision when the clusters folder itself has a problem, with file:line relative to the checkout', async () => {
    const dir = checkout({ 'clusters/dev/stage.yaml': stageYaml('dev', '  defaults: {}\n'), 'clusters/stray.yaml': 'x: 1\n' });
    const error = await admitRevision(dir, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdmissionError);
    expect((error as Error).message).toContain('clusters/stray.yaml:1:1: declarations belong in a stage folder');
  });

  it('takes its stages from the folders, not from what the revision synthesized', async () => {
    const dir = checkout({ 'clusters/dev/a.yaml': 'not even read\n' });
    const error = await admitRevision(dir, [management('prod', obj('v1', 'Namespace', 'prod'))]).catch((e: unknown) => e);
    expect((error as Error).message).toContain('management.prod: set management.prod: stage prod is not a folder of clusters/');
  });
});
