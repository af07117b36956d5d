/**
 * What every provider's ClusterClass has in common: the variable names the Cluster chart sets, the
 * worker class every node pool uses, the health checks, and the patches that carry a node pool's
 * labels and taints into its kubeadm join configuration. Provider files (cluster-class-docker.ts,
 * cluster-class-aws.ts, cluster-class-azure.ts) add their templates and provider patches.
 */
import { createHash } from 'node:crypto';
import type { ApiObject, ApiObjectMetadata } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  ClusterClass,
  ClusterClassSpecPatchesDefinitionsJsonPatchesOp as PatchOp,
  type ClusterClassSpecPatches,
  type ClusterClassSpecPatchesDefinitionsJsonPatches,
  type ClusterClassSpecPatchesDefinitionsSelectorMatchResources,
  type ClusterClassSpecVariables,
  ClusterClassSpecVariablesSchemaOpenApiv3SchemaType as VariableType,
} from '../imports/capi.js';
import type { Provider } from '../model/workload-cluster.js';

/** The MachineDeployment class of every ClusterClass; each node pool is one MachineDeployment of it. */
export const WORKER_CLASS = 'default-worker';

/** Names of the ClusterClass variables that the Cluster chart sets. */
export const VARIABLES = {
  /** Cloud region or location of the infrastructure cluster (aws, azure). */
  region: 'region',
  /** Machine type of control-plane machines (aws, azure). */
  controlPlaneMachineType: 'controlPlaneMachineType',
  /** Machine type of worker machines; a node pool overrides it (aws, azure). */
  workerMachineType: 'workerMachineType',
  /** A node pool's kubelet `--node-labels` value, `key=value` pairs joined by commas (every provider). */
  nodeLabels: 'nodeLabels',
  /** A node pool's registration taints, `[{key, value?, effect}]` (every provider). */
  nodeTaints: 'nodeTaints',
} as const;

/** Base names of a ClusterClass's templates (before the hash of their spec), all derived from the class name. */
export function templateNames(className: string): {
  infrastructureCluster: string;
  controlPlane: string;
  controlPlaneMachine: string;
  workerBootstrap: string;
  workerMachine: string;
} {
  return {
    infrastructureCluster: `${className}-cluster`,
    controlPlane: `${className}-control-plane`,
    controlPlaneMachine: `${className}-control-plane-machine`,
    workerBootstrap: `${className}-worker-bootstrap`,
    workerMachine: `${className}-worker-machine`,
  };
}

/** A template kind imported from its CRD (src/imports): constructed from metadata and a spec. */
export type TemplateKind<S, T extends ApiObject> = new (
  scope: Construct,
  id: string,
  props: { metadata?: ApiObjectMetadata; spec: S },
) => T;

/**
 * Adds a template named `<baseName>-<hash of its spec>`. Providers make template specs immutable,
 * so a changed template must be a new object: the ClusterClass then refers to the new one, Cluster
 * API rolls the machines, and prune removes the old template.
 */
export function addTemplate<S, T extends ApiObject>(
  scope: Construct,
  id: string,
  kind: TemplateKind<S, T>,
  template: { baseName: string; namespace: string; spec: S },
): T {
  const hash = createHash('sha256').update(JSON.stringify(template.spec)).digest('hex').slice(0, 10);
  return new kind(scope, id, { metadata: { name: `${template.baseName}-${hash}`, namespace: template.namespace }, spec: template.spec });
}

/** A reference from a ClusterClass to one of its templates. */
export interface TemplateRef {
  apiVersion: string;
  kind: string;
  name: string;
}

/** What the Cluster chart needs to know about a provider's ClusterClass. */
export interface ClusterClassDefinition {
  provider: Provider;
  /** Name of the ClusterClass in each stage namespace, also the prefix of its templates' names. */
  name: string;
  /** Whether the class has the `region` variable (and a Cluster must set it). */
  region: boolean;
  /**
   * Machine types a Cluster gets when its declaration names none; absent when the provider has no
   * machine types (docker), in which case declared machine types are ignored.
   */
  defaultMachineTypes?: { controlPlane: string; worker: string };
  /** Adds the ClusterClass and its templates to `scope`, all in `namespace`. */
  render(scope: Construct, namespace: string): void;
}

