/**
 * The `local` provider process: informers on Cluster API's Clusters and Machines and on our three
 * kinds, one work queue and controller per kind (LocalCluster, LocalControlPlane, LocalMachine), a
 * watchdog that brings back a workload control plane whose process died, and the Node heartbeats.
 * Workload control planes run under detached supervisors, so stopping (or killing) this process
 * leaves them running; the next start adopts them.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { controlPlaneBinaries } from '../controlplane/index.js';
import { KubeClient } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { Informer, objectKey, type WatchEvent } from '../kube/watch.js';
import { dirname } from 'node:path';
import { capiOwner, capiPath, CLUSTER_NAME_LABEL, keyOf, localClusterOf, localControlPlaneOf, localPath, type Cluster, type LocalCluster, type LocalControlPlane, type LocalMachine, type Machine, type Obj } from './_objects.js';
import type { ProviderContext } from './_context.js';
import { reconcileLocalCluster } from './local-cluster-controller.js';
import { reconcileLocalControlPlane } from './local-control-plane-controller.js';
import { localMachineOf, reconcileLocalMachine } from './local-machine-controller.js';
import { WorkQueue } from './work-queue.js';
import { NodeHeartbeats } from './workload-nodes.js';
import { binariesVersion, WorkloadControlPlanes } from './workload-control-planes.js';

/** How to run the provider. */
export interface LocalProviderOptions {
  /** Kubeconfig of the management cluster. */
  kubeconfig: string;
  /** Folder of the workload control planes (`<dir>/<namespace>/<cluster>/`). */
  stateDir: string;
  /** Folder with etcd, kube-apiserver, kube-controller-manager. @default what tools/build.sh prints */
  binDir?: string;
  /** @default pino JSON lines on stderr */
  logger?: Logger;
  /** How often the watchdog looks at the workload processes. @default 2_000 */
  watchdogMs?: number;
  /** How often every object is reconciled again, besides the watches. @default 60_000 */
  resyncMs?: number;
}

/** A running provider. */
export interface LocalProvider {
  /** Stops the controllers and heartbeats; workload control planes keep running. */
  stop(): Promise<void>;
  /** Resolves once every informer has listed once. */
  readonly synced: Promise<void>;
}

