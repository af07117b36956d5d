/**
 * The identity a revision's Pulumi program runs with: a ServiceAccount of its own whose rights are
 * Secrets in the stage namespaces and those Namespaces themselves, nothing else, and a short-lived
 * token of it in a kubeconfig of its own. The reconciler (with its own credentials) grants and
 * issues it before each `pulumi up`; the program never sees the reconciler's credentials.
 */
import type https from 'node:https';
import { stringify } from 'yaml';
import type { KubeApi } from '../kube/client.js';
import type { KubeconfigCluster, KubeconfigSource } from '../kube/kubeconfig.js';
import type { KubeObject } from '../model/manifest-set.js';
import { STACK_IDENTITY_NAME } from '../model/pulumi-identity.js';

export { STACK_IDENTITY_NAME };

/** Field manager of what the reconciler writes for the program's identity. */
export const STACK_IDENTITY_FIELD_MANAGER = 'clusterops-pulumi-identity';

/** Namespaces never granted to the program, whatever a revision names its stages. */
export const RESERVED_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'clusterops-system']);

/**
 * What the program may do to Secrets of a stage namespace. `delete` is included so that removing an
 * unprotected cluster's file can release its identity (protected ones the engine refuses to delete).
 * RBAC cannot tell Secrets apart by type, so these rights reach every Secret of the stage
 * namespace, the `<cluster>-kubeconfig` Secrets Cluster API writes included (see the README).
 */
export const SECRET_VERBS = ['create', 'get', 'list', 'patch', 'update', 'delete'] as const;

/**
 * What the program may do to the stage Namespaces, by name: read and server-side apply them. No
 * `create` (RBAC cannot limit a create to names) and no `delete`: the reconciler makes each stage
 * Namespace before the program runs, and deleting one is left to a person.
 */
export const NAMESPACE_VERBS = ['get', 'patch', 'update'] as const;

/** Lifetime of each token issued to the program (the TokenRequest minimum is 10 minutes). */
export const TOKEN_SECONDS = 3600;

/** The stages a program's identity may be granted: valid names, not reserved; throws on a reserved one. */
export function grantableStages(stages: Iterable<string>): string[] {
  const out = [...new Set(stages)].sort();
  const reserved = out.filter((s) => RESERVED_NAMESPACES.has(s));
  if (reserved.length) throw new Error(`stage ${reserved.join(', ')} cannot be granted to the Pulumi program (a reserved namespace)`);
  return out;
}

/**
 * The objects that make up the identity in `namespace` (where its ServiceAccount lives) for
 * `stages`: the ServiceAccount; a ClusterRole over the stage Namespaces by name, bound cluster-wide;
 * and in each stage namespace a Role over Secrets, bound to the ServiceAccount. Pure: unit-tested.
 */
export function stackIdentityObjects(namespace: string, stages: readonly string[]): KubeObject[] {
  const subject = { kind: 'ServiceAccount', name: STACK_IDENTITY_NAME, namespace };
  const labels = { 'app.kubernetes.io/managed-by': 'clusterops', 'app.kubernetes.io/component': 'pulumi-identity' };
  const objs: KubeObject[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: STACK_IDENTITY_NAME, namespace, labels }, automountServiceAccountToken: false },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: STACK_IDENTITY_NAME, labels },
      rules: stages.length ? [{ apiGroups: [''], resources: ['namespaces'], verbs: [...NAMESPACE_VERBS], resourceNames: [...stages] }] : [],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: STACK_IDENTITY_NAME, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: STACK_IDENTITY_NAME },
      subjects: [subject],
    },
  ];
  for (const stage of stages) {
    objs.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: STACK_IDENTITY_NAME, namespace: stage, labels },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: [...SECRET_VERBS] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: STACK_IDENTITY_NAME, namespace: stage, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: STACK_IDENTITY_NAME },
        subjects: [subject],
      },
    );
  }
  return objs;
}

