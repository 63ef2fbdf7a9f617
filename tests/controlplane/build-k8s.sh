#!/usr/bin/env bash
# Builds kube-apiserver and etcd (or the components named after the version) for one Kubernetes
# version from the official Go modules, through the Go module proxy, and caches them outside the
# repository, one directory per version.
#
#   tests/controlplane/build-k8s.sh v1.37.2     # prints the directory holding both binaries
#   tests/controlplane/build-k8s.sh v1.34.4 kubelet kube-controller-manager   # real nodes
#
# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging, so it
# cannot be `go install`ed. We write a throwaway wrapper module that requires it and replaces every
# staging module with its published v0.MINOR.PATCH twin, generated from the published go.mod so
# that the list follows each release. etcd comes from the same module graph (etcdmain), so it is
# the version this Kubernetes release was tested with.
set -euo pipefail

ver=${1:?usage: build-k8s.sh vMAJOR.MINOR.PATCH [COMPONENT...]}
shift
components=("$@")
[ ${#components[@]} -gt 0 ] || components=(kube-apiserver etcd)
for c in "${components[@]}"; do
  case $c in
    kube-apiserver | etcd | kubelet | kube-controller-manager | kube-scheduler) ;;
    *) echo "build-k8s: unknown component $c" >&2; exit 2 ;;
  esac
done
cache=${KSC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-sidecar}
out=$cache/bin/$ver
built() {
  for c in "${components[@]}"; do [ -x "$out/$c" ] || return 1; done
}
if built; then
  echo "$out"
  exit 0
fi
# One build per version at a time: concurrent callers (parallel tests, a person in another
# shell) wait for it and then reuse the result.
mkdir -p "$cache/bin"
exec 9>"$cache/bin/$ver.lock"
flock 9
if built; then
  echo "$out"
  exit 0
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off
minor=$(echo "$ver" | cut -d. -f2)
patch=$(echo "$ver" | cut -d. -f3)
staging="v0.$minor.$patch"

work=$cache/wrap/$ver
rm -rf "$work"
mkdir -p "$work/etcd"
gomod=$(go mod download -json "k8s.io/kubernetes@$ver" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[ -f "$gomod" ] || { echo "build-k8s: cannot fetch k8s.io/kubernetes@$ver from the Go module proxy" >&2; exit 1; }

{
  echo "module kubectl-sidecar.test/k8s"
  echo
  grep -E '^go [0-9]' "$gomod"
  grep -E '^godebug ' "$gomod" || true
  echo
  echo "require k8s.io/kubernetes $ver"
  echo
  # `k8s.io/api => ./staging/src/k8s.io/api` becomes `k8s.io/api => k8s.io/api v0.37.2`.
  sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*#replace \1 => \1 '"$staging"'#p' "$gomod"
} > "$work/go.mod"

cat > "$work/etcd/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO

cd "$work"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$ver -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$ver -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
mkdir -p "$out"
# Each binary appears under its final name only once complete, so `built` never sees half of one
# and components built earlier for this version stay.
for c in "${components[@]}"; do
  [ -x "$out/$c" ] && continue
  start=$SECONDS
  echo "build-k8s: building $c $ver (cold kube-apiserver builds take 4-7 minutes on 2 cores)" >&2
  if [ "$c" = etcd ]; then
    go build -trimpath -ldflags "-s -w" -o "$out/$c.tmp" ./etcd
  else
    go build -trimpath -ldflags "$ldflags" -o "$out/$c.tmp" "k8s.io/kubernetes/cmd/$c"
  fi
  mv "$out/$c.tmp" "$out/$c"
  echo "build-k8s: $c $ver built in $((SECONDS - start))s" >&2
done
echo "$out"
