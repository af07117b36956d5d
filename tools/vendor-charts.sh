#!/usr/bin/env bash
# Vendors the catalog's Helm charts into a repository the way a platform team keeps them in git,
# as charts/<name>/<chart version>/, copied out of the upstream projects' Go modules (the charts ship
# inside them, as their CRDs do). For tests and benchmarks; the charts are never committed here.
#
#   tools/vendor-charts.sh DEST [NAME@MODULE_VERSION ...]
#
# NAME is one of cert-manager, metrics-server, kyverno, cilium; without any, all four at the versions
# in tools/versions.env. Prints each chart folder it wrote. What differs from the upstream folder:
#   cert-manager: its release tool sets version/appVersion (v0.0.0 in git) to the release: so do we.
#   kyverno: its kyverno-api and openreports subcharts come from the Go modules kyverno's go.mod
#     pins (at the chart versions Chart.yaml asks for); reports-server (optional, off by default) is
#     not served by the module proxy here and is dropped from Chart.yaml; Chart.lock goes with it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
dest=${1:?usage: tools/vendor-charts.sh DEST [NAME@MODULE_VERSION ...]}
shift
(($#)) || set -- "cert-manager@$CERT_MANAGER_VERSION" "metrics-server@$METRICS_SERVER_VERSION" "kyverno@$KYVERNO_VERSION" "cilium@$CILIUM_VERSION"
command -v go >/dev/null || { echo "tools/vendor-charts.sh: Go is needed (the charts come from the Go module cache)" >&2; exit 127; }

# The folder of module $1 at version $2 in the module cache (downloaded when missing).
module_dir() {
  local dir
  dir=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n "$dir" && -d "$dir" ]] || { echo "tools/vendor-charts.sh: go mod download $1@$2 gave no folder" >&2; exit 1; }
  echo "$dir"
}
chart_version() { sed -n 's/^version:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$1/Chart.yaml" | head -1; }
# Copies chart folder $1 to $2 (writable, as a git checkout is).
copy_chart() { rm -rf "$2"; mkdir -p "$(dirname "$2")"; cp -R "$1" "$2"; chmod -R u+w "$2"; }
set_version() { sed -i "s/^version:.*/version: $2/; s/^appVersion:.*/appVersion: $2/" "$1/Chart.yaml"; }

for item in "$@"; do
  name=${item%@*}
  version=${item#*@}
  case "$name" in
    cert-manager)
      src="$(module_dir github.com/cert-manager/cert-manager "$version")/deploy/charts/cert-manager"
      out="$dest/charts/cert-manager/$version"
      copy_chart "$src" "$out"
      set_version "$out" "$version"
      ;;
    metrics-server)
      src="$(module_dir sigs.k8s.io/metrics-server "$version")/charts/metrics-server"
      out="$dest/charts/metrics-server/$(chart_version "$src")"
      copy_chart "$src" "$out"
      ;;
    kyverno)
      mod=$(module_dir github.com/kyverno/kyverno "$version")
      src="$mod/charts/kyverno"
      out="$dest/charts/kyverno/$(chart_version "$src")"
      copy_chart "$src" "$out"
      for dep in github.com/kyverno/api:charts/kyverno-api github.com/openreports/reports-api:charts/openreports; do
        m=${dep%%:*}
        sub=${dep#*:}
        v=$(sed -n "s#^[[:space:]]*$m \(v[^[:space:]]*\).*#\1#p" "$mod/go.mod" | head -1)
        [[ -n "$v" ]] || { echo "tools/vendor-charts.sh: kyverno's go.mod does not pin $m" >&2; exit 1; }
        subname=$(basename "$sub")
        want=$(awk -v n="$subname" '$0 ~ "- name: "n"$" {f=1; next} f && /version:/ {print $2; exit}' "$out/Chart.yaml")
        copy_chart "$(module_dir "$m" "$v")/$sub" "$out/charts/$subname"
        sed -i "s/^version:.*/version: $want/" "$out/charts/$subname/Chart.yaml"
      done
      # Drop the reports-server dependency (its 4 lines in Chart.yaml) and the lock that lists it.
      awk '/^  - name: reports-server$/ {skip=4} skip > 0 {skip--; next} {print}' "$out/Chart.yaml" > "$out/Chart.yaml.new"
      mv "$out/Chart.yaml.new" "$out/Chart.yaml"
      rm -f "$out/Chart.lock"
      ;;
    cilium)
      src="$(module_dir github.com/cilium/cilium "$version")/install/kubernetes/cilium"
      out="$dest/charts/cilium/$(chart_version "$src")"
      copy_chart "$src" "$out"
      ;;
    *) echo "tools/vendor-charts.sh: unknown chart $name (cert-manager, metrics-server, kyverno, cilium)" >&2; exit 2 ;;
  esac
  echo "$out"
done
