/**
 * The Pulumi program of the `clusterops-management` project (Pulumi.yaml runs its compiled form,
 * dist/stacks/index.js): reads the stack config and `clusters/`, then declares the management plane.
 */
import * as pulumi from '@pulumi/pulumi';
import { FleetDirError, loadFleet } from '../src/spec/load.js';
import { formatProblem } from '../src/spec/problem.js';
import { readStackConfig, StackConfigError } from './config.js';
import { reconcilerManifests } from './reconciler-manifests.js';
import { managementStack, type ManagementStackOutputs } from './management-stack.js';

/** Runs the program; its result becomes the stack outputs. Bad input fails the run with a message and no stack trace. */
export default async function program(): Promise<ManagementStackOutputs> {
  let config;
  try {
    config = readStackConfig();
  } catch (error) {
    if (error instanceof StackConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
  let loaded;
  try {
    loaded = await loadFleet(config.clustersDir);
  } catch (error) {
    if (error instanceof FleetDirError) throw new pulumi.RunError(error.message);
    throw error;
  }
  if (!loaded.fleet) {
    const lines = loaded.problems.map(formatProblem);
    throw new pulumi.RunError(`${lines.length} problem(s) in ${config.clustersDir}:\n${lines.join('\n')}`);
  }
  return managementStack(config, loaded.fleet, config.scope === 'all' ? reconcilerManifests(config) : undefined);
}
