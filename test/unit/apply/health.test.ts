import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'yaml';
import { HEALTH_STATUSES, objectHealth } from '../../../src/apply/health.js';

/** Fixtures read as the API server returns them, so they are written as YAML. */
const y = (text: string): Record<string, unknown> => parse(text) as Record<string, unknown>;

describe('Deployment', () => {
  const deployment = (status: string, generation = 3) =>
    y(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, generation: ${generation}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx:1.27}]}}
status:
${status}`);

  it('is InProgress while new pods roll out', () => {
    const obj = deployment(`
  observedGeneration: 3
  replicas: 4
  updatedReplicas: 2
  readyReplicas: 3
  availableReplicas: 3
  conditions:
  - {type: Available, status: "True", reason: MinimumReplicasAvailable, message: Deployment has minimum availability.}
  - {type: Progressing, status: "True", reason: ReplicaSetUpdated, message: ReplicaSet "web-5d9c7b8f6" is progressing.}`);
    expect(objectHealth(obj)).toEqual({ status: 'InProgress', message: 'updated: 2/3' });
  });

  it('is InProgress while old pods are still terminating', () => {
    const obj = deployment(`
  observedGeneration: 3
  replicas: 4
  updatedReplicas: 3
  readyReplicas: 3
  availableReplicas: 3`);
    expect(objectHealth(obj)).toEqual({ status: 'InProgress', message: 'pending termination: 1 old replicas' });
  });

  it('is Current when every replica is updated, ready and available', () => {
    const obj = deployment(`
  observedGeneration: 3
  replicas: 3
  updatedReplicas: 3
  readyReplicas: 3
  availableReplicas: 3
  conditions:
  - {type: Available, status: "True", reason: MinimumReplicasAvailable}
  - {type: Progressing, status: "True", reason: NewReplicaSetAvailable}`);
    expect(objectHealth(obj)).toEqual({ status: 'Current', message: 'Deployment available: 3/3 replicas ready' });
  });

  it('is InProgress when the controller has not observed the latest generation, even if counts look done', () => {
    const obj = deployment(
      `
  observedGeneration: 3
  replicas: 3
  updatedReplicas: 3
  readyReplicas: 3
  availableReplicas: 3`,
      4,
    );
    expect(objectHealth(obj)).toEqual({ status: 'InProgress', message: 'controller has observed generation 3, object is at 4' });
  });

  it('is Failed when the progress deadline is exceeded', () => {
    const obj = deployment(`
  observedGeneration: 3
  replicas: 3
  updatedReplicas: 1
  readyReplicas: 2
  availableReplicas: 2
  conditions:
  - {type: Progressing, status: "False", reason: ProgressDeadlineExceeded, message: ReplicaSet "web-7f" has timed out progressing.}`);
    expect(objectHealth(obj)).toEqual({
      status: 'Failed',
      message: 'Progressing=False (ProgressDeadlineExceeded): ReplicaSet "web-7f" has timed out progressing.',
    });
  });

  it('is InProgress right after creation, before the controller wrote a status', () => {
    const obj = y('{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, generation: 1}, spec: {replicas: 2}}');
    expect(objectHealth(obj)).toEqual({ status: 'InProgress', message: 'updated: 0/2' });
  });
});

describe('StatefulSet, DaemonSet, ReplicaSet', () => {
  const sts = (status: string, strategy = '') =>
    y(`
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop, generation: 2}
spec: {replicas: 3, serviceName: db${strategy}}
status:
  observedGeneration: 2
