// The reconciler's own reading of a revision's declarations, nothing validated: the add-ons each
// cluster declares (its own and its stage's defaults), and the remote charts to pull; a file that
// does not parse, or a name declared twice, gives nothing to trust.
import { describe, expect, it } from 'vitest';
import { declaredAddons } from '../../../src/spec/raw-declarations.js';
import { remoteChartsOf } from '../../../src/spec/remote-charts.js';
import { writeFleet } from '../../../src/testing.js';

const cluster = (name: string, addons: string) => `apiVersion: clusterops.io/v1alpha1\nkind: WorkloadCluster\nmetadata: {name: ${name}}\nspec:\n  addons: ${addons}\n`;
const digest = `sha256:${'a'.repeat(64)}`;

describe('the declarations as the reconciler reads them', () => {
  it('names each cluster by stage and metadata.name with its add-ons and its stage defaults; a name declared twice gets none', () => {
    const root = writeFleet({
      's/stage.yaml': 'apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: s}\nspec:\n  defaults:\n    addons: {cert-manager: {}}\n',
      's/a.yaml': cluster('a', '{metrics-server: {}, team-namespaces: {teams: []}}'),
      's/file-b.yaml': cluster('b', '{}'),
      's/c1.yaml': cluster('c', '{x: {}}'),
      's/c2.yaml': cluster('c', '{y: {}}'),
      's/broken.yaml': 'spec: [unclosed\n',
      't/d.yaml': cluster('d', `{demo: {chart: "oci://r.example/charts/demo", version: 1.0.0, digest: "${digest}"}, local: {chart: charts/x}}`),
    });
    expect(Object.fromEntries(declaredAddons(root))).toEqual({
      's/a': ['cert-manager', 'metrics-server', 'team-namespaces'],
      's/b': ['cert-manager'],
      's/c': [],
      't/d': ['demo', 'local'],
    });
    expect(remoteChartsOf(root)).toEqual([{ ref: 'oci://r.example/charts/demo', version: '1.0.0', digest }]);
  });
});