/** The parts of one provider's ClusterClass; see `addClusterClass`. */
export interface ClusterClassParts {
  name: string;
  namespace: string;
  infrastructureCluster: ApiObject;
  controlPlane: ApiObject;
  /** Infrastructure of control-plane machines; absent for a machineless control plane (local). */
  controlPlaneMachine?: ApiObject;
  workerBootstrap: ApiObject;
  workerMachine: ApiObject;
  /** Provider variables, in addition to the node pool ones every class has. @default none */
  variables?: ClusterClassSpecVariables[];
  /** Provider patches, applied before the node pool ones every class has. @default none */
  patches?: ClusterClassSpecPatches[];
}

/** The reference to `template` that a ClusterClass stores. */
export function templateRef(template: ApiObject): TemplateRef {
  return { apiVersion: template.apiVersion, kind: template.kind, name: template.name };
}

/** A required string variable of a ClusterClass. */
export function requiredString(name: string, description: string): ClusterClassSpecVariables {
  return { name, required: true, schema: { openApiv3Schema: { type: VariableType.STRING, minLength: 1, description } } };
}

/** Selects the infrastructure cluster template of a ClusterClass. */
export const INFRASTRUCTURE_CLUSTER: ClusterClassSpecPatchesDefinitionsSelectorMatchResources = { infrastructureCluster: true };
/** Selects the control-plane templates (the control plane's and its machine infrastructure's). */
export const CONTROL_PLANE: ClusterClassSpecPatchesDefinitionsSelectorMatchResources = { controlPlane: true };
/** Selects the templates of the worker class. */
export const WORKERS: ClusterClassSpecPatchesDefinitionsSelectorMatchResources = { machineDeploymentClass: { names: [WORKER_CLASS] } };

/** A patch that sets `path` of the `template`-like templates selected by `matchResources` to a variable's value. */
export function setFromVariable(
  variable: string,
  description: string,
  target: { template: ApiObject; matchResources: ClusterClassSpecPatchesDefinitionsSelectorMatchResources; path: string },
): ClusterClassSpecPatches {
  return patch(variable, description, target, [{ op: PatchOp.ADD, path: target.path, valueFrom: { variable } }]);
}

/** How a cloud provider's templates name the region and the machine type, for `cloudVariables`. */
export interface CloudWords {
  /** What the provider calls a region, e.g. `AWS region`, `Azure location`. */
  regionNoun: string;
  /** A region to show in the variable's description, e.g. `eu-west-1`. */
  regionExample: string;
  /** e.g. `instance type`, `VM size`. */
  machineNoun: string;
  /** e.g. `EC2 instance type`, the variable descriptions' longer form. */
  machineNounLong: string;
  /** Field of the infrastructure cluster template's spec holding the region (`region`, `location`). */
  regionField: string;
  /** Field of the machine templates' spec holding the machine type (`instanceType`, `vmSize`). */
  machineField: string;
}

/**
 * The variables `region`, `controlPlaneMachineType` and `workerMachineType` of a cloud ClusterClass,
 * and the patches that set them into its infrastructure cluster and machine templates.
 */
export function cloudVariables(
  words: CloudWords,
  templates: { infrastructureCluster: ApiObject; controlPlaneMachine: ApiObject; workerMachine: ApiObject },
): { variables: ClusterClassSpecVariables[]; patches: ClusterClassSpecPatches[] } {
  return {
    variables: [
      requiredString(VARIABLES.region, `${words.regionNoun} of the cluster, e.g. ${words.regionExample}.`),
      requiredString(VARIABLES.controlPlaneMachineType, `${words.machineNounLong} of control-plane machines.`),
      requiredString(VARIABLES.workerMachineType, `${words.machineNounLong} of worker machines; node pools override it.`),
    ],
    patches: [
      setFromVariable(VARIABLES.region, `Sets the ${words.regionNoun}.`, {
        template: templates.infrastructureCluster,
        matchResources: INFRASTRUCTURE_CLUSTER,
        path: `/spec/template/spec/${words.regionField}`,
      }),
      setFromVariable(VARIABLES.controlPlaneMachineType, `Sets the ${words.machineNoun} of control-plane machines.`, {
        template: templates.controlPlaneMachine,
        matchResources: CONTROL_PLANE,
        path: `/spec/template/spec/${words.machineField}`,
      }),
      setFromVariable(VARIABLES.workerMachineType, `Sets the ${words.machineNoun} of worker machines.`, {
        template: templates.workerMachine,
        matchResources: WORKERS,
        path: `/spec/template/spec/${words.machineField}`,
      }),
    ],
  };
}

