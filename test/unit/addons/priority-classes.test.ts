import { describe, expect, it } from 'vitest';
import { priorityClassesAddon as addon } from '../../../src/addons/priority-classes.js';
import { ids, issues, render } from './_fixtures.js';

describe('priority-classes', () => {
  it('renders the default ladder when given {}', () => {
    const objects = render(addon, {});
    expect(ids(objects)).toEqual([
      'PriorityClass platform-critical',
      'PriorityClass high',
      'PriorityClass default',
      'PriorityClass low',
    ]);
    expect(objects.map((o) => [o.metadata.name, o.value, o.globalDefault, o.preemptionPolicy])).toEqual([
      ['platform-critical', 1_000_000, false, 'PreemptLowerPriority'],
      ['high', 10_000, false, 'PreemptLowerPriority'],
      ['default', 0, true, 'PreemptLowerPriority'],
      ['low', -100, false, 'Never'],
    ]);
    for (const o of objects) {
      expect(o.apiVersion).toBe('scheduling.k8s.io/v1');
      expect(o.metadata.namespace).toBeUndefined();
      expect(o.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'clusterops',
        'clusterops.io/addon': 'priority-classes',
      });
      expect(typeof o.description).toBe('string');
    }
  });

  it('renders the declared classes instead of the defaults, with defaults for optional fields', () => {
    const objects = render(addon, { classes: [{ name: 'batch.example.com', value: 1_000_000_000 }] });
    expect(objects).toEqual([
      {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: {
          name: 'batch.example.com',
          labels: { 'app.kubernetes.io/managed-by': 'clusterops', 'clusterops.io/addon': 'priority-classes' },
        },
        value: 1_000_000_000,
        globalDefault: false,
        preemptionPolicy: 'PreemptLowerPriority',
      },
    ]);
  });

  it('refuses values above the user range, fractions and values beyond int32', () => {
    expect(issues(addon, { classes: [{ name: 'x', value: 1_000_000_001 }] })).toEqual([
      'classes.0.value: must be at most 1000000000; higher values are reserved for system classes',
    ]);
    expect(issues(addon, { classes: [{ name: 'x', value: 1.5 }] })).toEqual(['classes.0.value: must be a whole number, got 1.5']);
    expect(issues(addon, { classes: [{ name: 'x', value: -2_147_483_649 }] })).toEqual([
      'classes.0.value: must be at least -2147483648 (the field is a 32-bit integer)',
    ]);
    expect(issues(addon, { classes: [{ name: 'x', value: '10' }] })).toEqual(['classes.0.value: must be a whole number, got "10"']);
    expect(issues(addon, { classes: [{ name: 'x' }] })).toEqual(['classes.0.value: is required']);
  });

  it('refuses reserved, invalid and duplicate names', () => {
    expect(issues(addon, { classes: [{ name: 'system-high', value: 1 }] })).toEqual([
      'classes.0.name: "system-high" starts with "system-", which Kubernetes reserves for its own classes',
    ]);
    expect(issues(addon, { classes: [{ name: 'High', value: 1 }] })).toEqual([
      expect.stringMatching(/^classes\.0\.name: "High" is not a DNS-1123 subdomain/),
    ]);
    expect(issues(addon, { classes: [{ name: 'a', value: 1 }, { name: 'a', value: 2 }] })).toEqual([
      'classes.1.name: duplicate class name "a" (also at index 0)',
    ]);
  });

  it('allows at most one global default', () => {
    expect(
      issues(addon, {
        classes: [
          { name: 'a', value: 1, globalDefault: true },
          { name: 'b', value: 2 },
          { name: 'c', value: 3, globalDefault: true },
        ],
      }),
    ).toEqual(['classes.2.globalDefault: only one class may be the global default; "a" already is']);
  });

  it('refuses unknown preemption policies, unknown keys and an empty list', () => {
    expect(issues(addon, { classes: [{ name: 'a', value: 1, preemptionPolicy: 'never' }] })).toEqual([
      'classes.0.preemptionPolicy: must be one of PreemptLowerPriority, Never, got "never"',
    ]);
    expect(issues(addon, { classes: [{ name: 'a', value: 1, priority: 5 }] })).toEqual([
      'classes.0: unknown key "priority"; allowed: name, value, globalDefault, preemptionPolicy, description',
    ]);
    expect(issues(addon, { clases: [] })).toEqual([': unknown key "clases"; allowed: classes']);
    expect(issues(addon, { classes: [] })).toEqual(['classes: list at least one class, or omit classes for the default set']);
  });
});
