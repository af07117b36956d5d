/**
 * The remote charts a revision's declarations name (an OCI reference or an https URL, with its
 * digest), found without validating anything: what the reconciler pulls into the chart cache,
 * outside the sandbox, before the revision's synth reads them from there without network.
 */
import { isRemoteChart, type RemoteChart } from '../helm/chart-pull.js';
import { addonsOf, rawDeclarations } from './raw-declarations.js';

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every remote chart named under `root` (the clusters folder), once per digest. */
export function remoteChartsOf(root: string): RemoteChart[] {
  const out = new Map<string, RemoteChart>();
  for (const d of rawDeclarations(root)) {
    for (const settings of Object.values(addonsOf(d))) {
      if (!isMapping(settings)) continue;
      const { chart, version, digest } = settings;
      if (typeof chart !== 'string' || !isRemoteChart(chart) || typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) continue;
      out.set(digest, { ref: chart, digest, ...(typeof version === 'string' ? { version } : {}) });
    }
  }
  return [...out.values()];
}
