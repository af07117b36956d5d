import { addonSetId, managementSetId } from '../model/manifest-set.js';
import type { ClusterRequests } from './cluster-requests.js';
import type { SetFacts, StatusFacts } from './cluster-status.js';
import type { DeclaredCluster } from './declared-clusters.js';
import type { GoodRevision, Revisions } from './revisions.js';
import { inSync, type Target } from './target.js';
import { waitingChanges } from './waiting-changes.js';

/** What the reconciler observed about one set, as the status table reads it. */
function setFacts(t: Target): SetFacts {
  return { inSync: inSync(t), lastError: t.lastError, appliedRevision: t.appliedRevision, appliedAt: t.appliedAt, counts: t.lastCounts };
}

/** The facts of one declared cluster: its stage's management set, its own add-on set, the source and its requests. */
export function clusterFacts(c: DeclaredCluster, good: GoodRevision, targets: ReadonlyMap<string, Target>, revisions: Revisions, requests: ClusterRequests): StatusFacts {
  const mgmt = targets.get(managementSetId(c.stage));
  const addons = targets.get(addonSetId(c.stage, c.name));
  const suspended = requests.suspended(c.stage, c.name);
  const pair = (t: Target | undefined) => t && { wanted: t.set, applied: t.appliedSet };
  return {
    goodRevision: good.revision,
    lastFetched: revisions.lastFetched,
    suspended,
    ...(suspended ? { waitingChanges: waitingChanges(c.name, [pair(mgmt), pair(addons)]) } : {}),
    fetchError: revisions.fetchError,
    rejected: revisions.rejected,
    stack: revisions.stack,
    management: mgmt && setFacts(mgmt),
    addons: addons && { ...setFacts(addons), waiting: addons.waiting, health: addons.health },
  };
}