/** The API path of an object (core and named groups, namespaced or not). */
function objectPath(o: KubeObject): string {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const plural = { ServiceAccount: 'serviceaccounts', ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings', Role: 'roles', RoleBinding: 'rolebindings', Namespace: 'namespaces' }[o.kind];
  if (!plural) throw new Error(`no path for ${o.kind}`);
  const ns = o.metadata.namespace ? `/namespaces/${encodeURIComponent(o.metadata.namespace)}` : '';
  return `${base}${ns}/${plural}/${encodeURIComponent(o.metadata.name)}`;
}

/** The program's credential: its token, and a kubeconfig of the management cluster's CA with it. */
export interface IssuedIdentity {
  /** The management cluster's API server URL, as the reconciler reaches it. */
  server: string;
  /**
   * The kubeconfig: the server (or `via`, an address that forwards to it, with the server's host
   * as the TLS name, so its certificate is still verified), the CA, and the token as the only credential.
   */
  kubeconfig(via?: string): string;
  /** The token itself, for the redactor. */
  token: string;
}

/** Grants and issues the program's identity with the reconciler's own client. */
export class StackIdentity {
  constructor(
    private readonly api: KubeApi,
    private readonly kubeconfig: KubeconfigSource,
    private readonly namespace: string,
  ) {}

  /**
   * Makes sure its own namespace and each stage Namespace exist (the program may only patch those), applies the identity's
   * objects for exactly `stages` (a stage no longer declared loses its grant: its Role is deleted),
   * and issues a new token of TOKEN_SECONDS.
   */
  async issue(stages: readonly string[], previous: readonly string[] = []): Promise<IssuedIdentity> {
    const granted = grantableStages(stages);
    for (const stage of [this.namespace, ...granted]) {
      await this.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: stage } });
    }
    for (const o of stackIdentityObjects(this.namespace, granted)) await this.apply(o);
    for (const gone of previous.filter((s) => !granted.includes(s))) {
      for (const kind of ['rolebindings', 'roles']) {
        await this.api
          .request({ verb: 'delete', method: 'DELETE', path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${encodeURIComponent(gone)}/${kind}/${STACK_IDENTITY_NAME}` })
          .catch(() => undefined);
      }
    }
    const { body } = await this.api.request<{ status?: { token?: string } }>({
      verb: 'create',
      method: 'POST',
      path: `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/serviceaccounts/${STACK_IDENTITY_NAME}/token`,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: TOKEN_SECONDS } },
    });
    const token = body.status?.token;
    if (!token) throw new Error(`the API server issued no token for ServiceAccount ${this.namespace}/${STACK_IDENTITY_NAME}`);
    const cluster = this.kubeconfig.getCurrentCluster();
    if (!cluster) throw new Error('the reconciler kubeconfig has no current cluster');
    const tls: https.RequestOptions = {};
    await this.kubeconfig.applyToHTTPSOptions(tls);
    return { server: cluster.server, token, kubeconfig: (via) => kubeconfigWith(cluster, tls, token, via) };
  }

  private async apply(o: KubeObject): Promise<void> {
    await this.api.request({
      verb: 'apply',
      method: 'PATCH',
      path: objectPath(o),
      query: { fieldManager: STACK_IDENTITY_FIELD_MANAGER, force: 'true' },
      contentType: 'application/apply-patch+yaml',
      body: o,
    });
  }
}

/** The management cluster's server (or `via`), CA and TLS name, with `token` as the only credential. */
function kubeconfigWith(cluster: KubeconfigCluster, tls: https.RequestOptions, token: string, via?: string): string {
  const ca = tls.ca === undefined ? undefined : Buffer.from(Array.isArray(tls.ca) ? tls.ca.join('\n') : String(tls.ca)).toString('base64');
  const clusterEntry: Record<string, unknown> = { server: via ?? cluster.server };
  if (ca) clusterEntry['certificate-authority-data'] = ca;
  const tlsName = cluster.tlsServerName ?? (via ? new URL(cluster.server).hostname.replace(/^\[|\]$/g, '') : undefined);
  if (tlsName) clusterEntry['tls-server-name'] = tlsName;
  if (cluster.skipTLSVerify) clusterEntry['insecure-skip-tls-verify'] = true;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'management', cluster: clusterEntry }],
    users: [{ name: STACK_IDENTITY_NAME, user: { token } }],
    contexts: [{ name: 'pulumi', context: { cluster: 'management', user: STACK_IDENTITY_NAME } }],
    'current-context': 'pulumi',
  });
}
