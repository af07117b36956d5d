import type { Provider } from '../model/workload-cluster.js';
import { awsClusterClass } from './cluster-class-aws.js';
import { azureClusterClass } from './cluster-class-azure.js';
import type { ClusterClassDefinition } from './cluster-class.js';
import { dockerClusterClass } from './cluster-class-docker.js';
import { localClusterClass } from './cluster-class-local.js';

/** The ClusterClass of each provider; adding a provider is one row and one cluster-class-<provider>.ts. */
export const CLUSTER_CLASSES: Readonly<Record<Provider, ClusterClassDefinition>> = {
  docker: dockerClusterClass,
  aws: awsClusterClass,
  azure: azureClusterClass,
  local: localClusterClass,
};
