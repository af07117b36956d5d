/**
 * The kubeadm templates of a ClusterClass: a KubeadmControlPlaneTemplate for the control plane and
 * a KubeadmConfigTemplate for the workers (bootstrap.cluster.x-k8s.io and
 * controlplane.cluster.x-k8s.io v1beta2), shaped by what a provider needs of node registration.
 */
import type { Construct } from 'constructs';
import { KubeadmConfigTemplate } from '../imports/kubeadm-bootstrap.js';
import { KubeadmControlPlaneTemplate } from '../imports/kubeadm-control-plane.js';
import { addTemplate } from './cluster-class.js';

/** How a provider's machines join: the same for control-plane and worker machines. */
export interface KubeadmNodeOptions {
  /** Node name template rendered by cloud-init (e.g. the instance's private DNS name). @default the host name */
  nodeName?: string;
  /**
   * kubelet flags without leading dashes. Must not be empty: the node-labels patch of every
   * ClusterClass appends to this list.
   */
  kubeletExtraArgs: Record<string, string>;
  /** kube-controller-manager flags. @default none */
  controllerManagerExtraArgs?: Record<string, string>;
  /** Extra Subject Alternative Names of the API server certificate. @default none */
  certSANs?: string[];
}

/** Base names and namespace of the two templates. */
export interface KubeadmTemplateNames {
  namespace: string;
  controlPlane: string;
  workerBootstrap: string;
}

/** kubeadm's `[{name, value}]` argument list, in the order given. */
function args(flags: Record<string, string>): Array<{ name: string; value: string }> {
  return Object.entries(flags).map(([name, value]) => ({ name, value }));
}

/** nodeRegistration of a kubeadm init or join configuration. */
function nodeRegistration(options: KubeadmNodeOptions): { name?: string; kubeletExtraArgs: Array<{ name: string; value: string }> } {
  if (Object.keys(options.kubeletExtraArgs).length === 0) {
    throw new Error('kubeadm templates need at least one kubelet argument (the node-labels patch appends to the list)');
  }
  return { name: options.nodeName, kubeletExtraArgs: args(options.kubeletExtraArgs) };
}

/** Adds the control plane's KubeadmControlPlaneTemplate. */
export function addControlPlaneTemplate(
  scope: Construct,
  names: KubeadmTemplateNames,
  options: KubeadmNodeOptions,
): KubeadmControlPlaneTemplate {
  const controllerManager = options.controllerManagerExtraArgs && { extraArgs: args(options.controllerManagerExtraArgs) };
  const apiServer = options.certSANs && { certSaNs: options.certSANs };
  return addTemplate(scope, 'control-plane', KubeadmControlPlaneTemplate, {
    baseName: names.controlPlane,
    namespace: names.namespace,
    spec: {
      template: {
        spec: {
          kubeadmConfigSpec: {
            clusterConfiguration: apiServer || controllerManager ? { apiServer, controllerManager } : undefined,
            initConfiguration: { nodeRegistration: nodeRegistration(options) },
            joinConfiguration: { nodeRegistration: nodeRegistration(options) },
          },
        },
      },
    },
  });
}

/** Adds the workers' KubeadmConfigTemplate. */
export function addWorkerBootstrapTemplate(
  scope: Construct,
  names: KubeadmTemplateNames,
  options: KubeadmNodeOptions,
): KubeadmConfigTemplate {
  return addTemplate(scope, 'worker-bootstrap', KubeadmConfigTemplate, {
    baseName: names.workerBootstrap,
    namespace: names.namespace,
    spec: { template: { spec: { joinConfiguration: { nodeRegistration: nodeRegistration(options) } } } },
  });
}
