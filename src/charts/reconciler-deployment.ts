/**
 * What runs the reconciler inside a real management cluster: its Namespace, ServiceAccount,
 * least-privilege RBAC, the WorkloadCluster CRD, a Deployment of replicas that elect a leader, and
 * a Service for the git webhook and the metrics. Written by `clusterops deploy-manifests`.
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { INVENTORY_NAMESPACE } from '../model/manifest-set.js';
import { STACK_IDENTITY_NAME } from '../model/pulumi-identity.js';
import { REBUILD_LEASE } from '../model/rebuild-lease.js';
import { workloadClusterCrd, WORKLOAD_CLUSTER_CRD_NAME, WORKLOAD_CLUSTER_GROUP, WORKLOAD_CLUSTER_PLURAL } from './workload-cluster-crd.js';

/** Namespace of the reconciler, its Lease and the inventories (ApplySet parents) it writes. */
export const RECONCILER_NAMESPACE = INVENTORY_NAMESPACE;
/** Name of the ServiceAccount, ClusterRole, Role, their bindings, the Deployment and the Service. */
export const RECONCILER_NAME = 'clusterops';
/** Name of the leader-election Lease (as src/reconciler/leader-election.ts names it). */
export const LEADER_LEASE_NAME = 'clusterops-reconciler';
/** Secret holding the git webhook's shared secret under the key `secret`; created by hand, never in git. */
export const WEBHOOK_SECRET_NAME = 'clusterops-webhook';
/** Port of /hooks/git, /healthz, /readyz and /metrics. */
export const HTTP_PORT = 8080;

/** Settings of a ReconcilerDeploymentChart. */
export interface ReconcilerDeploymentProps {
  /** Container image holding this repository (see the Dockerfile). */
  readonly image: string;
  /** URL of the git repository to follow. */
  readonly repo: string;
  /** Branch to follow. @default the remote's default branch */
  readonly branch?: string;
  /** Replicas; one leads, the others stand by. @default 2 */
  readonly replicas?: number;
  /** How often to fetch (a webhook makes it immediate). @default '1m' */
  readonly interval?: string;
  /** Optional URL that receives a JSON POST on each failure and recovery. @default none */
  readonly notifyUrl?: string;
  /**
   * Give the reconciler the rights to grant and issue the Pulumi program's own identity
   * (`reconcile --pulumi-stack`, src/reconciler/stack-identity.ts). Off by default: these rights
   * include `bind` and `escalate` on the roles of that identity (see the README's security model).
   * @default false
   */
  readonly pulumiIdentity?: boolean;
}

/** A rule of a ClusterRole or Role. */
interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** Verbs the apply engine needs on a kind it manages: list and watch (live state, watched by a running reconciler), get (health), apply (patch, create on first apply), prune (delete). */
const MANAGED = ['get', 'list', 'watch', 'create', 'patch', 'delete'];

/**
 * Every kind the management ManifestSets hold (src/charts: a stage's Namespace, ClusterClasses and
 * their templates, Clusters; src/reconciler: a WorkloadCluster per declaration), one row per API group.
 */
const MANAGED_KINDS: ReadonlyArray<{ group: string; resources: string[] }> = [
  { group: '', resources: ['namespaces'] },
  { group: 'cluster.x-k8s.io', resources: ['clusters', 'clusterclasses'] },
  { group: 'bootstrap.cluster.x-k8s.io', resources: ['kubeadmconfigtemplates'] },
  { group: 'controlplane.cluster.x-k8s.io', resources: ['kubeadmcontrolplanetemplates'] },
  {
    group: 'infrastructure.cluster.x-k8s.io',
    resources: ['dockerclustertemplates', 'dockermachinetemplates', 'awsclustertemplates', 'awsmachinetemplates', 'azureclustertemplates', 'azuremachinetemplates'],
  },
  { group: 'infrastructure.clusterops.io', resources: ['localclustertemplates', 'localmachinetemplates'] },
  { group: 'controlplane.clusterops.io', resources: ['localcontrolplanetemplates'] },
  { group: WORKLOAD_CLUSTER_GROUP, resources: [WORKLOAD_CLUSTER_PLURAL] },
];

