/**
 * Helm add-ons: an add-on that names a chart, a version and values, rendered at synth with
 * `helm template` for the cluster it goes to. The catalog's named charts (cilium, cert-manager,
 * metrics-server, kyverno) are entries of this kind with defaults; any other add-on name that sets
 * `chart:` is one too. Charts live in the repository (`charts/<name>/<version>/`, or `charts/<name>/`
 * whose Chart.yaml has that version), vendored as GitOps teams keep them: the render is offline and
 * the same on every machine. A chart's CRDs are never pruned unless `pruneCRDs: true`: removing a
 * CRD deletes every object of its kind.
 */
import path from 'node:path';
import { z } from 'zod';
import { ChartError, knownChartDir, type ChartDir } from '../helm/chart-dir.js';
import { isRemoteChart } from '../helm/chart-pull.js';
import { renderChart, servedApiVersions, sharedRender, type RenderRequest } from '../helm/render-chart.js';
import { coalesceValues, valuesProblems } from '../helm/values-schema.js';
import { ADDON_LABEL, PRUNE_ANNOTATION, type KubeObject } from '../model/manifest-set.js';
import type { WorkloadCluster } from '../model/workload-cluster.js';
import { boolean, describe, dns1123Label, strictObject } from './_schema.js';
import type { AddonContext, AddonDefinition, AddonProblem } from './addon.js';

/** The chart a Helm add-on was resolved to by the loader: what renders, and what its synth key holds. */
export interface ResolvedChart {
  /** Where it is, relative to the repository (as a person finds it). */
  path: string;
  name: string;
  version: string;
  /** Digest of the chart folder's files (src/helm/chart-dir.ts). */
  digest: string;
}

const version = z.union([z.string(), z.number()], { error: (i) => `must be a chart version such as v1.21.2, got ${describe(i.input)}` }).transform((v, ctx) => {
  if (typeof v === 'number') {
    ctx.issues.push({ code: 'custom', input: v, message: `write the version as a string ("${v}"): YAML reads ${v} as a number` });
    return z.NEVER;
  }
  if (!/^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/.test(v)) ctx.issues.push({ code: 'custom', input: v, message: `${describe(v)} is not a chart version (semver, such as v1.21.2 or 3.12.2)` });
  return v;
});

const settingsSchema = strictObject({
  chart: z
    .string({ error: (i) => `must be a chart folder in the repository (charts/cert-manager), an oci:// reference or an https:// URL, got ${describe(i.input)}` })
    .min(1, { error: 'must not be empty' })
    .optional(),
  version: version.optional(),
  // A remote chart's archive digest, or a vendored chart folder's digest (as its error prints it) to pin its files.
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: 'must be sha256: and 64 lower-case hex digits' }).optional(),
  namespace: dns1123Label().optional(),
  releaseName: dns1123Label().optional(),
  values: z.record(z.string(), z.unknown(), { error: (i) => `must be a mapping of chart values, got ${describe(i.input)}` }).default({}),
  createNamespace: boolean().default(true),
  pruneCRDs: boolean().default(false),
});

/** A Helm add-on's settings as written (defaulted), and after the loader resolved its chart. */
export type HelmAddonSettings = z.output<typeof settingsSchema> & { resolved?: ResolvedChart };

/** What a catalog entry of this kind defaults. */
export interface HelmChartEntry {
  name: string;
  description: string;
  /** Folder in the repository holding the chart's versions (`charts/<name>`). */
  chart: string;
  /** Chart version used when the cluster and its stage name none. */
  version?: string;
  /** Release namespace used when none is set. */
  namespace: string;
  /** Values under the cluster's own (helm coalesces them: the cluster's win, `null` removes one). */
  values?: Record<string, unknown>;
}

