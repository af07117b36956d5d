/**
 * The closed vocabulary of outcomes, shared by the plan, CLI output, events, logs, metrics, CI
 * summaries and status: what happened (or, in a plan, dry-run or diff, would happen) to one object.
 */
export const ACTIONS = ['created', 'configured', 'unchanged', 'deleted', 'skipped'] as const;

/**
 * What happened (or would happen) to one object: `created` (it did not exist), `configured` (it
 * existed and was changed, or replaced), `unchanged` (nothing to do), `deleted` (pruned), `skipped`
 * (left as it is on purpose, and the entry's reason always says why: a prune guard kept it, or its
 * cluster cannot be reached yet). `failed` is for what was tried and did not work.
 */
export type Action = (typeof ACTIONS)[number];

/** Every outcome a report counts: the actions, and `failed` for what could not be done. */
export const OUTCOMES = [...ACTIONS, 'failed'] as const;

/** An action, or `failed`. */
export type Outcome = (typeof OUTCOMES)[number];