${status}`);

  it('StatefulSet: InProgress while the update revision rolls out', () => {
    const obj = sts(`
  replicas: 3
  readyReplicas: 3
  currentReplicas: 2
  updatedReplicas: 1
  currentRevision: db-6c8b9d
  updateRevision: db-7f4d2a`);
    expect(objectHealth(obj)).toEqual({ status: 'InProgress', message: 'rolling update: revision db-7f4d2a replacing db-6c8b9d' });
  });

  it('StatefulSet: a partitioned rollout is done when the replicas above the partition are updated', () => {
    const obj = sts(
      `
  replicas: 3
  readyReplicas: 3
  updatedReplicas: 1
  currentRevision: db-6c8b9d
  updateRevision: db-7f4d2a`,
      ', updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}',
    );
    expect(objectHealth(obj).status).toBe('Current');
  });

  it('StatefulSet: Current when ready and on one revision; InProgress while pods are not ready', () => {
    const done = sts(`
  replicas: 3
  readyReplicas: 3
  updatedReplicas: 3
  currentRevision: db-7f4d2a
  updateRevision: db-7f4d2a`);
    expect(objectHealth(done)).toEqual({ status: 'Current', message: 'StatefulSet ready: 3/3 replicas ready' });
    const starting = sts(`
  replicas: 2
  readyReplicas: 1
  currentRevision: db-7f4d2a
  updateRevision: db-7f4d2a`);
    expect(objectHealth(starting)).toEqual({ status: 'InProgress', message: 'ready: 1/3' });
  });

  const ds = (status: string) =>
    y(`
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: monitoring, generation: 5}
spec: {updateStrategy: {type: RollingUpdate}}
status:
  observedGeneration: 5
${status}`);

  it('DaemonSet: InProgress while nodes run the old pod template, Current when all nodes are updated and ready', () => {
    expect(
      objectHealth(ds('  desiredNumberScheduled: 3\n  currentNumberScheduled: 3\n  updatedNumberScheduled: 1\n  numberAvailable: 3\n  numberReady: 3')),
    ).toEqual({ status: 'InProgress', message: 'updated: 1/3' });
    expect(
      objectHealth(ds('  desiredNumberScheduled: 3\n  currentNumberScheduled: 3\n  updatedNumberScheduled: 3\n  numberAvailable: 3\n  numberReady: 3')),
    ).toEqual({ status: 'Current', message: 'DaemonSet ready on 3 nodes' });
  });

  it('ReplicaSet: InProgress below the desired count, Current at it', () => {
    const rs = (ready: number) =>
      y(`
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-5d9c7b8f6, namespace: shop, generation: 1}
spec: {replicas: 2}
status: {observedGeneration: 1, replicas: 2, fullyLabeledReplicas: 2, availableReplicas: ${ready}, readyReplicas: ${ready}}`);
    expect(objectHealth(rs(1))).toEqual({ status: 'InProgress', message: 'available: 1/2' });
    expect(objectHealth(rs(2)).status).toBe('Current');
  });
});

describe('Pod', () => {
  const pod = (status: string) =>
    y(`
