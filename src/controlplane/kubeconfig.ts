/**
 * Kubeconfig files for a local control plane: one for the admin (what users and tests use) and one
 * for kube-controller-manager. Certificates are embedded, so a kubeconfig stands alone.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { CertPaths, PkiPaths } from './pki.js';

/** Who a kubeconfig authenticates as, and where it points. */
export interface KubeconfigSpec {
  /** Name of the cluster, context and user entries. */
  name: string;
  /** `https://127.0.0.1:<port>` */
  server: string;
  /** PEM file of the CA that signed the API server's certificate. */
  caFile: string;
  /** Client certificate and key files. */
  client: CertPaths;
}

/** Writes a kubeconfig with embedded certificates, readable by its owner only. */
export async function writeKubeconfig(path: string, spec: KubeconfigSpec): Promise<void> {
  const [ca, cert, key] = await Promise.all([readFile(spec.caFile), readFile(spec.client.cert), readFile(spec.client.key)]);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.name, cluster: { server: spec.server, 'certificate-authority-data': ca.toString('base64') } }],
    users: [
      {
        name: spec.name,
        user: { 'client-certificate-data': cert.toString('base64'), 'client-key-data': key.toString('base64') },
      },
    ],
    contexts: [{ name: spec.name, context: { cluster: spec.name, user: spec.name } }],
    'current-context': spec.name,
    preferences: {},
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
  await chmod(path, 0o600);
}

/** The kubeconfig files of one control plane. */
export interface ControlPlaneKubeconfigs {
  /** `<stateDir>/kubeconfig`, as admin (`O=system:masters`). */
  admin: string;
  /** `<stateDir>/kube-controller-manager.kubeconfig`, as `system:kube-controller-manager`. */
  kubeControllerManager: string;
}

/** Writes both kubeconfig files of a control plane for the given server URL. */
export async function writeControlPlaneKubeconfigs(
  stateDir: string,
  clusterName: string,
  server: string,
  pki: PkiPaths,
): Promise<ControlPlaneKubeconfigs> {
  const paths = {
    admin: join(stateDir, 'kubeconfig'),
    kubeControllerManager: join(stateDir, 'kube-controller-manager.kubeconfig'),
  };
  await writeKubeconfig(paths.admin, { name: clusterName, server, caFile: pki.ca.cert, client: pki.admin });
  await writeKubeconfig(paths.kubeControllerManager, {
    name: 'kube-controller-manager',
    server,
    caFile: pki.ca.cert,
    client: pki.kubeControllerManager,
  });
  return paths;
}
