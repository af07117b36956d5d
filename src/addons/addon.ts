import type { Construct } from 'constructs';
import type { z } from 'zod';
import type { WorkloadCluster } from '../model/workload-cluster.js';

/**
 * A catalog entry: something every cluster of a platform team may ship, rendered as the objects
 * applied inside the workload cluster. Settings are validated by the loader against `settings`,
 * so `render` only ever sees valid, defaulted settings.
 */
export interface AddonDefinition<S = unknown> {
  /** Catalog name, the key under `spec.addons`. */
  name: string;
  /** One sentence for `clusterops addons` listings and docs. */
  description: string;
  /** Schema of the settings; must accept `{}` when the add-on has usable defaults. Unknown keys are errors. */
  settings: z.ZodType<S>;
  /** Adds the add-on's objects to `scope` (a cdk8s Chart for the cluster's add-on ManifestSet). */
  render(scope: Construct, cluster: WorkloadCluster, settings: S): void;
}
