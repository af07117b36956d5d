// The dashboard's token sources against the real API server: a Secret (read again after a
// rotation), and Kubernetes users' own tokens through TokenReview, let in only when RBAC lets them
// list WorkloadClusters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardAuth } from '../../../src/dashboard/dashboard-auth.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { suiteClient, unique } from '../apply/_helpers.js';

let client: KubeClient;
const ns = unique('dash-auth');

const create = (path: string, body: unknown) => client.request<Record<string, any>>({ verb: 'create', method: 'POST', path, body });

/** A real token of a new ServiceAccount (TokenRequest). */
async function serviceAccountToken(name: string): Promise<string> {
  await create(`/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
  const { body } = await create(`/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } });
  return body.status.token as string;
}

beforeAll(async () => {
  client = await suiteClient();
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});

afterAll(async () => {
  await client.request({ verb: 'delete', method: 'DELETE', path: `/api/v1/namespaces/${ns}` }).catch(() => undefined);
  for (const kind of ['clusterroles', 'clusterrolebindings']) await client.request({ verb: 'delete', method: 'DELETE', path: `/apis/rbac.authorization.k8s.io/v1/${kind}/${ns}-viewer` }).catch(() => undefined);
  client.close();
});

describe('dashboard login sources', () => {
  it('accepts the token of a Secret (key token), and nothing else', async () => {
    await create(`/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'dashboard' }, stringData: { token: 'from-the-secret-7d3f' } });
    const told: string[] = [];
    const auth = await DashboardAuth.create({ api: client, tokenSecret: { namespace: ns, name: 'dashboard' }, onSecret: (v) => told.push(v) });
    expect(await auth.check('from-the-secret-7d3f')).toEqual({ ok: true, who: 'dashboard token (Secret)' });
    expect((await auth.check('from-the-secret-7d3')).ok).toBe(false);
    expect((await auth.check('')).ok).toBe(false);
    // The value read is handed to the redactor.
    expect(told).toContain('from-the-secret-7d3f');
    const login = await auth.login('from-the-secret-7d3f');
    expect(login?.session).toMatch(/^[\w-]{43}$/);
  });

  it('refuses every token when the Secret is missing', async () => {
    const auth = await DashboardAuth.create({ api: client, tokenSecret: { namespace: ns, name: 'absent' } });
    expect((await auth.check('anything-at-all')).ok).toBe(false);
  });

  it("lets in a Kubernetes user's own token only when that user may list WorkloadClusters", async () => {
    const viewer = await serviceAccountToken('viewer');
    const nobody = await serviceAccountToken('nobody');
    await create('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${ns}-viewer` },
      rules: [{ apiGroups: ['clusterops.io'], resources: ['workloadclusters'], verbs: ['get', 'list', 'watch'] }],
    });
    await create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `${ns}-viewer` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${ns}-viewer` },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: ns }],
    });
    const auth = await DashboardAuth.create({ api: client, tokenReview: true });
    expect(await auth.check(viewer)).toEqual({ ok: true, who: `system:serviceaccount:${ns}:viewer` });
    expect((await auth.check(nobody)).ok).toBe(false);
    expect((await auth.check('not-a-kubernetes-token')).ok).toBe(false);
    // Without --dashboard-token-review a user's token is no way in.
    expect((await (await DashboardAuth.create({ api: client, tokenFile: undefined })).check(viewer)).ok).toBe(false);
  });
});
