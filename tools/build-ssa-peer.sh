#!/usr/bin/env bash
# Builds tools/ssa-peer (our small Go program around Flux's apply engine, github.com/fluxcd/pkg/ssa)
# into a cache outside the repository, keyed by the ssa version in tools/ssa-peer/go.mod and a hash
# of the program. Does nothing when it is already there. Prints the path of the binary.
# Used by `npm run bench -- engine-peer` only, never by tests or CI.
#
#   CLUSTEROPS_CACHE_DIR  cache root (default: ${XDG_CACHE_HOME:-~/.cache}/clusterops)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src="$here/ssa-peer"
version=$(sed -n 's#^[[:space:]]*\(require \)\{0,1\}github.com/fluxcd/pkg/ssa \(v[^ ]*\).*#\2#p' "$src/go.mod" | head -1)
[[ -n "$version" ]] || { echo "tools/build-ssa-peer.sh: no github.com/fluxcd/pkg/ssa in $src/go.mod" >&2; exit 1; }
digest=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-12)
cache=${CLUSTEROPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterops}
out="$cache/bin/ssa-peer-$version-$digest"
if [[ -x "$out" ]]; then echo "$out"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "tools/build-ssa-peer.sh: Go is not installed (Go 1.26 or newer builds fluxcd/pkg/ssa $version)" >&2
  exit 127
fi
mkdir -p "$cache/bin"
start=$SECONDS
# ssa v0.78.0 needs Go 1.26, the installed one; GOTOOLCHAIN=local keeps it from fetching another.
(cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-local} go build -trimpath -o "$out.partial" .) >&2
mv "$out.partial" "$out"
echo "tools/build-ssa-peer.sh: built ssa-peer (fluxcd/pkg/ssa $version) in $((SECONDS - start))s" >&2
echo "$out"