apiVersion: v1
kind: Pod
metadata: {name: web-5d9c7b8f6-x2k4p, namespace: shop}
spec: {containers: [{name: web, image: nginx:1.27}]}
status:
${status}`);

  it('is Current when Running and Ready', () => {
    const obj = pod(`
  phase: Running
  conditions:
  - {type: PodScheduled, status: "True"}
  - {type: Initialized, status: "True"}
  - {type: ContainersReady, status: "True"}
  - {type: Ready, status: "True"}
  containerStatuses:
  - {name: web, ready: true, restartCount: 0, state: {running: {startedAt: "2026-05-01T10:00:00Z"}}}`);
    expect(objectHealth(obj)).toEqual({ status: 'Current', message: 'Pod is ready' });
  });

  it('is Failed in CrashLoopBackOff and names the container', () => {
    const obj = pod(`
  phase: Running
  conditions: [{type: Ready, status: "False", reason: ContainersNotReady}]
  containerStatuses:
  - name: web
    ready: false
    restartCount: 5
    state: {waiting: {reason: CrashLoopBackOff, message: back-off 2m40s restarting failed container=web}}`);
    expect(objectHealth(obj)).toEqual({
      status: 'Failed',
      message: 'container web: CrashLoopBackOff: back-off 2m40s restarting failed container=web',
    });
  });

  it('is InProgress while an image cannot be pulled (it may be pushed later)', () => {
    const obj = pod(`
  phase: Pending
  containerStatuses:
  - {name: web, ready: false, state: {waiting: {reason: ImagePullBackOff, message: Back-off pulling image "nginx:1.99"}}}`);
    expect(objectHealth(obj)).toEqual({ status: 'InProgress', message: 'container web: ImagePullBackOff: Back-off pulling image "nginx:1.99"' });
  });

  it('is InProgress while unschedulable', () => {
    const obj = pod(`
  phase: Pending
  conditions:
  - {type: PodScheduled, status: "False", reason: Unschedulable, message: "0/3 nodes are available: 3 Insufficient cpu."}`);
    expect(objectHealth(obj)).toEqual({
      status: 'InProgress',
      message: 'PodScheduled=False (Unschedulable): 0/3 nodes are available: 3 Insufficient cpu.',
    });
  });

  it('is Current once Succeeded and Failed once Failed', () => {
    expect(objectHealth(pod('  phase: Succeeded')).status).toBe('Current');
    expect(objectHealth(pod('  {phase: Failed, reason: Evicted, message: "The node was low on resource: memory."}'))).toEqual({
      status: 'Failed',
      message: 'Pod failed: Evicted: The node was low on resource: memory.',
    });
  });
});

describe('Job', () => {
  const job = (status: string) =>
    y(`
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop, generation: 1}
spec: {backoffLimit: 2, template: {spec: {restartPolicy: Never, containers: [{name: m, image: migrate:1}]}}}
status:
${status}`);

  it('is InProgress while running', () => {
    expect(objectHealth(job('  {active: 1, ready: 1, failed: 1}'))).toEqual({
      status: 'InProgress',
      message: 'Job running: active 1, succeeded 0, failed 1',
    });
  });

  it('is Current when complete', () => {
    const obj = job(`
  succeeded: 1
  conditions:
  - {type: SuccessCriteriaMet, status: "True", reason: CompletionsReached}
  - {type: Complete, status: "True", reason: CompletionsReached}`);
    expect(objectHealth(obj)).toEqual({ status: 'Current', message: 'Job complete: succeeded 1' });
  });

  it('is Failed past the backoff limit', () => {
    const obj = job(`
  failed: 3
  conditions:
  - {type: FailureTarget, status: "True", reason: BackoffLimitExceeded, message: Job has reached the specified backoff limit}
  - {type: Failed, status: "True", reason: BackoffLimitExceeded, message: Job has reached the specified backoff limit}`);
    expect(objectHealth(obj)).toEqual({
      status: 'Failed',
      message: 'Failed=True (BackoffLimitExceeded): Job has reached the specified backoff limit',
    });
  });
});

describe('PersistentVolumeClaim, Service, Namespace', () => {
  const pvc = (phase: string) =>
    y(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-db-0, namespace: shop}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
status: {phase: ${phase}}`);

  it('PVC: Pending is InProgress, Bound is Current, Lost is Failed', () => {
    expect(objectHealth(pvc('Pending'))).toEqual({ status: 'InProgress', message: 'phase Pending, waiting for Bound' });
    expect(objectHealth(pvc('Bound'))).toEqual({ status: 'Current', message: 'PVC is bound' });
    expect(objectHealth(pvc('Lost'))).toEqual({ status: 'Failed', message: 'phase Lost' });
  });

  const svc = (type: string, status = '{loadBalancer: {}}') =>
    y(`
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {type: ${type}, clusterIP: 10.128.4.12, ports: [{port: 80, targetPort: 8080}]}
status: ${status}`);

  it('Service: ClusterIP is Current; LoadBalancer waits for ingress', () => {
    expect(objectHealth(svc('ClusterIP'))).toEqual({ status: 'Current', message: 'Service is ready' });
    expect(objectHealth(svc('LoadBalancer'))).toEqual({ status: 'InProgress', message: 'waiting for load balancer ingress' });
    expect(objectHealth(svc('LoadBalancer', '{loadBalancer: {ingress: [{ip: 203.0.113.7, ipMode: VIP}]}}'))).toEqual({
      status: 'Current',
      message: 'load balancer has ingress',
    });
  });

  it('Namespace: Active is Current; a namespace being deleted is Terminating', () => {
    expect(objectHealth(y('{apiVersion: v1, kind: Namespace, metadata: {name: shop}, status: {phase: Active}}')).status).toBe('Current');
    const deleting = y(`
apiVersion: v1
kind: Namespace
metadata: {name: shop, deletionTimestamp: "2026-05-01T10:00:00Z", finalizers: [kubernetes]}
spec: {finalizers: [kubernetes]}
status: {phase: Terminating}`);
    expect(objectHealth(deleting)).toEqual({
      status: 'Terminating',
      message: 'deletion requested at 2026-05-01T10:00:00Z; finalizers: kubernetes',
    });
  });
});

