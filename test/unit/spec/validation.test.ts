import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../../src/spec/load.js';
import { formatProblem } from '../../../src/spec/problem.js';
import { clusterYaml, DOCKER_SPEC, fleetDir } from './_fleet-dir.js';

/** One failing input per validation rule: the file, line, field path and message it must report. */
const cases: Array<{ rule: string; files: Record<string, string | Buffer>; expect: Array<[file: string, line: number, path: string, message: RegExp]> }> = [
  {
    rule: 'YAML that does not parse',
    files: { 's/a.yaml': 'apiVersion: clusterops.io/v1alpha1\nkind: [WorkloadCluster\n' },
    expect: [['s/a.yaml', 3, '', /YAML syntax/]],
  },
  { rule: 'an empty file', files: { 's/a.yaml': '' }, expect: [['s/a.yaml', 1, '', /file is empty/]] },
  { rule: 'a file of comments only', files: { 's/a.yaml': '# nothing\n' }, expect: [['s/a.yaml', 1, '', /file is empty/]] },
  { rule: 'binary junk', files: { 's/a.yaml': Buffer.from([0xff, 0x00, 0x13, 0x88, 0x01]) }, expect: [['s/a.yaml', 1, '', /not a text file/]] },
  { rule: 'invalid UTF-8', files: { 's/a.yaml': Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x28]) }, expect: [['s/a.yaml', 1, '', /not valid UTF-8/]] },
  { rule: 'two documents', files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC) + '---\nkind: X\n' }, expect: [['s/a.yaml', 11, '', /more than one YAML document/]] },
  { rule: 'a list instead of a mapping', files: { 's/a.yaml': '- a\n' }, expect: [['s/a.yaml', 1, '', /expected a mapping/]] },
  {
    rule: 'wrong apiVersion',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC).replace('clusterops.io/v1alpha1', 'cluster.x-k8s.io/v1beta2') },
    expect: [['s/a.yaml', 1, 'apiVersion', /expected clusterops.io\/v1alpha1, got "cluster.x-k8s.io\/v1beta2"/]],
  },
  {
    rule: 'wrong kind',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC).replace('kind: WorkloadCluster', 'kind: Cluster') },
    expect: [['s/a.yaml', 2, 'kind', /expected WorkloadCluster, got "Cluster"/]],
  },
  {
    rule: 'a Stage outside stage.yaml',
    files: { 's/a.yaml': 'apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: s}\n' },
    expect: [['s/a.yaml', 2, 'kind', /a Stage belongs in stage.yaml/]],
  },
  { rule: 'name not DNS-1123', files: { 's/a.yaml': clusterYaml('Pay_ments', DOCKER_SPEC) }, expect: [['s/a.yaml', 4, 'metadata.name', /not a DNS-1123 label/]] },
  { rule: 'name over 63 characters', files: { 's/a.yaml': clusterYaml('a'.repeat(64), DOCKER_SPEC) }, expect: [['s/a.yaml', 4, 'metadata.name', /64 characters; a DNS-1123 label has at most 63/]] },
  {
    rule: 'duplicate names within a stage',
    files: { 's/a.yaml': clusterYaml('x', DOCKER_SPEC), 's/b.yaml': clusterYaml('x', DOCKER_SPEC), 't/c.yaml': clusterYaml('x', DOCKER_SPEC) },
    expect: [['s/b.yaml', 4, 'metadata.name', /duplicate cluster name "x" in stage "s" \(also declared in .*s\/a.yaml\)/]],
  },
  {
    rule: 'Stage name different from its folder',
    files: { 's/stage.yaml': 'apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata:\n  name: prod\n' },
    expect: [['s/stage.yaml', 4, 'metadata.name', /must equal its folder name "s"/]],
  },
  {
    rule: 'unknown provider',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('docker', 'gcp')) },
    expect: [['s/a.yaml', 6, 'spec.provider', /unknown provider; expected one of docker, aws, azure/]],
  },
  {
    rule: 'region missing for aws',
    files: { 's/a.yaml': clusterYaml('a', '  provider: aws\n  kubernetesVersion: v1.34.2\n  controlPlane: {replicas: 1, machineType: m6i.large}\n  nodePools: []\n') },
    expect: [['s/a.yaml', 6, 'spec.region', /required by provider aws/]],
  },
  {
    rule: 'control-plane replicas not 1/3/5',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('replicas: 1}', 'replicas: 2}')) },
    expect: [['s/a.yaml', 8, 'spec.controlPlane.replicas', /must be 1, 3 or 5/]],
  },
  {
    rule: 'Kubernetes version not vX.Y.Z',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('v1.34.2', '1.34')) },
    expect: [['s/a.yaml', 7, 'spec.kubernetesVersion', /not a Kubernetes version of the form vX.Y.Z/]],
  },
  {
    rule: 'Kubernetes minor not supported',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('v1.34.2', 'v1.28.0')) },
    expect: [['s/a.yaml', 7, 'spec.kubernetesVersion', /Kubernetes 1.28 is not supported; supported minors: 1.33/]],
  },
  {
    rule: 'invalid CIDR',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC + '  network:\n    podCIDRs: [10.300.0.0/16]\n    serviceCIDRs: [10.96.0.0/33]\n') },
    expect: [
      ['s/a.yaml', 12, 'spec.network.podCIDRs[0]', /does not start with a valid IP address/],
      ['s/a.yaml', 13, 'spec.network.serviceCIDRs[0]', /prefix \/33, more than 32 bits/],
    ],
  },
  {
    rule: 'pod and service ranges overlap',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC + '  network:\n    podCIDRs: [10.0.0.0/8]\n    serviceCIDRs: [10.96.0.0/12]\n') },
    expect: [['s/a.yaml', 13, 'spec.network.serviceCIDRs[0]', /overlaps pod range 10.0.0.0\/8/]],
  },
  {
    rule: 'pool replicas below 0',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('replicas: 2}', 'replicas: -2}')) },
    expect: [['s/a.yaml', 10, 'spec.nodePools[0].replicas', /must be 0 or more/]],
  },
  {
    rule: 'pool replicas beyond int32 (validated, then failed at apply)',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('replicas: 2}', 'replicas: 1e15}')) },
    expect: [['s/a.yaml', 10, 'spec.nodePools[0].replicas', /must be at most 2147483647 \(a 32-bit integer\), got 1000000000000000$/]],
  },
  {
    rule: 'autoscaling max beyond int32',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('replicas: 2}', 'autoscaling: {min: 1, max: 4294967296}}')) },
    expect: [['s/a.yaml', 10, 'spec.nodePools[0].autoscaling.max', /must be at most 2147483647 \(a 32-bit integer\), got 4294967296$/]],
  },
  {
    rule: 'a number too large for a float (1e309)',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('replicas: 2}', 'replicas: 1e309}')) },
    expect: [['s/a.yaml', 10, 'spec.nodePools[0].replicas', /^expected a number, got 1e309, which is too large for a number \(infinity\)$/]],
  },
  {
    rule: 'infinity',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('replicas: 2}', 'autoscaling: {min: 1, max: .inf}}')) },
    expect: [['s/a.yaml', 10, 'spec.nodePools[0].autoscaling.max', /^expected a number, got .inf, which is infinity$/]],
  },
  {
    rule: 'not a number',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('replicas: 2}', 'replicas: .nan}')) },
    expect: [['s/a.yaml', 10, 'spec.nodePools[0].replicas', /^expected a number, got .nan, which is not a number$/]],
  },
  {
    rule: 'control-plane replicas of infinity',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('replicas: 1}', 'replicas: -.inf}')) },
    expect: [['s/a.yaml', 8, 'spec.controlPlane.replicas', /control-plane replicas must be 1, 3 or 5, got -.inf, which is minus infinity/]],
  },
  {
    rule: 'autoscaling min greater than max',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('replicas: 2}', 'autoscaling: {min: 4, max: 2}}')) },
    expect: [['s/a.yaml', 10, 'spec.nodePools[0].autoscaling.min', /min 4 is greater than max 2/]],
  },
  {
    rule: 'replicas and autoscaling both set',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('replicas: 2}', 'replicas: 1, autoscaling: {min: 1, max: 2}}')) },
    expect: [['s/a.yaml', 10, 'spec.nodePools[0]', /either replicas or autoscaling, not both/]],
  },
  {
    rule: 'duplicate pool names',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC + '    - {name: general, replicas: 2}\n') },
    expect: [['s/a.yaml', 11, 'spec.nodePools[1].name', /duplicate node pool name "general" \(also nodePools\[0\]\)/]],
  },
  {
    rule: 'invalid pool name',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('name: general', 'name: General')) },
    expect: [['s/a.yaml', 10, 'spec.nodePools[0].name', /not a DNS-1123 label/]],
  },
  {
    rule: 'unknown add-on',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC + '  addons:\n    service-mesh: {}\n') },
    expect: [['s/a.yaml', 12, 'spec.addons.service-mesh', /unknown add-on "service-mesh"; the catalog has: cert-manager, cilium, default-deny-policies, .* \(or name a Helm chart with chart: charts\/<name>\)/]],
  },
  {
    rule: 'invalid add-on settings',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC + '  addons:\n    default-deny-policies:\n      denyEgress: "yes"\n') },
    expect: [['s/a.yaml', 13, 'spec.addons.default-deny-policies.denyEgress', /must be true or false/]],
  },
  {
    rule: 'unknown field',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC + '  nodepools: []\n') },
    expect: [['s/a.yaml', 11, 'spec.nodepools', /unknown field "nodepools"/]],
  },
  {
    rule: 'policy: minimum control-plane replicas',
    files: {
      's/stage.yaml': 'apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: s}\nspec:\n  policy: {minControlPlaneReplicas: 3}\n',
      's/a.yaml': clusterYaml('a', DOCKER_SPEC),
    },
    expect: [['s/a.yaml', 8, 'spec.controlPlane.replicas', /stage "s" policy requires at least 3 control-plane replicas/]],
  },
  {
    rule: 'policy: required deletion protection, against the cluster value',
    files: {
      's/stage.yaml': 'apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: s}\nspec:\n  defaults: {deletionProtection: true}\n  policy: {requireDeletionProtection: true}\n',
      's/a.yaml': clusterYaml('a', DOCKER_SPEC + '  deletionProtection: false\n'),
    },
    expect: [['s/a.yaml', 11, 'spec.deletionProtection', /policy requires deletionProtection: true/]],
  },
  {
    rule: 'a stage default that is wrong is reported in stage.yaml',
    files: {
      's/stage.yaml': 'apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: s}\nspec:\n  defaults:\n    kubernetesVersion: v1.20.1\n',
      's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('  kubernetesVersion: v1.34.2\n', '')),
      's/b.yaml': clusterYaml('b', DOCKER_SPEC.replace('  kubernetesVersion: v1.34.2\n', '')),
    },
    expect: [['s/stage.yaml', 6, 'spec.defaults.kubernetesVersion', /Kubernetes 1.20 is not supported/]],
  },
  {
    rule: 'a required field missing',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('  controlPlane: {replicas: 1}\n', '')) },
    expect: [['s/a.yaml', 6, 'spec.controlPlane', /required field is missing/]],
  },
  {
    rule: 'no Kubernetes version in the cluster or the stage',
    files: { 's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('  kubernetesVersion: v1.34.2\n', '')) },
    expect: [['s/a.yaml', 6, 'spec.kubernetesVersion', /required field is missing/]],
  },
  {
    rule: 'a file outside a stage folder',
    files: { 'a.yaml': clusterYaml('a', DOCKER_SPEC) },
    expect: [['a.yaml', 1, '', /declarations belong in a stage folder/]],
  },
];

