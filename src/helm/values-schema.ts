/**
 * A chart's values.schema.json, enforced before anything renders: the chart's defaults with the
 * add-on's values over them (helm's coalescing: mappings merge, `null` removes a default), checked
 * with the schema's own draft, so a typo in a cluster file fails at `clusterops validate` with a line
 * instead of at `helm template` with none. Subcharts' schemas are left to helm at render.
 */
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ChartDir } from './chart-dir.js';

const require = createRequire(import.meta.url);

/** A value that breaks the schema: its path inside the add-on's values, and what is wrong. */
export interface ValuesProblem {
  path: Array<string | number>;
  message: string;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` coalesced onto `base` as helm does it: mappings merge, `null` deletes, anything else replaces. */
export function coalesceValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else if (isMapping(v) && isMapping(out[k])) out[k] = coalesceValues(out[k] as Record<string, unknown>, v);
    else out[k] = v;
  }
  return out;
}

const compiled = new Map<string, ValidateFunction>();

/** The compiled schema of `chart` (once per chart digest). */
function validatorOf(chart: ChartDir & { schema: Record<string, unknown> }): ValidateFunction {
  let validate = compiled.get(chart.digest);
  if (validate) return validate;
  const draft = String(chart.schema.$schema ?? '');
  const Ajv = (/2020-12/.test(draft) ? require('ajv/dist/2020') : /2019-09/.test(draft) ? require('ajv/dist/2019') : require('ajv')).default;
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
  require('ajv-formats').default(ajv);
  validate = ajv.compile(chart.schema) as ValidateFunction;
  compiled.set(chart.digest, validate);
  return validate;
}

const unescape = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');

function problemOf(error: ErrorObject): ValuesProblem {
  const path: Array<string | number> = error.instancePath === '' ? [] : error.instancePath.slice(1).split('/').map(unescape).map((t) => (/^\d+$/.test(t) ? Number(t) : t));
  const p = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return { path: [...path, String(p.additionalProperty)], message: 'not a value of this chart (its values.schema.json allows no such key)' };
  if (error.keyword === 'required') return { path, message: `the chart requires ${JSON.stringify(p.missingProperty)} here` };
  if (error.keyword === 'enum') return { path, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (chart values.schema.json)` };
  return { path, message: `${error.message ?? 'is not valid'} (chart values.schema.json)` };
}

/** Results by chart digest and values: a fleet gives most clusters the same values, checked once. */
const checked = new Map<string, ValuesProblem[]>();
const MAX_CHECKED = 10_000;

/** What is wrong with `values` by `chart`'s schema; empty when it ships none or they are valid. */
export function valuesProblems(chart: ChartDir, values: Record<string, unknown>): ValuesProblem[] {
  if (!chart.schema) return [];
  const key = `${chart.digest}\0${JSON.stringify(values)}`;
  let problems = checked.get(key);
  if (!problems) {
    problems = check(chart, values);
    if (checked.size >= MAX_CHECKED) checked.clear();
    checked.set(key, problems);
  }
  return problems;
}

function check(chart: ChartDir, values: Record<string, unknown>): ValuesProblem[] {
  let validate: ValidateFunction;
  try {
    validate = validatorOf(chart as ChartDir & { schema: Record<string, unknown> });
  } catch (error) {
    return [{ path: [], message: `chart ${chart.name} ${chart.version}: its values.schema.json is not a schema that compiles: ${(error as Error).message}` }];
  }
  if (validate(coalesceValues(chart.values, values))) return [];
  const seen = new Set<string>();
  const out: ValuesProblem[] = [];
  const errors = validate.errors ?? [];
  // anyOf/oneOf report each branch too; the branch errors say more, so the summary line is left out when there are any.
  const summary = (e: ErrorObject) => e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if';
  for (const error of errors.some((e) => !summary(e)) ? errors.filter((e) => !summary(e)) : errors) {
    const problem = problemOf(error);
    const key = `${problem.path.join('/')}\0${problem.message}`;
    if (!seen.has(key)) seen.add(key), out.push(problem);
  }
  return out;
}
