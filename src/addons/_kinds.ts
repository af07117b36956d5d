/**
 * Private, hand-written typed bodies of the few core Kubernetes kinds the add-ons render, and the
 * one function that turns them into cdk8s ApiObjects with the common labels. Only fields that
 * exist in the Kubernetes 1.36 schemas appear here, so a typo cannot reach the API server.
 */
import type { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { cdk8sLib } from './_cdk8s.js';
import { ADDON_LABEL } from '../model/manifest-set.js';

/** Label on every object clusterops renders. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** Value of MANAGED_BY_LABEL. */
export const MANAGED_BY = 'clusterops';

/** The metadata an add-on sets; namespace only on namespaced kinds. */
export interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Metadata of a cluster-scoped object. */
export type ClusterMetadata = Omit<Metadata, 'namespace'>;

/** metav1.LabelSelector (matchLabels only: all the add-ons need). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
}

/** core/v1 Namespace. */
export interface NamespaceBody {
  metadata: ClusterMetadata;
}

/** rbac.authorization.k8s.io/v1 Subject for users and groups. */
export interface RbacSubject {
  kind: 'Group' | 'User';
  apiGroup: 'rbac.authorization.k8s.io';
  name: string;
}

/** rbac.authorization.k8s.io/v1 RoleBinding. */
export interface RoleBindingBody {
  metadata: Metadata & { namespace: string };
  roleRef: { apiGroup: 'rbac.authorization.k8s.io'; kind: 'ClusterRole' | 'Role'; name: string };
  subjects: RbacSubject[];
}

/** core/v1 ResourceQuota. */
export interface ResourceQuotaBody {
  metadata: Metadata & { namespace: string };
  spec: { hard: Record<string, string> };
}

/** core/v1 LimitRange (container defaults only). */
export interface LimitRangeBody {
  metadata: Metadata & { namespace: string };
  spec: {
    limits: Array<{
      type: 'Container';
      defaultRequest?: Record<string, string>;
      default?: Record<string, string>;
    }>;
  };
}

/** networking.k8s.io/v1 NetworkPolicyPeer (selectors only). */
export interface NetworkPolicyPeer {
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
}

/** networking.k8s.io/v1 NetworkPolicyPort. */
export interface NetworkPolicyPort {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  port: number;
}

/** networking.k8s.io/v1 NetworkPolicy. */
export interface NetworkPolicyBody {
  metadata: Metadata & { namespace: string };
  spec: {
    podSelector: LabelSelector;
    policyTypes: Array<'Ingress' | 'Egress'>;
    ingress?: Array<{ from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }>;
    egress?: Array<{ to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }>;
  };
}

/** scheduling.k8s.io/v1 PriorityClass. */
export interface PriorityClassBody {
  metadata: ClusterMetadata;
  value: number;
  globalDefault: boolean;
  preemptionPolicy: 'PreemptLowerPriority' | 'Never';
  description?: string;
}

/** Kind name to its body type: the kinds an add-on may render. */
export interface KindBodies {
  Namespace: NamespaceBody;
  RoleBinding: RoleBindingBody;
  ResourceQuota: ResourceQuotaBody;
  LimitRange: LimitRangeBody;
  NetworkPolicy: NetworkPolicyBody;
  PriorityClass: PriorityClassBody;
}

/** A kind an add-on may render. */
export type AddonKind = keyof KindBodies;

/** Per-kind facts: API version and scope. Adding a kind is one row (and one body type). */
const KINDS: Readonly<Record<AddonKind, { apiVersion: string; namespaced: boolean }>> = {
  Namespace: { apiVersion: 'v1', namespaced: false },
  RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', namespaced: true },
  ResourceQuota: { apiVersion: 'v1', namespaced: true },
  LimitRange: { apiVersion: 'v1', namespaced: true },
  NetworkPolicy: { apiVersion: 'networking.k8s.io/v1', namespaced: true },
  PriorityClass: { apiVersion: 'scheduling.k8s.io/v1', namespaced: false },
};

/** Every kind an add-on may render, with its API version: the catalog's side of the admission table. */
export function renderableKinds(): Array<{ apiVersion: string; kind: AddonKind }> {
  return (Object.keys(KINDS) as AddonKind[]).map((kind) => ({ apiVersion: KINDS[kind].apiVersion, kind }));
}

/**
 * Adds one object of `kind` to `scope`, labelled as managed by clusterops and rendered by `addon`.
 * The construct id is derived from kind, namespace and name, so ids are deterministic and a
 * duplicate object fails loudly at render time.
 */
export function addObject<K extends AddonKind>(scope: Construct, addon: string, kind: K, body: KindBodies[K]): ApiObject {
  const { apiVersion, namespaced } = KINDS[kind];
  const { metadata, ...rest } = body as { metadata: Metadata };
  const id = [kind, metadata.namespace, metadata.name].filter((part) => part !== undefined).join('.');
  const { ApiObject, Chart, JsonPatch } = cdk8sLib();
  const object = new ApiObject(scope, id, {
    apiVersion,
    kind,
    ...rest,
    metadata: {
      ...metadata,
      labels: { ...metadata.labels, [MANAGED_BY_LABEL]: MANAGED_BY, [ADDON_LABEL]: addon },
    },
  });
  // cdk8s gives every object the chart's namespace; a cluster-scoped kind must not carry one.
  if (!namespaced && metadata.namespace === undefined && Chart.of(scope).namespace !== undefined) {
    object.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }
  return object;
}
