/**
 * A controller process that is started again when it exits, as a Deployment's pod would be: with a
 * growing delay between attempts (1 s doubling to 30 s, reset after a minute of running), until
 * `stop()`. Each run is a SupervisedProcess, so it never outlives its owner.
 */
import { appendFileSync } from 'node:fs';
import { describeExit, markStart, SupervisedProcess, type ProcessExit } from './supervised-process.js';

/** What to run. */
export interface ControllerSpec {
  /** Short name, also the name of its log file. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;
/** A run that lasted this long resets the delay. */
const STABLE_AFTER_MS = 60_000;

/** A controller kept running; see the module comment. */
export class RestartingProcess {
  private current: SupervisedProcess;
  private stopping = false;
  private delayMs = FIRST_DELAY_MS;
  private timer: NodeJS.Timeout | undefined;
  /** How many times it exited on its own. */
  exits = 0;

  constructor(
    readonly spec: ControllerSpec,
    private readonly logFile: string,
    private readonly onChange: (event: { type: 'started' | 'exited'; pid: number; exit?: ProcessExit }) => void = () => undefined,
  ) {
    this.current = this.spawn();
  }

  /** Stops the current run (SIGTERM, then SIGKILL after `graceMs`) and starts no other. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.current.stop(graceMs);
  }

  private spawn(): SupervisedProcess {
    markStart(this.logFile, this.spec.command);
    const proc = SupervisedProcess.spawn({ ...this.spec, logFile: this.logFile });
    const began = Date.now();
    this.onChange({ type: 'started', pid: proc.pid });
    void proc.exited.then((exit) => {
      if (this.stopping) return;
      this.exits++;
      this.onChange({ type: 'exited', pid: proc.pid, exit });
      if (Date.now() - began > STABLE_AFTER_MS) this.delayMs = FIRST_DELAY_MS;
      appendFileSync(this.logFile, `=== clusterops: ${this.spec.name} ${describeExit(exit)}; starting it again in ${this.delayMs / 1000} s\n`);
      this.timer = setTimeout(() => {
        if (!this.stopping) this.current = this.spawn();
      }, this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, MAX_DELAY_MS);
    });
    return proc;
  }
}
