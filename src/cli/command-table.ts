/** One row of the command table: what `clusterops --help` lists for a command. */
export interface CommandEntry {
  /** The one line `clusterops --help` prints; the command module uses it as its description. */
  description: string;
  /** Whether the command has options of its own (`--help` prints `<name> [options]`). */
  options: boolean;
  /** Its arguments as `--help` shows them after the options, e.g. `<cluster>`. */
  args?: string;
}

/**
 * Every command of the CLI, as `clusterops --help` lists it. The CLI reads this table alone for
 * `--help` and `--version`; a command's module is loaded only when that command runs (main.ts).
 */
export const COMMANDS = {
  validate: {
    description: 'check every file under the clusters folder; one line per problem (file:line:column: field: message)',
    options: true,
  },
  synth: {
    description: 'write the manifests for every cluster: to stdout (-o -), or one folder per stage and cluster (-o DIR)',
    options: true,
  },
  diff: {
    description: 'show what apply would change in the management cluster (exit 0: no changes, 1: changes, 2: error)',
    options: true,
  },
  apply: {
    description: 'apply the declared clusters to the management cluster with server-side apply',
    options: true,
  },
  reconcile: {
    description: 'apply every commit of a git branch to the management cluster and its workload clusters, and keep them so; `reconcile cluster NAME` asks the running reconciler to do one cluster now',
    options: true,
    args: '[resource] [name]',
  },
  dev: {
    description: "start a local control plane and run the reconciler against this repository's current branch",
    options: true,
  },
  'deploy-manifests': {
    description: 'write the manifests that run the reconciler in a management cluster (Namespace, RBAC, CRD, Deployment, Service)',
    options: true,
  },
  preview: {
    description: 'run pulumi preview (or up) of the management stack: namespaces, reconciler and cluster identities',
    options: true,
  },
  ci: {
    description: 'validate, diff and pulumi preview for a pull request, as Markdown with one section per cluster',
    options: true,
  },
  controlplane: {
    description: 'run a local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) in the background',
    options: false,
  },
  get: {
    description: 'list the workload clusters: stage, provider, version, phase, ready, nodes, add-ons, revision, age (-o json|yaml, -w to watch)',
    options: true,
    args: '<resource> [name]',
  },
  describe: {
    description: 'show one cluster as a tree: its WorkloadCluster, the Cluster API objects under it with their conditions, add-on health, recent events',
    options: true,
    args: '<resource> <name>',
  },
  events: {
    description: 'list the events of the workload clusters (or of one), oldest first, as kubectl get events does',
    options: true,
    args: '[resource] [name]',
  },
  history: {
    description: 'list the revisions applied to one cluster, newest first, and the one waiting (suspended, or its file does not validate), with their commits',
    options: true,
    args: '<resource> <name>',
  },
  suspend: {
    description: 'stop reconciling one cluster (annotation clusterops.io/suspend) until resume',
    options: true,
    args: '<resource> <name>',
  },
  resume: {
    description: 'reconcile a suspended cluster again',
    options: true,
    args: '<resource> <name>',
  },
  kubeconfig: {
    description: "print a workload cluster's kubeconfig (from its <cluster>-kubeconfig Secret in the management cluster)",
    options: true,
    args: '<cluster>',
  },
  rebuild: {
    description: 'bring back a lost management cluster from git and the Pulumi state, adopting the running workload clusters (never a second copy)',
    options: true,
  },
  drill: {
    description: 'rehearse a rebuild on this machine: a scratch fleet of local clusters, its management cluster destroyed and rebuilt; checks and the RTO',
    options: true,
  },
  'local-provider': {
    description: "run the local provider's controllers (LocalCluster, LocalControlPlane, LocalMachine): workload clusters as local processes",
    options: true,
  },
  'synth-server': {
    description: "synthesize the revisions a reconciler sends over a unix socket; run it in a container of its own that holds no credential",
    options: true,
  },
} as const satisfies Record<string, CommandEntry>;

/** A command's name. */
export type CommandName = keyof typeof COMMANDS;
