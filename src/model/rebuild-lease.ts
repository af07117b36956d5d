/**
 * The Lease a rebuild of a management cluster holds while it runs (`clusterops rebuild`): one rebuild
 * at a time, and a reconciler applies nothing while it is held, so the Clusters a rebuild applies
 * paused are not applied unpaused under it before their identities are checked.
 */

/** Where the Lease lives. */
export const REBUILD_LEASE = { namespace: 'kube-system', name: 'clusterops-rebuild' } as const;

/** How long a holder that stopped renewing keeps it. */
export const REBUILD_LEASE_SECONDS = 30;

/** The parts of a Lease read here. */
export interface LeaseObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
}

/**
 * Whether the Lease is still held at `now`: held while renewed within its duration, unless its
 * holder (`host/pid`) is a process of `host` that `alive` says is gone; pure but for `alive`.
 */
export function leaseHeld(lease: LeaseObject, now: number, host: string, alive: (pid: number) => boolean): boolean {
  const holder = lease.spec?.holderIdentity ?? '';
  const slash = holder.lastIndexOf('/');
  const holderPid = Number(holder.slice(slash + 1));
  if (slash > 0 && holder.slice(0, slash) === host && Number.isInteger(holderPid) && !alive(holderPid)) return false;
  const renewed = Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? '');
  if (Number.isNaN(renewed)) return false;
  return now - renewed < (lease.spec?.leaseDurationSeconds ?? REBUILD_LEASE_SECONDS) * 1000;
}

/** Whether a process with this pid runs on this host (a signal-0 probe). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
