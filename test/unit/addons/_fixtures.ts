import { App, Chart } from 'cdk8s';
import type { z } from 'zod';
import type { AddonDefinition } from '../../../src/addons/addon.js';
import type { KubeObject } from '../../../src/model/manifest-set.js';
import type { WorkloadCluster } from '../../../src/model/workload-cluster.js';
import { nodePool, workloadCluster } from '../../../src/testing.js';

/** A valid workload cluster for add-on tests (docker, one control-plane replica, two nodes); `addons` lands in `spec.addons`. */
export function cluster(addons: Record<string, unknown> = {}): WorkloadCluster {
  return workloadCluster('payments-eu1', {
    stage: 'production',
    provider: 'docker',
    labels: { team: 'payments' },
    spec: { controlPlane: { replicas: 1 }, nodePools: [nodePool({ replicas: 2 })], addons },
  });
}

/** Parses `raw` with the add-on's schema and renders it into a fresh chart, the way the synth stage does. */
export function render(def: AddonDefinition<any>, raw: unknown, on: WorkloadCluster = cluster()): KubeObject[] {
  const app = new App();
  const chart = new Chart(app, 'c');
  def.render!(chart, on, def.settings.parse(raw));
  return chart.toJson() as KubeObject[];
}

/** `path: message` for each issue of a failed parse; fails the test when `raw` parses. */
export function issues(def: AddonDefinition<any>, raw: unknown): string[] {
  const result = (def.settings as z.ZodType).safeParse(raw);
  if (result.success) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

/** `Kind namespace/name` of each object, in order. */
export function ids(objects: KubeObject[]): string[] {
  return objects.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
}

/** The one object with this kind, namespace and name. */
export function find(objects: KubeObject[], kind: string, name: string, namespace?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${namespace ?? ''}/${name}, found ${found.length}`);
  return found[0];
}
