/**
 * The closed vocabulary of outcomes, shared by the plan, CLI output, events, logs, metrics, CI
 * summaries and status: what happened (or, in a plan, dry-run or diff, would happen) to one object.
 */
export const ACTIONS = ['created', 'configured', 'unchanged', 'deleted', 'skipped'] as const;

/** What happened (or would happen) to one object. */
export type Action = (typeof ACTIONS)[number];

/** Every outcome a report counts: the actions, and `failed` for what could not be done. */
export const OUTCOMES = [...ACTIONS, 'failed'] as const;

/** An action, or `failed`. */
export type Outcome = (typeof OUTCOMES)[number];
