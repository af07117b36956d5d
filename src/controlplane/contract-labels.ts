/**
 * The Cluster API contract labels of provider CRDs (`cluster.x-k8s.io/<contract>: <versions>`), read
 * from the upstream files that add them: each source's `config/crd/kustomization.yaml` (`labels:` /
 * `commonLabels:`) and CAPZ's `capicontract_in_<plural>.yaml` patches. `tools/crds.sh` keeps those
 * files in `<source>/_contract/`. Without these labels Cluster API cannot tell which API version of a
 * provider's kind implements its contract, and reconciles no ClusterClass that uses it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { readOptional } from './_read-optional.js';

/** Folder, inside each source folder, of the upstream files carrying the contract labels. */
export const CONTRACT_DIR = '_contract';

/** Labels a CRD of one source gets: those for all of its CRDs plus those for it by name. */
export interface ContractLabels {
  all: Record<string, string>;
  byCrd: Map<string, Record<string, string>>;
}

interface Kustomization {
  labels?: Array<{ pairs?: Record<string, string> }>;
  commonLabels?: Record<string, string>;
}

const CONTRACT_LABEL = /^cluster\.x-k8s\.io\/v\w+$/;

/** Only the contract labels of `labels` (a kustomization may add others, e.g. provider names). */
function contractOnly(labels: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([key, value]) => CONTRACT_LABEL.test(key) && typeof value === 'string')) as Record<string, string>;
}

/** The contract labels of the source folder `sourceDir`; empty when it keeps no `_contract/`. */
export async function readContractLabels(sourceDir: string): Promise<ContractLabels> {
  const dir = join(sourceDir, CONTRACT_DIR);
  const all: Record<string, string> = {};
  const kustomization = (await readOptional(join(dir, 'kustomization.yaml'))) ?? '';
  const parsed = (parse(kustomization) ?? {}) as Kustomization;
  for (const entry of parsed.labels ?? []) Object.assign(all, contractOnly(entry.pairs));
  Object.assign(all, contractOnly(parsed.commonLabels));
  const byCrd = new Map<string, Record<string, string>>();
  const patches = await readdir(join(dir, 'patches')).catch(() => [] as string[]);
  for (const file of patches.filter((name) => name.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(await readFile(join(dir, 'patches', file), 'utf8'))) {
      const patch = doc.toJS() as { kind?: string; metadata?: { name?: string; labels?: Record<string, string> } } | null;
      if (patch?.kind !== 'CustomResourceDefinition' || !patch.metadata?.name) continue;
      byCrd.set(patch.metadata.name, { ...byCrd.get(patch.metadata.name), ...contractOnly(patch.metadata.labels) });
    }
  }
  return { all, byCrd };
}

/** The labels CRD `name` of a source with `labels` must carry. */
export function contractLabelsOf(labels: ContractLabels, name: string): Record<string, string> {
  return { ...labels.all, ...labels.byCrd.get(name) };
}
