import { z } from 'zod';
import { ADDONS, addonFor } from '../addons/catalog.js';
import { cidrsOverlap, parseCidr } from './cidr.js';
import { dns1123LabelError, dns1123SubdomainError, labelKeyError, labelValueError } from '../model/names.js';
import { SUPPORTED_KUBERNETES_MINORS } from './supported-versions.js';
import { quote } from '../model/quote.js';
import { PROVIDERS, type Provider } from '../model/workload-cluster.js';

/** Providers that place machines in a region of a cloud, and so need `region` and machine types. */
const CLOUD_PROVIDERS: ReadonlySet<Provider> = new Set(['aws', 'azure']);

const dnsLabel = z.string().check((ctx) => {
  const e = dns1123LabelError(ctx.value);
  if (e) ctx.issues.push({ code: 'custom', message: e, input: ctx.value });
});

const labels = z.record(z.string(), z.string()).check((ctx) => {
  for (const [k, v] of Object.entries(ctx.value)) {
    const e = labelKeyError(k) ?? labelValueError(v);
    if (e) ctx.issues.push({ code: 'custom', message: e, input: ctx.value, path: [k] });
  }
});

const kubernetesVersion = z
  .unknown()
  .check((ctx) => {
    const text = typeof ctx.value === 'string' || typeof ctx.value === 'number' ? String(ctx.value) : undefined;
    const m = text === undefined ? null : /^v(\d+)\.(\d+)\.(\d+)$/.exec(text);
    if (ctx.value === undefined) {
      ctx.issues.push({ code: 'custom', input: ctx.value, message: 'required field is missing (set it here or in the stage defaults)' });
    } else if (!m) {
      ctx.issues.push({ code: 'custom', input: ctx.value, message: `${quote(ctx.value)} is not a Kubernetes version of the form vX.Y.Z (e.g. v1.33.4)` });
    } else if (!SUPPORTED_KUBERNETES_MINORS.includes(`${m[1]}.${m[2]}`)) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `Kubernetes ${m[1]}.${m[2]} is not supported; supported minors: ${SUPPORTED_KUBERNETES_MINORS.join(', ')}`,
      });
    }
  })
  .transform((v) => v as string);

const cidr = z.string().check((ctx) => {
  const c = parseCidr(ctx.value);
  if ('error' in c) ctx.issues.push({ code: 'custom', input: ctx.value, message: c.error });
});

/** Largest value of the int32 fields replicas and autoscaling bounds become in Cluster API. */
export const INT32_MAX = 2 ** 31 - 1;

/** A whole number from `min` to INT32_MAX: what the API server accepts for a replica count. */
const int32Count = (min: number, minMessage: string) =>
  z.number().check((ctx) => {
    const v = ctx.value;
    const message = !Number.isInteger(v) ? 'must be a whole number' : v < min ? minMessage : v > INT32_MAX ? `must be at most ${INT32_MAX} (a 32-bit integer), got ${v}` : undefined;
    if (message) ctx.issues.push({ code: 'custom', input: v, message });
  });

const replicas = int32Count(0, 'must be 0 or more');

const nodePool = z.strictObject({
  name: dnsLabel,
  replicas: replicas.optional(),
  autoscaling: z.strictObject({ min: replicas, max: int32Count(1, 'must be at least 1') }).optional(),
  machineType: z.string().min(1).optional(),
  labels: labels.default({}),
  taints: z
    .array(
      z.strictObject({
        key: z.string().min(1),
        value: z.string().optional(),
        effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
      }),
    )
    .default([]),
});

/** The fields of a cluster spec, without defaults (also what a stage may default). */
const specFields = {
  provider: z.enum(PROVIDERS, { error: `unknown provider; expected one of ${PROVIDERS.join(', ')}` }),
  region: z.string().min(1, 'must not be empty').optional(),
  kubernetesVersion,
  controlPlane: z.strictObject({
    replicas: z.literal([1, 3, 5], { error: 'control-plane replicas must be 1, 3 or 5' }),
    machineType: z.string().min(1).optional(),
  }),
  nodePools: z.array(nodePool),
  network: z.strictObject({
    podCIDRs: z.array(cidr).min(1, 'needs at least one block'),
    serviceCIDRs: z.array(cidr).min(1, 'needs at least one block'),
  }),
  addons: z.record(z.string(), z.unknown()),
  deletionProtection: z.boolean(),
};

/** Default pod and service ranges, the ones Cluster API's own examples use. */
export const DEFAULT_NETWORK = { podCIDRs: ['192.168.0.0/16'], serviceCIDRs: ['10.128.0.0/12'] };

/** A `WorkloadCluster` spec after stage defaults were merged under it. */
export const clusterSpecSchema = z.strictObject({
  ...specFields,
  nodePools: specFields.nodePools.default([]),
  network: specFields.network.default(DEFAULT_NETWORK),
  addons: specFields.addons.default({}),
  deletionProtection: specFields.deletionProtection.default(false),
});

const metadata = z.strictObject({ name: dnsLabel, labels: labels.default({}) });

/** A whole `WorkloadCluster` document (apiVersion and kind are checked before this). */
export const workloadClusterSchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata,
  spec: clusterSpecSchema,
});