describe('CustomResourceDefinition', () => {
  const crd = (conditions: string) =>
    y(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: clusters.cluster.x-k8s.io, generation: 1}
spec: {group: cluster.x-k8s.io, names: {kind: Cluster, plural: clusters}, scope: Namespaced}
status:
  acceptedNames: {kind: Cluster, plural: clusters}
  storedVersions: [v1beta2]
  conditions:
${conditions}`);

  it('is Current when names are accepted and it is established', () => {
    const obj = crd(`
  - {type: NamesAccepted, status: "True", reason: NoConflicts, message: no conflicts found}
  - {type: Established, status: "True", reason: InitialNamesAccepted, message: the initial names have been accepted}`);
    expect(objectHealth(obj)).toEqual({ status: 'Current', message: 'CRD is established' });
  });

  it('is InProgress until established', () => {
    const obj = crd(`
  - {type: NamesAccepted, status: "True", reason: NoConflicts}
  - {type: Established, status: "False", reason: Installing, message: the initial names have been accepted}`);
    expect(objectHealth(obj)).toEqual({
      status: 'InProgress',
      message: 'Established=False (Installing): the initial names have been accepted',
    });
  });

  it('is Failed when its names conflict with another CRD', () => {
    const obj = crd(`
  - {type: NamesAccepted, status: "False", reason: MultipleNamesInUse, message: '"clusters" is already in use'}
  - {type: Established, status: "False", reason: NotAccepted}`);
    expect(objectHealth(obj)).toEqual({
      status: 'Failed',
      message: 'NamesAccepted=False (MultipleNamesInUse): "clusters" is already in use',
    });
  });
});

describe('Cluster API v1beta2 Cluster', () => {
  const cluster = (status: string, generation = 2) =>
    y(`
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: payments-eu1, namespace: fleet-production, generation: ${generation}}
spec:
  topology: {classRef: {name: aws-standard}, version: v1.33.4, controlPlane: {replicas: 3}}
status:
  observedGeneration: 2
${status}`);

  it('is InProgress while provisioning, naming the missing part', () => {
    const obj = cluster(`
  phase: Provisioning
  initialization: {infrastructureProvisioned: true}
  conditions:
  - type: Available
    status: "False"
    reason: NotAvailable
    observedGeneration: 2
    lastTransitionTime: "2026-05-01T10:00:00Z"
    message: |-
      * ControlPlaneAvailable: Control plane not yet initialized
      * WorkersAvailable:
        * MachineDeployment md-0: 0 available replicas, at least 2 required (spec.strategy.rollout.maxUnavailable is 1, spec.replicas is 3)
  - {type: InfrastructureReady, status: "True", reason: Ready, observedGeneration: 2, lastTransitionTime: "2026-05-01T10:00:00Z"}
  - {type: ControlPlaneInitialized, status: "False", reason: NotInitialized, message: Control plane not yet initialized, observedGeneration: 2, lastTransitionTime: "2026-05-01T10:00:00Z"}
  - {type: ControlPlaneAvailable, status: "False", reason: NotAvailable, message: Control plane not yet initialized, observedGeneration: 2, lastTransitionTime: "2026-05-01T10:00:00Z"}
  - {type: WorkersAvailable, status: "False", reason: NotAvailable, message: "* MachineDeployment md-0: 0 available replicas, at least 2 required", observedGeneration: 2, lastTransitionTime: "2026-05-01T10:00:00Z"}
  - {type: RemoteConnectionProbe, status: "False", reason: ConnectionDown, observedGeneration: 2, lastTransitionTime: "2026-05-01T10:00:00Z"}`);
    expect(objectHealth(obj)).toEqual({
      status: 'InProgress',
      message: 'phase Provisioning; ControlPlaneAvailable=False (NotAvailable): Control plane not yet initialized',
    });
  });

  it('folds the multi-line Available message into one line when no part condition explains it', () => {
    const obj = cluster(`
  phase: Provisioned
  conditions:
  - type: Available
    status: "False"
    reason: NotAvailable
    lastTransitionTime: "2026-05-01T10:00:00Z"
    message: |-
      * WorkersAvailable:
        * MachineDeployment md-0: 0 available replicas
      * TopologyReconciled: ClusterClass not reconciled`);
    expect(objectHealth(obj)).toEqual({
      status: 'InProgress',
      message:
        'phase Provisioned; Available=False (NotAvailable): WorkersAvailable: MachineDeployment md-0: 0 available replicas; TopologyReconciled: ClusterClass not reconciled',
    });
  });

  const available = `
  phase: Provisioned
  initialization: {infrastructureProvisioned: true, controlPlaneInitialized: true}
  controlPlane: {desiredReplicas: 3, replicas: 3, readyReplicas: 3, availableReplicas: 3, upToDateReplicas: 3}
  workers: {desiredReplicas: 3, replicas: 3, readyReplicas: 3, availableReplicas: 3, upToDateReplicas: 3}
  conditions:
  - {type: Available, status: "True", reason: Available, observedGeneration: 2, lastTransitionTime: "2026-05-01T10:20:00Z"}
  - {type: ControlPlaneAvailable, status: "True", reason: Available, observedGeneration: 2, lastTransitionTime: "2026-05-01T10:12:00Z"}
  - {type: WorkersAvailable, status: "True", reason: Available, observedGeneration: 2, lastTransitionTime: "2026-05-01T10:20:00Z"}
  - {type: TopologyReconciled, status: "True", reason: ReconcileSucceeded, observedGeneration: 2, lastTransitionTime: "2026-05-01T10:01:00Z"}`;

  it('is Current when Available and nothing is rolling out', () => {
    const obj = cluster(`${available}
  - {type: RollingOut, status: "False", reason: NotRollingOut, observedGeneration: 2, lastTransitionTime: "2026-05-01T10:20:00Z"}
  - {type: ScalingUp, status: "False", reason: NotScalingUp, observedGeneration: 2, lastTransitionTime: "2026-05-01T10:20:00Z"}
  - {type: ScalingDown, status: "False", reason: NotScalingDown, observedGeneration: 2, lastTransitionTime: "2026-05-01T10:20:00Z"}
  - {type: Remediating, status: "False", reason: NotRemediating, observedGeneration: 2, lastTransitionTime: "2026-05-01T10:20:00Z"}`);
    expect(objectHealth(obj)).toEqual({ status: 'Current', message: 'Cluster is available' });
  });

  it('is InProgress while Available but rolling out an upgrade', () => {
    const obj = cluster(`${available}
  - type: RollingOut
    status: "True"
    reason: RollingOut
    observedGeneration: 2
    lastTransitionTime: "2026-05-01T11:00:00Z"
    message: |-
      * KubeadmControlPlane payments-eu1-cp: Rolling out 3 not up-to-date replicas
      * MachineDeployment md-0: Rolling out 3 not up-to-date replicas`);
    expect(objectHealth(obj)).toEqual({
      status: 'InProgress',
      message:
        'RollingOut=True (RollingOut): KubeadmControlPlane payments-eu1-cp: Rolling out 3 not up-to-date replicas; MachineDeployment md-0: Rolling out 3 not up-to-date replicas',
    });
  });

  it('is InProgress while the topology is still being upgraded', () => {
    const obj = cluster(available.replace(
      '{type: TopologyReconciled, status: "True", reason: ReconcileSucceeded',
      '{type: TopologyReconciled, status: "False", reason: ClusterUpgrading, message: "Cluster is upgrading to v1.34.1"',
    ));
    expect(objectHealth(obj)).toEqual({
      status: 'InProgress',
      message: 'TopologyReconciled=False (ClusterUpgrading): Cluster is upgrading to v1.34.1',
    });
  });

  it('is InProgress when Available was computed for an older generation', () => {
    const obj = cluster(available, 3);
    // status.observedGeneration caught up, but the Available condition still describes generation 2
    (obj.status as Record<string, unknown>).observedGeneration = 3;
    expect(objectHealth(obj)).toEqual({ status: 'InProgress', message: 'condition Available reflects generation 2, object is at 3' });
  });

  it('is Failed when the deprecated Failed phase or v1beta1 failure fields are set', () => {
    const obj = cluster(`
  phase: Failed
  deprecated:
    v1beta1:
      failureReason: CreateError
      failureMessage: "Failure detected from referenced resource infrastructure.cluster.x-k8s.io/v1beta2, Kind=AWSCluster: VPC limit exceeded"
  conditions:
  - {type: Available, status: "False", reason: NotAvailable, lastTransitionTime: "2026-05-01T10:00:00Z"}`);
    expect(objectHealth(obj)).toEqual({
      status: 'Failed',
      message:
        'CreateError: Failure detected from referenced resource infrastructure.cluster.x-k8s.io/v1beta2, Kind=AWSCluster: VPC limit exceeded',
    });
    expect(objectHealth(cluster('  phase: Failed'))).toEqual({ status: 'Failed', message: 'phase Failed' });
  });

  it('falls back to the phase when no Available condition was reported', () => {
    expect(objectHealth(cluster('  phase: Provisioned')).status).toBe('Current');
    expect(objectHealth(cluster('  phase: Pending'))).toEqual({
      status: 'InProgress',
      message: 'phase Pending, waiting for condition Available',
    });
  });

  it('a v1beta1 Cluster is judged by its v1beta1 Ready summary (the generic rule)', () => {
    const v1beta1 = y(`
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {name: legacy, namespace: fleet, generation: 1}
status:
  observedGeneration: 1
  phase: Provisioned
  conditions:
  - {type: Ready, status: "False", severity: Info, reason: WaitingForControlPlane, lastTransitionTime: "2026-05-01T10:00:00Z"}`);
    expect(objectHealth(v1beta1)).toEqual({ status: 'InProgress', message: 'Ready=False (WaitingForControlPlane)' });
  });
});

describe('Cluster API v1beta2 KubeadmControlPlane, MachineDeployment, Machine', () => {
  const kcp = (status: string) =>
    y(`
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlane
metadata: {name: payments-eu1-cp, namespace: fleet-production, generation: 2}
spec: {replicas: 3, version: v1.33.4, machineTemplate: {spec: {infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: AWSMachineTemplate, name: cp}}}}
status:
  observedGeneration: 2
  initialization: {controlPlaneInitialized: true}