/** A named patch of one definition: `jsonPatches` on the templates of `template`'s kind that `matchResources` selects. */
export function patch(
  name: string,
  description: string,
  target: { template: ApiObject; matchResources: ClusterClassSpecPatchesDefinitionsSelectorMatchResources },
  jsonPatches: ClusterClassSpecPatchesDefinitionsJsonPatches[],
  enabledIf?: string,
): ClusterClassSpecPatches {
  const selector = { apiVersion: target.template.apiVersion, kind: target.template.kind, matchResources: target.matchResources };
  return { name, description, enabledIf, definitions: [{ selector, jsonPatches }] };
}

/** Variables every ClusterClass has: a node pool's labels and taints, set per MachineDeployment. */
function nodePoolVariables(): ClusterClassSpecVariables[] {
  return [
    {
      name: VARIABLES.nodeLabels,
      required: false,
      schema: {
        openApiv3Schema: {
          type: VariableType.STRING,
          description: "kubelet --node-labels of a node pool's machines: key=value pairs joined by commas.",
        },
      },
    },
    {
      name: VARIABLES.nodeTaints,
      required: false,
      schema: {
        openApiv3Schema: {
          type: VariableType.ARRAY,
          description: "Taints a node pool's nodes register with.",
          items: {
            type: 'object',
            required: ['key', 'effect'],
            properties: {
              key: { type: 'string', minLength: 1 },
              value: { type: 'string' },
              effect: { type: 'string', enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
            },
          },
        },
      },
    },
  ];
}

/**
 * Patches every ClusterClass has: the node pool's labels and taints into the worker bootstrap
 * template's join configuration. The node-labels patch appends to kubeletExtraArgs, so every
 * worker bootstrap template must list at least one kubelet argument.
 */
function nodePoolPatches(workerBootstrap: ApiObject): ClusterClassSpecPatches[] {
  const target = { template: workerBootstrap, matchResources: WORKERS };
  const nodeRegistration = '/spec/template/spec/joinConfiguration/nodeRegistration';
  return [
    patch(
      VARIABLES.nodeLabels,
      "Adds the node pool's labels to the kubelet's --node-labels.",
      target,
      [
        {
          op: PatchOp.ADD,
          path: `${nodeRegistration}/kubeletExtraArgs/-`,
          valueFrom: { template: `name: node-labels\nvalue: {{ .${VARIABLES.nodeLabels} | quote }}\n` },
        },
      ],
      `{{ if .${VARIABLES.nodeLabels} }}true{{ end }}`,
    ),
    patch(
      VARIABLES.nodeTaints,
      "Registers the node pool's nodes with its taints.",
      target,
      [{ op: PatchOp.ADD, path: `${nodeRegistration}/taints`, valueFrom: { variable: VARIABLES.nodeTaints } }],
      `{{ if .${VARIABLES.nodeTaints} }}true{{ end }}`,
    ),
  ];
}

/** Node conditions after which a machine is remediated (replaced). */
const HEALTH_CHECK = {
  checks: {
    nodeStartupTimeoutSeconds: 600,
    unhealthyNodeConditions: [
      { type: 'Ready', status: 'Unknown', timeoutSeconds: 300 },
      { type: 'Ready', status: 'False', timeoutSeconds: 300 },
    ],
  },
};

/** Adds the ClusterClass that ties `parts` together, with the node pool variables and patches. */
export function addClusterClass(scope: Construct, parts: ClusterClassParts): ClusterClass {
  return new ClusterClass(scope, 'cluster-class', {
    metadata: { name: parts.name, namespace: parts.namespace },
    spec: {
      infrastructure: { templateRef: templateRef(parts.infrastructureCluster) },
      controlPlane: parts.controlPlaneMachine
        ? {
            templateRef: templateRef(parts.controlPlane),
            machineInfrastructure: { templateRef: templateRef(parts.controlPlaneMachine) },
            healthCheck: structuredClone(HEALTH_CHECK),
          }
        : { templateRef: templateRef(parts.controlPlane) },
      workers: {
        machineDeployments: [
          {
            class: WORKER_CLASS,
            bootstrap: { templateRef: templateRef(parts.workerBootstrap) },
            infrastructure: { templateRef: templateRef(parts.workerMachine) },
            healthCheck: structuredClone(HEALTH_CHECK),
          },
        ],
      },
      variables: [...(parts.variables ?? []), ...nodePoolVariables()],
      patches: [...(parts.patches ?? []), ...nodePoolPatches(parts.workerBootstrap)],
    },
  });
}
