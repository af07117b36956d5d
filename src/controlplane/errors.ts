/** A failure the user can act on (missing tool, port in use, bad state dir): shown as one message, never a stack. */
export class ControlPlaneError extends Error {
  override readonly name = 'ControlPlaneError';
}
