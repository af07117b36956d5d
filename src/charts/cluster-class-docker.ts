/**
 * The ClusterClass of the docker provider (CAPD): machines are containers on the management
 * cluster's host, for trying changes before they reach a cloud. No region, no machine types.
 */
import type { Construct } from 'constructs';
import { DockerClusterTemplate, DockerMachineTemplate } from '../imports/capd.js';
import { addClusterClass, addTemplate, templateNames, type ClusterClassDefinition } from './cluster-class.js';
import { addControlPlaneTemplate, addWorkerBootstrapTemplate, type KubeadmNodeOptions } from './kubeadm-templates.js';

/** Containers have no disk of their own: turn off disk-pressure eviction, as CAPD's quick start does. */
const DOCKER_NODES: KubeadmNodeOptions = {
  kubeletExtraArgs: { 'eviction-hard': 'nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%' },
  certSANs: ['localhost', '127.0.0.1', '0.0.0.0', 'host.docker.internal'],
};

/** Name of the docker ClusterClass in each stage namespace. */
const NAME = 'clusterops-docker';

/** The docker ClusterClass: DockerClusterTemplate and DockerMachineTemplate (infrastructure.cluster.x-k8s.io/v1beta2). */
export const dockerClusterClass: ClusterClassDefinition = {
  provider: 'docker',
  name: NAME,
  region: false,
  render(scope: Construct, namespace: string): void {
    const names = templateNames(NAME);
    const machine = (id: string, baseName: string): DockerMachineTemplate =>
      addTemplate(scope, id, DockerMachineTemplate, { baseName, namespace, spec: { template: { spec: {} } } });
    addClusterClass(scope, {
      name: NAME,
      namespace,
      infrastructureCluster: addTemplate(scope, 'infrastructure-cluster', DockerClusterTemplate, {
        baseName: names.infrastructureCluster,
        namespace,
        spec: { template: { spec: {} } },
      }),
      controlPlane: addControlPlaneTemplate(scope, { namespace, ...names }, DOCKER_NODES),
      controlPlaneMachine: machine('control-plane-machine', names.controlPlaneMachine),
      workerBootstrap: addWorkerBootstrapTemplate(scope, { namespace, ...names }, { kubeletExtraArgs: DOCKER_NODES.kubeletExtraArgs }),
      workerMachine: machine('worker-machine', names.workerMachine),
    });
  },
};
