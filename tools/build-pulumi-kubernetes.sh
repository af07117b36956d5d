#!/usr/bin/env bash
# Builds the Pulumi kubernetes resource provider (pulumi-resource-kubernetes) from its published Go
# module into a cache outside the repository, keyed by version, and installs it as a plugin into a
# PULUMI_HOME kept in the same cache. Does nothing when both are already there. Prints the PULUMI_HOME.
#
# The module proxy serves github.com/pulumi/pulumi-kubernetes/provider/v4 only as the pseudo-version
# below, which is exactly release v4.25.0 (the upstream tag points at that commit). `go install`
# refuses it (replace directives), and the embedded schema files come from `go generate`, so: a
# wrapper module requiring that version, the cmd files copied from the module cache, `go run
# generate.go`, then `go build`. Cold: ~35 CPU-minutes and ~4 GB of memory; relinking ~45 s.
#
#   CLUSTEROPS_CACHE_DIR  cache root (default: ${XDG_CACHE_HOME:-~/.cache}/clusterops)
#   CLUSTEROPS_PULUMI_DIR folder with `pulumi` (default: what tools/build-pulumi.sh built)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
version=${PULUMI_KUBERNETES_VERSION#v}
module=github.com/pulumi/pulumi-kubernetes/provider/v4
module_version=$PULUMI_KUBERNETES_MODULE_VERSION

cache=${CLUSTEROPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterops}
out="$cache/bin/pulumi-kubernetes-v$version"
pulumi_home="$cache/pulumi-home"
plugin="$pulumi_home/plugins/resource-kubernetes-v$version/pulumi-resource-kubernetes"

pulumi_dir=${CLUSTEROPS_PULUMI_DIR:-$(bash "$here/build-pulumi.sh")}
if [[ ! -x "$pulumi_dir/pulumi" ]]; then
  echo "tools/build-pulumi-kubernetes.sh: no pulumi in $pulumi_dir (tools/build-pulumi.sh builds it)" >&2
  exit 1
fi

if [[ ! -x "$out/pulumi-resource-kubernetes" ]]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "tools/build-pulumi-kubernetes.sh: Go is not installed. Install Go 1.26 or newer." >&2
    exit 127
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/clusterops-pulumi-kubernetes.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  rm -rf "$out.partial" && mkdir -p "$out.partial"
  # As in tools/build-pulumi.sh: the checksum database has no entries for github.com/pulumi modules.
  export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local GONOSUMDB=${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi
  start=$SECONDS
  cp -r "$here/pulumi-kubernetes" "$work/provider"
  (
    cd "$work/provider"
    go mod edit -require="$module@$module_version"
    dir=$(go mod download -json "$module@$module_version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    for f in main.go generate.go schema.json terraform-mapping.json; do
      cp "$dir/cmd/pulumi-resource-kubernetes/$f" .
      chmod u+w "$f"
    done
    go mod tidy >&2
    echo "tools/build-pulumi-kubernetes.sh: generating the embedded schema (v$version)" >&2
    VERSION=$version go run generate.go >&2
    echo "tools/build-pulumi-kubernetes.sh: building pulumi-resource-kubernetes v$version (~35 CPU-minutes, ~4 GB)" >&2
    go build -trimpath -ldflags "-s -w -X $module/pkg/version.Version=$version" \
      -o "$out.partial/pulumi-resource-kubernetes" .
  )
  rm -rf "$out" && mv "$out.partial" "$out"
  echo "tools/build-pulumi-kubernetes.sh: built in $((SECONDS - start)) s into $out" >&2
fi

if [[ ! -x "$plugin" ]]; then
  mkdir -p "$pulumi_home"
  PULUMI_HOME="$pulumi_home" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DIY_BACKEND_URL= \
    "$pulumi_dir/pulumi" plugin install resource kubernetes "v$version" \
    --file "$out/pulumi-resource-kubernetes" >&2
fi
echo "$pulumi_home"
