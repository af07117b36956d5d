// The repo-server split for a deployment: the reconciler sends a revision's tree (git archive, no
// .git) over a unix socket; the synth server unpacks it into a folder of its own and synthesizes
// it; sets or the SynthError come back. Real git repositories, tar and child processes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { RemoteSynthesizer } from '../../../src/reconciler/remote-synthesizer.js';
import { Sandbox } from '../../../src/reconciler/sandbox.js';
import { SynthError } from '../../../src/reconciler/synth-error.js';
import { startSynthServer, type RunningSynthServer } from '../../../src/reconciler/synth-server.js';
import { SynthRunner } from '../../../src/reconciler/synth-runner.js';
import { declaration, fleetRepo } from '../../integration/reconciler/_fleet-repo.js';

describe('synth server and RemoteSynthesizer over a unix socket', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'clusterops-synth-server-'));
  let server: RunningSynthServer;
  beforeAll(async () => {
    const runner = new SynthRunner({ cacheDir: path.join(work, 'cache'), logger: silentLogger(), sandbox: Sandbox.insecure() });
    server = await startSynthServer({ socket: path.join(work, 'synth.sock'), workDir: path.join(work, 'revisions'), synthesizer: runner, logger: silentLogger() });
  });
  afterAll(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("synthesizes the revision's committed tree and answers with its checked sets", async () => {
    const repo = fleetRepo('s');
    repo.write('clusters/s/a.yaml', declaration('a'));
    repo.commit('a');
    // Not committed: the server sees the revision, not the working tree.
    repo.write('clusters/s/b.yaml', declaration('b'));
    const { sets } = await new RemoteSynthesizer(server.socket).synth(repo.dir);
    const mgmt = sets.find((s) => s.id === 'management.s')!;
    expect(mgmt.target).toEqual({ kind: 'management', stage: 's' });
    expect(mgmt.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/s', 'ConfigMap/cluster-a', 'WorkloadCluster/a']);
    repo.cleanup();
  });

  it("a revision's failure comes back as its SynthError; its code never sees a .git", async () => {
    const repo = fleetRepo();
    repo.write(
      'bin/clusterops.js',
      "import { existsSync } from 'node:fs';\nprocess.stderr.write('git:' + existsSync('.git') + ' cwd-has-bin:' + existsSync('bin/clusterops.js') + '\\n');\nprocess.exit(1);\n",
    );
    repo.write('clusters/s/a.yaml', declaration('a'));
    repo.commit('fails');
    const error = await new RemoteSynthesizer(server.socket).synth(repo.dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SynthError);
    expect((error as SynthError).phase).toBe('synth');
    expect((error as SynthError).message).toContain('git:false cwd-has-bin:true');
    repo.cleanup();
  });

  it('says clearly when no synth server listens', async () => {
    const repo = fleetRepo();
    repo.commit('empty');
    await expect(new RemoteSynthesizer(path.join(work, 'nobody.sock')).synth(repo.dir)).rejects.toThrow(/cannot reach the synth server at .*nobody\.sock/);
    repo.cleanup();
  });
});