/** Starts the provider. */
export async function startLocalProvider(options: LocalProviderOptions): Promise<LocalProvider> {
  const logger = options.logger ?? pino({ name: 'clusterops-local-provider', base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
  const stateDir = resolve(options.stateDir);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const binDir = options.binDir ?? dirname((await controlPlaneBinaries((line) => logger.info(line)))['kube-apiserver']);
  const version = await binariesVersion(binDir);
  const api = await KubeClient.fromKubeConfig(loadKubeconfig({ path: options.kubeconfig }));
  const workloadClients = new Map<string, Promise<KubeClient>>();

  const queues = {} as Record<'cluster' | 'controlPlane' | 'machine', WorkQueue>;
  const enqueue = (queue: keyof typeof queues, key: string | undefined) => key && queues[queue].add(key);
  const onError = (what: string) => (error: unknown) => logger.warn({ err: message(error) }, `${what}: watch failed; retrying`);
  const informer = <T extends Obj>(what: string, path: string, onEvent: (event: WatchEvent<T>) => void) =>
    new Informer<T>({ client: api, path, onEvent, onError: onError(what) });

  /** The queue key of another object of the same Cluster (its LocalCluster or LocalControlPlane), through the owner Cluster. */
  const siblingOf = (object: Obj, of: (cluster: Cluster) => string | undefined): string | undefined => {
    const owner = capiOwner(object, 'Cluster');
    const cluster = owner ? ctx.clusters.get(keyOf(object.metadata.namespace!, owner.name)) : undefined;
    return cluster ? of(cluster) : undefined;
  };
  const ctx: ProviderContext = {
    api,
    logger,
    binDir,
    binariesVersion: version,
    workloads: new WorkloadControlPlanes(stateDir, binDir),
    heartbeats: new NodeHeartbeats(
      (key) => enqueue('machine', key),
      (key, error) => logger.warn({ localMachine: key, err: message(error) }, 'heartbeat failed'),
    ),
    clusters: informer<Cluster>('clusters', capiPath('clusters'), ({ object }) => {
      enqueue('cluster', localClusterOf(object));
      enqueue('controlPlane', localControlPlaneOf(object));
      for (const machine of ctx.localMachines.list()) {
        if (machine.metadata.namespace === object.metadata.namespace && machine.metadata.labels?.[CLUSTER_NAME_LABEL] === object.metadata.name) {
          enqueue('machine', objectKey(machine));
        }
      }
    }),
    machines: informer<Machine>('machines', capiPath('machines'), ({ object }) => enqueue('machine', localMachineOf(object))),
    // A LocalCluster and its cluster's LocalControlPlane wait for each other: the control plane for
    // the endpoint, the LocalCluster for the running control plane (see local-cluster-controller.ts).
    localClusters: informer<LocalCluster>('localclusters', localPath('LocalCluster'), ({ object }) => {
      enqueue('cluster', objectKey(object));
      enqueue('controlPlane', siblingOf(object, localControlPlaneOf));
    }),
    localControlPlanes: informer<LocalControlPlane>('localcontrolplanes', localPath('LocalControlPlane'), ({ object }) => {
      enqueue('controlPlane', objectKey(object));
      enqueue('cluster', siblingOf(object, localClusterOf));
    }),
    localMachines: informer<LocalMachine>('localmachines', localPath('LocalMachine'), ({ object }) => enqueue('machine', objectKey(object))),
    workloadClient(namespace, cluster) {
      const key = keyOf(namespace, cluster);
      let client = workloadClients.get(key);
      if (!client) {
        const path = `${ctx.workloads.dirOf(namespace, cluster)}/kubeconfig`;
        client = KubeClient.fromKubeConfig(loadKubeconfig({ path }), { maxRetries: 2, timeoutMs: 10_000, maxDelayMs: 2_000 });
        client.catch(() => workloadClients.delete(key));
        workloadClients.set(key, client);
      }
      return client;
    },
  };

  const queueOptions = (kind: string) => ({
    concurrency: 2,
    onError: (key: string, error: unknown, retryInMs: number) => logger.warn({ [kind]: key, err: message(error), retryInMs }, `reconcile of ${kind} failed`),
  });
  queues.cluster = new WorkQueue((key) => reconcileLocalCluster(ctx, key), queueOptions('localCluster'));
  queues.controlPlane = new WorkQueue((key) => reconcileLocalControlPlane(ctx, key), queueOptions('localControlPlane'));
  queues.machine = new WorkQueue((key) => reconcileLocalMachine(ctx, key), queueOptions('localMachine'));

  const informers = [ctx.clusters, ctx.machines, ctx.localClusters, ctx.localControlPlanes, ctx.localMachines];
  for (const each of informers) each.start();
  const synced = Promise.all(informers.map((each) => each.hasSynced)).then(() => undefined);
  logger.info({ stateDir, binDir, version }, 'local provider started');

  // A workload control plane whose component died: its supervisor stopped it; reconcile starts it again.
  const watchdog = setInterval(() => {
    for (const key of ctx.workloads.clusters) {
      const [namespace, cluster] = key.split('/');
      void ctx.workloads.isRunning(namespace, cluster).then((running) => {
        if (running) return;
        const owner = ctx.clusters.get(key);
        const controlPlane = owner ? localControlPlaneOf(owner) : undefined;
        if (controlPlane) {
          logger.warn({ cluster: key }, 'workload control plane is down; restarting it');
          enqueue('controlPlane', controlPlane);
        }
      });
    }
  }, options.watchdogMs ?? 2_000);
  const resync = setInterval(() => {
    for (const object of ctx.localClusters.list()) enqueue('cluster', objectKey(object));
    for (const object of ctx.localControlPlanes.list()) enqueue('controlPlane', objectKey(object));
    for (const object of ctx.localMachines.list()) enqueue('machine', objectKey(object));
  }, options.resyncMs ?? 60_000);

  return {
    synced,
    async stop() {
      clearInterval(watchdog);
      clearInterval(resync);
      ctx.heartbeats.stop();
      await Promise.all(informers.map((each) => each.stop()));
      await Promise.all(Object.values(queues).map((queue) => queue.stop()));
      for (const client of workloadClients.values()) void client.then((c) => c.close(), () => undefined);
      api.close();
      logger.info('local provider stopped');
    },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
