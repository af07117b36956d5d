#!/usr/bin/env bash
# Builds the helm CLI (helm.sh/helm/v4 at HELM_VERSION in tools/versions.env) into a cache outside
# the repository, keyed by version. Does nothing when it is already there. Prints the binary's path.
# clusterops finds it there (or through CLUSTEROPS_HELM) to render Helm add-ons at synth.
#
#   CLUSTEROPS_CACHE_DIR  cache root (default: ${XDG_CACHE_HOME:-~/.cache}/clusterops)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache=${CLUSTEROPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterops}
dir="$cache/bin/helm-$HELM_VERSION"
out="$dir/helm"
if [[ -x "$out" ]]; then echo "$out"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "tools/build-helm.sh: Go is not installed (Go 1.26 or newer builds helm $HELM_VERSION)" >&2
  exit 127
fi
mkdir -p "$dir"
start=$SECONDS
gobin=$(mktemp -d)
trap 'rm -rf "$gobin"' EXIT
# helm v4's go.mod asks for Go 1.26 (the installed one); GOTOOLCHAIN=local keeps go from fetching another.
CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-local} GOBIN="$gobin" \
  go install -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >&2
mv "$gobin/helm" "$out.partial"
mv "$out.partial" "$out"
echo "tools/build-helm.sh: built helm $HELM_VERSION in $((SECONDS - start))s" >&2
echo "$out"