${status}`);

  it('KCP: InProgress while scaling up, with the controller message', () => {
    const obj = kcp(`
  replicas: 2
  readyReplicas: 1
  availableReplicas: 1
  upToDateReplicas: 2
  conditions:
  - {type: Available, status: "True", reason: Available, lastTransitionTime: "2026-05-01T10:05:00Z"}
  - {type: ScalingUp, status: "True", reason: ScalingUp, message: "Scaling up from 2 to 3 replicas", lastTransitionTime: "2026-05-01T10:05:00Z"}
  - {type: RollingOut, status: "False", reason: NotRollingOut, lastTransitionTime: "2026-05-01T10:00:00Z"}`);
    expect(objectHealth(obj)).toEqual({ status: 'InProgress', message: 'ScalingUp=True (ScalingUp): Scaling up from 2 to 3 replicas' });
  });

  it('KCP: InProgress on ready replicas below spec.replicas even without a hint condition', () => {
    const obj = kcp(`
  replicas: 3
  readyReplicas: 2
  availableReplicas: 2
  upToDateReplicas: 3
  conditions:
  - {type: Available, status: "True", reason: Available, lastTransitionTime: "2026-05-01T10:05:00Z"}`);
    expect(objectHealth(obj)).toEqual({ status: 'InProgress', message: 'ready: 2/3' });
  });

  it('KCP: InProgress while not Available; Current when available with all replicas ready', () => {
    const down = kcp(`
  conditions:
  - {type: Available, status: "False", reason: NotAvailable, message: "* 1 of 3 etcd members is healthy", lastTransitionTime: "2026-05-01T10:05:00Z"}`);
    expect(objectHealth(down)).toEqual({ status: 'InProgress', message: 'Available=False (NotAvailable): 1 of 3 etcd members is healthy' });
    const done = kcp(`
  replicas: 3
  readyReplicas: 3
  availableReplicas: 3
  upToDateReplicas: 3
  conditions:
  - {type: Available, status: "True", reason: Available, lastTransitionTime: "2026-05-01T10:05:00Z"}
  - {type: RollingOut, status: "False", reason: NotRollingOut, lastTransitionTime: "2026-05-01T10:00:00Z"}`);
    expect(objectHealth(done)).toEqual({ status: 'Current', message: 'KubeadmControlPlane available: 3/3 replicas ready' });
  });

  const md = (replicas: string, status: string) =>
    y(`
