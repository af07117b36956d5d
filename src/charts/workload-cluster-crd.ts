import type { KubeObject } from '../model/manifest-set.js';

/** API group and version of the WorkloadCluster custom resource. */
export const WORKLOAD_CLUSTER_GROUP = 'clusterops.io';
export const WORKLOAD_CLUSTER_VERSION = 'v1alpha1';
export const WORKLOAD_CLUSTER_API_VERSION = `${WORKLOAD_CLUSTER_GROUP}/${WORKLOAD_CLUSTER_VERSION}`;
export const WORKLOAD_CLUSTER_PLURAL = 'workloadclusters';
export const WORKLOAD_CLUSTER_CRD_NAME = `${WORKLOAD_CLUSTER_PLURAL}.${WORKLOAD_CLUSTER_GROUP}`;

/** Annotation that pauses a cluster like `spec.suspend: true`. */
export const SUSPEND_ANNOTATION = 'clusterops.io/suspend';
/** Annotation whose new value asks for an immediate reconcile (any value, e.g. a timestamp). */
export const RECONCILE_REQUEST_ANNOTATION = 'clusterops.io/reconcile-requested-at';

const condition = {
  type: 'object',
  required: ['type', 'status'],
  properties: {
    type: { type: 'string' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    reason: { type: 'string' },
    message: { type: 'string' },
    lastTransitionTime: { type: 'string', format: 'date-time' },
    observedGeneration: { type: 'integer' },
  },
};

const replicas = {
  type: 'object',
  properties: { desired: { type: 'integer' }, ready: { type: 'integer' }, available: { type: 'integer' } },
};

const counts = {
  type: 'object',
  properties: Object.fromEntries(['created', 'configured', 'unchanged', 'deleted', 'skipped', 'errors'].map((a) => [a, { type: 'integer' }])),
};

/**
 * The `clusterops.io/v1alpha1` WorkloadCluster CustomResourceDefinition: namespaced, with a status
 * subresource and printer columns, so `kubectl get workloadclusters -A` lists the fleet. The spec
 * mirrors the declaration (validated by the loader, so the schema keeps nested parts open) plus
 * `suspend`.
 */
export function workloadClusterCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: WORKLOAD_CLUSTER_CRD_NAME, labels: { 'app.kubernetes.io/managed-by': 'clusterops' } },
    spec: {
      group: WORKLOAD_CLUSTER_GROUP,
      scope: 'Namespaced',
      names: {
        kind: 'WorkloadCluster',
        listKind: 'WorkloadClusterList',
        plural: WORKLOAD_CLUSTER_PLURAL,
        singular: 'workloadcluster',
        shortNames: ['wlc'],
        categories: ['clusterops'],
      },
      versions: [
        {
          name: WORKLOAD_CLUSTER_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'Version', type: 'string', jsonPath: '.status.cluster.version', description: 'Kubernetes version, as Cluster API has it' },
            { name: 'Nodes', type: 'integer', jsonPath: '.status.cluster.workers.ready', description: 'Worker nodes ready' },
            { name: 'Revision', type: 'string', jsonPath: '.status.revision', description: 'The commit applied' },
            { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  properties: {
                    provider: { type: 'string' },
                    region: { type: 'string' },
                    kubernetesVersion: { type: 'string' },
                    controlPlane: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    nodePools: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
                    network: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    addons: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    deletionProtection: { type: 'boolean' },
                    suspend: { type: 'boolean', description: 'Pause reconciling this cluster.' },
                  },
                },
                status: {
                  type: 'object',
                  properties: {
                    phase: { type: 'string' },
                    revision: { type: 'string', description: 'The commit SHA last applied.' },
                    attemptedRevision: { type: 'string', description: 'The commit SHA last tried.' },
                    waitingRevision: {
                      type: 'string',
                      description: 'A newer commit that is not applied to this cluster: it is suspended, or its declaration does not validate there.',
                    },
                    problems: {
                      type: 'array',
                      description: 'Why the declaration of this cluster (or of its stage) does not validate at waitingRevision, file:line each.',
                      items: {
                        type: 'object',
                        required: ['file', 'line', 'message'],
                        properties: { file: { type: 'string' }, line: { type: 'integer' }, column: { type: 'integer' }, field: { type: 'string' }, message: { type: 'string' } },
                      },
                    },
                    waitingChanges: {
                      type: 'array',
                      description: 'While suspended: what waitingRevision would change if it were resumed, object by object (at most 50; values as short text, never a secret).',
                      items: {
                        type: 'object',
                        required: ['action', 'kind', 'name', 'where'],
                        properties: {
                          action: { type: 'string', enum: ['created', 'changed', 'deleted'] },
                          kind: { type: 'string' },
                          name: { type: 'string' },
                          namespace: { type: 'string' },
                          where: { type: 'string', enum: ['management', 'addons'] },
                          fields: {
                            type: 'array',
                            items: { type: 'object', required: ['path'], properties: { path: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } } },
                          },
                          moreFields: { type: 'integer' },
                        },
                      },
                    },
                    waitingChangesMore: { type: 'integer', description: 'Objects that would change beyond those listed in waitingChanges.' },
                    history: {
                      type: 'array',
                      description: 'The revisions applied to this cluster, newest first (at most 10).',
                      items: {
                        type: 'object',
                        required: ['revision'],
                        properties: { revision: { type: 'string' }, appliedAt: { type: 'string', format: 'date-time' } },
                      },
                    },
                    lastHandledReconcileAt: { type: 'string', description: 'The value of the reconcile-request annotation last handled.' },
                    observedGeneration: { type: 'integer' },
                    lastAppliedTime: { type: 'string', format: 'date-time' },
                    lastError: { type: 'string' },
                    lastChangeSet: counts,
                    addons: {
                      type: 'object',
                      properties: { ready: { type: 'integer' }, total: { type: 'integer' }, message: { type: 'string' } },
                    },
                    stack: {
                      type: 'object',
                      description: "The newest pulumi up of the reconciler's stack (--pulumi-stack): result, revision, duration.",
                      properties: {
                        name: { type: 'string' },
                        result: { type: 'string', enum: ['succeeded', 'failed', 'unchanged'] },
                        revision: { type: 'string' },
                        lastUpRevision: { type: 'string' },
                        durationMs: { type: 'integer' },
                        at: { type: 'string', format: 'date-time' },
                        changes: { type: 'object', additionalProperties: { type: 'integer' } },
                      },
                    },
                    cluster: {
                      type: 'object',
                      description: 'What Cluster API reports of the cluster (its Cluster status).',
                      properties: { phase: { type: 'string' }, version: { type: 'string' }, controlPlane: replicas, workers: replicas },
                    },
                    conditions: {
                      type: 'array',
                      items: condition,
                      'x-kubernetes-list-type': 'map',
                      'x-kubernetes-list-map-keys': ['type'],
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}
