/**
 * What a revision may declare, as data: which kinds may go into the management cluster and into
 * workload clusters, which namespaces are never written, and how a stage's `spec.admission` widens
 * it. `admit` in admission.ts applies it; adding a kind is one row.
 */
import { CATALOG_KINDS } from '../addons/catalog.js';
import { INVENTORY_NAMESPACE } from '../model/manifest-set.js';
import type { GroupKind, Stage, StageAdmission } from '../model/stage.js';

/** One row of the table: a kind by group and name, and why it is there. */
export interface AdmittedKind extends GroupKind {
  /** Who emits it, for the README and for people reading a refusal. */
  why: string;
}

/** Where a ManifestSet goes. */
export type AdmissionTarget = 'management' | 'workload';

/** The admission table: the same for every stage, widened per stage by stage.yaml. */
export interface AdmissionTable {
  /**
   * Kinds admitted into the management cluster. Each object of them must sit in its own stage's
   * namespace; the one cluster-scoped object admitted there is the stage Namespace itself.
   */
  management: readonly AdmittedKind[];
  /** Kinds admitted into workload clusters, namespaced or cluster-scoped (add-ons need RBAC there). */
  workload: readonly AdmittedKind[];
  /** Kinds no stage can admit into the management cluster: cluster-scoped or cluster-wide in effect. */
  neverInManagement: readonly GroupKind[];
  /** Namespaces nothing is written to, per target, even by a stage named like one. */
  reservedNamespaces: Readonly<Record<AdmissionTarget, readonly string[]>>;
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/** The providers' templates, one row per kind the ClusterClass charts in src/charts render. */
const TEMPLATES: readonly AdmittedKind[] = [
  { group: 'infrastructure.cluster.x-k8s.io', kind: 'DockerClusterTemplate', why: 'docker ClusterClass (CAPD)' },
  { group: 'infrastructure.cluster.x-k8s.io', kind: 'DockerMachineTemplate', why: 'docker ClusterClass (CAPD)' },
  { group: 'infrastructure.cluster.x-k8s.io', kind: 'AWSClusterTemplate', why: 'aws ClusterClass (CAPA)' },
  { group: 'infrastructure.cluster.x-k8s.io', kind: 'AWSMachineTemplate', why: 'aws ClusterClass (CAPA)' },
  { group: 'infrastructure.cluster.x-k8s.io', kind: 'AzureClusterTemplate', why: 'azure ClusterClass (CAPZ)' },
  { group: 'infrastructure.cluster.x-k8s.io', kind: 'AzureMachineTemplate', why: 'azure ClusterClass (CAPZ)' },
  { group: 'infrastructure.clusterops.io', kind: 'LocalClusterTemplate', why: 'local ClusterClass (our local provider)' },
  { group: 'infrastructure.clusterops.io', kind: 'LocalMachineTemplate', why: 'local ClusterClass (our local provider)' },
  { group: 'controlplane.clusterops.io', kind: 'LocalControlPlaneTemplate', why: 'local ClusterClass (our local provider)' },
  { group: 'bootstrap.cluster.x-k8s.io', kind: 'KubeadmConfigTemplate', why: 'every ClusterClass (kubeadm bootstrap)' },
  { group: 'controlplane.cluster.x-k8s.io', kind: 'KubeadmControlPlaneTemplate', why: 'every ClusterClass (kubeadm control plane)' },
];

/** Kinds common to add-ons beyond what the catalog renders today: workloads, their config and their RBAC. */
const COMMON_ADDON_KINDS: readonly AdmittedKind[] = [
  ...['ConfigMap', 'Secret', 'ServiceAccount', 'Service', 'Namespace', 'ResourceQuota', 'LimitRange'].map((kind) => ({ group: '', kind, why: 'common add-on kind' })),
  ...['Deployment', 'DaemonSet', 'StatefulSet'].map((kind) => ({ group: 'apps', kind, why: 'common add-on kind' })),
  ...['Job', 'CronJob'].map((kind) => ({ group: 'batch', kind, why: 'common add-on kind' })),
  ...['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].map((kind) => ({ group: 'rbac.authorization.k8s.io', kind, why: 'add-on RBAC' })),
  ...['NetworkPolicy', 'Ingress', 'IngressClass'].map((kind) => ({ group: 'networking.k8s.io', kind, why: 'common add-on kind' })),
  { group: 'policy', kind: 'PodDisruptionBudget', why: 'common add-on kind' },
  { group: 'autoscaling', kind: 'HorizontalPodAutoscaler', why: 'common add-on kind' },
  { group: 'scheduling.k8s.io', kind: 'PriorityClass', why: 'common add-on kind' },
  { group: 'storage.k8s.io', kind: 'StorageClass', why: 'common add-on kind' },
];

/** Kinds that change the API or the whole cluster: no stage can admit them into the management cluster. */
const NEVER_IN_MANAGEMENT: readonly GroupKind[] = [
  ...['Namespace', 'Node', 'PersistentVolume'].map((kind) => ({ group: '', kind })),
  ...['ClusterRole', 'ClusterRoleBinding'].map((kind) => ({ group: 'rbac.authorization.k8s.io', kind })),
  { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
  { group: 'apiregistration.k8s.io', kind: 'APIService' },
  ...['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding'].map(
    (kind) => ({ group: 'admissionregistration.k8s.io', kind }),
  ),
  { group: 'certificates.k8s.io', kind: 'CertificateSigningRequest' },
  { group: 'scheduling.k8s.io', kind: 'PriorityClass' },
  { group: 'storage.k8s.io', kind: 'StorageClass' },
];

/** The table every revision is admitted by. */
export const ADMISSION_TABLE: AdmissionTable = {
  management: [
    { group: '', kind: 'Namespace', why: 'the stage Namespace (its name must be the stage)' },
    { group: 'cluster.x-k8s.io', kind: 'Cluster', why: 'one topology Cluster per declared cluster' },
    { group: 'cluster.x-k8s.io', kind: 'ClusterClass', why: 'one ClusterClass per provider the stage uses' },
    ...TEMPLATES,
    { group: 'clusterops.io', kind: 'WorkloadCluster', why: 'the mirror of each declaration' },
  ],
  workload: dedupe([
    ...CATALOG_KINDS.map(({ apiVersion, kind }) => ({ group: groupOf(apiVersion), kind, why: 'rendered by the add-on catalog' })),
    ...COMMON_ADDON_KINDS,
  ]),
  neverInManagement: NEVER_IN_MANAGEMENT,
  reservedNamespaces: {
    management: ['default', 'kube-system', 'kube-public', 'kube-node-lease', INVENTORY_NAMESPACE],
    workload: [INVENTORY_NAMESPACE],
  },
};

/** The table as it applies to one stage: the rows plus the stage's grants. */
export interface StageRules {
  management: ReadonlySet<string>;
  workload: ReadonlySet<string>;
}

/** What `admit` checks a revision against: the table, and the rules of each stage the revision declares. */
export interface AdmissionPolicy {
  table: AdmissionTable;
  /** Keys (`groupKindKey`) of the table's neverInManagement kinds. */
  neverInManagement: ReadonlySet<string>;
  /** Declared stages (the folders of `clusters/`), each with its kinds; a set of any other stage is refused. */
  stages: ReadonlyMap<string, StageRules>;
}

/** `group/Kind` (`Kind` alone for the core group): how the policy keys a kind. */
export function groupKindKey(gk: GroupKind): string {
  return gk.group ? `${gk.group}/${gk.kind}` : gk.kind;
}

/** The key of an object's kind, from its apiVersion and kind. */
export function objectKindKey(object: { apiVersion: string; kind: string }): string {
  return groupKindKey({ group: groupOf(object.apiVersion), kind: object.kind });
}

/** The policy for `stages` (as the loader read them from stage.yaml): `table` widened by each stage's grants. */
export function admissionPolicy(stages: readonly Stage[], table: AdmissionTable = ADMISSION_TABLE): AdmissionPolicy {
  const none: StageAdmission = { management: [], workload: [] };
  const keys = (rows: readonly GroupKind[]) => rows.map(groupKindKey);
  const never = new Set(keys(table.neverInManagement));
  const rulesOf = (grants: StageAdmission): StageRules => ({
    // A grant cannot open the management cluster to a cluster-wide kind; the table's own rows (the stage Namespace) stand.
    management: new Set([...keys(table.management), ...keys(grants.management).filter((key) => !never.has(key))]),
    workload: new Set([...keys(table.workload), ...keys(grants.workload)]),
  });
  return { table, neverInManagement: never, stages: new Map(stages.map((stage) => [stage.name, rulesOf(stage.admission ?? none)])) };
}

function dedupe(rows: AdmittedKind[]): AdmittedKind[] {
  const seen = new Set<string>();
  return rows.filter((row) => (seen.has(groupKindKey(row)) ? false : (seen.add(groupKindKey(row)), true)));
}
