/** Validation of Kubernetes names and labels, as the API server applies it. */
import { quote } from './quote.js';

/** A DNS-1123 label, as the API server checks it. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1123 subdomain, as the API server checks it. */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Why `name` is not a DNS-1123 label (lower-case alphanumerics and '-', at most 63), or undefined. */
export function dns1123LabelError(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > 63) return `${quote(name)} is ${name.length} characters; a DNS-1123 label has at most 63`;
  if (!DNS1123_LABEL.test(name)) {
    return `${quote(name)} is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)`;
  }
  return undefined;
}

/** Why `name` is not a DNS-1123 subdomain (at most 253), or undefined. */
export function dns1123SubdomainError(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > 253) return `"${name.slice(0, 20)}…" is ${name.length} characters; a DNS-1123 subdomain has at most 253`;
  if (!DNS1123_SUBDOMAIN.test(name)) return `${quote(name)} is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')`;
  return undefined;
}

/** Why `key` is not a valid label key (`[prefix/]name`), or undefined. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    const e = dns1123SubdomainError(prefix);
    if (e) return `label key ${quote(key)}: prefix ${e}`;
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key ${quote(key)} is not valid (name part: at most 63 of letters, digits, '-', '_', '.', starting and ending alphanumeric)`;
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined. */
export function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !LABEL_NAME.test(value)) {
    return `label value ${quote(value)} is not valid (at most 63 of letters, digits, '-', '_', '.', starting and ending alphanumeric)`;
  }
  return undefined;
}
