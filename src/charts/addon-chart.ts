/**
 * The add-ons of one workload cluster: every entry of its `spec.addons`, rendered by the catalog
 * into one chart whose objects are applied inside that cluster (its constructs, and the objects of
 * add-ons that come rendered, `rendered`).
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { AddonDefinition } from '../addons/addon.js';
import { addonFor } from '../addons/catalog.js';
import type { WorkloadCluster } from '../model/workload-cluster.js';
import { CLUSTER_LABEL, STAGE_LABEL, type KubeObject } from '../model/manifest-set.js';

/** Add-on name to its definition, as `ADDONS` in src/addons/catalog.ts. */
export type AddonCatalog = ReadonlyMap<string, AddonDefinition<any>>;

/** The add-on chart of one cluster; every object carries STAGE_LABEL and CLUSTER_LABEL. */
export class AddonChart extends Chart {
  /** Objects of add-ons that render them already (Helm charts), labelled; not constructs of the chart, so not in `toJson()`. */
  readonly rendered: KubeObject[] = [];

  constructor(scope: Construct, cluster: WorkloadCluster, catalog: AddonCatalog) {
    const labels = { [STAGE_LABEL]: cluster.stage, [CLUSTER_LABEL]: cluster.name };
    super(scope, `addons-${cluster.stage}-${cluster.name}`, { labels });
    for (const name of Object.keys(cluster.spec.addons).sort()) {
      const addon = addonFor(name, cluster.spec.addons[name], catalog);
      if (!addon) throw new Error(`${cluster.source.file}: cluster ${cluster.name}: unknown add-on "${name}"`);
      try {
        const settings = cluster.spec.addons[name];
        addon.render?.(this, cluster, settings);
        for (const o of addon.objects?.(cluster, settings) ?? []) {
          this.rendered.push({ ...o, metadata: { ...o.metadata, labels: { ...labels, ...o.metadata.labels } } });
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`${cluster.source.file}: cluster ${cluster.name}: add-on "${name}": ${message}`, { cause: error });
      }
    }
  }
}