/** Cluster-wide permissions: the managed kinds, plus what the reconciler reads and writes around them. */
export const CLUSTER_RULES: readonly PolicyRule[] = [
  ...MANAGED_KINDS.map((k) => ({ apiGroups: [k.group], resources: k.resources, verbs: MANAGED })),
  // A rebuild's Lease (kube-system/clusterops-rebuild) is read before each pass: nothing is applied while it is held.
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get'], resourceNames: [REBUILD_LEASE.name] },
  // Cluster API's Clusters are watched: their Available condition and replica counts go into each WorkloadCluster's status.
  { apiGroups: ['cluster.x-k8s.io'], resources: ['clusters'], verbs: ['watch'] },
  // Status of every WorkloadCluster.
  { apiGroups: [WORKLOAD_CLUSTER_GROUP], resources: [`${WORKLOAD_CLUSTER_PLURAL}/status`], verbs: ['get', 'patch'] },
  // `<cluster>-kubeconfig`, read by name in each stage namespace to reach a workload cluster; never listed.
  { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
  // Events about WorkloadClusters and managed objects; the dashboard watches those about WorkloadClusters.
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'list', 'watch'] },
  // The dashboard watches every WorkloadCluster, and may check a user's own token (--dashboard-token-review).
  { apiGroups: [WORKLOAD_CLUSTER_GROUP], resources: [WORKLOAD_CLUSTER_PLURAL], verbs: ['watch'] },
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
  { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
  // A cluster's dashboard page shows the Cluster API objects under it (src/kube/cluster-api-objects.ts):
  // its MachineDeployments and Machines listed by label, its infrastructure cluster and control plane read by name.
  { apiGroups: ['cluster.x-k8s.io'], resources: ['machinedeployments', 'machines'], verbs: ['list'] },
  { apiGroups: ['infrastructure.cluster.x-k8s.io'], resources: ['dockerclusters', 'awsclusters', 'azureclusters'], verbs: ['get'] },
  { apiGroups: ['infrastructure.clusterops.io'], resources: ['localclusters'], verbs: ['get'] },
  { apiGroups: ['controlplane.cluster.x-k8s.io'], resources: ['kubeadmcontrolplanes'], verbs: ['get'] },
  { apiGroups: ['controlplane.clusterops.io'], resources: ['localcontrolplanes'], verbs: ['get'] },
  // Its own CRD, installed at start: read and applied by name; creating cannot be limited by name.
  { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'patch'], resourceNames: [WORKLOAD_CLUSTER_CRD_NAME] },
  { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['create'] },
];

/**
 * Cluster-wide rights to grant the Pulumi program's identity, each limited to that identity's name
 * where RBAC can (a create cannot be limited by name): its ClusterRole over the stage Namespaces and
 * the binding of it; in each stage namespace its Role over Secrets and the binding of it. `escalate`
 * because those roles grant what the reconciler itself lacks (listing and writing Secrets), `bind`
 * to bind them; both only on roles of that name.
 */
export const PULUMI_IDENTITY_CLUSTER_RULES: readonly PolicyRule[] = [
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'roles'], verbs: ['get', 'patch', 'delete', 'bind', 'escalate'], resourceNames: [STACK_IDENTITY_NAME] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterrolebindings', 'rolebindings'], verbs: ['get', 'patch', 'delete'], resourceNames: [STACK_IDENTITY_NAME] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'roles', 'clusterrolebindings', 'rolebindings'], verbs: ['create'] },
];

/** Rights in its own namespace over the Pulumi program's ServiceAccount: apply it, and issue its tokens. */
export const PULUMI_IDENTITY_NAMESPACE_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'patch'], resourceNames: [STACK_IDENTITY_NAME] },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['create'] },
  { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'], resourceNames: [STACK_IDENTITY_NAME] },
];

/** Permissions in its own namespace: the inventories (ApplySet parent ConfigMaps) and the leader Lease. */
export const NAMESPACE_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'patch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: [LEADER_LEASE_NAME] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
];

const WEBHOOK_MOUNT = '/etc/clusterops/webhook';
const CACHE_MOUNT = '/var/cache/clusterops';
/** The security context of both containers: non-root, no privilege escalation, no capabilities, read-only root. */
const HARDENED = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };
/** Writable places on a read-only root filesystem: git and npm write under HOME. */
const SCRATCH_ENV = [
  { name: 'HOME', value: '/tmp' },
  { name: 'TMPDIR', value: '/tmp' },
];
/** Where the reconciler container gets its ServiceAccount token (the standard in-cluster path). */
const TOKEN_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The folder both containers share: it holds the synth server's socket, nothing else. */
const SOCKET_MOUNT = '/run/clusterops';
/** The synth container's own dependencies, builds and unpacked revisions. */
const SYNTH_CACHE_MOUNT = '/var/cache/clusterops-synth';

/** The reconciler's deployment manifests; objects come out in the order a first apply needs them. */
export class ReconcilerDeploymentChart extends Chart {
  constructor(scope: Construct, id: string, props: ReconcilerDeploymentProps) {
    const appLabels = { 'app.kubernetes.io/name': RECONCILER_NAME, 'app.kubernetes.io/component': 'reconciler' };
    super(scope, id, { labels: { ...appLabels, 'app.kubernetes.io/managed-by': 'clusterops' } });
    const replicas = props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`replicas must be a positive integer, not ${replicas}`);
    const namespace = RECONCILER_NAMESPACE;
    const subject = { kind: 'ServiceAccount', name: RECONCILER_NAME, namespace };

