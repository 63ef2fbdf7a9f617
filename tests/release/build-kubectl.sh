#!/usr/bin/env bash
# Builds kubectl for one Kubernetes version from the official Go modules, through the Go module
# proxy, and caches it outside the repository, so that the krew test runs the same kubectl
# versions on every machine.
#
#   tests/release/build-kubectl.sh v1.37.2     # prints the directory holding kubectl
#
# The wrapper module is the one tests/controlplane/build-k8s.sh explains (k8s.io/kubernetes
# cannot be `go install`ed: its staging modules are replaced with their published twins); it
# lives in its own directory so that the two scripts never race on one go.mod.
set -euo pipefail

ver=${1:?usage: build-kubectl.sh vMAJOR.MINOR.PATCH}
cache=${KSC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-sidecar}
out=$cache/bin/kubectl-$ver
built() { [ -x "$out/kubectl" ]; }
if built; then
  echo "$out"
  exit 0
fi
mkdir -p "$cache/bin"
exec 9>"$cache/bin/kubectl-$ver.lock"
flock 9
if built; then
  echo "$out"
  exit 0
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off
minor=$(echo "$ver" | cut -d. -f2)
patch=$(echo "$ver" | cut -d. -f3)
staging="v0.$minor.$patch"

work=$cache/wrap/kubectl-$ver
rm -rf "$work"
mkdir -p "$work"
gomod=$(go mod download -json "k8s.io/kubernetes@$ver" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[ -f "$gomod" ] || { echo "build-kubectl: cannot fetch k8s.io/kubernetes@$ver from the Go module proxy" >&2; exit 1; }
{
  echo "module kubectl-sidecar.test/kubectl"
  echo
  grep -E '^go [0-9]' "$gomod"
  grep -E '^godebug ' "$gomod" || true
  echo
  echo "require k8s.io/kubernetes $ver"
  echo
  sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*#replace \1 => \1 '"$staging"'#p' "$gomod"
} > "$work/go.mod"

cd "$work"
# `kubectl version --client` reads these; without them it reports v0.0.0.
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$ver -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$ver -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
echo "build-kubectl: building kubectl $ver" >&2
go build -trimpath -ldflags "$ldflags" -o "$out.tmp/kubectl" k8s.io/kubernetes/cmd/kubectl
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
