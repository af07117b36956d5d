import { describe, expect, it } from 'vitest';
import { defaultDenyPoliciesAddon as addon } from '../../../src/addons/default-deny-policies.js';
import { cluster, find, ids, issues, render } from './_fixtures.js';

describe('default-deny-policies', () => {
  it('denies all ingress in the default namespace when given {}', () => {
    const objects = render(addon, {});
    expect(ids(objects)).toEqual(['NetworkPolicy default/default-deny-ingress']);
    const [policy] = objects;
    expect(policy.apiVersion).toBe('networking.k8s.io/v1');
    expect(policy.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    expect(policy.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'clusterops',
      'clusterops.io/addon': 'default-deny-policies',
    });
  });

  it('covers the namespaces team-namespaces creates when namespaces is not set', () => {
    const withTeams = cluster({
      'team-namespaces': { teams: [{ name: 'payments' }, { name: 'search', namespaces: ['search', 'search-batch'] }] },
      'default-deny-policies': {},
    });
    expect(ids(render(addon, {}, withTeams))).toEqual([
      'NetworkPolicy default/default-deny-ingress',
      'NetworkPolicy payments/default-deny-ingress',
      'NetworkPolicy search/default-deny-ingress',
      'NetworkPolicy search-batch/default-deny-ingress',
    ]);
  });

  it('uses exactly the declared namespaces, in order, when namespaces is set', () => {
    const withTeams = cluster({ 'team-namespaces': { teams: [{ name: 'payments' }] } });
    expect(ids(render(addon, { namespaces: ['web', 'api'] }, withTeams))).toEqual([
      'NetworkPolicy web/default-deny-ingress',
      'NetworkPolicy api/default-deny-ingress',
    ]);
  });

  it('denies egress but keeps cluster DNS reachable when denyEgress is set', () => {
    const objects = render(addon, { namespaces: ['web'], denyEgress: true });
    expect(ids(objects)).toEqual([
      'NetworkPolicy web/default-deny-ingress',
      'NetworkPolicy web/default-deny-egress',
      'NetworkPolicy web/allow-dns-egress',
    ]);
    expect(find(objects, 'NetworkPolicy', 'default-deny-egress', 'web').spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
    });
    expect(find(objects, 'NetworkPolicy', 'allow-dns-egress', 'web').spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    });
  });

  it('leaves DNS closed too when allowDns is false', () => {
    expect(ids(render(addon, { namespaces: ['web'], denyEgress: true, allowDns: false }))).toEqual([
      'NetworkPolicy web/default-deny-ingress',
      'NetworkPolicy web/default-deny-egress',
    ]);
  });

  it('defaults denyEgress to false and allowDns to true', () => {
    expect(addon.settings.parse({})).toEqual({ denyEgress: false, allowDns: true });
  });

  it('refuses Kubernetes system namespaces, bad names and duplicates, at the entry', () => {
    expect(issues(addon, { namespaces: ['kube-system'] })).toEqual([
      'namespaces.0: "kube-system" belongs to Kubernetes; denying traffic there breaks cluster DNS and system components',
    ]);
    expect(issues(addon, { namespaces: ['web', 'Web_1'] })).toEqual([
      expect.stringMatching(/^namespaces\.1: "Web_1" is not a DNS-1123 label/),
    ]);
    expect(issues(addon, { namespaces: ['web', 'api', 'web'] })).toEqual([
      'namespaces.2: duplicate namespace "web" (also at index 0)',
    ]);
    expect(issues(addon, { namespaces: [] })).toEqual([
      'namespaces: list at least one namespace, or omit namespaces for the platform defaults',
    ]);
  });

  it('refuses wrong types and unknown keys', () => {
    expect(issues(addon, { denyEgress: 'yes' })).toEqual(['denyEgress: must be true or false, got "yes"']);
    expect(issues(addon, { denyEgres: true })).toEqual([': unknown key "denyEgres"; allowed: namespaces, denyEgress, allowDns']);
    expect(issues(addon, { namespaces: 'web' })).toEqual(['namespaces: must be a list, got "web"']);
  });
});
