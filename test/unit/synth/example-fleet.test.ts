import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { synthCommand } from '../../../src/cli/commands/synth.js';
import { readManifestSets } from '../../../src/reconciler/synth-output.js';
import { loadFleet } from '../../../src/spec/load.js';
import { toYaml } from '../../../src/synth/serialize.js';
import { synthFleet } from '../../../src/synth/synth.js';
import { runCommand } from '../../_run-command.js';

const GOLDEN = new URL('../../fixtures/golden/example-fleet.yaml', import.meta.url);

/** The synthesized example fleet, as `clusterops synth -o -` prints it. */
async function exampleOutput(): Promise<string> {
  const { fleet, problems } = await loadFleet('clusters');
  expect(problems).toEqual([]);
  return synthFleet(fleet!)
    .map((set) => `# clusterops manifest set: ${set.id}\n${toYaml(set.objects)}`)
    .join('');
}

describe('the example fleet in clusters/', () => {
  it('synthesizes to the golden output (UPDATE_GOLDEN=1 to accept a change on purpose)', async () => {
    const out = await exampleOutput();
    if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, out);
    expect(out).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('speaks manifest-sets/v1 to the reconciler: `synth --format sets-json` reads back as the very sets synth built', async () => {
    const { fleet } = await loadFleet('clusters');
    const run = await runCommand(synthCommand, ['--clusters', 'clusters', '--format', 'sets-json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).apiVersion).toBe('clusterops.io/manifest-sets/v1');
    expect(readManifestSets(run.stdout)).toEqual({ sets: JSON.parse(JSON.stringify(synthFleet(fleet!))), blocked: [] });
  });

  it('synthesizes the same bytes twice', async () => {
    expect(await exampleOutput()).toBe(await exampleOutput());
  });

  it('has one management set per stage and one add-on set per cluster', async () => {
    const { fleet } = await loadFleet('clusters');
    const ids = synthFleet(fleet!).map((s) => s.id);
    expect(ids).toEqual([
      'management.dev',
      'addons.dev.jobs',
      'addons.dev.web',
      'management.production',
      'addons.production.analytics-weu',
      'addons.production.payments-eu1',
      'management.staging',
      'addons.staging.dev-local',
      'addons.staging.payments-eu1',
    ]);
  });
});
