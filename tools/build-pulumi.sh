#!/usr/bin/env bash
# Builds the Pulumi CLI and its Node.js language host from their published Go modules into a cache
# outside the repository, keyed by version. Does nothing when they are already there. Prints the
# bin folder holding `pulumi` and `pulumi-language-nodejs` (put it on PATH, or set CLUSTEROPS_PULUMI_DIR).
#
# The kubernetes resource provider is built by tools/build-pulumi-kubernetes.sh (from the one
# pseudo-version the proxy serves); the tls provider is not served at all, and the stack does not
# need it (stacks/key-material.ts generates the identities). See the note at the end of this file.
# `clusterops preview` and `ci` find what these scripts built in the cache: no PATH edits.
#
#   CLUSTEROPS_CACHE_DIR  cache root (default: ${XDG_CACHE_HOME:-~/.cache}/clusterops)
#   PULUMI_VERSION        CLI version (versions.env)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
PULUMI_VERSION=${PULUMI_VERSION:-v3.248.0}
# The last github.com/pulumi/pulumi/sdk/v3 release that still contained nodejs/cmd/pulumi-language-nodejs.
PULUMI_LANGUAGE_NODEJS_VERSION=${PULUMI_LANGUAGE_NODEJS_VERSION:-v3.68.0}

cache=${CLUSTEROPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterops}
out="$cache/pulumi-$PULUMI_VERSION-nodejs-$PULUMI_LANGUAGE_NODEJS_VERSION/bin"
if [[ -x "$out/pulumi" && -x "$out/pulumi-language-nodejs" ]]; then
  echo "$out"; exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "tools/build-pulumi.sh: Go is not installed. Install Go 1.26 or newer." >&2
  exit 127
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/clusterops-pulumi.XXXXXX")
trap 'rm -rf "$work"' EXIT
rm -rf "$out.partial" && mkdir -p "$out.partial"
# The checksum database, as reached from here, has no entries for github.com/pulumi modules
# (lookups answer 404); the module proxy serves them, so only those skip the sumdb check.
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local GONOSUMDB=${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi
start=$SECONDS

cp -r "$here/pulumi" "$work/pulumi"
(
  cd "$work/pulumi"
  go mod edit -require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION"
  go mod tidy >&2
  echo "tools/build-pulumi.sh: building pulumi $PULUMI_VERSION (several minutes on 2 cores)" >&2
  go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$out.partial/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
)

cp -r "$here/pulumi-language-nodejs" "$work/pulumi-language-nodejs"
(
  cd "$work/pulumi-language-nodejs"
  go mod edit -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_LANGUAGE_NODEJS_VERSION"
  go mod tidy >&2
  echo "tools/build-pulumi.sh: building pulumi-language-nodejs $PULUMI_LANGUAGE_NODEJS_VERSION" >&2
  go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGUAGE_NODEJS_VERSION" \
    -o "$out.partial/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
)

rm -rf "$out" && mkdir -p "$(dirname "$out")" && mv "$out.partial" "$out"
echo "tools/build-pulumi.sh: built in $((SECONDS - start)) s into $out" >&2
echo "$out"

# Checked against the module proxy (GET https://proxy.golang.org/<module>/@v/<version>.info):
#   github.com/pulumi/pulumi/pkg/v3 v3.248.0                          200 (v3.247.0, v3.274.1: 403)
#   github.com/pulumi/pulumi/sdk/v3 v3.248.0, v3.68.0, ...           200
#   github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 403 for every version tried
#   github.com/pulumi/pulumi-kubernetes/provider/v4                   403 for v4.0.0 ... v4.34.2 (18 versions);
#     200 for v4.0.0-20260115033456-f47bc2d6f199 (= v4.25.0): tools/build-pulumi-kubernetes.sh
#   github.com/pulumi/pulumi-kubernetes/provider/v3                   403 (v3.0.0 ... v3.30.2)
#   github.com/pulumi/pulumi-tls/provider/v5, /provider/v4            403 (v4.0.0 ... v5.6.1)