/** A kind an admission grant names: `{group, kind}`, `""` being the core group. */
const groupKind = z.strictObject({
  group: z.string().check((ctx) => {
    const e = ctx.value === '' ? undefined : dns1123SubdomainError(ctx.value);
    if (e) ctx.issues.push({ code: 'custom', input: ctx.value, message: `API group ${e} ("" is the core group)` });
  }),
  kind: z.string().regex(/^[A-Z][A-Za-z0-9]{0,62}$/, 'a kind is one CamelCase name such as ConfigMap (no patterns)'),
});

/** A whole `Stage` document. */
export const stageSchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.strictObject({ name: dnsLabel }),
  spec: z
    .strictObject({
      defaults: z.record(z.string(), z.unknown()).default({}),
      policy: z
        .strictObject({
          minControlPlaneReplicas: z.literal([1, 3, 5], { error: 'minControlPlaneReplicas must be 1, 3 or 5' }).optional(),
          requireDeletionProtection: z.boolean().optional(),
        })
        .default({}),
      admission: z
        .strictObject({ management: z.array(groupKind).default([]), workload: z.array(groupKind).default([]) })
        .optional(),
    })
    .default({ defaults: {}, policy: {} }),
});

/** A problem found by a rule that spans several fields, with its path inside `spec`. */
export interface FieldProblem {
  path: PropertyKey[];
  message: string;
}

type Raw = Record<string, any>;
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Rules that span fields. They run on the merged spec even when some fields failed the schema,
 * so that one run reports every problem; each rule looks only at fields of the right type.
 */
export function crossFieldProblems(spec: unknown): FieldProblem[] {
  const out: FieldProblem[] = [];
  const add = (path: PropertyKey[], message: string) => out.push({ path, message });
  if (!isObj(spec)) return out;
  const cloud = CLOUD_PROVIDERS.has(spec.provider);
  if (spec.provider === 'local' && isObj(spec.controlPlane) && typeof spec.controlPlane.replicas === 'number' && spec.controlPlane.replicas !== 1) {
    add(['controlPlane', 'replicas'], 'provider local runs one API server per cluster; controlPlane.replicas must be 1');
  }
  if (cloud) {
    if (spec.region === undefined) add(['region'], `required by provider ${spec.provider}`);
    if (isObj(spec.controlPlane) && spec.controlPlane.machineType === undefined) {
      add(['controlPlane', 'machineType'], `required by provider ${spec.provider}`);
    }
  }
  const pools: unknown[] = Array.isArray(spec.nodePools) ? spec.nodePools : [];
  const seen = new Map<string, number>();
  pools.forEach((pool, i) => {
    if (!isObj(pool)) return;
    if (typeof pool.name === 'string') {
      const first = seen.get(pool.name);
      if (first !== undefined) add(['nodePools', i, 'name'], `duplicate node pool name ${quote(pool.name)} (also nodePools[${first}])`);
      else seen.set(pool.name, i);
    }
    if (pool.replicas !== undefined && pool.autoscaling !== undefined) add(['nodePools', i], 'set either replicas or autoscaling, not both');
    if (pool.replicas === undefined && pool.autoscaling === undefined) add(['nodePools', i], 'set replicas or autoscaling: {min, max}');
    const a = pool.autoscaling;
    if (isObj(a) && typeof a.min === 'number' && typeof a.max === 'number' && a.min > a.max) {
      add(['nodePools', i, 'autoscaling', 'min'], `min ${a.min} is greater than max ${a.max}`);
    }
    if (cloud && pool.machineType === undefined) add(['nodePools', i, 'machineType'], `required by provider ${spec.provider}`);
  });
  const network = isObj(spec.network) ? spec.network : DEFAULT_NETWORK;
  const blocks = (field: 'podCIDRs' | 'serviceCIDRs') =>
    (Array.isArray(network[field]) ? (network[field] as unknown[]) : []).flatMap((text, i) => {
      const c = typeof text === 'string' ? parseCidr(text) : { error: '' };
      return 'error' in c ? [] : [{ c, path: ['network', field, i] as PropertyKey[] }];
    });
  const pods = blocks('podCIDRs');
  for (const s of blocks('serviceCIDRs')) {
    const hit = pods.find((p) => cidrsOverlap(p.c, s.c));
    if (hit) add(s.path, `service range ${s.c.text} overlaps pod range ${hit.c.text}`);
  }
  if (isObj(spec.addons)) {
    for (const [name, settings] of Object.entries(spec.addons)) {
      const r = parseAddonSettings(name, settings);
      if ('problems' in r) for (const p of r.problems) add(['addons', name, ...p.path], p.message);
    }
  }
  return out;
}

/** Validates one add-on's settings against the catalog; returns the defaulted settings or the problems. */
export function parseAddonSettings(name: string, settings: unknown): { settings: unknown } | { problems: FieldProblem[] } {
  const def = addonFor(name, settings);
  if (!def) {
    return { problems: [{ path: [], message: `unknown add-on ${quote(name)}; the catalog has: ${[...ADDONS.keys()].join(', ')} (or name a Helm chart with chart: charts/<name>)` }] };
  }
  const r = def.settings.safeParse(settings ?? {});
  if (r.success) return { settings: r.data };
  return { problems: r.error.issues.map((iss) => ({ path: iss.path as PropertyKey[], message: iss.message })) };
}

