#!/usr/bin/env bash
# The project's test command (README.md "Test"): sets up what a fresh machine lacks, then runs
# every test: formatting, lints, unit and offline CLI tests, and the end-to-end tests against real
# kube-apiservers built from the official Go modules (cached outside the repository).
#
# Needs root (network namespaces for the fake kubelets). Idempotent and safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export KSC_CACHE=${KSC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-sidecar}
# The Kubernetes versions the end-to-end scenarios use; built once each and cached by version.
K8S_VERSIONS=${K8S_VERSIONS:-"v1.37.2 v1.34.4 v1.32.13"}

step() { printf '\n==> %s (%ss)\n' "$*" "$SECONDS" >&2; }

step "checking the machine"
[ "$(id -u)" = 0 ] || { echo "run-all: the end-to-end tests create network namespaces and need root" >&2; exit 2; }
missing=()
command -v ip >/dev/null || missing+=(iproute2)
command -v git >/dev/null || missing+=(git)
[ -e /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
command -v cc >/dev/null || missing+=(gcc)
# GNU time measures the peak memory of a run (tests/e2e_trust.rs, hostile kubelets).
[ -x /usr/bin/time ] || missing+=(time)
# Real nodes (tests/e2e_real*.rs, SCENARIOS.md "Real nodes"): a containerd per node, runc, CNI
# bridge/host-local/loopback, iptables for the kubelet, static busybox for the test image.
command -v containerd >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
command -v iptables >/dev/null || missing+=(iptables)
[ -x /bin/busybox ] || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null; then
  [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null || { echo "run-all: no Rust toolchain (cargo) on PATH; install rustup's stable toolchain" >&2; exit 2; }
# Kubernetes 1.37 needs Go >= 1.26. The Go module proxy serves toolchains as modules
# (golang.org/toolchain), so an older or Debian-packaged go can fetch the right one itself.
GO_WANT=go1.26.8
if ! command -v go >/dev/null; then
  [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null; then
  step "installing a bootstrap Go from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null
fi
have=$(go env GOVERSION)
if [ "$(printf '%s\n%s\n' "$GO_WANT" "$have" | sort -V | head -1)" != "$GO_WANT" ]; then
  step "fetching $GO_WANT through the Go module proxy (have $have)"
  gobin=$(GOTOOLCHAIN=$GO_WANT go env GOROOT)/bin
  export PATH="$gobin:$PATH"
fi
export GOTOOLCHAIN=local
go version >&2

step "cargo fmt --check"
cargo fmt --check
step "cargo clippy"
cargo clippy --all-targets --features e2e -- -D warnings

step "unit and offline tests"
cargo test --all-targets

for v in $K8S_VERSIONS; do
  step "kube-apiserver and etcd $v"
  tests/controlplane/build-k8s.sh "$v" >/dev/null
done
# Real nodes: kubelets of the versions tests/scenarios/real-*.yaml run, and the
# kube-controller-manager of the real scenario's apiserver (the tests build them too; here the
# CI log shows how long they take).
# v1.37.2 (tests/e2e_restart_rules.rs): ContainerRestartRules needs a 1.35+ kubelet; the same
# module as the cached v1.37.2 kube-apiserver, so the Go build cache is warm for it.
step "kubelets v1.34.4, v1.32.13, v1.37.2, kube-controller-manager v1.34.4, v1.37.2, kube-scheduler v1.32.13"
tests/controlplane/build-k8s.sh v1.34.4 kubelet kube-controller-manager >/dev/null
tests/controlplane/build-k8s.sh v1.32.13 kubelet kube-scheduler >/dev/null
tests/controlplane/build-k8s.sh v1.37.2 kubelet kube-controller-manager >/dev/null
# krew, its manifest validator and the two kubectl versions that tests/krew_install.rs installs
# and runs the plugin with; built from their Go modules and cached by version, like the above.
step "krew and kubectl v1.37.2, v1.34.4"
tests/release/build-krew.sh >/dev/null
kubectl_dir=$(tests/release/build-kubectl.sh v1.37.2)
tests/release/build-kubectl.sh v1.34.4 >/dev/null
# The e2e tests drive kubectl too (plugin completion, applying the RBAC): the pinned build, so that
# a machine without kubectl, or with another one on PATH, runs the same tests.
export KSC_KUBECTL=${KSC_KUBECTL:-$kubectl_dir/kubectl}
step "test harness"
harness=$(tests/harness/build.sh)/ksc-harness
# The v0.32 webhook fixture is only worth having if its types keep restartPolicy and lose
# restartPolicyRules: its own test says so.
(cd tests/harness/legacywebhook-v032 && GOWORK=off GOFLAGS=-mod=readonly go test ./...)
# Whatever a failed or interrupted test leaves (processes, netns, veths) goes with the run.
cleanup() { "$harness" down --all >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "end-to-end tests against real kube-apiservers"
cargo test --features e2e --test 'e2e_*'
step "krew installs the plugin; kubectl runs it"
cargo test --features e2e --test krew_install
step "done"
