import fc from 'fast-check';
import { expect, test } from 'vitest';
import { CLUSTER_LABEL, DELETION_PROTECTION_ANNOTATION, STAGE_LABEL } from '../../../src/model/manifest-set.js';
import { toYaml } from '../../../src/synth/serialize.js';
import { synthFleet } from '../../../src/synth/synth.js';
import { arbitraryFleet } from '../../fixtures/fleets.js';

test('synth of any valid fleet succeeds, is deterministic and keeps its invariants', () => {
  fc.assert(
    fc.property(arbitraryFleet, (fleet) => {
      const sets = synthFleet(fleet);
      const yaml = sets.map((s) => `${s.id}\n${toYaml(s.objects)}`).join('');
      expect(synthFleet(fleet).map((s) => `${s.id}\n${toYaml(s.objects)}`).join('')).toBe(yaml);

      const stages = new Set([...fleet.stages.map((s) => s.name), ...fleet.clusters.map((c) => c.stage)]);
      expect(sets.filter((s) => s.target.kind === 'management')).toHaveLength(stages.size);
      expect(sets.filter((s) => s.target.kind === 'workload')).toHaveLength(fleet.clusters.length);
      for (const set of sets) {
        for (const object of set.objects) expect(object.metadata.labels?.[STAGE_LABEL]).toBe(set.target.stage);
      }
      for (const cluster of fleet.clusters) {
        const object = sets
          .find((s) => s.id === `management.${cluster.stage}`)
          ?.objects.find((o) => o.kind === 'Cluster' && o.metadata.name === cluster.name);
        expect(object?.metadata.labels?.[CLUSTER_LABEL]).toBe(cluster.name);
        expect(object?.metadata.annotations?.[DELETION_PROTECTION_ANNOTATION]).toBe(cluster.spec.deletionProtection ? 'true' : undefined);
        const pools = (object?.spec as { topology: { workers: { machineDeployments: Array<{ name: string; replicas?: number }> } } }).topology.workers
          .machineDeployments;
        expect(pools.map((p) => [p.name, p.replicas])).toEqual(
          cluster.spec.nodePools.map((p) => [p.name, p.autoscaling ? undefined : p.replicas]),
        );
      }
    }),
    { numRuns: 60 },
  );
});
