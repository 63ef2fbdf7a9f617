#!/usr/bin/env bash
# Builds the test harness (ksc-harness, and the legacy webhooks ksc-legacy-webhook and
# ksc-legacy-webhook-v032, each from its own module) into a cache
# outside the repository, keyed by a hash of the sources and the Go version, and prints the
# directory holding both binaries. Rebuilds only when that hash has no build yet.
#
#   tests/harness/build.sh        # -> ~/.cache/kubectl-sidecar/harness/<hash>
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${KSC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-sidecar}
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
  PATH=/usr/local/go/bin:$PATH
fi
command -v go >/dev/null || { echo "harness/build.sh: go not found (need Go >= 1.26 in PATH or /usr/local/go)" >&2; exit 1; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false"

hash=$(
  cd "$here"
  { go version
    find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name build.sh \) -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16
)
out=$cache/harness/$hash
if [ -x "$out/ksc-harness" ] && [ -x "$out/ksc-legacy-webhook" ] && [ -x "$out/ksc-legacy-webhook-v032" ]; then
  echo "$out"
  exit 0
fi

mkdir -p "$cache/harness"
# Several test binaries may ask at once: one builds, the others wait and reuse.
exec 9>"$cache/harness/.lock"
flock 9
if [ ! -x "$out/ksc-harness" ] || [ ! -x "$out/ksc-legacy-webhook" ] || [ ! -x "$out/ksc-legacy-webhook-v032" ]; then
  tmp=$out.tmp.$$
  rm -rf "$tmp"
  mkdir -p "$tmp"
  echo "harness/build.sh: building ksc-harness ($hash)" >&2
  (cd "$here" && go build -trimpath -ldflags "-s -w" -o "$tmp/ksc-harness" .)
  (cd "$here/legacywebhook" && go build -trimpath -ldflags "-s -w" -o "$tmp/ksc-legacy-webhook" .)
  (cd "$here/legacywebhook-v032" && go build -trimpath -ldflags "-s -w" -o "$tmp/ksc-legacy-webhook-v032" .)
  rm -rf "$out"
  mv "$tmp" "$out"
fi
echo "$out"
