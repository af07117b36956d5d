/**
 * Builders for tests of fleets and of code built on clusterops: declarations as objects or YAML,
 * fleet folders on disk, and validated WorkloadCluster values for charts, without the loader.
 * Our own tests use them too, so they show how the library is meant to be tested.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Fleet } from './model/fleet.js';
import type { NodePool, Provider, WorkloadCluster, WorkloadClusterSpec } from './model/workload-cluster.js';

/** Regions and machine types per provider, as a real declaration would name them. */
const PROVIDER_FACTS: Record<Provider, { region?: string; machineType?: string }> = {
  docker: {},
  aws: { region: 'eu-west-1', machineType: 'm6i.large' },
  azure: { region: 'westeurope', machineType: 'Standard_D4s_v5' },
  local: {},
};

/** Settings of a declaration; every field has a valid default. */
export interface DeclarationOptions {
  /** @default 'docker' */
  provider?: Provider;
  /** @default the provider's usual region (eu-west-1, westeurope), none for docker */
  region?: string;
  /** @default 'v1.33.4' */
  kubernetesVersion?: string;
  /** @default 1 */
  controlPlaneReplicas?: 1 | 3 | 5;
  /** @default one pool `general` of 1 replica (with the provider's usual machine type, as the control plane) */
  nodePools?: Array<Record<string, unknown>>;
  /** metadata.labels. @default none */
  labels?: Record<string, string>;
  /** spec.addons. @default none */
  addons?: Record<string, unknown>;
  /** @default not written (the stage default, or false) */
  deletionProtection?: boolean;
  /** More spec fields, merged last (also invalid ones, to test errors). @default none */
  spec?: Record<string, unknown>;
  /** Spec fields to leave out, so that stage defaults supply them (or to test a missing field). @default none */
  omit?: string[];
}

/** A WorkloadCluster declaration as the object a file in `clusters/<stage>/` holds. */
export function declaration(name: string, options: DeclarationOptions = {}): Record<string, unknown> {
  const provider = options.provider ?? 'docker';
  const spec = specOf(provider, options);
  for (const field of options.omit ?? []) delete spec[field];
  return {
    apiVersion: 'clusterops.io/v1alpha1',
    kind: 'WorkloadCluster',
    metadata: { name, ...(options.labels ? { labels: options.labels } : {}) },
    spec,
  };
}

function specOf(provider: Provider, options: DeclarationOptions): Record<string, unknown> {
  const region = options.region ?? PROVIDER_FACTS[provider].region;
  const machineType = PROVIDER_FACTS[provider].machineType;
  const typed = machineType ? { machineType } : {};
  return {
    provider,
    ...(region ? { region } : {}),
    kubernetesVersion: options.kubernetesVersion ?? 'v1.33.4',
    controlPlane: { replicas: options.controlPlaneReplicas ?? 1, ...typed },
    nodePools: options.nodePools ?? [{ name: 'general', replicas: 1, ...typed }],
    network: { podCIDRs: ['192.168.0.0/16'], serviceCIDRs: ['10.128.0.0/12'] },
    ...(options.addons ? { addons: options.addons } : {}),
    ...(options.deletionProtection !== undefined ? { deletionProtection: options.deletionProtection } : {}),
    ...options.spec,
  };
}

/** A WorkloadCluster declaration as YAML text, ready to write to `clusters/<stage>/<name>.yaml`. */
export function declarationYaml(name: string, options: DeclarationOptions = {}): string {
  return stringify(declaration(name, options));
}

/** Writes `files` (path relative to the folder -> content) into a new temporary folder and returns the folder. */
export function writeFleet(files: Record<string, string | Buffer>, prefix = 'clusterops-fleet-'): string {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  }
  return root;
}

/** A node pool with fixed size 3 unless overridden, as the loader returns it. */
export function nodePool(overrides: Partial<NodePool> = {}): NodePool {
  return { name: 'general', replicas: 3, labels: {}, taints: [], ...overrides };
}

/** A validated, defaulted cluster of `provider` in `stage` (as the loader returns it), with `spec` overrides. */
export function workloadCluster(
  name: string,
  options: { stage?: string; provider?: Provider; labels?: Record<string, string>; spec?: Partial<WorkloadClusterSpec> } = {},
): WorkloadCluster {
  const provider = options.provider ?? options.spec?.provider ?? 'aws';
  const stage = options.stage ?? 'staging';
  return {
    name,
    stage,
    labels: options.labels ?? { team: 'platform' },
    source: { file: `clusters/${stage}/${name}.yaml`, line: 1, column: 1 },
    spec: {
      provider,
      region: PROVIDER_FACTS[provider].region,
      kubernetesVersion: 'v1.33.4',
      controlPlane: { replicas: 3 },
      nodePools: [nodePool()],
      network: { podCIDRs: ['192.168.0.0/16'], serviceCIDRs: ['10.128.0.0/12'] },
      addons: {},
      deletionProtection: false,
      ...options.spec,
    },
  };
}

/** A fleet of `clusters`, with a Stage (no stage.yaml) for every stage they name and each of `extraStages`. */
export function fleetOf(clusters: WorkloadCluster[], extraStages: string[] = []): Fleet {
  const stages = [...new Set([...clusters.map((c) => c.stage), ...extraStages])].sort();
  const sorted = [...clusters].sort((a, b) => (a.stage === b.stage ? (a.name < b.name ? -1 : 1) : a.stage < b.stage ? -1 : 1));
  return { root: 'clusters', stages: stages.map((name) => ({ name, defaults: {}, policy: {} })), clusters: sorted };
}