apiVersion: cluster.x-k8s.io/v1beta2
kind: MachineDeployment
metadata: {name: payments-eu1-md-0, namespace: fleet-production, generation: 1}
spec:
  clusterName: payments-eu1
  ${replicas}
  selector: {matchLabels: {cluster.x-k8s.io/deployment-name: payments-eu1-md-0}}
  template: {spec: {clusterName: payments-eu1, version: v1.33.4, bootstrap: {dataSecretName: x}, infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: AWSMachineTemplate, name: md-0}}}
status:
  observedGeneration: 1
${status}`);

  it('MD: Current when Available with every replica ready, available and up to date', () => {
    const obj = md(
      'replicas: 3',
      `
  phase: Running
  replicas: 3
  readyReplicas: 3
  availableReplicas: 3
  upToDateReplicas: 3
  conditions:
  - {type: Available, status: "True", reason: Available, lastTransitionTime: "2026-05-01T10:20:00Z"}`,
    );
    expect(objectHealth(obj)).toEqual({ status: 'Current', message: 'MachineDeployment available: 3/3 replicas ready' });
  });

  it('MD: Available with maxUnavailable slack is still InProgress until all replicas are available', () => {
    const obj = md(
      'replicas: 3',
      `
  phase: ScalingUp
  replicas: 3
  readyReplicas: 3
  availableReplicas: 2
  upToDateReplicas: 3
  conditions:
  - {type: Available, status: "True", reason: Available, lastTransitionTime: "2026-05-01T10:20:00Z"}`,
    );
    expect(objectHealth(obj)).toEqual({ status: 'InProgress', message: 'available: 2/3' });
  });

  it('MD: autoscaled (no spec.replicas) is judged by Available alone', () => {
    const obj = md(
      '# replicas left to the cluster autoscaler',
      `
  replicas: 4
  readyReplicas: 4
  availableReplicas: 4
  conditions:
  - {type: Available, status: "True", reason: Available, lastTransitionTime: "2026-05-01T10:20:00Z"}`,
    );
    expect(objectHealth(obj).status).toBe('Current');
  });

  const machine = (status: string) =>
    y(`
