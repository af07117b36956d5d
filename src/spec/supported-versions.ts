/**
 * Kubernetes minors that clusterops will declare workload clusters at: the ones the pinned Cluster
 * API release (tools/versions.env) supports for workload clusters. The only place this is stated.
 */
export const SUPPORTED_KUBERNETES_MINORS: readonly string[] = ['1.33', '1.34', '1.35', '1.36'];

/** The API version of clusterops' own kinds (WorkloadCluster, Stage). */
export const CLUSTEROPS_API_VERSION = 'clusterops.io/v1alpha1';
