/**
 * The API of the `local` provider (ours): an infrastructure provider (LocalCluster, LocalMachine and
 * their templates, `infrastructure.clusterops.io/v1alpha1`) and a machineless control-plane provider
 * (LocalControlPlane and its template, `controlplane.clusterops.io/v1alpha1`), as the
 * CustomResourceDefinitions Cluster API's v1beta2 contracts ask for: namespaced, status (and, for the
 * control plane, scale) subresources, the contract fields with their schemas, and the
 * `cluster.x-k8s.io/v1beta2: v1alpha1` contract label without which Cluster API refuses the kinds.
 * Plain data at the bottom of the layout, so the CRD installer and the provider both read it.
 */
import type { KubeObject } from './manifest-set.js';

/** API group of the infrastructure kinds. */
export const LOCAL_INFRASTRUCTURE_GROUP = 'infrastructure.clusterops.io';
/** API group of the control-plane kinds. */
export const LOCAL_CONTROL_PLANE_GROUP = 'controlplane.clusterops.io';
/** The one version of both groups. */
export const LOCAL_PROVIDER_VERSION = 'v1alpha1';
/** The Cluster API contract label every CRD of a provider carries: contract version -> our versions. */
export const CONTRACT_LABEL = 'cluster.x-k8s.io/v1beta2';

/** The six kinds, their group and plural (as Cluster API computes it: lower-case kind + `s`). */
export const LOCAL_KINDS = {
  LocalCluster: { group: LOCAL_INFRASTRUCTURE_GROUP, plural: 'localclusters' },
  LocalClusterTemplate: { group: LOCAL_INFRASTRUCTURE_GROUP, plural: 'localclustertemplates' },
  LocalMachine: { group: LOCAL_INFRASTRUCTURE_GROUP, plural: 'localmachines' },
  LocalMachineTemplate: { group: LOCAL_INFRASTRUCTURE_GROUP, plural: 'localmachinetemplates' },
  LocalControlPlane: { group: LOCAL_CONTROL_PLANE_GROUP, plural: 'localcontrolplanes' },
  LocalControlPlaneTemplate: { group: LOCAL_CONTROL_PLANE_GROUP, plural: 'localcontrolplanetemplates' },
} as const;
/** One of LOCAL_KINDS. */
export type LocalKind = keyof typeof LOCAL_KINDS;

/** `group/version` of a kind. */
export function localApiVersion(kind: LocalKind): string {
  return `${LOCAL_KINDS[kind].group}/${LOCAL_PROVIDER_VERSION}`;
}

type Schema = Record<string, unknown>;

const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const int32 = (description: string, extra: Schema = {}): Schema => ({ type: 'integer', format: 'int32', description, ...extra });
const object = (description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: 'object',
  description,
  properties,
  ...extra,
});

