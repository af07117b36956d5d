/**
 * Fleet to ManifestSets: one management set per stage (namespace, ClusterClasses, templates,
 * Clusters) and one add-on set per workload cluster. Each set is synthesized in its own cdk8s App
 * with `Chart.toJson()`, which writes nothing; cdk8s walks the whole App on every toJson, so one
 * App per set keeps synth linear in the number of clusters.
 */
import { App, type Chart } from 'cdk8s';
import { ADDONS } from '../addons/catalog.js';
import { AddonChart, type AddonCatalog } from '../charts/addon-chart.js';
import { StageChart } from '../charts/stage-chart.js';
import type { Fleet } from '../model/fleet.js';
import type { WorkloadCluster } from '../model/workload-cluster.js';
import { addonSetId, managementSetId, type KubeObject, type ManifestSet } from '../model/manifest-set.js';
import { sortForApply } from '../model/apply-order.js';

/** The objects of `chart` (and `rendered` ones) in apply order; throws when two objects share group, kind, namespace and name. */
function chartObjects(setId: string, chart: Chart, rendered: readonly KubeObject[] = []): KubeObject[] {
  const objects = sortForApply([...(chart.toJson() as KubeObject[]), ...rendered]);
  const seen = new Set<string>();
  for (const object of objects) {
    const group = object.apiVersion.includes('/') ? object.apiVersion.slice(0, object.apiVersion.indexOf('/')) : '';
    const key = `${group}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    if (seen.has(key)) throw new Error(`${setId}: two objects are ${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`);
    seen.add(key);
  }
  return objects;
}

const addonObjects = (setId: string, chart: AddonChart) => chartObjects(setId, chart, chart.rendered);

/** Stage names of the fleet, sorted: every declared stage, and any stage a cluster names. */
function stageNames(fleet: Fleet): string[] {
  const names = new Set([...fleet.stages.map((stage) => stage.name), ...fleet.clusters.map((cluster) => cluster.stage)]);
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** One set of a fleet, not yet synthesized: its id, what it is made of (as a key), and how to make it. */
interface PlannedSet {
  id: string;
  /** Same key, same objects (for the same code and catalog): the stage and every field of its clusters the charts read. */
  key: string;
  make: () => ManifestSet;
}

/** What a chart reads of a cluster: everything but its source file (which only error messages name). */
const clusterKey = (cluster: WorkloadCluster) => JSON.stringify([cluster.stage, cluster.name, cluster.labels, cluster.spec]);

/** The sets of `fleet` in synthFleet's order, each made when asked. */
function plan(fleet: Fleet, catalog: AddonCatalog): PlannedSet[] {
  const byStage = new Map<string, WorkloadCluster[]>();
  for (const cluster of fleet.clusters) {
    const clusters = byStage.get(cluster.stage);
    if (clusters) clusters.push(cluster);
    else byStage.set(cluster.stage, [cluster]);
  }
  const sets: PlannedSet[] = [];
  for (const stage of stageNames(fleet)) {
    const clusters = (byStage.get(stage) ?? []).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const keys = clusters.map(clusterKey);
    const management = managementSetId(stage);
    sets.push({
      id: management,
      key: JSON.stringify(['management', stage, keys]),
      make: () => ({
        id: management,
        target: { kind: 'management', stage },
        objects: chartObjects(management, new StageChart(new App(), stage, clusters)),
      }),
    });
    clusters.forEach((cluster, i) => {
      const id = addonSetId(stage, cluster.name);
      sets.push({
        id,
        key: JSON.stringify(['addons', keys[i]]),
        make: () => ({
          id,
          target: { kind: 'workload', stage, cluster: cluster.name },
          objects: addonObjects(id, new AddonChart(new App(), cluster, catalog)),
          addons: Object.keys(cluster.spec.addons).sort(),
        }),
      });
    });
  }
  return sets;
}

/**
 * Synthesizes the fleet into ManifestSets, in order: for each stage by name, its management set,
 * then the add-on set of each of its clusters by name. Every stage and cluster gets a set, even an
 * empty one, so that prune can empty what was removed from the declarations.
 * @param catalog the add-on catalog; @default ADDONS
 */
export function synthFleet(fleet: Fleet, catalog: AddonCatalog = ADDONS): ManifestSet[] {
  return plan(fleet, catalog).map((set) => set.make());
}

/**
 * The sets in which two fleets differ, synthesized, in synthFleet's order: a set made of the same
 * stage and clusters (every field the charts read) in both is left out of both, since the same code
 * makes the same objects of it. What `clusterops ci` compares when one code synthesizes both
 * revisions: a pull request that changes five clusters of a thousand synthesizes a few sets, not two thousand.
 * @param catalog the add-on catalog; @default ADDONS
 */
export function synthDifferingSets(base: Fleet, head: Fleet, catalog: AddonCatalog = ADDONS): { base: ManifestSet[]; head: ManifestSet[] } {
  const before = plan(base, catalog);
  const after = plan(head, catalog);
  const inBase = new Set(before.map((set) => set.key));
  const inHead = new Set(after.map((set) => set.key));
  return {
    base: before.filter((set) => !inHead.has(set.key)).map((set) => set.make()),
    head: after.filter((set) => !inBase.has(set.key)).map((set) => set.make()),
  };
}
