/**
 * The ClusterClass of the aws provider (CAPA): EC2 machines behind a network load balancer, the
 * out-of-tree AWS cloud provider, and variables for the region and machine types.
 */
import type { Construct } from 'constructs';
import {
  AwsClusterTemplate,
  AwsClusterTemplateSpecTemplateSpecControlPlaneLoadBalancerHealthCheckProtocol as HealthCheckProtocol,
  AwsClusterTemplateSpecTemplateSpecControlPlaneLoadBalancerLoadBalancerType as LoadBalancerType,
  AwsMachineTemplate,
} from '../imports/capa.js';
import {
  addClusterClass,
  addTemplate,
  cloudVariables,
  templateNames,
  type ClusterClassDefinition,
} from './cluster-class.js';
import { addControlPlaneTemplate, addWorkerBootstrapTemplate } from './kubeadm-templates.js';

/** Name of the aws ClusterClass in each stage namespace. */
const NAME = 'clusterops-aws';

/** Machine types when a declaration names none. */
const DEFAULT_MACHINE_TYPES = { controlPlane: 'm6i.large', worker: 'm6i.xlarge' };

/** The AWS cloud provider needs the node name to be the instance's private DNS name. */
const NODE_NAME = '{{ ds.meta_data.local_hostname }}';
const EXTERNAL_CLOUD_PROVIDER = { 'cloud-provider': 'external' };

/** Instance profiles that `clusterawsadm bootstrap iam` creates. */
const INSTANCE_PROFILES = {
  controlPlane: 'control-plane.cluster-api-provider-aws.sigs.k8s.io',
  worker: 'nodes.cluster-api-provider-aws.sigs.k8s.io',
};

/** The aws ClusterClass: AWSClusterTemplate and AWSMachineTemplate (infrastructure.cluster.x-k8s.io/v1beta2). */
export const awsClusterClass: ClusterClassDefinition = {
  provider: 'aws',
  name: NAME,
  region: true,
  defaultMachineTypes: DEFAULT_MACHINE_TYPES,
  render(scope: Construct, namespace: string): void {
    const names = templateNames(NAME);
    // instanceType is required by the schema; the machine-type patches replace it.
    const machine = (id: string, baseName: string, iamInstanceProfile: string, instanceType: string): AwsMachineTemplate =>
      addTemplate(scope, id, AwsMachineTemplate, {
        baseName,
        namespace,
        spec: { template: { spec: { instanceType, iamInstanceProfile } } },
      });
    const infrastructureCluster = addTemplate(scope, 'infrastructure-cluster', AwsClusterTemplate, {
      baseName: names.infrastructureCluster,
      namespace,
      spec: {
        template: {
          spec: {
            controlPlaneLoadBalancer: { loadBalancerType: LoadBalancerType.NLB, healthCheckProtocol: HealthCheckProtocol.HTTPS },
          },
        },
      },
    });
    const controlPlaneMachine = machine(
      'control-plane-machine',
      names.controlPlaneMachine,
      INSTANCE_PROFILES.controlPlane,
      DEFAULT_MACHINE_TYPES.controlPlane,
    );
    const workerMachine = machine('worker-machine', names.workerMachine, INSTANCE_PROFILES.worker, DEFAULT_MACHINE_TYPES.worker);
    const cloud = cloudVariables({ regionNoun: 'AWS region', regionExample: 'eu-west-1', machineNoun: 'instance type', machineNounLong: 'EC2 instance type', regionField: 'region', machineField: 'instanceType' }, { infrastructureCluster, controlPlaneMachine, workerMachine });
    addClusterClass(scope, {
      name: NAME,
      namespace,
      infrastructureCluster,
      controlPlane: addControlPlaneTemplate(
        scope,
        { namespace, ...names },
        { nodeName: NODE_NAME, kubeletExtraArgs: EXTERNAL_CLOUD_PROVIDER, controllerManagerExtraArgs: EXTERNAL_CLOUD_PROVIDER },
      ),
      controlPlaneMachine,
      workerBootstrap: addWorkerBootstrapTemplate(scope, { namespace, ...names }, { nodeName: NODE_NAME, kubeletExtraArgs: EXTERNAL_CLOUD_PROVIDER }),
      workerMachine,
      ...cloud,
    });
  },
};
