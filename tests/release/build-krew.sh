#!/usr/bin/env bash
# Builds krew and krew's manifest validator (the one krew-index runs on every plugin PR) from
# their Go module, through the Go module proxy, and caches both outside the repository.
#
#   tests/release/build-krew.sh [v0.4.3]     # prints the directory holding both binaries
#
# v0.4.3 is the newest sigs.k8s.io/krew the module proxy serves. Built without a version stamp,
# krew counts as a development build and never runs its GitHub upgrade check.
set -euo pipefail

ver=${1:-v0.4.3}
cache=${KSC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-sidecar}
out=$cache/bin/krew-$ver
built() { [ -x "$out/krew" ] && [ -x "$out/validate-krew-manifest" ]; }
if built; then
  echo "$out"
  exit 0
fi
mkdir -p "$cache/bin"
exec 9>"$cache/bin/krew-$ver.lock"
flock 9
if built; then
  echo "$out"
  exit 0
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off GOFLAGS=
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
echo "build-krew: building krew and validate-krew-manifest $ver" >&2
# `go install pkg@version` builds outside any module, with krew's own go.mod and go.sum.
(cd "$out.tmp" && GOBIN="$out.tmp" go install -trimpath -ldflags "-s -w" \
  "sigs.k8s.io/krew/cmd/krew@$ver" "sigs.k8s.io/krew/cmd/validate-krew-manifest@$ver")
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
