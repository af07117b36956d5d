/**
 * `helm template` of one chart for one cluster: release, namespace, values, and the Kubernetes
 * version and API versions of the cluster it goes to. Output parsed into objects, each namespaced
 * object given the release namespace when the chart left it out (as `helm install` does), in helm's
 * order. Renders are cached in memory by everything that makes them (the chart by its digest), so a
 * fleet of a thousand clusters with the same cert-manager renders it once, and holds one copy of its
 * objects' bodies (frozen): each caller gets its own metadata. The first render of each is made twice and compared: a chart that
 * generates keys or random values at render time (helm's genCA, randAlphaNum) would change on every
 * commit, and put private keys into every diff; it is refused, naming the objects, never their contents.
 */
import { deepFreeze } from '../model/deep-freeze.js';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../model/manifest-set.js';
import { findHelm, helmEnv, helmSaid } from './helm-binary.js';

/** What makes one render. */
export interface RenderRequest {
  /** The chart folder (as read by readChartDir) and its digest. */
  chart: { dir: string; digest: string; name: string; version: string };
  release: string;
  namespace: string;
  /** The add-on's values (helm coalesces them onto the chart's defaults). */
  values: Record<string, unknown>;
  /** `vX.Y.Z` of the target cluster. */
  kubeVersion: string;
  /** Group/versions the target cluster serves beyond the built-in ones (its add-ons' CRDs). */
  apiVersions: readonly string[];
}

/** helm failed to render a chart; the message has helm's own words. */
export class RenderError extends Error {}

/** Built-in kinds that are cluster-scoped: no release namespace is added to them. */
const CLUSTER_SCOPED = new Set(
  [
    'Namespace', 'Node', 'PersistentVolume', 'ComponentStatus', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'APIService',
    'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
    'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding', 'CertificateSigningRequest', 'ClusterTrustBundle', 'PriorityClass',
    'StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'VolumeAttributesClass', 'RuntimeClass', 'IngressClass', 'FlowSchema',
    'PriorityLevelConfiguration', 'DeviceClass', 'ResourceSlice', 'IPAddress', 'ServiceCIDR', 'StorageVersion',
  ],
);

const cache = new Map<string, KubeObject[]>();
let renders = 0;

/** How many times helm ran in this process (for benchmarks and the cache's tests). */
export function helmRenderCount(): number {
  return renders;
}

/** Forgets every cached render (benchmarks measure the cold path with it). */
export function clearRenderCache(): void {
  cache.clear();
}

const keyOf = (r: RenderRequest) =>
  createHash('sha256')
    .update(JSON.stringify([r.chart.digest, r.release, r.namespace, r.values, r.kubeVersion, [...r.apiVersions].sort()]))
    .digest('hex');

let scratch: string | undefined;

/** A folder of our own for helm's config, cache and data homes, and for values files (never the user's ~/.config/helm). */
function scratchDir(): string {
  if (!scratch) {
    scratch = mkdtempSync(path.join(tmpdir(), 'clusterops-helm-'));
    for (const sub of ['cache', 'config', 'data']) mkdirSync(path.join(scratch, sub));
    process.once('exit', () => rmSync(scratch!, { recursive: true, force: true }));
  }
  return scratch;
}

function runHelm(r: RenderRequest): string {
  const dir = scratchDir();
  const valuesFile = path.join(dir, `values-${process.pid}-${renders}.json`);
  writeFileSync(valuesFile, JSON.stringify(r.values));
  const args = ['template', r.release, r.chart.dir, '--namespace', r.namespace, '--kube-version', r.kubeVersion, '--include-crds', '--skip-tests', '--no-hooks', '--values', valuesFile];
  for (const v of [...r.apiVersions].sort()) args.push('--api-versions', v);
  renders++;
  try {
    return execFileSync(findHelm(), args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'], env: helmEnv(dir) });
  } catch (error) {
    throw new RenderError(`helm template of chart ${r.chart.name} ${r.chart.version}: ${helmSaid(error, 8)}`);
  } finally {
    rmSync(valuesFile, { force: true });
  }
}

const isMapping = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses helm's output into objects, giving namespaced ones the release namespace when they have none. */
function parseObjects(text: string, r: RenderRequest): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new RenderError(`helm template of chart ${r.chart.name} ${r.chart.version} wrote YAML that does not parse: ${doc.errors[0]!.message}`);
    const value = doc.toJS({ maxAliasCount: -1 });
    if (value === null || value === undefined) continue;
    if (!isMapping(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || !isMapping(value.metadata) || typeof value.metadata.name !== 'string') {
      throw new RenderError(`helm template of chart ${r.chart.name} ${r.chart.version} wrote a document that is not a Kubernetes object (apiVersion, kind, metadata.name)`);
    }
    objects.push(value as KubeObject);
  }
  const clusterScoped = new Set(CLUSTER_SCOPED);
  for (const o of objects) {
    if (o.kind === 'CustomResourceDefinition' && (o as any).spec?.scope === 'Cluster' && typeof (o as any).spec?.names?.kind === 'string') clusterScoped.add((o as any).spec.names.kind);
  }
  for (const o of objects) {
    if (!clusterScoped.has(o.kind) && !o.metadata.namespace) o.metadata.namespace = r.namespace;
  }
  return objects;
}

/** Which objects of two renders of the same request differ, by kind and name only (they may hold keys). */
function nondeterministic(r: RenderRequest, a: KubeObject[], b: KubeObject[]): string {
  const name = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
  const other = new Map(b.map((o) => [name(o), JSON.stringify(o)]));
  const differ = a.filter((o) => other.get(name(o)) !== JSON.stringify(o)).map(name);
  const shown = differ.slice(0, 5).join(', ') + (differ.length > 5 ? ` and ${differ.length - 5} more` : '');
  return (
    `chart ${r.chart.name} ${r.chart.version} renders differently every time (${shown || 'the order of its objects'}): it generates keys or random ` +
    'values at render, which would change on every commit. Set its values so it does not (let the chart create them in the cluster, or use cert-manager)'
  );
}

/** The objects `helm template` renders for `r`, from the cache when the same render ran before. */
export function renderChart(r: RenderRequest): KubeObject[] {
  // Bodies are shared by every caller (frozen); each gets its own metadata to label.
  return sharedRender(r).map((o) => ({ ...o, metadata: { ...o.metadata, ...(o.metadata.labels ? { labels: { ...o.metadata.labels } } : {}), ...(o.metadata.annotations ? { annotations: { ...o.metadata.annotations } } : {}) } }));
}

/** The cached, frozen objects of `r` themselves (rendered now when they are not cached): for reading only. */
export function sharedRender(r: RenderRequest): readonly KubeObject[] {
  const key = keyOf(r);
  let objects = cache.get(key);
  if (!objects) {
    const text = runHelm(r);
    const again = runHelm(r);
    objects = parseObjects(text, r);
    if (again !== text) throw new RenderError(nondeterministic(r, objects, parseObjects(again, r)));
    for (const o of objects) deepFreeze(o);
    cache.set(key, objects);
  }
  return objects;
}

/** The group/versions served by the CRDs among `objects` (what a cluster gains by applying them). */
export function servedApiVersions(objects: readonly KubeObject[]): string[] {
  const out = new Set<string>();
  for (const o of objects) {
    const spec = (o as any).spec;
    if (o.kind !== 'CustomResourceDefinition' || typeof spec?.group !== 'string' || !Array.isArray(spec.versions)) continue;
    for (const v of spec.versions) if (v?.served !== false && typeof v?.name === 'string') out.add(`${spec.group}/${v.name}`);
  }
  return [...out].sort();
}
