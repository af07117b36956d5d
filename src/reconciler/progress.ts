import type { Logger } from 'pino';

/** How often a long step says it is still running. */
export const PROGRESS_INTERVAL_MS = 15_000;

/**
 * Runs one long step (installing a revision's dependencies, compiling it, synthesizing it) with
 * progress in the logs instead of silence: a line when it starts, one every `intervalMs` while it
 * runs (with the seconds so far), and one when it ends or fails (with its duration).
 */
export async function withProgress<T>(logger: Logger, step: string, work: () => Promise<T>, intervalMs = PROGRESS_INTERVAL_MS): Promise<T> {
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 100) / 10;
  logger.info({ step }, `${step}: started`);
  const timer = setInterval(() => logger.info({ step, seconds: seconds() }, `${step}: still running after ${Math.round(seconds())} s`), intervalMs);
  timer.unref();
  try {
    const result = await work();
    logger.info({ step, seconds: seconds() }, `${step}: done in ${seconds()} s`);
    return result;
  } catch (error) {
    logger.warn({ step, seconds: seconds() }, `${step}: failed after ${seconds()} s`);
    throw error;
  } finally {
    clearInterval(timer);
  }
}
