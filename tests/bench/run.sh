#!/usr/bin/env bash
# The fleet benchmark (tests/bench/BENCHMARKS.md): brings up tests/bench/scale-200.yaml and
# scale-2000.yaml one after the other and measures, on each, side by side:
#   - check-nodes against the documented serial loop (`kubectl get --raw .../proxy/metrics | grep`
#     per node) and the same loop under `xargs -P 16`, with 0 and 50 ms per-kubelet latency;
#   - doctor -A against `kubectl get pods -A -o json`;
# each with wall time and peak RSS (GNU time), the load average before it, the requests the
# apiserver served for it (its own apiserver_request_total) and what the kubelets served
# (connections, /metrics answers, body bytes).
#
#   tests/bench/run.sh [200] [2000]          # as root; default both; results in $KSC_BENCH_OUT
#   tests/bench/run.sh path/to/scenario.yaml # any scenario with nodes and generate.workloads
#
# KSC_BENCH_BIN (a kubectl-sidecar to measure instead of `cargo build --release`'s),
# KSC_BENCH_OUT (default /tmp/ksc-bench), KSC_BENCH_ROUNDS (3: median of, for the tool and for
# kubectl get pods; the loops run once), KSC_BENCH_KUBECTL_ONCE (set: kubectl get pods once),
# KSC_BENCH_EXTRA_CONCURRENCY ("32 64": check-nodes again at these --concurrency levels),
# KSC_BENCH_LATENCIES ("0 50ms"), KSC_BENCH_SERIAL_SAMPLE (200) and KSC_BENCH_XARGS_SAMPLE (0 =
# all): the loops read that many nodes, and the total is extrapolated (and marked so) when the
# fleet is larger. KSC_BENCH_ONLY=doctor skips check-nodes and the loops; KSC_BENCH_BASELINE (a
# second kubectl-sidecar, e.g. an earlier commit's) is measured on doctor too, in the same fleet.
# KSC_BENCH_REUSE=1 measures a fleet already up in the same directory (and leaves it up).
# Not part of the test suite: it takes 20-30 minutes on a 2-core machine.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${KSC_BENCH_OUT:-/tmp/ksc-bench}
rounds=${KSC_BENCH_ROUNDS:-3}
latencies=${KSC_BENCH_LATENCIES:-"0 50ms"}
serial_sample=${KSC_BENCH_SERIAL_SAMPLE:-200}
xargs_sample=${KSC_BENCH_XARGS_SAMPLE:-0}
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(200 2000)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

