/**
 * The reconciler's admission step: the policy of a checked-out revision is read by the reconciler's
 * own loader from that revision's stage.yaml files (data, never the revision's code or output), and
 * its synthesized sets are admitted by it whole or refused whole; a stage whose stage.yaml cannot be
 * read is left out (blocked) while the other stages are admitted.
 */
import path from 'node:path';
import type { BlockedDeclaration, Problem } from '../model/blocked-declaration.js';
import type { ManifestSet } from '../model/manifest-set.js';
import { loadStagesOffLoop } from '../spec/read-off-loop.js';
import { formatProblem } from '../spec/problem.js';
import { admit, refusalMessage, type AdmissionViolation } from './admission.js';
import { admissionPolicy } from './admission-policy.js';
import { SynthError } from './synth-runner.js';

/** A revision whose output the admission policy refuses (or whose stage.yaml cannot be read); nothing of it is applied. */
export class AdmissionError extends SynthError {
  override name = 'AdmissionError';

  constructor(
    message: string,
    readonly violations: readonly AdmissionViolation[] = [],
  ) {
    super('output', message);
  }
}

/** Problems listed in a refusal before the rest are counted. */
const MAX_PROBLEMS = 10;

/**
 * Admits the sets synthesized from `checkout` by the policy of its `clusters/` stage.yaml files;
 * throws AdmissionError when refused. A stage whose folder or stage.yaml this loader cannot read
 * has no known policy: its sets are left out whatever the revision's code says of it, and it is
 * returned as blocked (with its problems, paths relative to the checkout).
 */
export async function admitRevision(checkout: string, sets: readonly ManifestSet[]): Promise<{ sets: ManifestSet[]; blocked: BlockedDeclaration[] }> {
  const { stages, problems, blockedStages } = await loadStagesOffLoop(path.join(checkout, 'clusters'));
  const relative = (p: Problem): Problem => ({ ...p, file: path.relative(checkout, path.resolve(p.file)) });
  if (!stages) {
    // Paths as the revision's own synth reports them: relative to the checkout.
    const listed = problems.slice(0, MAX_PROBLEMS).map((p) => `  ${formatProblem(relative(p))}`);
    const more = problems.length > MAX_PROBLEMS ? [`  … and ${problems.length - MAX_PROBLEMS} more`] : [];
    throw new AdmissionError(['admission: the stage policies of this revision cannot be read, nothing of it is applied:', ...listed, ...more].join('\n'));
  }
  const blocked = new Set(blockedStages);
  const admissible = sets.filter((s) => !blocked.has(s.target.stage));
  const verdict = admit(admissible, admissionPolicy(stages));
  if (!verdict.admitted) throw new AdmissionError(refusalMessage(verdict.violations), verdict.violations);
  const stageDir = (stage: string) => path.join('clusters', stage);
  return {
    sets: admissible,
    blocked: blockedStages.map((stage) => ({ stage, problems: problems.map(relative).filter((p) => path.dirname(p.file) === stageDir(stage)) })),
  };
}
