import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

/** Where to find the cluster: a kubeconfig file and a context in it. */
export interface KubeconfigOptions {
  /**
   * Path of the kubeconfig file.
   * @default `$KUBECONFIG`, then `~/.kube/config`, then the in-cluster service account
   */
  path?: string;
  /**
   * Context to use.
   * @default the file's current-context
   */
  context?: string;
}

/** A kubeconfig that cannot be used; the message names the file or context, never its contents. */
export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

/** Loads a kubeconfig file and selects a context, failing with a clear message when either is missing. */
export function loadKubeconfig(options: KubeconfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  if (options.path) {
    if (!existsSync(options.path)) throw new KubeconfigError(`kubeconfig ${options.path} does not exist`);
    try {
      kc.loadFromFile(options.path);
    } catch {
      throw new KubeconfigError(`kubeconfig ${options.path} cannot be read as a kubeconfig file`);
    }
  } else {
    try {
      kc.loadFromDefault();
    } catch {
      throw new KubeconfigError('the default kubeconfig ($KUBECONFIG or ~/.kube/config) cannot be read');
    }
  }
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      const where = options.path ?? 'the default kubeconfig';
      throw new KubeconfigError(`context ${JSON.stringify(options.context)} is not in ${where}`);
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    const where = options.path ?? 'the default kubeconfig';
    throw new KubeconfigError(`${where} has no cluster for context ${JSON.stringify(kc.getCurrentContext() ?? '')}`);
  }
  return kc;
}
