import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { STAGE_LABEL } from '../src/model/manifest-set.js';

/**
 * One Namespace per managed stage, named after the stage: the home of its clusters' Cluster API
 * objects and identity Secrets. The reconciler's stage set declares the same Namespace;
 * server-side apply lets both own it. A Namespace holding a protected cluster is protected
 * and retained too, since deleting a Namespace deletes its Secrets.
 */
export function stageNamespaces(
  stages: readonly { name: string; protect: boolean }[],
  opts: pulumi.CustomResourceOptions = {},
): Map<string, k8s.core.v1.Namespace> {
  const namespaces = new Map<string, k8s.core.v1.Namespace>();
  for (const stage of stages) {
    namespaces.set(
      stage.name,
      new k8s.core.v1.Namespace(
        `stage/${stage.name}`,
        { metadata: { name: stage.name, labels: { [STAGE_LABEL]: stage.name } } },
        { ...opts, protect: stage.protect, retainOnDelete: stage.protect },
      ),
    );
  }
  return namespaces;
}