apiVersion: cluster.x-k8s.io/v1beta2
kind: Machine
metadata: {name: payments-eu1-md-0-abcde-x7k2p, namespace: fleet-production, generation: 2}
spec: {clusterName: payments-eu1, bootstrap: {dataSecretName: x}, infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: AWSMachine, name: m}}
status:
  observedGeneration: 2
${status}`);

  it('Machine: Ready is Current, not Ready is InProgress, Failed phase is Failed', () => {
    expect(
      objectHealth(
        machine(`
  phase: Running
  nodeRef: {name: ip-10-0-1-23.eu-west-1.compute.internal}
  conditions:
  - {type: Ready, status: "True", reason: Ready, lastTransitionTime: "2026-05-01T10:20:00Z"}`),
      ),
    ).toEqual({ status: 'Current', message: 'Machine is ready as node ip-10-0-1-23.eu-west-1.compute.internal' });
    expect(
      objectHealth(
        machine(`
  phase: Provisioning
  conditions:
  - {type: Ready, status: "False", reason: NotReady, message: "* InfrastructureReady: Waiting for AWSMachine to report spec.providerID", lastTransitionTime: "2026-05-01T10:00:00Z"}`),
      ),
    ).toEqual({ status: 'InProgress', message: 'Ready=False (NotReady): InfrastructureReady: Waiting for AWSMachine to report spec.providerID' });
    expect(objectHealth(machine('  phase: Failed')).status).toBe('Failed');
  });
});

describe('WorkloadCluster and the generic rules', () => {
  it('WorkloadCluster needs Ready; without a status it is InProgress', () => {
    const wc = (status: string) =>
      y(`
