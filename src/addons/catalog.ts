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
