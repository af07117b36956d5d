/**
 * The ClusterClass of the local provider (ours, src/localprovider): LocalClusterTemplate,
 * LocalControlPlaneTemplate (a machineless control plane: real etcd, kube-apiserver and
 * kube-controller-manager processes, no control-plane machines) and LocalMachineTemplate for
 * workers, which the kubeadm bootstrap provider gives a KubeadmConfigTemplate like every class.
 * No region, no machine types.
 */
import { ApiObject, type ApiObjectMetadata } from 'cdk8s';
import type { Construct } from 'constructs';
import { localApiVersion, type LocalKind } from '../model/local-provider-crds.js';
import { addClusterClass, addTemplate, templateNames, type ClusterClassDefinition } from './cluster-class.js';
import { addWorkerBootstrapTemplate } from './kubeadm-templates.js';

/** Name of the local ClusterClass in each stage namespace. */
const NAME = 'clusterops-local';

type TemplateSpec = { template: { spec: Record<string, unknown> } };

/** A construct class for one of our template kinds (no generated import needed: their specs are empty). */
function templateKind(kind: LocalKind) {
  return class extends ApiObject {
    constructor(scope: Construct, id: string, props: { metadata?: ApiObjectMetadata; spec: TemplateSpec }) {
      super(scope, id, { apiVersion: localApiVersion(kind), kind, metadata: props.metadata, spec: props.spec });
    }
  };
}

const LocalClusterTemplate = templateKind('LocalClusterTemplate');
const LocalControlPlaneTemplate = templateKind('LocalControlPlaneTemplate');
const LocalMachineTemplate = templateKind('LocalMachineTemplate');

/** Annotation (read from a MachineSet's bootstrap template too) naming preflight checks Cluster API skips. */
const SKIP_PREFLIGHT_CHECKS = 'machineset.cluster.x-k8s.io/skip-preflight-checks';

/** No kubelet runs on a local machine; the kubeadm templates still want one argument (the node-labels patch appends). */
const LOCAL_KUBELET_ARGS = { 'node-status-update-frequency': '10s' };

/** The local ClusterClass: infrastructure.clusterops.io / controlplane.clusterops.io v1alpha1 templates. */
export const localClusterClass: ClusterClassDefinition = {
  provider: 'local',
  name: NAME,
  region: false,
  render(scope: Construct, namespace: string): void {
    const names = templateNames(NAME);
    const empty: TemplateSpec = { template: { spec: {} } };
    const workerBootstrap = addWorkerBootstrapTemplate(scope, { namespace, ...names }, { kubeletExtraArgs: LOCAL_KUBELET_ARGS });
    // Cluster API's MachineSets hold new Machines while the control plane "provisions" and look again
    // only every 15 s; a local control plane is up in seconds and has one version (a change is
    // refused), so that check only delays workers here. The version-skew checks stay on.
    workerBootstrap.metadata.addAnnotation(SKIP_PREFLIGHT_CHECKS, 'ControlPlaneIsStable');
    addClusterClass(scope, {
      name: NAME,
      namespace,
      infrastructureCluster: addTemplate(scope, 'infrastructure-cluster', LocalClusterTemplate, { baseName: names.infrastructureCluster, namespace, spec: empty }),
      controlPlane: addTemplate(scope, 'control-plane', LocalControlPlaneTemplate, { baseName: names.controlPlane, namespace, spec: empty }),
      workerBootstrap,
      workerMachine: addTemplate(scope, 'worker-machine', LocalMachineTemplate, { baseName: names.workerMachine, namespace, spec: empty }),
    });
  },
};