    new ApiObject(this, 'namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const crd = workloadClusterCrd() as { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown };
    new ApiObject(this, 'crd', { apiVersion: crd.apiVersion, kind: crd.kind, metadata: crd.metadata, spec: crd.spec });
    new ApiObject(this, 'service-account', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: RECONCILER_NAME, namespace } });
    new ApiObject(this, 'cluster-role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: RECONCILER_NAME },
      rules: props.pulumiIdentity ? [...CLUSTER_RULES, ...PULUMI_IDENTITY_CLUSTER_RULES] : CLUSTER_RULES,
    });
    new ApiObject(this, 'cluster-role-binding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: RECONCILER_NAME },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: RECONCILER_NAME },
      subjects: [subject],
    });
    new ApiObject(this, 'role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: RECONCILER_NAME, namespace },
      rules: props.pulumiIdentity ? [...NAMESPACE_RULES, ...PULUMI_IDENTITY_NAMESPACE_RULES] : NAMESPACE_RULES,
    });
    new ApiObject(this, 'role-binding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: RECONCILER_NAME, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: RECONCILER_NAME },
      subjects: [subject],
    });
    new ApiObject(this, 'service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: RECONCILER_NAME, namespace },
      spec: { selector: appLabels, ports: [{ name: 'http', port: HTTP_PORT, targetPort: 'http', protocol: 'TCP' }] },
    });

    const args = [
      'reconcile',
      '--repo', props.repo,
      ...(props.branch ? ['--branch', props.branch] : []),
      '--interval', props.interval ?? '1m',
      '--listen', `:${HTTP_PORT}`,
      '--webhook-secret-file', `${WEBHOOK_MOUNT}/secret`,
      '--cache-dir', CACHE_MOUNT,
      '--synth-socket', `${SOCKET_MOUNT}/synth.sock`,
      ...(props.notifyUrl ? ['--notify-url', props.notifyUrl] : []),
    ];
    const probe = (path: string, periodSeconds: number) => ({
      httpGet: { path, port: 'http' },
      periodSeconds,
      timeoutSeconds: 2,
      failureThreshold: 3,
    });
    new ApiObject(this, 'deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: RECONCILER_NAME, namespace },
      spec: {
        replicas,
        selector: { matchLabels: appLabels },
        // Leader election keeps a single writer; a rollout may run old and new side by side.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: appLabels },
          spec: {
            serviceAccountName: RECONCILER_NAME,
            // No container gets the token by default: only the reconciler mounts it (projected, below);
            // the synth container, which runs each revision's code, has no credential at all.
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 30,
            securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: appLabels } } },
                ],
              },
            },
            containers: [
              {
                name: 'reconciler',
                image: props.image,
                // The image's entrypoint already names `reconcile`; the command is spelled out so args read whole.
                command: ['node', 'bin/clusterops.js'],
                args,
                ports: [{ name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' }],
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  ...SCRATCH_ENV,
                ],
                livenessProbe: { ...probe('/healthz', 20), initialDelaySeconds: 10 },
                readinessProbe: probe('/readyz', 10),
                // Synth runs in the synth container; the reconciler itself stays under ~200 MiB at 100 clusters.
                resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { memory: '512Mi' } },
                securityContext: HARDENED,
                volumeMounts: [
                  { name: 'token', mountPath: TOKEN_MOUNT, readOnly: true },
                  { name: 'webhook', mountPath: WEBHOOK_MOUNT, readOnly: true },
                  { name: 'cache', mountPath: CACHE_MOUNT },
                  { name: 'socket', mountPath: SOCKET_MOUNT },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
              {
                // The repo-server half: each revision's tree comes over the socket, nothing else is shared.
                name: 'synth',
                image: props.image,
                command: ['node', 'bin/clusterops.js'],
                args: ['synth-server', '--socket', `${SOCKET_MOUNT}/synth.sock`, '--cache-dir', SYNTH_CACHE_MOUNT, '--no-sandbox'],
                env: SCRATCH_ENV,
                // The synth child of a revision gets up to 1 GiB of heap (src/reconciler/synth-runner.ts).
                resources: { requests: { cpu: '250m', memory: '384Mi' }, limits: { memory: '1536Mi' } },
                securityContext: HARDENED,
                volumeMounts: [
                  { name: 'synth-cache', mountPath: SYNTH_CACHE_MOUNT },
                  { name: 'socket', mountPath: SOCKET_MOUNT },
                  { name: 'synth-tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              {
                name: 'token',
                projected: {
                  sources: [
                    { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
                    { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
                    { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
                  ],
                },
              },
              { name: 'socket', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
              { name: 'synth-cache', emptyDir: { sizeLimit: '4Gi' } },
              { name: 'synth-tmp', emptyDir: { sizeLimit: '1Gi' } },
              { name: 'webhook', secret: { secretName: WEBHOOK_SECRET_NAME, items: [{ key: 'secret', path: 'secret' }] } },
              { name: 'cache', emptyDir: { sizeLimit: '4Gi' } },
              { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
            ],
          },
        },
      },
    });
  }
}