apiVersion: clusterops.io/v1alpha1
kind: WorkloadCluster
metadata: {name: payments-eu1, namespace: fleet-production, generation: 1}
spec: {provider: aws, region: eu-west-1, kubernetesVersion: v1.33.4, controlPlane: {replicas: 3}}
${status}`);
    expect(objectHealth(wc(''))).toEqual({ status: 'InProgress', message: 'waiting for condition Ready' });
    expect(objectHealth(wc('status: {observedGeneration: 1, conditions: [{type: Ready, status: "True", reason: Reconciled}]}'))).toEqual({
      status: 'Current',
      message: 'WorkloadCluster is ready',
    });
  });

  const custom = (status: string) =>
    y(`
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web-tls, namespace: shop, generation: 1}
spec: {secretName: web-tls, dnsNames: [shop.example.com]}
${status}`);

  it('an object without status and without a row is Current', () => {
    expect(objectHealth(y('{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {a: b}}'))).toEqual({
      status: 'Current',
      message: 'Resource is current',
    });
    expect(objectHealth(custom('')).status).toBe('Current');
  });

  it('Ready=False is InProgress, Ready=True is Current', () => {
    expect(objectHealth(custom('status: {conditions: [{type: Ready, status: "False", reason: Issuing, message: Issuing certificate}]}'))).toEqual({
      status: 'InProgress',
      message: 'Ready=False (Issuing): Issuing certificate',
    });
    expect(objectHealth(custom('status: {conditions: [{type: Ready, status: "True", reason: Ready}]}')).status).toBe('Current');
  });

  it('Stalled=True is Failed and Reconciling=True is InProgress, for any kind', () => {
    expect(
      objectHealth(custom('status: {conditions: [{type: Stalled, status: "True", reason: InvalidIssuer, message: issuer not found}, {type: Ready, status: "False"}]}')),
    ).toEqual({ status: 'Failed', message: 'Stalled=True (InvalidIssuer): issuer not found' });
    expect(
      objectHealth(custom('status: {conditions: [{type: Reconciling, status: "True", reason: Progressing}, {type: Ready, status: "True"}]}')),
    ).toEqual({ status: 'InProgress', message: 'Reconciling=True (Progressing)' });
  });

  it('observedGeneration behind generation is InProgress for any kind', () => {
    const obj = custom('status: {observedGeneration: 1, conditions: [{type: Ready, status: "True"}]}');
    (obj.metadata as Record<string, unknown>).generation = 2;
    expect(objectHealth(obj)).toEqual({ status: 'InProgress', message: 'controller has observed generation 1, object is at 2' });
  });

  it('an object without apiVersion or kind is Unknown', () => {
    expect(objectHealth({ metadata: { name: 'x' } }).status).toBe('Unknown');
  });

  it('never throws and stays in the vocabulary, whatever the status holds', () => {
    const kinds = [
      ['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'], ['apps/v1', 'DaemonSet'], ['apps/v1', 'ReplicaSet'],
      ['v1', 'Pod'], ['batch/v1', 'Job'], ['v1', 'PersistentVolumeClaim'], ['v1', 'Service'], ['v1', 'Namespace'],
      ['apiextensions.k8s.io/v1', 'CustomResourceDefinition'], ['cluster.x-k8s.io/v1beta2', 'Cluster'],
      ['controlplane.cluster.x-k8s.io/v1beta2', 'KubeadmControlPlane'], ['cluster.x-k8s.io/v1beta2', 'MachineDeployment'],
      ['cluster.x-k8s.io/v1beta2', 'Machine'], ['clusterops.io/v1alpha1', 'WorkloadCluster'], ['example.com/v1', 'Widget'],
    ] as const;
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.anything(), fc.anything(), fc.anything(), ([apiVersion, kind], spec, status, generation) => {
        const h = objectHealth({ apiVersion, kind, metadata: { name: 'x', generation }, spec, status });
        expect(HEALTH_STATUSES).toContain(h.status);
        expect(typeof h.message).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });
});
