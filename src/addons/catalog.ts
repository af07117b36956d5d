import { renderableKinds } from './_kinds.js';
import type { AddonDefinition } from './addon.js';
import { defaultDenyPoliciesAddon } from './default-deny-policies.js';
import { priorityClassesAddon } from './priority-classes.js';
import { teamNamespacesAddon } from './team-namespaces.js';
import { chartOnlyAddon, HELM_CHARTS, helmAddon } from './helm-addon.js';

/** Every add-on a cluster may list under `spec.addons`, keyed and sorted by name. */
export const ADDONS: ReadonlyMap<string, AddonDefinition<any>> = new Map(
  [defaultDenyPoliciesAddon, priorityClassesAddon, teamNamespacesAddon, ...[...HELM_CHARTS.values()].map(helmAddon)]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((addon) => [addon.name, addon] as const),
);

/** The catalog's add-on names, sorted. */
export function addonNames(): string[] {
  return [...ADDONS.keys()];
}

/** The kinds catalog add-ons can render (each add-on renders through the one typed table in _kinds.ts), by API version and kind. */
export const CATALOG_KINDS: ReadonlyArray<{ apiVersion: string; kind: string }> = renderableKinds();

/**
 * The definition of add-on `name` with these settings: the catalog's entry, else a Helm add-on when
 * the settings name a chart (`chart:`), else undefined (an unknown add-on).
 */
export function addonFor(name: string, settings: unknown, catalog: ReadonlyMap<string, AddonDefinition<any>> = ADDONS): AddonDefinition<any> | undefined {
  return catalog.get(name) ?? chartOnlyAddon(name, settings);
}