/** Namespaces every cluster has: a Helm add-on does not create them. */
const BUILT_IN_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** Finds the chart of `settings` in the repository; the problem when there is none or it is not the one asked for. */
function resolveChart(entry: HelmChartEntry, settings: HelmAddonSettings, context: AddonContext): { settings: HelmAddonSettings } | { problems: AddonProblem[] } {
  const rel = settings.chart ?? entry.chart;
  const field = settings.chart === undefined ? [] : ['chart'];
  if (isRemoteChart(rel)) return resolveRemote(rel, settings, context);
  const normalized = path.posix.normalize(rel.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (path.posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../')) {
    return { problems: [{ path: field, message: `${describe(rel)} must be a folder inside the repository, such as charts/${entry.name}` }] };
  }
  if (entry.values) settings = { ...settings, values: coalesceValues(entry.values, settings.values) };
  const want = settings.version ?? entry.version;
  const candidates = want === undefined ? [normalized] : [path.posix.join(normalized, want), normalized];
  let found: ChartDir | undefined;
  const seen: string[] = [];
  for (const candidate of candidates) {
    let chart: ChartDir;
    try {
      chart = context.readChart(path.join(context.repoRoot, candidate));
    } catch (error) {
      if (!(error instanceof ChartError)) throw error;
      if (/no such file/.test(error.message)) continue;
      return { problems: [{ path: field, message: error.message.replace(`${context.repoRoot}${path.sep}`, '') }] };
    }
    if (want !== undefined && chart.version !== want) {
      seen.push(`${candidate} has version ${chart.version}`);
      continue;
    }
    found = chart;
    break;
  }
  if (!found) {
    const where = candidates.map((c) => `${c}/Chart.yaml`).join(' or ');
    const had = seen.length ? ` (${seen.join('; ')})` : '';
    const fix = want === undefined ? '' : `; vendor it as ${candidates[0]}/ (the folder helm pull <repo>/${entry.name} --version ${want} --untar writes)`;
    return { problems: [{ path: want !== undefined && settings.version !== undefined ? ['version'] : field, message: `chart ${want === undefined ? rel : `${rel} version ${want}`} is not in the repository: no ${where}${had}${fix}` }] };
  }
  const chartPath = path.relative(context.repoRoot, found.dir).split(path.sep).join('/');
  const problems: AddonProblem[] = [];
  if (settings.chart === undefined && found.name !== entry.name) problems.push({ path: [], message: `${chartPath}/Chart.yaml is chart ${describe(found.name)}, not ${entry.name}` });
  if (settings.digest !== undefined && settings.digest !== found.digest) {
    problems.push({ path: ['digest'], message: `${chartPath} has digest ${found.digest}: its files changed since the digest was pinned` });
  }
  for (const p of valuesProblems(found, settings.values)) problems.push({ path: ['values', ...p.path], message: p.message });
  if (problems.length) return { problems };
  return { settings: { ...settings, resolved: { path: chartPath, name: found.name, version: found.version, digest: found.digest } } };
}

/** A chart pulled from an OCI registry or an https URL, pinned by its archive's digest. */
function resolveRemote(ref: string, settings: HelmAddonSettings, context: AddonContext): { settings: HelmAddonSettings } | { problems: AddonProblem[] } {
  const problems: AddonProblem[] = [];
  if (settings.digest === undefined) problems.push({ path: ['chart'], message: `a remote chart is pinned by the digest of its archive: add digest: sha256:<hex> (sha256sum of the .tgz helm pull writes)` });
  if (settings.version === undefined && ref.startsWith('oci://')) problems.push({ path: ['chart'], message: 'an OCI chart needs its version: add version:' });
  if (problems.length) return { problems };
  let chart: ChartDir;
  try {
    chart = context.readChart(context.remoteChart({ ref, version: settings.version, digest: settings.digest! }));
  } catch (error) {
    if (!(error instanceof ChartError)) throw error;
    return { problems: [{ path: ['chart'], message: `chart ${ref} ${error.message}` }] };
  }
  if (settings.version !== undefined && chart.version !== settings.version) {
    return { problems: [{ path: ['version'], message: `chart ${ref} with digest ${settings.digest} is version ${chart.version}, not ${settings.version}` }] };
  }
  const values = valuesProblems(chart, settings.values).map((p) => ({ path: ['values', ...p.path], message: p.message }));
  if (values.length) return { problems: values };
  return { settings: { ...settings, resolved: { path: ref, name: chart.name, version: chart.version, digest: chart.digest } } };
}

/** The `helm template` request of one Helm add-on of `cluster`. */
function requestOf(entry: HelmChartEntry, name: string, settings: HelmAddonSettings, cluster: WorkloadCluster, apiVersions: readonly string[]): RenderRequest {
  const r = settings.resolved;
  if (!r) throw new Error(`add-on ${name}: its chart was not resolved (clusters are loaded with loadFleet before synth)`);
  const dir = knownChartDir(r.digest);
  if (!dir) throw new Error(`add-on ${name}: chart ${r.path} (${r.digest}) was not read in this process`);
  return {
    chart: { dir, digest: r.digest, name: r.name, version: r.version },
    release: settings.releaseName ?? name,
    namespace: settings.namespace ?? entry.namespace,
    values: settings.values,
    kubeVersion: cluster.spec.kubernetesVersion,
    apiVersions,
  };
}

const isHelmSettings = (s: unknown): s is HelmAddonSettings & { resolved: ResolvedChart } =>
  typeof s === 'object' && s !== null && typeof (s as HelmAddonSettings).resolved?.digest === 'string';

/**
 * The API versions the cluster serves beyond the built-in ones: those of the CRDs its Helm add-ons
 * install. Every Helm add-on of the cluster is rendered first without them (cached), so what one
 * chart sees does not depend on the order of the add-ons.
 */
function clusterApiVersions(cluster: WorkloadCluster, entries: (name: string) => HelmChartEntry): string[] {
  let versions = apiVersionsOf.get(cluster);
  if (versions) return versions;
  const out = new Set<string>();
  for (const [name, settings] of Object.entries(cluster.spec.addons)) {
    if (!isHelmSettings(settings)) continue;
    for (const v of servedApiVersions(sharedRender(requestOf(entries(name), name, settings, cluster, [])))) out.add(v);
  }
  apiVersionsOf.set(cluster, (versions = [...out].sort()));
  return versions;
}

/** clusterApiVersions of each cluster, worked out once for all of its Helm add-ons. */
const apiVersionsOf = new WeakMap<WorkloadCluster, string[]>();

/** The objects of one Helm add-on for `cluster`, as applied: labelled with the add-on, CRDs kept on prune unless opted in. */
export function helmAddonObjects(entry: HelmChartEntry, name: string, cluster: WorkloadCluster, settings: HelmAddonSettings, entries: (name: string) => HelmChartEntry): KubeObject[] {
  const request = requestOf(entry, name, settings, cluster, clusterApiVersions(cluster, entries));
  const objects = renderChart(request);
  const renders = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  if (settings.createNamespace && !BUILT_IN_NAMESPACES.has(request.namespace) && !renders.has(request.namespace)) {
    objects.unshift({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: request.namespace } });
  }
  for (const o of objects) {
    o.metadata.labels = { ...o.metadata.labels, [ADDON_LABEL]: name };
    if (o.kind === 'CustomResourceDefinition' && !settings.pruneCRDs) o.metadata.annotations = { ...o.metadata.annotations, [PRUNE_ANNOTATION]: 'disabled' };
  }
  return objects;
}

