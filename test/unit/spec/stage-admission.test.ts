import { describe, expect, it } from 'vitest';
import { loadFleet, loadStages } from '../../../src/spec/load.js';
import { formatProblem } from '../../../src/spec/problem.js';
import { clusterYaml, DOCKER_SPEC, fleetDir } from './_fleet-dir.js';

const stageYaml = (spec: string) => `apiVersion: clusterops.io/v1alpha1
kind: Stage
metadata: {name: s}
spec:
${spec}`;

describe('spec.admission of stage.yaml', () => {
  it('reads group/kind grants for the management cluster and for workload clusters', async () => {
    const root = fleetDir({
      's/stage.yaml': stageYaml('  admission:\n    management:\n      - {group: "", kind: ConfigMap}\n    workload:\n      - {group: apiextensions.k8s.io, kind: CustomResourceDefinition}\n'),
      's/a.yaml': clusterYaml('a', DOCKER_SPEC),
    });
    const expected = { management: [{ group: '', kind: 'ConfigMap' }], workload: [{ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' }] };
    expect((await loadFleet(root)).fleet?.stages[0].admission).toEqual(expected);
    expect((await loadStages(root)).stages?.[0].admission).toEqual(expected);
  });

  it('defaults a missing side to no grant, and a stage without admission to none', async () => {
    const root = fleetDir({ 's/stage.yaml': stageYaml('  admission:\n    workload: [{group: apps, kind: Deployment}]\n'), 't/a.yaml': clusterYaml('a', DOCKER_SPEC) });
    const { stages } = await loadStages(root);
    expect(stages?.map((s) => [s.name, s.admission])).toEqual([
      ['s', { management: [], workload: [{ group: 'apps', kind: 'Deployment' }] }],
      ['t', undefined],
    ]);
  });

  const bad: Array<{ rule: string; spec: string; expect: Array<[line: number, path: string, message: RegExp]> }> = [
    { rule: 'an unknown key in a grant', spec: '  admission:\n    management: [{group: "", kind: ConfigMap, verbs: [all]}]\n', expect: [[6, 'spec.admission.management[0].verbs', /unknown field "verbs"/]] },
    { rule: 'an unknown side', spec: '  admission:\n    everywhere: []\n', expect: [[6, 'spec.admission.everywhere', /unknown field "everywhere"/]] },
    { rule: 'a kind pattern', spec: '  admission:\n    workload: [{group: apps, kind: "*"}]\n', expect: [[6, 'spec.admission.workload[0].kind', /one CamelCase name/]] },
    { rule: 'a group that is no DNS subdomain', spec: '  admission:\n    workload: [{group: "Apps!", kind: Deployment}]\n', expect: [[6, 'spec.admission.workload[0].group', /API group .* not a DNS-1123 subdomain/]] },
    { rule: 'a grant without its group', spec: '  admission:\n    management:\n      - kind: ConfigMap\n', expect: [[7, 'spec.admission.management[0].group', /required field is missing/]] },
  ];

  it.each(bad)('refuses $rule with file:line', async ({ spec, expect: want }) => {
    const root = fleetDir({ 's/stage.yaml': stageYaml(spec) });
    for (const r of [await loadFleet(root), await loadStages(root)]) {
      expect(r.problems.map((p) => [p.line, p.path])).toEqual(want.map(([line, path]) => [line, path]));
      r.problems.forEach((p, i) => expect(formatProblem(p)).toMatch(want[i][2]));
    }
  });
});
