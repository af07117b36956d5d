import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, isRunning } from '../../../src/controlplane/_proc.js';
import { readControllersState } from '../../../src/controlplane/cluster-api-runtime.js';
import { controlPlaneCli } from '../_controlplane-cli.js';
import { waitFor } from '../_wait-for.js';

/** `clusterops controlplane start --with-capi`: the managers run under the detached supervisor, are restarted when they die, and stop with it. */
describe('controlplane start --with-capi', () => {
  let stateDir: string;
  afterAll(async () => {
    if (stateDir) await controlPlaneCli(['stop', '--state-dir', stateDir]);
    if (stateDir && !process.env.CLUSTEROPS_KEEP_STATE) await rm(stateDir, { recursive: true, force: true });
  });

  it('starts, reports, restarts a killed manager and stops everything', async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'clusterops-capi-cli-'));
    const started = await controlPlaneCli(['start', '--state-dir', stateDir, '--with-capi']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toMatch(/Cluster API ready after/);

    const status = await controlPlaneCli(['status', '--state-dir', stateDir]);
    expect(status.stdout).toMatch(/capi-manager:\s+pid \d+/);
    expect(status.stdout).toMatch(/capi-kubeadm-bootstrap-manager:\s+pid \d+/);
    expect(status.stdout).toMatch(/capi-kubeadm-control-plane-manager:\s+pid \d+/);
    expect(status.stdout).toMatch(/local-provider:\s+pid \d+/);

    const before = (await readControllersState(stateDir))!.processes['capi-manager'];
    process.kill(before.pid, 'SIGKILL');
    // The supervisor starts it again (after its first back-off second): a new pid, counted as a restart.
    const now = await waitFor('capi-manager started again', async () => {
      const ref = (await readControllersState(stateDir))!.processes['capi-manager'];
      return ref.pid !== before.pid && isRunning(ref) && ref;
    });
    expect(now.restarts).toBe(1);

    const all = Object.values((await readControllersState(stateDir))!.processes).map((ref) => ref.pid);
    const stopped = await controlPlaneCli(['stop', '--state-dir', stateDir]);
    expect(stopped.code).toBe(0);
    expect(all.filter(isAlive)).toEqual([]);
  });
});