/** Entries of the catalog by add-on name; any other name is a chart-only entry. */
const entryFor = (catalog: ReadonlyMap<string, HelmChartEntry>) => (name: string) => catalog.get(name) ?? chartOnlyEntry(name);

function chartOnlyEntry(name: string): HelmChartEntry {
  return { name, description: `Helm chart add-on ${name}`, chart: `charts/${name}`, namespace: name };
}

/** The named Helm charts of the catalog. */
export const HELM_CHARTS: ReadonlyMap<string, HelmChartEntry> = new Map(
  (
    [
      {
        name: 'cert-manager',
        description: 'cert-manager (Helm chart): X.509 certificates for workloads, with its CRDs',
        chart: 'charts/cert-manager',
        version: 'v1.21.2',
        namespace: 'cert-manager',
        // The chart renders its CRDs only when asked; an add-on that cannot issue a certificate is no add-on.
        values: { crds: { enabled: true } },
      },
      {
        name: 'cilium',
        description: 'Cilium (Helm chart): the CNI, network policy and load balancing',
        chart: 'charts/cilium',
        version: '1.20.2',
        namespace: 'kube-system',
        // The chart's default makes Hubble's TLS keys with genCA at render: new keys on every render, in every diff.
        // Its certgen CronJob makes them inside the cluster instead.
        values: { hubble: { tls: { auto: { method: 'cronJob' } } } },
      },
      { name: 'kyverno', description: 'Kyverno (Helm chart): the policy engine, with its CRDs and admission webhooks', chart: 'charts/kyverno', version: '3.9.1', namespace: 'kyverno' },
      { name: 'metrics-server', description: 'metrics-server (Helm chart): resource metrics for autoscaling and kubectl top', chart: 'charts/metrics-server', version: '3.12.2', namespace: 'kube-system' },
    ] satisfies HelmChartEntry[]
  ).map((e) => [e.name, e] as const),
);

/** The add-on definition of a Helm chart entry. */
export function helmAddon(entry: HelmChartEntry): AddonDefinition<HelmAddonSettings> {
  const entries = entryFor(HELM_CHARTS);
  return {
    name: entry.name,
    description: entry.description,
    settings: settingsSchema as z.ZodType<HelmAddonSettings>,
    resolve: (settings, context) => resolveChart(entry, settings, context),
    objects: (cluster, settings) => helmAddonObjects(entry, entry.name, cluster, settings, entries),
  };
}

/** The definition of an add-on outside the catalog that names a chart (`chart:`), or undefined. */
export function chartOnlyAddon(name: string, settings: unknown): AddonDefinition<HelmAddonSettings> | undefined {
  const named = typeof settings === 'object' && settings !== null && typeof (settings as { chart?: unknown }).chart === 'string';
  return named ? helmAddon(chartOnlyEntry(name)) : undefined;
}
