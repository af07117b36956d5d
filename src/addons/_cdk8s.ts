/**
 * cdk8s and constructs for the add-ons, loaded on first render. The catalog (schemas, names, kinds)
 * is read by `validate` too, which must not pay for cdk8s; rendering always runs inside a synth that
 * has loaded it already, so the require here finds it in the module cache (the same instances).
 */
import { createRequire } from 'node:module';
import type * as Cdk8s from 'cdk8s';
import type * as Constructs from 'constructs';

const require = createRequire(import.meta.url);
let cdk8s: typeof Cdk8s | undefined;
let constructs: typeof Constructs | undefined;

/** The cdk8s module. */
export function cdk8sLib(): typeof Cdk8s {
  return (cdk8s ??= require('cdk8s') as typeof Cdk8s);
}

/** A plain construct grouping an add-on's objects under `scope`. */
export function group(scope: Constructs.Construct, id: string): Constructs.Construct {
  constructs ??= require('constructs') as typeof Constructs;
  return new constructs.Construct(scope, id);
}