die() { echo "run.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces), as every end-to-end test"
[ -x /usr/bin/time ] || die "needs GNU time at /usr/bin/time (Debian package: time)"
command -v python3 >/dev/null || die "needs python3 (tests/bench/readout.py)"
mkdir -p "$out"
results=$out/results.md
log() { echo "$(date +%H:%M:%S) $*" >&2; }

if [ -n "${KSC_BENCH_BIN:-}" ]; then
  bin=$KSC_BENCH_BIN
  build="prebuilt: $bin"
else
  # A new commit rebuilds the crate (build.rs records it): minutes with thin LTO on 2 cores.
  t=$(date +%s.%N)
  (cd "$root" && cargo build --release --quiet)
  build="release build, $(printf %.0f "$(echo "$(date +%s.%N) - $t" | bc)") s here"
  bin=$CARGO_TARGET_DIR/release/kubectl-sidecar
fi
kubectl=$("$root/tests/release/build-kubectl.sh" v1.37.2)/kubectl
harness=$("$root/tests/harness/build.sh")/ksc-harness
k8s=$("$root/tests/controlplane/build-k8s.sh" v1.37.2)

{
  echo "# Fleet benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB, kernel $(uname -r)"
  echo "- kubectl-sidecar $("$bin" version 2>/dev/null | head -1) $("$bin" version 2>/dev/null | sed -n 2p) ($build), kubectl $("$kubectl" version --client -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])'), kube-apiserver v1.37.2"
  echo "- rounds: median of $rounds for check-nodes and doctor (every round listed)$([ -n "${KSC_BENCH_KUBECTL_ONCE:-}" ] && echo ", kubectl get pods once" || echo " and kubectl get pods"); each loop once"
  echo
  echo "| fleet | what | kubelet latency | wall | peak RSS | load1 before | apiserver requests | kubelets: connections, /metrics answers, body bytes each | exit, notes |"
  echo "|---|---|---|---|---|---|---|---|---|"
} > "$results"

# measure NAME CMD...: runs CMD $rounds times (once if NAME starts with "once") under GNU time;
# sets wall (median, with every round listed), rss (median, MiB), load (highest load1 before a
# round), rc (last), and, from scrapes around the first round (outside its timing), requests
# (what the apiserver served) and kubelets (what the fake kubelets served); the first round's
# stdout is kept in $out/first.tmp.
measure() {
  local name=$1 n=$rounds walls=() rsss=() l w r i
  shift
  [[ $name == once* ]] && n=1
  load=0
  for i in $(seq "$n"); do
    if [ "$i" = 1 ]; then
      scrape "$out/m0"
      kstats "$out/k0"
    fi
    l=$(cut -d' ' -f1 /proc/loadavg)
    load=$(python3 -c "print(max($load, $l))")
    rc=0
    /usr/bin/time -f '%e %M' -o "$out/time.tmp" "$@" >"$out/stdout.tmp" 2>"$out/stderr.tmp" || rc=$?
    read -r w r < <(tail -1 "$out/time.tmp")
    walls+=("$w")
    rsss+=("$((r / 1024))")
    if [ "$i" = 1 ]; then
      cp "$out/stdout.tmp" "$out/first.tmp"
      scrape "$out/m1"
      requests=$(readout requests "$out/m0" "$out/m1")
      kstats "$out/k1"
      kubelets=$(readout served "$out/k0" "$out/k1")
    fi
  done
  secs=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(((n + 1) / 2))p")
  rss=$(printf '%s\n' "${rsss[@]}" | sort -g | sed -n "$(((n + 1) / 2))p")
  wall="$secs s"
  [ "$n" = 1 ] || wall="$secs s ($(echo "${walls[@]}" | tr ' ' '/'))"
}

scrape() { "$kubectl" --kubeconfig "$kc" get --raw /metrics >"$1"; }
kstats() { sleep 1.2; cp "$dir/kubelet-stats.json" "$1"; }
readout() { python3 "$root/tests/bench/readout.py" "$@"; }
# loop NAME LABEL SAMPLE SCRIPT: one timed run of a kubectl loop over the first SAMPLE nodes
# (0 = all), extrapolated to the whole fleet when SAMPLE is smaller, and its table row.
loop() {
  local name=$1 label=$2 sample=$3 script=$4 found note total
  { [ "$sample" = 0 ] || [ "$sample" -gt "$nodes" ]; } && sample=$nodes
  log "$scale nodes, latency $lat: $label over $sample nodes"
  export KUBECTL=$kubectl KUBECONFIG=$kc SAMPLE=$sample
  measure "once-$name" bash -c "$script"
  found=$(grep -c 'name="SidecarContainers"' "$out/first.tmp" || true)
  note="$sample nodes read, $found with the series"
  total=$secs
  if [ "$sample" -lt "$nodes" ]; then
    total=$(python3 -c "print(round($secs * $nodes / $sample, 1))")
    note="$note; **extrapolated** from $secs s for $sample nodes"
  fi
  echo "| $scale | $label | $lat | $total s | $rss MiB (largest process) | $load | $requests | $kubelets | $rc, $note |" >>"$results"
}

rss_of() { awk '/VmRSS/{printf "%d MiB", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }
pid_of() { python3 -c "import json,sys; print(json.load(open('$dir/env.json'))['pids']['$1'])"; }

for scale in "${scales[@]}"; do
  scenario=$root/tests/bench/scale-$scale.yaml
  if [ -f "$scale" ]; then # a scenario file of one's own
    scenario=$(realpath "$scale")
    scale=$(basename "$scale" .yaml)
  fi
  [ -f "$scenario" ] || die "no $scenario"
  dir=$out/scale-$scale
  kc=$dir/admin.kubeconfig
  if [ -n "${KSC_BENCH_REUSE:-}" ] && [ -f "$kc" ] && "$kubectl" --kubeconfig "$kc" get --raw /readyz >/dev/null 2>&1; then
    log "reusing the fleet already up in $dir"
  else
    "$harness" down --dir "$dir" >/dev/null 2>&1 || true
    log "up $scenario"
    l=$(cut -d' ' -f1 /proc/loadavg)
    t=$(date +%s.%N)
    "$harness" up --detach --k8s-bin "$k8s" --dir "$dir" "$scenario" >/dev/null
    up_s=$(echo "$(date +%s.%N) - $t" | bc)
    [ -n "${KSC_BENCH_REUSE:-}" ] || trap '"$harness" down --dir "$dir" >/dev/null 2>&1 || true' EXIT
    nodes=$("$kubectl" --kubeconfig "$kc" get nodes -o name | wc -l)
    gen=$(grep -o 'generated [0-9]* pods in .*' "$dir/harness.log" | tail -1)
    echo "| $scale | \`ksc-harness up\` ($nodes nodes) | | $(printf %.0f "$up_s") s | kube-apiserver $(rss_of "$(pid_of kube-apiserver)"), etcd $(rss_of "$(pid_of etcd)"), kubelets $(rss_of "$(pid_of kubelets)") | $l | | | $gen |" >>"$results"
  fi
  nodes=$("$kubectl" --kubeconfig "$kc" get nodes -o name | wc -l)

  [ "${KSC_BENCH_ONLY:-}" = doctor ] && latencies=""
  for lat in $latencies; do
    "$harness" latency --dir "$dir" "$lat" >/dev/null
    log "$scale nodes, latency $lat: check-nodes"
    measure check "$bin" --kubeconfig "$kc" check-nodes -o json --timeout 10m --deadline 600s
    echo "| $scale | check-nodes | $lat | $wall | $rss MiB | $load | $requests | $kubelets | $rc, $(readout answered "$out/first.tmp") |" >>"$results"
    for c in ${KSC_BENCH_EXTRA_CONCURRENCY:-}; do
      measure check "$bin" --kubeconfig "$kc" check-nodes -o json --timeout 10m --deadline 600s --concurrency "$c"
      echo "| $scale | check-nodes --concurrency $c | $lat | $wall | $rss MiB | $load | $requests | $kubelets | $rc, $(readout answered "$out/first.tmp") |" >>"$results"
    done
    loop serial "serial kubectl loop" "$serial_sample" \
      'for n in $($KUBECTL get nodes -o name | head -n $SAMPLE); do $KUBECTL get --raw /api/v1/nodes/${n#node/}/proxy/metrics | grep SidecarContainers; done'
    loop xargs "\`xargs -P 16\` kubectl loop" "$xargs_sample" \
      '$KUBECTL get nodes -o name | head -n $SAMPLE | sed "s|^node/||" | xargs -P 16 -I{} sh -c "$KUBECTL get --raw /api/v1/nodes/{}/proxy/metrics | grep SidecarContainers"'
  done
  "$harness" latency --dir "$dir" 0 >/dev/null

  log "$scale: doctor -A"
  measure doctor "$bin" --kubeconfig "$kc" doctor -A -o json --timeout 10m
  cp "$out/first.tmp" "$out/doctor-$scale.json"
  echo "| $scale | doctor -A -o json | | $wall | $rss MiB | $load | $requests | | $rc, $(readout workloads "$out/doctor-$scale.json") |" >>"$results"
  if [ -n "${KSC_BENCH_BASELINE:-}" ]; then
    base=$("$KSC_BENCH_BASELINE" version 2>/dev/null | sed -n 's/^commit: //p')
    log "$scale: doctor -A, baseline $base"
    measure doctor "$KSC_BENCH_BASELINE" --kubeconfig "$kc" doctor -A -o json --timeout 10m
    echo "| $scale | doctor -A -o json (baseline $base) | | $wall | $rss MiB | $load | $requests | | $rc, $(readout workloads "$out/first.tmp") |" >>"$results"
  fi
  log "$scale: kubectl get pods -A -o json"
  export KUBECTL=$kubectl KUBECONFIG=$kc
  measure "${KSC_BENCH_KUBECTL_ONCE:+once}kubectl" bash -c '$KUBECTL get pods -A -o json >/dev/null'
  echo "| $scale | kubectl get pods -A -o json | | $wall | $rss MiB | $load | $requests | | $rc |" >>"$results"

  [ -n "${KSC_BENCH_REUSE:-}" ] || "$harness" down --dir "$dir" >/dev/null
  trap - EXIT
done
cat "$results"
