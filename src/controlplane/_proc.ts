/**
 * Questions about other processes by pid, answered from /proc (Linux): is it alive, is it still the
 * program we started (pids are reused), and waiting for it to go away.
 */
import { readFileSync } from 'node:fs';

/** True when `pid` names a running process (zombies count as gone). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the parenthesised command name, which may itself hold spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The start time of a process in clock ticks since boot (/proc/<pid>/stat field 22), or undefined when it is gone. */
export function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state), so field 22 is fields[19].
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** A process identified by pid and start time, so a reused pid is never mistaken for it. */
export interface ProcessRef {
  pid: number;
  startTime: number;
}

/** The reference of a running process, or undefined when it is gone. */
export function processRef(pid: number): ProcessRef | undefined {
  const ticks = startTime(pid);
  return ticks === undefined ? undefined : { pid, startTime: ticks };
}

/** True when the very process `ref` names is still running. */
export function isRunning(ref: ProcessRef | undefined): ref is ProcessRef {
  return ref !== undefined && isAlive(ref.pid) && startTime(ref.pid) === ref.startTime;
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Resolves true when none of `refs` is running any more, false when `timeoutMs` passed first. */
export async function waitUntilGone(refs: ProcessRef[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (refs.every((ref) => !isRunning(ref))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

/** A promise that resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
