import { KubeError } from '../kube/client.js';
import { displayRef, type ObjectRef } from './object-ref.js';

/** Another field manager owns fields we set; nothing is forced without `--force-conflicts`. */
export class ConflictError extends Error {
  override name = 'ConflictError';

  constructor(
    readonly ref: ObjectRef,
    /** `<manager> on <field>` per conflicting field, as the API server reports them. */
    readonly conflicts: string[],
  ) {
    super(
      `${displayRef(ref)}: conflict with another field manager: ${conflicts.join('; ')} ` +
        '(re-run with --force-conflicts to take these fields over)',
    );
  }
}

/** The desired object changes a field the API server does not allow to change. */
export class ImmutableFieldError extends Error {
  override name = 'ImmutableFieldError';

  constructor(
    readonly ref: ObjectRef,
    readonly fields: string[],
  ) {
    super(
      `${displayRef(ref)}: cannot change immutable field(s) ${fields.join(', ')}; ` +
        'the object must be deleted and created again (re-run with --force-replace to do so)',
    );
  }
}

/** Kinds of the set that the API server does not serve and no CRD of the set defines. */
export class MissingKindsError extends Error {
  override name = 'MissingKindsError';

  constructor(
    readonly setId: string,
    /** `apiVersion/Kind` entries. */
    readonly kinds: string[],
  ) {
    super(
      `${setId}: the API server does not serve ${kinds.join(', ')} (is the CustomResourceDefinition installed?); nothing was applied`,
    );
  }
}

/** Prune would delete more than the allowed share of the inventory. */
export class MassPruneError extends Error {
  override name = 'MassPruneError';

  constructor(
    readonly setId: string,
    readonly candidates: number,
    readonly inventorySize: number,
    readonly threshold: number,
  ) {
    super(
      `${setId}: prune would delete ${candidates} of ${inventorySize} objects, more than ${Math.round(threshold * 100)}%; ` +
        'refusing (re-run with --allow-mass-prune if this is intended); nothing was changed',
    );
  }
}

/** Prune could not read what it needs to decide; nothing was deleted. */
export class PruneAbortedError extends Error {
  override name = 'PruneAbortedError';

  constructor(
    readonly setId: string,
    reason: string,
  ) {
    super(`${setId}: prune aborted, nothing was deleted: ${reason}`);
  }
}

/** Turns an API error for one object into the engine's clear error (conflict, immutable field) or a one-line message. */
export function describeObjectError(ref: ObjectRef, error: unknown): Error {
  if (error instanceof KubeError) {
    const conflicts = error.causes.filter((c) => c.reason === 'FieldManagerConflict');
    if (error.status === 409 && conflicts.length > 0) {
      return new ConflictError(
        ref,
        conflicts.map((c) => `${(c.message ?? '').replace(/^conflict with /, '')}${c.field ? ` on ${c.field}` : ''}`),
      );
    }
    const immutable = error.causes.filter((c) => /immutable/i.test(c.message ?? ''));
    if (error.status === 422 && (immutable.length > 0 || /immutable/i.test(error.statusMessage))) {
      const fields = immutable.map((c) => c.field ?? '').filter(Boolean);
      return new ImmutableFieldError(ref, fields.length > 0 ? fields : ['(see the API server message)']);
    }
    return new Error(`${displayRef(ref)}: ${error.reason}: ${error.statusMessage}`);
  }
  if (error instanceof Error) return new Error(`${displayRef(ref)}: ${error.message}`);
  return new Error(`${displayRef(ref)}: ${String(error)}`);
}
