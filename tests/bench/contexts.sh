#!/usr/bin/env bash
# Benchmark item 4 of issue 12 (tests/bench/BENCHMARKS.md, "Ten clusters at once"): brings up N
# small harness scenarios side by side (default 10, each a real kube-apiserver and etcd with
# fake kubelets), writes one kubeconfig with a context per scenario, and measures, for
# check-nodes and doctor -A:
#   - one cluster (`--context c01`);
#   - every cluster in one run (`--all-contexts`, the default --max-clusters);
#   - the shell loop a team runs today (`for c in ...; do kubectl-sidecar --context $c ...; done`);
# each as the median wall time of $KSC_BENCH_ROUNDS rounds, with the client's CPU time and peak
# RSS (GNU time), the load average before it, and the CPU the apiservers and etcds spent (from
# /proc, first round). The target: all clusters at most 2x one.
#
#   tests/bench/contexts.sh [N] [SCENARIO.yaml]   # as root; results in $KSC_BENCH_OUT/contexts.md
#
# KSC_BENCH_BIN (default: this worktree's debug build, built if missing), KSC_BENCH_OUT
# (/tmp/ksc-bench-contexts), KSC_BENCH_ROUNDS (5), KSC_BENCH_LATENCIES ("0 100ms": added to every
# fake kubelet's answers with `ksc-harness latency`), KSC_BENCH_RTT (e.g. 100ms: every request
# to an apiserver goes through a harness fault proxy that waits that long first, standing in for
# clusters in other regions; default none). If fewer than N scenarios come up (memory,
# addresses), it measures those that did and says so. Everything it brought up goes down at exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-10}
scenario=$(realpath "${2:-$root/tests/scenarios/doctor-clean.yaml}")
out=${KSC_BENCH_OUT:-/tmp/ksc-bench-contexts}
rounds=${KSC_BENCH_ROUNDS:-5}
latencies=${KSC_BENCH_LATENCIES:-"0 100ms"}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

die() { echo "contexts.sh: $*" >&2; exit 1; }
log() { echo "$(date +%H:%M:%S) $*" >&2; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces), as every end-to-end test"
[ -x /usr/bin/time ] || die "needs GNU time at /usr/bin/time (Debian package: time)"
command -v python3 >/dev/null || die "needs python3"

if [ -n "${KSC_BENCH_BIN:-}" ]; then
  bin=$KSC_BENCH_BIN
else
  (cd "$root" && cargo build --quiet)
  bin=$CARGO_TARGET_DIR/debug/kubectl-sidecar
fi
version=$(python3 -c "import re,sys; print(re.search(r'version:\s*(v[0-9.]+)', open('$scenario').read()).group(1))")
harness=$("$root/tests/harness/build.sh")/ksc-harness
k8s=$("$root/tests/controlplane/build-k8s.sh" "$version")
mkdir -p "$out"

dirs=()
down_all() {
  for d in "${dirs[@]}"; do "$harness" down --dir "$d" >/dev/null 2>&1 || true; done
}
trap down_all EXIT

# Up side by side: each start is mostly the apiserver's, and they overlap well.
log "up: $n x $(basename "$scenario")"
t0=$(date +%s.%N)
for i in $(seq -w 1 "$n"); do
  d=$out/c$i
  dirs+=("$d")
  "$harness" down --dir "$d" >/dev/null 2>&1 || true
  ("$harness" up --detach --k8s-bin "$k8s" --dir "$d" "$scenario" >"$out/up-c$i.log" 2>&1 || echo "failed" >"$d.failed") &
done
wait
up_s=$(printf %.0f "$(echo "$(date +%s.%N) - $t0" | bc)")
up=()
for d in "${dirs[@]}"; do
  if [ -f "$d/admin.kubeconfig" ] && [ ! -f "$d.failed" ]; then up+=("$d"); fi
  rm -f "$d.failed"
