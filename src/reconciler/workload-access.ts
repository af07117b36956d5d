// Moved to src/kube/workload-access.ts (the CLI reaches workload clusters too); kept so imports from here keep working.
export * from '../kube/workload-access.js';
