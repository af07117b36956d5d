#!/usr/bin/env bash
# Builds the Cluster API managers (core, kubeadm bootstrap, kubeadm control plane) from the published
# sigs.k8s.io/cluster-api Go module into a cache outside the repository, keyed by version. Does
# nothing when they are already there. Prints the directory holding capi-manager,
# capi-kubeadm-bootstrap-manager and capi-kubeadm-control-plane-manager.
#
#   CLUSTEROPS_CACHE_DIR  cache root (default: ${XDG_CACHE_HOME:-~/.cache}/clusterops)
#   CLUSTEROPS_CAPI_BIN   if set and it holds all three managers, it is used as is
#
# `go install sigs.k8s.io/cluster-api/core@v` refuses (the module has replace directives), so a
# wrapper module (tools/capi) requires it and builds the three main packages.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
names=(capi-manager capi-kubeadm-bootstrap-manager capi-kubeadm-control-plane-manager)
complete() { local n; for n in "${names[@]}"; do [[ -x "$1/$n" ]] || return 1; done; }

if [[ -n "${CLUSTEROPS_CAPI_BIN:-}" ]]; then
  complete "$CLUSTEROPS_CAPI_BIN" && { echo "$CLUSTEROPS_CAPI_BIN"; exit 0; }
  echo "tools/build-capi.sh: CLUSTEROPS_CAPI_BIN=$CLUSTEROPS_CAPI_BIN lacks one of ${names[*]}; building instead" >&2
fi
cache=${CLUSTEROPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterops}
out="$cache/bin/cluster-api-$CLUSTER_API_VERSION"
complete "$out" && { echo "$out"; exit 0; }

if ! command -v go >/dev/null 2>&1; then
  echo "tools/build-capi.sh: Go is not installed. Install Go 1.26 or newer to build Cluster API $CLUSTER_API_VERSION, or set CLUSTEROPS_CAPI_BIN to a folder with ${names[*]}." >&2
  exit 127
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/clusterops-capi.XXXXXX")
trap 'rm -rf "$work"' EXIT
rm -rf "$out.partial"; mkdir -p "$out.partial"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
start=$SECONDS
cp -r "$here/capi" "$work/capi"
cd "$work/capi"
go mod edit -require="sigs.k8s.io/cluster-api@$CLUSTER_API_VERSION" -require="sigs.k8s.io/cluster-api/api@$CLUSTER_API_VERSION"
go mod tidy >&2
ldflags="-s -w"
for k in gitVersion=$CLUSTER_API_VERSION gitTreeState=clean buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ); do
  ldflags+=" -X sigs.k8s.io/cluster-api/version.$k"
done
build() { # name package
  local t=$SECONDS
  echo "tools/build-capi.sh: building $1 (Cluster API $CLUSTER_API_VERSION)" >&2
  go build -trimpath -ldflags "$ldflags" -o "$out.partial/$1" "$2" >&2
  echo "tools/build-capi.sh: $1 built in $((SECONDS - t)) s" >&2
}
build capi-manager sigs.k8s.io/cluster-api/core
build capi-kubeadm-bootstrap-manager sigs.k8s.io/cluster-api/bootstrap/kubeadm
build capi-kubeadm-control-plane-manager sigs.k8s.io/cluster-api/controlplane/kubeadm
rm -rf "$out" && mv "$out.partial" "$out"
echo "tools/build-capi.sh: built in $((SECONDS - start)) s into $out" >&2
echo "$out"
