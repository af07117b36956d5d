/**
 * The add-ons of one workload cluster: every entry of its `spec.addons`, rendered by the catalog
 * into one chart whose objects are applied inside that cluster.
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { AddonDefinition } from '../addons/addon.js';
import { addonFor } from '../addons/catalog.js';
import type { WorkloadCluster } from '../model/workload-cluster.js';
import { CLUSTER_LABEL, STAGE_LABEL } from '../model/manifest-set.js';

/** Add-on name to its definition, as `ADDONS` in src/addons/catalog.ts. */
export type AddonCatalog = ReadonlyMap<string, AddonDefinition<any>>;

/** The add-on chart of one cluster; every object carries STAGE_LABEL and CLUSTER_LABEL. */
export class AddonChart extends Chart {
  constructor(scope: Construct, cluster: WorkloadCluster, catalog: AddonCatalog) {
    super(scope, `addons-${cluster.stage}-${cluster.name}`, {
      labels: { [STAGE_LABEL]: cluster.stage, [CLUSTER_LABEL]: cluster.name },
    });
    for (const name of Object.keys(cluster.spec.addons).sort()) {
      const addon = addonFor(name, cluster.spec.addons[name], catalog);
      if (!addon) throw new Error(`${cluster.source.file}: cluster ${cluster.name}: unknown add-on "${name}"`);
      try {
        addon.render(this, cluster, cluster.spec.addons[name]);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`${cluster.source.file}: cluster ${cluster.name}: add-on "${name}": ${message}`, { cause: error });
      }
    }
  }
}
