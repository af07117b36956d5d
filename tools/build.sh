#!/usr/bin/env bash
# Builds the upstream test-time binaries (kube-apiserver, kube-controller-manager, etcd) from
# their published Go modules into a cache outside the repository, keyed by version.
# Does nothing when they are already there. Prints the directory holding the binaries.
#
#   CLUSTEROPS_CACHE_DIR  cache root (default: ${XDG_CACHE_HOME:-~/.cache}/clusterops)
#   KUBEBUILDER_ASSETS    if set and it holds all three binaries, it is used as is (envtest convention)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  if [[ -x "$KUBEBUILDER_ASSETS/kube-apiserver" && -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
    echo "$KUBEBUILDER_ASSETS"; exit 0
  fi
  echo "tools/build.sh: KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS has no kube-apiserver and etcd; building instead" >&2
fi

cache=${CLUSTEROPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterops}
out="$cache/bin/kubernetes-$KUBERNETES_VERSION-etcd-$ETCD_VERSION"
if [[ -x "$out/kube-apiserver" && -x "$out/kube-controller-manager" && -x "$out/etcd" ]]; then
  echo "$out"; exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "tools/build.sh: Go is not installed. Install Go 1.26 or newer (https://go.dev/doc/install, or 'apt-get install golang-go' where it is recent enough), or set KUBEBUILDER_ASSETS to a folder with kube-apiserver, kube-controller-manager and etcd." >&2
  exit 127
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/clusterops-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out.partial"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
start=$SECONDS

# kube-apiserver and kube-controller-manager: a wrapper module that requires k8s.io/kubernetes and
# points each k8s.io/* staging module at its published v0.X.Y.
cp -r "$here/kube" "$work/kube"
(
  cd "$work/kube"
  go mod edit -require="k8s.io/kubernetes@$KUBERNETES_VERSION"
  kmod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  staging_version="v0.${KUBERNETES_VERSION#v1.}"
  for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*#\1#p' "$kmod"); do
    go mod edit -replace="$m=$m@$staging_version"
  done
  go mod tidy >&2
  major=${KUBERNETES_VERSION#v}; major=${major%%.*}
  minor=${KUBERNETES_VERSION#v*.}; minor=${minor%%.*}
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  ldflags=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  echo "tools/build.sh: building kube-apiserver and kube-controller-manager $KUBERNETES_VERSION (several minutes on 2 cores)" >&2
  go build -trimpath -ldflags "-s -w $ldflags" -o "$out.partial/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
)

cp -r "$here/etcd" "$work/etcd"
(
  cd "$work/etcd"
  go mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go mod tidy >&2
  echo "tools/build.sh: building etcd $ETCD_VERSION" >&2
  go build -trimpath -ldflags "-s -w" -o "$out.partial/etcd" .
)

rm -rf "$out" && mv "$out.partial" "$out"
echo "tools/build.sh: built in $((SECONDS - start)) s into $out" >&2
echo "$out"
