#!/usr/bin/env bash
# Collects the upstream CRD files (Cluster API core, kubeadm bootstrap and control plane, CAPD, CAPA,
# CAPZ) from their published Go modules into a cache folder keyed by version. Prints that folder,
# which holds one subfolder per source: capi/, capi-kubeadm-bootstrap/, capi-kubeadm-control-plane/,
# capd/, capa/, capz/. Does nothing when the folder is already complete.
# Next to each source's CRDs, `_contract/` keeps the upstream files that carry the Cluster API
# contract labels (the kustomization.yaml of config/crd and CAPZ's capicontract_in_* patches); the
# installer reads them, so the labels come from upstream, not from a list of ours. `webhooks/` keeps
# the admission webhook manifests of the three Cluster API managers (used by `--with-capi`).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${CLUSTEROPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterops}
out="$cache/crds/v2-capi-$CLUSTER_API_VERSION-capd-$CAPD_VERSION-capa-$CAPA_VERSION-capz-$CAPZ_VERSION"
[[ -f "$out/.complete" ]] && { echo "$out"; exit 0; }
command -v go >/dev/null 2>&1 || {
  echo "tools/crds.sh: Go is not installed; it is needed to download the Cluster API CRDs from the Go module proxy. Install Go 1.26 or newer." >&2
  exit 127
}
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
moddir() { local j; j=$(go mod download -json "$1") || { echo "tools/crds.sh: cannot download $1: $(printf "%s" "$j" | sed -n 's/.*"Error": "\(.*\)",$/\1/p')" >&2; exit 1; }; printf "%s\n" "$j" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }
rm -rf "$out.partial"; mkdir -p "$out.partial"
copy() { # name module@version subdir
  local dir; dir=$(moddir "$2")
  [[ -d "$dir/$3" ]] || { echo "tools/crds.sh: $2 has no $3" >&2; exit 1; }
  mkdir -p "$out.partial/$1"
  cp "$dir/$3"/*.yaml "$out.partial/$1/"
  rm -f "$out.partial/$1/kustomization.yaml"
  mkdir -p "$out.partial/$1/_contract/patches"
  cp "$dir/$3/../kustomization.yaml" "$out.partial/$1/_contract/kustomization.yaml"
  if compgen -G "$dir/$3/../patches/capicontract_in_*.yaml" >/dev/null; then
    cp "$dir/$3"/../patches/capicontract_in_*.yaml "$out.partial/$1/_contract/patches/"
  fi
  chmod -R u+w "$out.partial/$1"
}
webhooks() { # name module@version subdir
  local dir; dir=$(moddir "$2")
  mkdir -p "$out.partial/webhooks"
  cp "$dir/$3/manifests.yaml" "$out.partial/webhooks/$1.yaml"
  chmod u+w "$out.partial/webhooks/$1.yaml"
}
copy capi "sigs.k8s.io/cluster-api@$CLUSTER_API_VERSION" core/config/crd/bases
copy capi-kubeadm-bootstrap "sigs.k8s.io/cluster-api@$CLUSTER_API_VERSION" bootstrap/kubeadm/config/crd/bases
copy capi-kubeadm-control-plane "sigs.k8s.io/cluster-api@$CLUSTER_API_VERSION" controlplane/kubeadm/config/crd/bases
copy capd "sigs.k8s.io/cluster-api/test@$CAPD_VERSION" infrastructure/docker/config/crd/bases
copy capa "sigs.k8s.io/cluster-api-provider-aws/v2@$CAPA_VERSION" config/crd/bases
copy capz "sigs.k8s.io/cluster-api-provider-azure@$CAPZ_VERSION" config/crd/bases
webhooks capi "sigs.k8s.io/cluster-api@$CLUSTER_API_VERSION" core/config/webhook
webhooks capi-kubeadm-bootstrap "sigs.k8s.io/cluster-api@$CLUSTER_API_VERSION" bootstrap/kubeadm/config/webhook
webhooks capi-kubeadm-control-plane "sigs.k8s.io/cluster-api@$CLUSTER_API_VERSION" controlplane/kubeadm/config/webhook
touch "$out.partial/.complete"
rm -rf "$out" && mv "$out.partial" "$out"
echo "$out"
