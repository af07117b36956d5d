/**
 * Private zod building blocks shared by the add-on settings schemas: strict objects whose
 * unknown-key errors list the allowed keys, Kubernetes names and Kubernetes quantities.
 */
import { z } from 'zod';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../model/names.js';

/** Error callback for a value of the wrong type: "required" when absent, otherwise what was expected. */
function expected(what: string): (issue: { input?: unknown; code?: string }) => string | undefined {
  return (issue) => {
    if (issue.code !== undefined && issue.code !== 'invalid_type') return undefined;
    return issue.input === undefined ? 'is required' : `must be ${what}, got ${describe(issue.input)}`;
  };
}

/** A short, safe rendering of a user value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 61)}...` : value);
  return String(value);
}

/** A `z.strictObject` whose unknown-key error names the allowed keys. */
export function strictObject<T extends z.core.$ZodLooseShape>(shape: T, what = 'a mapping') {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((k) => JSON.stringify(k)).join(', ');
        return `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}; allowed: ${allowed}`;
      }
      return expected(what)(issue);
    },
  });
}

/** A boolean with a readable type error. */
export function boolean() {
  return z.boolean({ error: expected('true or false') });
}

/** A non-empty string with a readable type error. */
export function nonEmptyString(what = 'a string') {
  return z.string({ error: expected(what) }).min(1, { error: 'must not be empty' });
}

/** A list with a readable type error. */
export function list<T extends z.ZodType>(item: T, what = 'a list') {
  return z.array(item, { error: expected(what) });
}


/** A DNS-1123 label (namespace names, team names): lower-case alphanumerics and '-', at most 63. */
export function dns1123Label() {
  return z
    .string({ error: expected('a name (DNS-1123 label)') })
    .max(63, { error: (i) => `${describe(i.input)} is longer than 63 characters (DNS-1123 label)` })
    .regex(DNS1123_LABEL, {
      error: (i) =>
        `${describe(i.input)} is not a DNS-1123 label: use lower-case letters, digits and '-', starting and ending with a letter or digit`,
    });
}

/** A DNS-1123 subdomain (most object names): DNS-1123 labels joined by '.', at most 253. */
export function dns1123Subdomain() {
  return z
    .string({ error: expected('a name (DNS-1123 subdomain)') })
    .max(253, { error: (i) => `${describe(i.input)} is longer than 253 characters (DNS-1123 subdomain)` })
    .regex(DNS1123_SUBDOMAIN, {
      error: (i) =>
        `${describe(i.input)} is not a DNS-1123 subdomain: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
    });
}

/**
 * The Kubernetes quantity grammar (k8s.io/apimachinery resource.Quantity): a signed decimal number
 * followed by a binary-SI suffix (Ki..Ei), a decimal-SI suffix (n, u, m, k, M..E) or an integer
 * decimal exponent (e3, E-2).
 */
const QUANTITY = /^([+-]?)((?:[0-9]+(?:\.[0-9]*)?)|(?:\.[0-9]+))((?:[KMGTPE]i)|[numkMGTPE]|(?:[eE][+-]?[0-9]+))?$/;

/** Multipliers of the quantity suffixes, for comparing quantities. */
const SUFFIX_MULTIPLIER: Readonly<Record<string, number>> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The numeric value of a quantity string (approximate for huge values; enough to compare), or undefined. */
export function quantityValue(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, sign, digits, suffix = ''] = match;
  const mantissa = Number(digits) * (sign === '-' ? -1 : 1);
  const multiplier = /^[eE][+-]?[0-9]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX_MULTIPLIER[suffix];
  return mantissa * (multiplier ?? Number.NaN);
}

/** What kind of resource a quantity measures; it decides the examples and the suffix checks. */
export type QuantityKind = 'cpu' | 'memory';

const QUANTITY_EXAMPLES: Readonly<Record<QuantityKind, string>> = {
  cpu: '500m or 2',
  memory: '512Mi or 4Gi',
};

/**
 * A non-negative Kubernetes quantity, given as a string (`500m`, `4Gi`) or a plain YAML number (`2`),
 * normalized to its string form. Memory in milli-units (`128m` = 0.128 bytes) is refused as the
 * classic typo for `128Mi`.
 */
export function quantity(kind: QuantityKind) {
  const examples = QUANTITY_EXAMPLES[kind];
  return z
    .union([z.string(), z.number()], {
      error: (i) => (i.input === undefined ? 'is required' : `must be a Kubernetes quantity such as ${examples}, got ${describe(i.input)}`),
    })
    .transform((value, ctx) => {
      const text = typeof value === 'number' ? String(value) : value.trim();
      const amount = quantityValue(text);
      if (amount === undefined || Number.isNaN(amount)) {
        ctx.addIssue({ code: 'custom', input: value, message: `${describe(value)} is not a Kubernetes quantity; write it like ${examples}` });
        return z.NEVER;
      }
      if (amount < 0) {
        ctx.addIssue({ code: 'custom', input: value, message: `${describe(value)} is negative; a ${kind} amount must be 0 or more` });
        return z.NEVER;
      }
      if (kind === 'memory' && /[0-9.]m$/.test(text)) {
        const stem = text.slice(0, -1);
        ctx.addIssue({
          code: 'custom',
          input: value,
          message: `${describe(value)} means ${stem} thousandths of a byte; write ${stem}Mi (mebibytes) or ${stem}M (megabytes)`,
        });
        return z.NEVER;
      }
      return text;
    });
}

/** Issues for every entry of `values` that repeats an earlier one, at `[...path, index, ...field]`. */
export function duplicates(
  values: readonly string[],
  ctx: z.RefinementCtx,
  path: ReadonlyArray<string | number>,
  what: string,
  field: ReadonlyArray<string> = [],
): void {
  const first = new Map<string, number>();
  values.forEach((value, index) => {
    const earlier = first.get(value);
    if (earlier === undefined) {
      first.set(value, index);
      return;
    }
    ctx.addIssue({ code: 'custom', path: [...path, index, ...field], message: `duplicate ${what} ${JSON.stringify(value)} (also at index ${earlier})` });
  });
}