done
[ ${#up[@]} -gt 0 ] || die "no scenario came up: $out/up-*.log"
log "${#up[@]} of $n up in $up_s s"

# One kubeconfig, a context per scenario with its own cluster and user (the harness names every
# admin ksc-admin, so the files cannot just be merged).
kc=$out/fleet.kubeconfig
source=admin.kubeconfig
if [ -n "${KSC_BENCH_RTT:-}" ]; then
  source=bench-rtt.kubeconfig
  for d in "${up[@]}"; do
    "$harness" faults --dir "$d" --proxy bench-rtt --kubeconfig "$d/$source" "* /* delay-$KSC_BENCH_RTT" >/dev/null
  done
fi
python3 - "$kc" "$source" "${up[@]}" <<'EOF'
import os, sys
out, source, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
clusters, users, contexts = [], [], []
for d in dirs:
    name = os.path.basename(d)
    text = open(os.path.join(d, source)).read()
    field = lambda k: next(l.split(k, 1)[1].strip() for l in text.splitlines() if l.strip().startswith(k))
    clusters.append(f"- name: {name}\n  cluster: {{server: \"{field('server:')}\", certificate-authority-data: {field('certificate-authority-data:')}}}\n")
    users.append(f"- name: {name}\n  user: {{token: {field('token:')}}}\n")
    contexts.append(f"- name: {name}\n  context: {{cluster: {name}, user: {name}}}\n")
open(out, "w").write("apiVersion: v1\nkind: Config\nclusters:\n" + "".join(clusters) + "users:\n" + "".join(users)
                     + "contexts:\n" + "".join(contexts) + f"current-context: {os.path.basename(dirs[0])}\n")
EOF
first=$(basename "${up[0]}")
contexts=$(for d in "${up[@]}"; do basename "$d"; done | tr '\n' ' ')

# CPU seconds (user+sys) the scenarios' kube-apiservers and etcds have used so far.
server_cpu() {
  python3 - "${up[@]}" <<'PY'
import json, os, sys
ticks = 0
for d in sys.argv[1:]:
    pids = json.load(open(os.path.join(d, "env.json")))["pids"]
    for name in ("kube-apiserver", "etcd"):
        try:
            f = open(f"/proc/{pids[name]}/stat").read().rsplit(")", 1)[1].split()
            ticks += int(f[11]) + int(f[12])
        except (KeyError, OSError):
            pass
print(ticks / os.sysconf("SC_CLK_TCK"))
PY
}

# measure CMD...: $rounds runs; sets wall (median, every round listed), rss (median MiB), cpu
# (the client's user+sys, median), servers (apiservers' and etcds' CPU in the first round),
# load (highest load1 before a round), rc (last).
measure() {
  local walls=() rsss=() cpus=() w r u s i l s0
  load=0
  for i in $(seq "$rounds"); do
    l=$(cut -d' ' -f1 /proc/loadavg)
    load=$(python3 -c "print(max($load, $l))")
    rc=0
    s0=$(server_cpu)
    /usr/bin/time -f '%e %M %U %S' -o "$out/time.tmp" "$@" >"$out/stdout.tmp" 2>"$out/stderr.tmp" || rc=$?
    [ "$i" = 1 ] && servers=$(python3 -c "print(round($(server_cpu) - $s0, 2))")
    read -r w r u s < <(tail -1 "$out/time.tmp")
    walls+=("$w")
    rsss+=("$((r / 1024))")
    cpus+=("$(python3 -c "print(round($u + $s, 2))")")
  done
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "$(((rounds + 1) / 2))p")
  secs=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(((rounds + 1) / 2))p")
  rss=$(printf '%s\n' "${rsss[@]}" | sort -g | sed -n "$(((rounds + 1) / 2))p")
  wall="$secs s ($(echo "${walls[@]}" | tr ' ' '/'))"
}

results=$out/contexts.md
{
  echo "# Ten clusters at once, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB, kernel $(uname -r)"
  echo "- kubectl-sidecar: $bin ($("$bin" version | head -2 | tr '\n' ' ' | xargs))"
  echo "- clusters: ${#up[@]} of $n asked came up ($(basename "$scenario"), kube-apiserver $version; up side by side in $up_s s)"
  echo "- rounds: median of $rounds (every round listed); apiserver round trip added: ${KSC_BENCH_RTT:-none}"
  echo
  echo "| command | kubelet latency | clusters | how | wall | client CPU | servers' CPU | peak RSS | load1 before | exit |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} >"$results"

for lat in $latencies; do
for d in "${up[@]}"; do "$harness" latency --dir "$d" "$lat" >/dev/null; done
for cmd in "check-nodes" "doctor -A"; do
  # shellcheck disable=SC2086 # $cmd is the subcommand and its flag
  {
    log "$cmd: one cluster"
    measure "$bin" --kubeconfig "$kc" --context "$first" $cmd -o json
    one=$secs
    echo "| $cmd | $lat | 1 | \`--context $first\` | $wall | $cpu s | $servers s | $rss MiB | $load | $rc |" >>"$results"
    log "$cmd: ${#up[@]} clusters, --all-contexts"
    measure "$bin" --kubeconfig "$kc" --all-contexts $cmd -o json
    all=$secs
    items=$(python3 -c "import json; d=json.load(open('$out/stdout.tmp')); print(sum(1 for i in d['items'] if i['kind'] != 'ClusterError'))")
    echo "| $cmd | $lat | ${#up[@]} | \`--all-contexts\` | $wall | $cpu s | $servers s | $rss MiB | $load | $rc ($items of ${#up[@]} reported) |" >>"$results"
    log "$cmd: ${#up[@]} clusters, a shell loop"
    measure bash -c "for c in $contexts; do '$bin' --kubeconfig '$kc' --context \$c $cmd -o json >/dev/null || true; done"
    echo "| $cmd | $lat | ${#up[@]} | shell loop, one run per context | $wall | $cpu s | $servers s | $rss MiB (largest run) | $load | |" >>"$results"
    echo "| $cmd | $lat | | **ratio \`--all-contexts\` / one** | **$(python3 -c "print(round($all / $one, 2))")x** | | | | | |" >>"$results"
  }
done
done
cat "$results"
