/**
 * The ClusterClass of the azure provider (CAPZ): Azure VMs, the out-of-tree Azure cloud provider
 * reading the azure.json that CAPZ writes for each machine template, and variables for the
 * location and VM sizes.
 */
import type { Construct } from 'constructs';
import { AzureClusterTemplate, AzureMachineTemplate } from '../imports/capz.js';
import { ClusterClassSpecPatchesDefinitionsJsonPatchesOp as PatchOp } from '../imports/capi.js';
import {
  addClusterClass,
  addTemplate,
  cloudVariables,
  CONTROL_PLANE,
  patch,
  templateNames,
  WORKERS,
  type ClusterClassDefinition,
} from './cluster-class.js';
import { addControlPlaneTemplate, addWorkerBootstrapTemplate } from './kubeadm-templates.js';

/** Name of the azure ClusterClass in each stage namespace. */
const NAME = 'clusterops-azure';

/** VM sizes when a declaration names none. */
const DEFAULT_MACHINE_TYPES = { controlPlane: 'Standard_D2s_v5', worker: 'Standard_D4s_v5' };

const NODE_NAME = '{{ ds.meta_data["local_hostname"] }}';
const EXTERNAL_CLOUD_PROVIDER = { 'cloud-provider': 'external' };
const OS_DISK = { osType: 'Linux', diskSizeGb: 128 };

/**
 * The file list with /etc/kubernetes/azure.json, taken from the Secret CAPZ writes next to each
 * machine: `<machine template name>-azure-json`, key `<role>-azure.json`.
 */
function azureJsonFiles(machineTemplateName: string, key: string): string {
  return [
    '- contentFrom:',
    '    secret:',
    `      name: "{{ ${machineTemplateName} }}-azure-json"`,
    `      key: ${key}`,
    '  owner: root:root',
    '  path: /etc/kubernetes/azure.json',
    '  permissions: "0644"',
    '',
  ].join('\n');
}

/** The azure ClusterClass: AzureClusterTemplate and AzureMachineTemplate (infrastructure.cluster.x-k8s.io/v1beta1). */
export const azureClusterClass: ClusterClassDefinition = {
  provider: 'azure',
  name: NAME,
  region: true,
  defaultMachineTypes: DEFAULT_MACHINE_TYPES,
  render(scope: Construct, namespace: string): void {
    const names = templateNames(NAME);
    // vmSize is required by the schema; the machine-type patches replace it.
    const machine = (id: string, baseName: string, vmSize: string): AzureMachineTemplate =>
      addTemplate(scope, id, AzureMachineTemplate, {
        baseName,
        namespace,
        spec: { template: { spec: { vmSize, osDisk: { ...OS_DISK } } } },
      });
    // location is required by the schema; the region patch replaces it.
    const infrastructureCluster = addTemplate(scope, 'infrastructure-cluster', AzureClusterTemplate, {
      baseName: names.infrastructureCluster,
      namespace,
      spec: { template: { spec: { location: 'set-by-region-variable' } } },
    });
    const controlPlane = addControlPlaneTemplate(
      scope,
      { namespace, ...names },
      { nodeName: NODE_NAME, kubeletExtraArgs: EXTERNAL_CLOUD_PROVIDER, controllerManagerExtraArgs: EXTERNAL_CLOUD_PROVIDER },
    );
    const controlPlaneMachine = machine('control-plane-machine', names.controlPlaneMachine, DEFAULT_MACHINE_TYPES.controlPlane);
    const workerBootstrap = addWorkerBootstrapTemplate(
      scope,
      { namespace, ...names },
      { nodeName: NODE_NAME, kubeletExtraArgs: EXTERNAL_CLOUD_PROVIDER },
    );
    const workerMachine = machine('worker-machine', names.workerMachine, DEFAULT_MACHINE_TYPES.worker);
    const cloud = cloudVariables({ regionNoun: 'Azure location', regionExample: 'westeurope', machineNoun: 'VM size', machineNounLong: 'VM size', regionField: 'location', machineField: 'vmSize' }, { infrastructureCluster, controlPlaneMachine, workerMachine });
    addClusterClass(scope, {
      name: NAME,
      namespace,
      infrastructureCluster,
      controlPlane,
      controlPlaneMachine,
      workerBootstrap,
      workerMachine,
      variables: cloud.variables,
      patches: [
        ...cloud.patches,
        patch('controlPlaneAzureJson', 'Mounts the azure.json of control-plane machines.', { template: controlPlane, matchResources: CONTROL_PLANE }, [
          {
            op: PatchOp.ADD,
            path: '/spec/template/spec/kubeadmConfigSpec/files',
            valueFrom: { template: azureJsonFiles('.builtin.controlPlane.machineTemplate.infrastructureRef.name', 'control-plane-azure.json') },
          },
        ]),
        patch('workerAzureJson', 'Mounts the azure.json of worker machines.', { template: workerBootstrap, matchResources: WORKERS }, [
          {
            op: PatchOp.ADD,
            path: '/spec/template/spec/files',
            valueFrom: { template: azureJsonFiles('.builtin.machineDeployment.infrastructureRef.name', 'worker-node-azure.json') },
          },
        ]),
      ],
    });
  },
};
