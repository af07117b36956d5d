import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../../src/apply/_line-diff.js';
import { applyRank, stagesOf } from '../../../src/apply/_stages.js';
import { ChangeSet, formatChangeSet } from '../../../src/apply/change-set.js';
import { canonicalJson, contentHash } from '../../../src/apply/content-hash.js';
import { applySetId } from '../../../src/apply/inventory.js';
import { createHash } from 'node:crypto';

describe('contentHash', () => {
  it('ignores key order and sees every value', () => {
    expect(contentHash({ a: 1, b: { c: [1, 2] } })).toBe(contentHash({ b: { c: [1, 2] }, a: 1 }));
    expect(contentHash({ a: 1, b: { c: [1, 2] } })).not.toBe(contentHash({ a: 1, b: { c: [2, 1] } }));
    expect(canonicalJson({ b: 1, a: undefined, c: 'x' })).toBe('{"b":1,"c":"x"}');
  });
});

describe('applySetId', () => {
  it('follows the ApplySet KEP: applyset-<base64url(sha256(name.namespace.kind.group))>-v1', () => {
    const id = applySetId({ name: 'applyset-management.prod', namespace: 'clusterops-system', kind: 'ConfigMap', group: '' });
    const expected = createHash('sha256').update('applyset-management.prod.clusterops-system.ConfigMap.').digest('base64url');
    expect(id).toBe(`applyset-${expected}-v1`);
    expect(id).toMatch(/^applyset-[A-Za-z0-9_-]{43}-v1$/);
    expect(id.length).toBeLessThanOrEqual(63);
  });
});

describe('apply order', () => {
  it('puts CRDs, Namespaces, cluster RBAC first, *Class kinds before the rest and webhooks last', () => {
    const refs = [
      { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration' },
      { group: '', kind: 'ConfigMap' },
      { group: 'cluster.x-k8s.io', kind: 'ClusterClass' },
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
      { group: '', kind: 'Namespace' },
      { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
    ];
    expect(stagesOf(refs, (r) => r).map((s) => s.map((r) => r.kind))).toEqual([
      ['CustomResourceDefinition'],
      ['Namespace'],
      ['ClusterRole'],
      ['ConfigMap'],
      ['ClusterClass'],
      ['ValidatingWebhookConfiguration'],
    ]);
    expect(applyRank({ kind: 'Cluster' })).toBeGreaterThan(applyRank({ kind: 'ClusterClass' }));
  });
});

describe('unifiedDiff', () => {
  it('is empty for equal texts and shows changed lines with context', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', { from: 'x', to: 'y' })).toBe('');
    const d = unifiedDiff('a\nb\nc\nd\ne\nf\ng\nh\n', 'a\nb\nc\nD\ne\nf\ng\nh\n', { from: 'live', to: 'desired' });
    expect(d).toBe('--- live\n+++ desired\n@@ -1,7 +1,7 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n');
    expect(unifiedDiff('', 'x: 1\n', { from: 'a', to: 'b' })).toBe('--- a\n+++ b\n@@ -0,0 +1,1 @@\n+x: 1\n');
  });
});

describe('ChangeSet formats', () => {
  const cs = new ChangeSet(true);
  cs.add('management.prod', { group: '', kind: 'ConfigMap', namespace: 'ns', name: 'a' }, 'created');
  cs.add('management.prod', { group: '', kind: 'ConfigMap', namespace: 'ns', name: 'b' }, 'unchanged');
  cs.add('management.prod', { group: 'cluster.x-k8s.io', kind: 'Cluster', namespace: 'ns', name: 'c' }, 'skipped', { reason: 'deletion protection' });
  it('json has entries with action, kind, namespace, name', () => {
    const out = JSON.parse(formatChangeSet(cs, 'json')) as { entries: Array<Record<string, string>> };
    expect(out.entries.map((e) => [e.action, e.kind, e.namespace, e.name])).toEqual([
      ['created', 'ConfigMap', 'ns', 'a'],
      ['unchanged', 'ConfigMap', 'ns', 'b'],
      ['skipped', 'Cluster', 'ns', 'c'],
    ]);
    expect(cs.hasChanges).toBe(true);
  });
  it('text lists changes and counts the unchanged', () => {
    expect(formatChangeSet(cs, 'text')).toBe(
      'management.prod:\n  ConfigMap/ns/a created\n  Cluster/ns/c skipped (deletion protection)\n  1 unchanged\n' +
        '1 created, 0 configured, 1 unchanged, 0 deleted, 1 skipped (dry run)\n',
    );
  });
  it('markdown has a summary table and a row per change', () => {
    const md = formatChangeSet(cs, 'markdown');
    expect(md).toContain('| 1 | 0 | 1 | 0 | 1 | 0 |');
    expect(md).toContain('| ⚪ skipped | Cluster | ns | c | deletion protection |');
    expect(md).not.toContain('| b |');
  });
});
