/**
 * Installs the upstream Cluster API and provider CRDs (the folder `tools/crds.sh` prints) into a
 * control plane by server-side apply, and waits until the API server serves every one of them.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ControlPlaneError } from './errors.js';
import { KubeError, type KubeClient } from '../kube/client.js';
import { objectHealth } from '../apply/health.js';
import { adminClient } from './_admin-client.js';
import { sleep } from './_proc.js';
import { clusterApiCrdDir, type ProgressSink } from './upstream-assets.js';
import { LOCAL_PROVIDER_CRDS } from '../model/local-provider-crds.js';
import type { KubeObject } from '../model/manifest-set.js';
import { contractLabelsOf, readContractLabels, type ContractLabels } from './contract-labels.js';

/** Field manager of every apply made here. */
export const FIELD_MANAGER = 'clusterops';
const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
/** Annotation holding a hash of the applied CRD, so an unchanged CRD is not sent again. */
export const CONTENT_HASH_ANNOTATION = 'clusterops.io/crd-content-hash';
/** Concurrent applies; CRDs are large, and the API server compiles each schema. */
const CONCURRENCY = 4;
/** Time allowed for one request: listing and applying large CRDs is slow on a busy machine. */
const REQUEST_TIMEOUT_MS = 60_000;

/** Options of installClusterApiCrds. */
export interface InstallCrdsOptions {
  /** Folder of CRD files (searched recursively for *.yaml). @default the folder `tools/crds.sh` prints */
  crdDir?: string;
  /** @default no progress output */
  progress?: ProgressSink;
  /** How long to wait for every CRD to be established. @default 120_000 */
  timeoutMs?: number;
  /** CRDs defined in code to install with the files: the local provider's. @default LOCAL_PROVIDER_CRDS */
  objects?: readonly KubeObject[];
}

/** What was installed. */
export interface InstalledCrds {
  /** CRD names, e.g. `clusters.cluster.x-k8s.io`, sorted. */
  names: string[];
  /** Milliseconds until every CRD was established. */
  elapsedMs: number;
}

interface CrdFile {
  path: string;
  text: string;
  /** Contract labels of the file's source (its first folder under the CRD dir). */
  labels: ContractLabels;
  /** Hash of the file's bytes and its labels; stored on each CRD from it as CONTENT_HASH_ANNOTATION. */
  hash: string;
}

interface CrdDocument {
  file: string;
  name: string;
  /** The object as applied: the file's content plus CONTENT_HASH_ANNOTATION. */
  object: Record<string, unknown>;
}

