import { createHash } from 'node:crypto';

/**
 * A short, stable digest of an object's content: sha256 of its JSON with keys sorted, base64url,
 * first 22 characters (132 bits). Equal content gives an equal hash whatever the key order.
 */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 22);
}

/** The canonical JSON of frozen values, which cannot change: a chart body shared by a thousand clusters is written out once. */
const frozen = new WeakMap<object, string>();

/** JSON with object keys sorted at every level; `undefined` members are left out as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Object.isFrozen(value)) {
    let text = frozen.get(value);
    if (text === undefined) frozen.set(value, (text = canonicalOf(value)));
    return text;
  }
  return canonicalOf(value);
}

function canonicalOf(value: object): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}
