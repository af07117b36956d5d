/**
 * The remote charts a revision's declarations name (an OCI reference or an https URL, with its
 * digest), found without validating anything: what the reconciler pulls into the chart cache,
 * outside the sandbox, before the revision's synth reads them from there without network. A file
 * that does not parse names nothing here; the synth's own load reports it.
 */
import { parse } from 'yaml';
import { isRemoteChart, type RemoteChart } from '../helm/chart-pull.js';
import { readBounded } from './_read-bounded.js';
import { listFleetFiles } from './fleet-files.js';

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The remote charts under `addons` of a parsed document's `spec` (or a stage's `spec.defaults`). */
function chartsIn(addons: unknown, out: Map<string, RemoteChart>): void {
  if (!isMapping(addons)) return;
  for (const settings of Object.values(addons)) {
    if (!isMapping(settings)) continue;
    const { chart, version, digest } = settings;
    if (typeof chart !== 'string' || !isRemoteChart(chart) || typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) continue;
    out.set(digest, { ref: chart, digest, ...(typeof version === 'string' ? { version } : {}) });
  }
}

/** Every remote chart named under `root` (the clusters folder), once per digest. */
export function remoteChartsOf(root: string): RemoteChart[] {
  const out = new Map<string, RemoteChart>();
  let listed;
  try {
    listed = listFleetFiles(root);
  } catch {
    return [];
  }
  for (const stage of listed.stages) {
    for (const f of [...(stage.stageFile ? [stage.stageFile] : []), ...stage.clusterFiles]) {
      const r = readBounded(f.read);
      if ('error' in r) continue;
      let doc: unknown;
      try {
        doc = parse(r.bytes.toString('utf8'));
      } catch {
        continue;
      }
      const spec = isMapping(doc) && isMapping(doc.spec) ? doc.spec : undefined;
      chartsIn(spec?.addons, out);
      chartsIn(isMapping(spec?.defaults) ? spec.defaults.addons : undefined, out);
    }
  }
  return [...out.values()];
}