interface CrdStatus {
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

/**
 * Applies every Cluster API and provider CRD to the cluster of `kubeconfigPath` and waits until all
 * are Established. Files whose content is already established there (same hash) are not sent again.
 */
export async function installClusterApiCrds(kubeconfigPath: string, options: InstallCrdsOptions = {}): Promise<InstalledCrds> {
  const began = Date.now();
  const progress = options.progress ?? (() => undefined);
  const dir = options.crdDir ?? (await clusterApiCrdDir(progress));
  const files = [...(await readCrdFiles(dir)), ...objectFiles(options.objects ?? LOCAL_PROVIDER_CRDS)];
  const client = await adminClient(kubeconfigPath, { timeoutMs: REQUEST_TIMEOUT_MS });
  try {
    const established = await establishedByHash(client);
    const changed = files.filter((file) => !established.has(file.hash));
    const crds = changed.flatMap(crdDocuments);
    const names = [...files.flatMap((file) => established.get(file.hash) ?? []), ...crds.map((crd) => crd.name)].sort();
    if (names.length === 0) throw new ControlPlaneError(`no CustomResourceDefinition found under ${dir}`);
    progress(`controlplane: applying ${crds.length} CRDs from ${dir} (${names.length - crds.length} unchanged)`);
    const pending = new Set<string>();
    await forEachLimited(crds, CONCURRENCY, async (crd) => {
      const applied = await apply(client, crd);
      if (!isEstablished(applied)) pending.add(crd.name);
    });
    await waitEstablished(client, pending, began + (options.timeoutMs ?? 120_000));
    const elapsedMs = Date.now() - began;
    progress(`controlplane: ${names.length} CRDs established after ${(elapsedMs / 1000).toFixed(1)} s`);
    return { names, elapsedMs };
  } finally {
    client.close();
  }
}

/** Names of the established CRDs that carry a content hash, by hash. */
async function establishedByHash(client: KubeClient): Promise<Map<string, string[]>> {
  const { body: list } = await client.request<{ items: Array<CrdStatus & { metadata: { name: string; annotations?: Record<string, string> } }> }>({
    verb: 'list',
    method: 'GET',
    path: CRD_PATH,
  });
  const byHash = new Map<string, string[]>();
  for (const item of list.items) {
    const hash = item.metadata.annotations?.[CONTENT_HASH_ANNOTATION];
    // Items of a list carry no apiVersion and kind, which the health table needs.
    if (hash && isEstablished({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', ...item } as CrdStatus)) byHash.set(hash, [...(byHash.get(hash) ?? []), item.metadata.name]);
  }
  return byHash;
}

async function apply(client: KubeClient, crd: CrdDocument): Promise<CrdStatus> {
  try {
    const { body } = await client.request<CrdStatus>({
      verb: 'apply',
      method: 'PATCH',
      path: `${CRD_PATH}/${encodeURIComponent(crd.name)}`,
      query: { fieldManager: FIELD_MANAGER, force: 'true' },
      // Sent as JSON: JSON is YAML, and cheaper for the server to decode than the original text.
      body: crd.object,
      contentType: 'application/apply-patch+yaml',
    });
    return body;
  } catch (error) {
    if (error instanceof KubeError) throw new ControlPlaneError(`${crd.file}: ${error.statusMessage}`);
    throw error;
  }
}

async function waitEstablished(client: KubeClient, pending: Set<string>, deadline: number): Promise<void> {
  while (pending.size > 0) {
    await forEachLimited([...pending], CONCURRENCY, async (name) => {
      const { body: crd } = await client.request<CrdStatus>({ verb: 'get', method: 'GET', path: `${CRD_PATH}/${encodeURIComponent(name)}` });
      const health = objectHealth(crd as Record<string, unknown>);
      if (health.status === 'Failed') throw new ControlPlaneError(`CRD ${name}: ${health.message}`);
      if (health.status === 'Current') pending.delete(name);
    });
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      throw new ControlPlaneError(`timed out waiting for CRDs to be established: ${[...pending].sort().join(', ')}`);
    }
    await sleep(100);
  }
}

/** Established, by the health table's CustomResourceDefinition row. */
function isEstablished(crd: CrdStatus): boolean {
  return objectHealth(crd as Record<string, unknown>).status === 'Current';
}

/** Folders of the CRD dir that hold no CRDs to install: `_contract/` (label sources) and `webhooks/`. */
function isCrdFile(name: string): boolean {
  const parts = name.split(sep);
  return (name.endsWith('.yaml') || name.endsWith('.yml')) && parts[0] !== 'webhooks' && !parts.some((part) => part.startsWith('_'));
}

/** The CRD files under `dir` (recursively), in path order, with their contract labels and content hashes. */
async function readCrdFiles(dir: string): Promise<CrdFile[]> {
  const names = (await readdir(dir, { recursive: true })).filter(isCrdFile).sort();
  const labelsBySource = new Map<string, Promise<ContractLabels>>();
  const labelsOf = (name: string) => {
    const source = name.includes(sep) ? name.slice(0, name.indexOf(sep)) : '';
    if (!labelsBySource.has(source)) labelsBySource.set(source, readContractLabels(join(dir, source)));
    return labelsBySource.get(source)!;
  };
  return Promise.all(
    names.map(async (name) => {
      const path = join(dir, name);
      const [text, labels] = await Promise.all([readFile(path, 'utf8'), labelsOf(name)]);
      const hash = createHash('sha256').update(text).update(JSON.stringify([labels.all, [...labels.byCrd]])).digest('hex').slice(0, 32);
      return { path, text, labels, hash };
    }),
  );
}

/** CRDs defined in code, as one pseudo-file each (JSON is YAML), so they are installed and skipped like the files. */
function objectFiles(objects: readonly KubeObject[]): CrdFile[] {
  return objects.map((object) => {
    const text = JSON.stringify(object);
    // They carry their contract label themselves (model/local-provider-crds.ts).
    const labels: ContractLabels = { all: {}, byCrd: new Map() };
    return { path: `(built in) ${object.metadata.name}`, text, labels, hash: createHash('sha256').update(text).digest('hex').slice(0, 32) };
  });
}

/** The CustomResourceDefinition documents of one file, annotated with the file's hash. */
function crdDocuments(file: CrdFile): CrdDocument[] {
  const crds: CrdDocument[] = [];
  for (const doc of parseAllDocuments(file.text)) {
    if (doc.errors.length > 0) throw new ControlPlaneError(`${relative(process.cwd(), file.path)}: ${doc.errors[0].message}`);
    const object = doc.toJS() as { kind?: string; metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> } } | null;
    if (object?.kind !== 'CustomResourceDefinition' || !object.metadata?.name) continue;
    const labels = contractLabelsOf(file.labels, object.metadata.name);
    if (Object.keys(labels).length > 0) object.metadata.labels = { ...object.metadata.labels, ...labels };
    object.metadata.annotations = { ...object.metadata.annotations, [CONTENT_HASH_ANNOTATION]: file.hash };
    crds.push({ file: file.path, name: object.metadata.name, object: object as Record<string, unknown> });
  }
  return crds;
}

/** Every CustomResourceDefinition document in the YAML files under `dir`, in path order. */
export async function readCrdDocuments(dir: string): Promise<CrdDocument[]> {
  return (await readCrdFiles(dir)).flatMap(crdDocuments);
}

async function forEachLimited<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
