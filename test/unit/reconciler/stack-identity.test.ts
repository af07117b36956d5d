import { describe, expect, it } from 'vitest';
import { grantableStages, NAMESPACE_VERBS, SECRET_VERBS, stackIdentityObjects, STACK_IDENTITY_NAME } from '../../../src/reconciler/stack-identity.js';

describe("the Pulumi program's identity", () => {
  it('grants Secrets in each stage namespace and the stage Namespaces by name, nothing else', () => {
    const objs = stackIdentityObjects('clusterops-system', ['production', 'staging']);
    expect(objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      `ServiceAccount/clusterops-system/${STACK_IDENTITY_NAME}`,
      `ClusterRole//${STACK_IDENTITY_NAME}`,
      `ClusterRoleBinding//${STACK_IDENTITY_NAME}`,
      `Role/production/${STACK_IDENTITY_NAME}`,
      `RoleBinding/production/${STACK_IDENTITY_NAME}`,
      `Role/staging/${STACK_IDENTITY_NAME}`,
      `RoleBinding/staging/${STACK_IDENTITY_NAME}`,
    ]);
    const clusterRole = objs.find((o) => o.kind === 'ClusterRole') as unknown as { rules: unknown[] };
    expect(clusterRole.rules).toEqual([{ apiGroups: [''], resources: ['namespaces'], verbs: [...NAMESPACE_VERBS], resourceNames: ['production', 'staging'] }]);
    expect(NAMESPACE_VERBS).not.toContain('create');
    expect(NAMESPACE_VERBS).not.toContain('delete');
    for (const role of objs.filter((o) => o.kind === 'Role') as unknown as Array<{ rules: unknown[] }>) {
      expect(role.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: [...SECRET_VERBS] }]);
    }
    for (const b of objs.filter((o) => o.kind.endsWith('Binding')) as unknown as Array<{ subjects: unknown[] }>) {
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: STACK_IDENTITY_NAME, namespace: 'clusterops-system' }]);
    }
  });

  it('grants no namespace at all when there is no stage, and never a reserved namespace', () => {
    const none = stackIdentityObjects('clusterops-system', []);
    expect((none.find((o) => o.kind === 'ClusterRole') as unknown as { rules: unknown[] }).rules).toEqual([]);
    expect(() => grantableStages(['prod', 'kube-system'])).toThrow('stage kube-system cannot be granted to the Pulumi program (a reserved namespace)');
    expect(() => grantableStages(['clusterops-system'])).toThrow(/reserved/);
    expect(grantableStages(['b', 'a', 'b'])).toEqual(['a', 'b']);
  });
});
