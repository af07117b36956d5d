import type { Construct } from 'constructs';
import type { z } from 'zod';
import type { ChartDir } from '../helm/chart-dir.js';
import type { RemoteChart } from '../helm/chart-pull.js';
import type { KubeObject } from '../model/manifest-set.js';
import type { WorkloadCluster } from '../model/workload-cluster.js';

/** A problem of an add-on's settings, at a path inside them. */
export interface AddonProblem {
  path: PropertyKey[];
  message: string;
}

/** What an add-on may read of the repository when the loader resolves it (a Helm add-on: its chart). */
export interface AddonContext {
  /** Absolute path of the repository (the folder holding clusters/). */
  repoRoot: string;
  /** Reads a chart folder, once per load; throws ChartError (src/helm/chart-dir.ts) when it is not a usable chart. */
  readChart(dir: string): ChartDir;
  /** The folder of a remote chart, from the chart cache or pulled into it; throws ChartError saying why not. */
  remoteChart(chart: RemoteChart): string;
}

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
  /**
   * Settings checked against what the repository holds, on every load (never from a memo: the
   * files it reads can change while the cluster file does not). What it returns is what `render`
   * sees and what a set's synth key is made of. Absent: the settings are used as parsed.
   */
  resolve?(settings: S, context: AddonContext): { settings: S } | { problems: AddonProblem[] };
  /** Adds the add-on's objects to `scope` (a cdk8s Chart for the cluster's add-on ManifestSet). Each add-on has this or `objects`. */
  render?(scope: Construct, cluster: WorkloadCluster, settings: S): void;
  /**
   * The add-on's objects, rendered already (a Helm chart's): added to the set as they are, with the
   * chart's stage and cluster labels on a copy of their metadata. Everything but the metadata may be
   * shared with other clusters' sets (a fleet of a thousand does not hold a thousand copies of a
   * chart's CRDs) and is frozen.
   */
  objects?(cluster: WorkloadCluster, settings: S): KubeObject[];
}
