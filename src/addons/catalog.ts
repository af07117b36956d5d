import { renderableKinds } from './_kinds.js';
import type { AddonDefinition } from './addon.js';
import { defaultDenyPoliciesAddon } from './default-deny-policies.js';
import { priorityClassesAddon } from './priority-classes.js';
import { teamNamespacesAddon } from './team-namespaces.js';

/** Every add-on a cluster may list under `spec.addons`, keyed and sorted by name. */
export const ADDONS: ReadonlyMap<string, AddonDefinition<any>> = new Map(
  [defaultDenyPoliciesAddon, priorityClassesAddon, teamNamespacesAddon]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((addon) => [addon.name, addon] as const),
);

/** The catalog's add-on names, sorted. */
export function addonNames(): string[] {
  return [...ADDONS.keys()];
}

/** The kinds catalog add-ons can render (each add-on renders through the one typed table in _kinds.ts), by API version and kind. */
export const CATALOG_KINDS: ReadonlyArray<{ apiVersion: string; kind: string }> = renderableKinds();
