import { App, Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ADDONS, addonNames } from '../../../src/addons/catalog.js';
import { renderAddon } from '../../../src/addons/render-addon.js';
import type { KubeObject } from '../../../src/model/manifest-set.js';
import { cluster } from './_fixtures.js';

/** A minimal valid settings value for each catalog entry. */
const MINIMAL: Record<string, unknown> = {
  'default-deny-policies': { denyEgress: true },
  'priority-classes': {},
  'team-namespaces': { teams: [{ name: 'payments', admins: ['payments-admins'], quota: { cpu: 4, memory: '8Gi', pods: 50 } }] },
};

const CLUSTER_SCOPED = new Set(['Namespace', 'PriorityClass']);

/** The hand-written add-ons: those that read nothing of the repository (Helm add-ons need their charts: test/integration/helm). */
const HAND_WRITTEN = [...ADDONS.values()].filter((def) => !def.resolve);

/** Renders every hand-written add-on of the catalog into one chart, as the synth stage does for a cluster. */
function renderAll(namespace?: string): KubeObject[] {
  const on = cluster(MINIMAL);
  const chart = new Chart(new App(), 'addons', { namespace });
  for (const def of HAND_WRITTEN) def.render!(chart, on, def.settings.parse(MINIMAL[def.name]));
  return chart.toJson() as KubeObject[];
}

describe('add-on catalog', () => {
  it('lists the add-ons sorted by name, each under its own name', () => {
    expect(addonNames()).toEqual(['cert-manager', 'cilium', 'default-deny-policies', 'kyverno', 'metrics-server', 'priority-classes', 'team-namespaces']);
    for (const [name, def] of ADDONS) {
      expect(def.name).toBe(name);
      expect(def.description.length).toBeGreaterThan(10);
    }
    expect(HAND_WRITTEN.map((def) => def.name)).toEqual(Object.keys(MINIMAL));
  });

  it('accepts {} for every add-on except team-namespaces, which needs its teams', () => {
    const acceptsEmpty = [...ADDONS.values()].filter((def) => def.settings.safeParse({}).success).map((def) => def.name);
    expect(acceptsEmpty).toEqual(['cert-manager', 'cilium', 'default-deny-policies', 'kyverno', 'metrics-server', 'priority-classes']);
  });

  it('rejects unknown keys at the top level of every add-on', () => {
    for (const def of ADDONS.values()) {
      const result = def.settings.safeParse({ ...(MINIMAL[def.name] as object), surprise: 1 });
      expect(result.success, def.name).toBe(false);
      expect(result.error?.issues.map((i) => [i.code, i.path])).toEqual([['unrecognized_keys', []]]);
    }
  });

  it('renders all add-ons into one chart with labelled, uniquely named objects', () => {
    const objects = renderAll();
    // deny: 3 policies in default and in the team's namespace; priority: 4 classes; team: ns, binding, quota, limits
    expect(objects.length).toBe(2 * 3 + 4 + 4);
    const keys = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const o of objects) {
      expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('clusterops');
      expect(ADDONS.has(o.metadata.labels?.['clusterops.io/addon'] ?? '')).toBe(true);
      expect(o.metadata.namespace === undefined).toBe(CLUSTER_SCOPED.has(o.kind));
    }
  });

  it('renders byte-identical output every time', () => {
    expect(JSON.stringify(renderAll())).toBe(JSON.stringify(renderAll()));
  });

  it('keeps cluster-scoped kinds free of a chart namespace', () => {
    const objects = renderAll('ignored');
    for (const o of objects) {
      if (CLUSTER_SCOPED.has(o.kind)) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBeUndefined();
      else expect(o.metadata.namespace).not.toBe('ignored');
    }
  });

  it('renders one add-on alone through renderAddon, validating first', () => {
    const def = ADDONS.get('priority-classes')!;
    expect(renderAddon(def, cluster(), {}).map((o) => o.metadata.name)).toEqual(['platform-critical', 'high', 'default', 'low']);
    expect(() => renderAddon(def, cluster(), { classes: 'none' })).toThrow(/must be a list of priority classes/);
  });
});