describe('validation reports each problem at its file, line and field', () => {
  it.each(cases)('$rule', async ({ files, expect: want }) => {
    const root = fleetDir(files);
    const { fleet, problems } = await loadFleet(root);
    expect(fleet).toBeUndefined();
    const got = problems.map((p) => ({ ...p, file: p.file.slice(root.length + 1) }));
    for (const [file, line, path, message] of want) {
      const hit = got.find((p) => p.file === file && p.path === path && message.test(p.message));
      expect(hit, `no problem ${file} ${path} ~ ${message}; got:\n${problems.map(formatProblem).join('\n')}`).toBeDefined();
      expect(hit!.line).toBe(line);
    }
    expect(got.length).toBe(want.length);
  });
});

describe('loading', () => {
  it('reports every problem of every file in one run, sorted by file', async () => {
    const root = fleetDir({
      'b/x.yaml': clusterYaml('x', DOCKER_SPEC.replace('docker', 'gcp')),
      'a/y.yaml': clusterYaml('Y', DOCKER_SPEC.replace('replicas: 1}', 'replicas: 4}')),
    });
    const { problems } = await loadFleet(root);
    expect(problems.map((p) => [p.file.slice(root.length + 1), p.path])).toEqual([
      ['a/y.yaml', 'metadata.name'],
      ['a/y.yaml', 'spec.controlPlane.replicas'],
      ['b/x.yaml', 'spec.provider'],
    ]);
  });

  it('merges stage defaults under the cluster spec; the cluster value wins', async () => {
    const root = fleetDir({
      's/stage.yaml': 'apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: s}\nspec:\n  defaults:\n    kubernetesVersion: v1.33.4\n    deletionProtection: true\n    addons: {priority-classes: {}}\n',
      's/a.yaml': clusterYaml('a', DOCKER_SPEC.replace('  kubernetesVersion: v1.34.2\n', '')),
      's/b.yaml': clusterYaml('b', DOCKER_SPEC + '  deletionProtection: false\n'),
    });
    const { fleet, problems } = await loadFleet(root);
    expect(problems).toEqual([]);
    const [a, b] = fleet!.clusters;
    expect([a.name, a.spec.kubernetesVersion, a.spec.deletionProtection]).toEqual(['a', 'v1.33.4', true]);
    expect([b.name, b.spec.kubernetesVersion, b.spec.deletionProtection]).toEqual(['b', 'v1.34.2', false]);
    expect(Object.keys(a.spec.addons)).toEqual(['priority-classes']);
    expect(a.spec.network).toEqual({ podCIDRs: ['192.168.0.0/16'], serviceCIDRs: ['10.128.0.0/12'] });
  });

  it('reads the example fleet in this repository without a problem', async () => {
    const { fleet, problems } = await loadFleet('clusters');
    expect(problems.map(formatProblem)).toEqual([]);
    expect(new Set(fleet!.clusters.map((c) => c.spec.provider))).toEqual(new Set(['docker', 'aws', 'azure', 'local']));
    expect(fleet!.stages.map((s) => s.name)).toEqual(['dev', 'production', 'staging']);
  });
});
