/** Which step of turning a revision into manifests failed. */
export type SynthPhase = 'install' | 'build' | 'synth' | 'output';

/**
 * A revision could not be synthesized; `message` is what a person needs (validation problems with
 * file:line), already bounded and redacted, so it may go into logs, Events and status as it is.
 */
export class SynthError extends Error {
  override name = 'SynthError';

  constructor(
    readonly phase: SynthPhase,
    message: string,
  ) {
    super(message);
  }
}
