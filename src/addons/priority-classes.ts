import type { Construct } from 'constructs';
import { group } from './_cdk8s.js';
import { z } from 'zod';
import type { WorkloadCluster } from '../model/workload-cluster.js';
import type { AddonDefinition } from './addon.js';
import { addObject } from './_kinds.js';
import { boolean, describe, dns1123Subdomain, duplicates, list, strictObject } from './_schema.js';

/** Catalog name of this add-on. */
export const PRIORITY_CLASSES = 'priority-classes';

/** Highest value a user-defined PriorityClass may have; larger values are reserved for system classes. */
export const HIGHEST_USER_PRIORITY = 1_000_000_000;
/** Lowest value the int32 `value` field can hold. */
export const LOWEST_PRIORITY = -2_147_483_648;

/** Preemption policies Kubernetes knows. */
const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'] as const;

const classSchema = strictObject({
  name: dns1123Subdomain().refine((name) => !name.startsWith('system-'), {
    error: (i) => `${JSON.stringify(i.input)} starts with "system-", which Kubernetes reserves for its own classes`,
  }),
  value: z
    .number({ error: (i) => (i.input === undefined ? 'is required' : `must be a whole number, got ${describe(i.input)}`) })
    .int({ error: (i) => `must be a whole number, got ${describe(i.input)}` })
    .max(HIGHEST_USER_PRIORITY, {
      error: `must be at most ${HIGHEST_USER_PRIORITY}; higher values are reserved for system classes`,
    })
    .min(LOWEST_PRIORITY, { error: `must be at least ${LOWEST_PRIORITY} (the field is a 32-bit integer)` }),
  globalDefault: boolean().default(false),
  preemptionPolicy: z
    .enum(PREEMPTION_POLICIES, { error: (i) => `must be one of ${PREEMPTION_POLICIES.join(', ')}, got ${describe(i.input)}` })
    .default('PreemptLowerPriority'),
  description: z.string({ error: (i) => `must be a string, got ${describe(i.input)}` }).optional(),
});

/** One PriorityClass as declared in settings, defaulted. */
export type PriorityClassSetting = z.output<typeof classSchema>;

/** The classes rendered when settings do not list any. */
export const DEFAULT_PRIORITY_CLASSES: readonly PriorityClassSetting[] = [
  {
    name: 'platform-critical',
    value: 1_000_000,
    globalDefault: false,
    preemptionPolicy: 'PreemptLowerPriority',
    description: 'Platform components that must run: ingress, DNS add-ons, policy and observability agents.',
  },
  {
    name: 'high',
    value: 10_000,
    globalDefault: false,
    preemptionPolicy: 'PreemptLowerPriority',
    description: 'Latency-sensitive workloads that may preempt default and low priority pods.',
  },
  {
    name: 'default',
    value: 0,
    globalDefault: true,
    preemptionPolicy: 'PreemptLowerPriority',
    description: 'Pods that name no priority class.',
  },
  {
    name: 'low',
    value: -100,
    globalDefault: false,
    preemptionPolicy: 'Never',
    description: 'Batch and best-effort work; never preempts other pods and is preempted first.',
  },
];

/** Settings of `priority-classes`: `classes` replaces the default set. */
export const priorityClassesSettings = strictObject({
  classes: list(classSchema, 'a list of priority classes')
    .min(1, { error: 'list at least one class, or omit classes for the default set' })
    .optional(),
})
  .superRefine(({ classes }, ctx) => {
    if (!classes) return;
    duplicates(classes.map((c) => c.name), ctx, ['classes'], 'class name', ['name']);
    const first = classes.findIndex((c) => c.globalDefault);
    classes.forEach((c, index) => {
      if (c.globalDefault && index !== first) {
        ctx.addIssue({
          code: 'custom',
          path: ['classes', index, 'globalDefault'],
          message: `only one class may be the global default; ${JSON.stringify(classes[first].name)} already is`,
        });
      }
    });
  })
  .transform(({ classes }) => ({ classes: classes ?? DEFAULT_PRIORITY_CLASSES.map((c) => ({ ...c })) }));

/** Validated, defaulted settings of `priority-classes`. */
export type PriorityClassesSettings = z.output<typeof priorityClassesSettings>;

/** Adds one PriorityClass per declared (or default) class, in declaration order. */
function render(scope: Construct, _cluster: WorkloadCluster, settings: PriorityClassesSettings): void {
  const root = group(scope, PRIORITY_CLASSES);
  for (const { name, value, globalDefault, preemptionPolicy, description } of settings.classes) {
    addObject(root, PRIORITY_CLASSES, 'PriorityClass', {
      metadata: { name },
      value,
      globalDefault,
      preemptionPolicy,
      ...(description !== undefined && { description }),
    });
  }
}

/** PriorityClasses: a default ladder from platform-critical to low, or the classes the settings list. */
export const priorityClassesAddon: AddonDefinition<PriorityClassesSettings> = {
  name: PRIORITY_CLASSES,
  description: 'PriorityClasses for scheduling and preemption: platform-critical, high, default (global default) and low, or your own list.',
  settings: priorityClassesSettings,
  render,
};
