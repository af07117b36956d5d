import { App, Chart } from 'cdk8s';
import type { KubeObject } from '../model/manifest-set.js';
import type { WorkloadCluster } from '../model/workload-cluster.js';
import type { AddonDefinition } from './addon.js';

/**
 * Validates `rawSettings` with the add-on's schema and renders it alone into a fresh chart, returning
 * the objects in construction order; for tests and for checking one add-on's output in isolation.
 * Throws the schema's ZodError when the settings are invalid.
 */
export function renderAddon<S>(addon: AddonDefinition<S>, cluster: WorkloadCluster, rawSettings: unknown): KubeObject[] {
  const chart = new Chart(new App(), `addon-${addon.name}`);
  const settings = addon.settings.parse(rawSettings);
  addon.render?.(chart, cluster, settings);
  return [...(chart.toJson() as KubeObject[]), ...(addon.objects?.(cluster, settings) ?? [])];
}
