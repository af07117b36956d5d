/** The public surface of the local control plane: what the CLI, tests and benchmarks use. */
export { ControlPlane, type ControlPlaneOptions, type ComponentFailure } from './control-plane.js';
export { controlPlaneStatus, type ControlPlaneStatus, type ControlPlaneCondition } from './control-plane-status.js';
export { controlPlaneDirsUnder, stopControlPlane, stopControlPlanesUnder, type StopResult } from './control-plane-stop.js';
export { startDetachedControlPlane, type DetachedControlPlane, type DetachedStartOptions } from './detached-control-plane.js';
export { installClusterApiCrds, FIELD_MANAGER, type InstallCrdsOptions, type InstalledCrds } from './crds.js';
export { ControlPlaneError } from './errors.js';
export { readState, type ControlPlaneState } from './state-file.js';
export { pickFreePorts, pickPortBelowEphemeral } from './free-ports.js';
export { controlPlaneBinaries, clusterApiCrdDir, stderrProgress, type ProgressSink } from './upstream-assets.js';
export { seedPki, type PkiSeed } from './pki.js';