/** metav1.Condition, as every v1beta2 status holds them. */
const conditions: Schema = {
  type: 'array',
  description: 'Observations of the current state (metav1.Condition), one per type.',
  maxItems: 32,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  items: object(
    'One condition.',
    {
      type: str('Type of the condition, CamelCase.', { maxLength: 316 }),
      status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
      observedGeneration: { type: 'integer', format: 'int64', minimum: 0, description: 'The generation the condition was set for.' },
      lastTransitionTime: str('When the status last changed.', { format: 'date-time' }),
      reason: str('Why, CamelCase.', { maxLength: 1024, minLength: 1 }),
      message: str('Why, for people.', { maxLength: 32768 }),
    },
    { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
  ),
};

/** clusterv1.ObjectMeta of a template: the labels and annotations given to objects made from it. */
const templateMetadata: Schema = object('Labels and annotations of the objects created from this template.', {
  labels: { type: 'object', additionalProperties: { type: 'string' } },
  annotations: { type: 'object', additionalProperties: { type: 'string' } },
});

const endpoint: Schema = object(
  'Where the workload API server listens: 127.0.0.1 and a loopback port the provider picked.',
  {
    host: str('Host of the API server.', { minLength: 1, maxLength: 512 }),
    port: int32('Port of the API server.', { minimum: 1, maximum: 65535 }),
  },
);

const clusterSpec = (): Schema =>
  object('Desired state of a LocalCluster.', { controlPlaneEndpoint: endpoint });

const machineSpec = (): Schema =>
  object('Desired state of a LocalMachine.', {
    providerID: str('local://<namespace>/<cluster>/<machine>: the spec.providerID of the Node this machine registers.', {
      minLength: 1,
      maxLength: 512,
    }),
  });

const controlPlaneSpec = (forTemplate: boolean): Schema =>
  object(
    'Desired state of a LocalControlPlane.',
    {
      ...(forTemplate
        ? {}
        : {
            version: str('Kubernetes version of the control plane (vX.Y.Z); must be the version of the local binaries.', {
              minLength: 1,
              maxLength: 256,
            }),
            replicas: int32('API servers wanted; the local provider runs exactly one.', { minimum: 0 }),
          }),
      machineTemplate: {
        type: 'object',
        description: 'Fields Cluster API may set for machine-based control planes; unused (this control plane has no machines).',
        'x-kubernetes-preserve-unknown-fields': true,
      },
    },
    forTemplate ? {} : { required: ['version'] },
  );

const initialization = (field: string, description: string): Schema =>
  object('Observations of the initialization, part of the Cluster API contract.', { [field]: bool(description) }, { minProperties: 1 });

const addresses: Schema = {
  type: 'array',
  description: 'Addresses of the machine.',
  maxItems: 32,
  items: object(
    'One address.',
    {
      type: str('Kind of address.', { enum: ['Hostname', 'ExternalIP', 'InternalIP', 'ExternalDNS', 'InternalDNS'] }),
      address: str('The address.', { minLength: 1, maxLength: 256 }),
    },
    { required: ['type', 'address'] },
  ),
};

const STATUS: Record<'LocalCluster' | 'LocalMachine' | 'LocalControlPlane', Schema> = {
  LocalCluster: object('Observed state of a LocalCluster.', {
    initialization: initialization('provisioned', 'True once the control-plane endpoint is assigned.'),
    conditions,
    observedGeneration: { type: 'integer', format: 'int64' },
  }),
  LocalMachine: object('Observed state of a LocalMachine.', {
    initialization: initialization('provisioned', 'True once the Node is registered in the workload cluster.'),
    addresses,
    nodeName: str('Name of the Node registered for this machine.'),
    conditions,
    observedGeneration: { type: 'integer', format: 'int64' },
  }),
  LocalControlPlane: object('Observed state of a LocalControlPlane.', {
    initialization: initialization('controlPlaneInitialized', 'True once the API server accepts requests.'),
    selector: str('Label selector (query-parameter form) for the scale subresource.'),
    replicas: int32('API servers running.'),
    readyReplicas: int32('API servers ready.'),
    availableReplicas: int32('API servers available.'),
    upToDateReplicas: int32('API servers at the desired version.'),
    version: str('Kubernetes version the API server runs.'),
    versions: {
      type: 'array',
      description: 'Kubernetes versions running, oldest first, with their replicas.',
      maxItems: 100,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['version'],
      items: object('One version.', { version: str('A version.', { minLength: 1, maxLength: 256 }), replicas: int32('Replicas at it.') }, { required: ['version'] }),
    },
    conditions,
    observedGeneration: { type: 'integer', format: 'int64' },
  }),
};

/** Printer columns, one list per kind that has a status. */
const COLUMNS: Record<string, Schema[]> = {
  LocalCluster: [
    { name: 'Cluster', type: 'string', jsonPath: ".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']" },
    { name: 'Endpoint', type: 'string', jsonPath: '.spec.controlPlaneEndpoint.port' },
    { name: 'Provisioned', type: 'boolean', jsonPath: '.status.initialization.provisioned' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  LocalMachine: [
    { name: 'Cluster', type: 'string', jsonPath: ".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']" },
    { name: 'ProviderID', type: 'string', jsonPath: '.spec.providerID' },
    { name: 'Provisioned', type: 'boolean', jsonPath: '.status.initialization.provisioned' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  LocalControlPlane: [
    { name: 'Cluster', type: 'string', jsonPath: ".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']" },
    { name: 'Initialized', type: 'boolean', jsonPath: '.status.initialization.controlPlaneInitialized' },
    { name: 'Available', type: 'string', jsonPath: ".status.conditions[?(@.type=='Available')].status" },
    { name: 'Version', type: 'string', jsonPath: '.spec.version' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};

const SPECS: Record<LocalKind, () => Schema> = {
  LocalCluster: clusterSpec,
  LocalClusterTemplate: () => template(clusterSpec()),
  LocalMachine: machineSpec,
  LocalMachineTemplate: () => template(machineSpec()),
  LocalControlPlane: () => controlPlaneSpec(false),
  LocalControlPlaneTemplate: () => template(controlPlaneSpec(true)),
};

function template(spec: Schema): Schema {
  return object(
    'A template Cluster API (ClusterClass) makes objects from.',
    { template: object('The object to create.', { metadata: templateMetadata, spec }, { required: ['spec'] }) },
    { required: ['template'] },
  );
}

function crd(kind: LocalKind): KubeObject {
  const { group, plural } = LOCAL_KINDS[kind];
  const status = STATUS[kind as keyof typeof STATUS];
  const scale =
    kind === 'LocalControlPlane'
      ? { scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } }
      : {};
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${plural}.${group}`,
      labels: {
        [CONTRACT_LABEL]: LOCAL_PROVIDER_VERSION,
        'cluster.x-k8s.io/provider': group === LOCAL_CONTROL_PLANE_GROUP ? 'control-plane-local' : 'infrastructure-local',
        'app.kubernetes.io/managed-by': 'clusterops',
      },
    },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), categories: ['cluster-api'] },
      versions: [
        {
          name: LOCAL_PROVIDER_VERSION,
          served: true,
          storage: true,
          subresources: status ? { status: {}, ...scale } : undefined,
          additionalPrinterColumns: COLUMNS[kind],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: `${kind} of the clusterops local provider.`,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: SPECS[kind](),
                ...(status ? { status } : {}),
              },
            },
          },
        },
      ],
    },
  };
}

/** The six CustomResourceDefinitions of the local provider, in a stable order. */
export const LOCAL_PROVIDER_CRDS: readonly KubeObject[] = (Object.keys(LOCAL_KINDS) as LocalKind[]).map(crd);
