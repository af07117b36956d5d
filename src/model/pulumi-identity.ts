/**
 * The name of the identity a revision's Pulumi program runs with: its ServiceAccount (in the
 * reconciler's namespace), ClusterRole, Roles and bindings all carry it. Shared by the reconciler,
 * which grants and issues that identity, and the deployment manifests, which give the reconciler
 * the rights to do so by this name only.
 */
export const STACK_IDENTITY_NAME = 'clusterops-pulumi';
