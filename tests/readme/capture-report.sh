#!/usr/bin/env bash
# Writes the doctor report that README.md shows (between its "BEGIN doctor report" and "END
# doctor report" lines) from a real harness scenario, so that the README shows what the tool
# prints and cannot drift from it.
#
#   tests/readme/capture-report.sh           # as root: run the scenario, refresh, rewrite README
#   tests/readme/capture-report.sh --print   # print the report from the bundled snapshot only
#
# The full run brings up tests/scenarios/doctor-mixed.yaml (the cluster the README's snapshot
# comes from), runs `doctor -A --save-snapshot` against it, and replaces
# tests/fixtures/snapshots/doctor-mixed.json when the facts differ from it (the collection time,
# fetch durations, loopback ports, uids and the kubeconfig context always differ, and alone
# keep the old file, so a rerun changes nothing). A run with a timeout, unreachable or failing
# read is the machine, not the scenario: retried (3 runs), never written. The README block is
# then `doctor --snapshot` of that file, the README's own command: unlike a live run it has no
# clock and no network in it, so the same commit always renders the same text, and the README
# tests (tests/readme.rs, offline) compare it with `--print`. The script
# checks that the live report equals the rendered one but for the collection time (so does
# tests/e2e_readme.rs), and fails if not.
#
# KSC_BIN: the kubectl-sidecar binary to use (default: cargo build, then target/debug).
# Needs jq for the full run. After a change to doctor's output, the full run or --print > a diff
# is all it takes; review the README diff and commit it with the change.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
scenario=tests/scenarios/doctor-mixed.yaml
snapshot=tests/fixtures/snapshots/doctor-mixed.json
print_only=false
case ${1:-} in
  --print) print_only=true ;;
  '') ;;
  *) echo "capture-report: unknown argument $1 (see the comment at the top of $0)" >&2; exit 2 ;;
esac

bin=${KSC_BIN:-}
if [ -z "$bin" ]; then
  (cd "$root" && cargo build --quiet >&2)
  bin=${CARGO_TARGET_DIR:-$root/target}/debug/kubectl-sidecar
fi

# doctor exits 1 on this cluster (it is not ready); anything else means the report is wrong.
sidecar() {
  local rc=0
  (cd "$root" && NO_COLOR=1 COLUMNS=100 TERM=dumb "$bin" "$@") || rc=$?
  if [ "$rc" -ne 1 ]; then
    echo "capture-report: kubectl-sidecar $* exited $rc, expected 1 (not ready)" >&2
    return 1
  fi
}
render() { KUBECONFIG=/nonexistent sidecar doctor --snapshot "$snapshot"; }

if $print_only; then
  render
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "capture-report: the harness needs root (network namespaces); --print does not" >&2; exit 2; }
command -v jq >/dev/null || { echo "capture-report: needs jq (apt-get install jq)" >&2; exit 2; }
harness=$("$root/tests/harness/build.sh")/ksc-harness
work=$(mktemp -d /tmp/ksc-readme-capture.XXXXXX)
cleanup() { "$harness" down --dir "$work" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
# up finds tests/controlplane/build-k8s.sh above the scenario and builds the version it names.
"$harness" up --detach --dir "$work" "$root/$scenario" >&2

# The scenario's own gaps are facts (a webhook that cannot dry-run: notAsked); a timeout, an
# unreachable kubelet or a server error is this machine having a bad moment, and would put a
# degraded report in the README. Seen here: right after `up`, the first connections to the fake
# kubelets can miss doctor's 5s on a loaded machine while later runs complete; so up to 3 runs.
transient() {
  jq -r '[.. | objects | select(has("gaps")) | .gaps[]?
    | select(.cause == "timeout" or .cause == "unreachable" or .cause == "serverError" or .cause == "error")
    | "\(.what): \(.cause)"] | unique | .[]' "$1"
}
for attempt in 1 2 3; do
  sidecar --kubeconfig "$work/admin.kubeconfig" doctor -A --save-snapshot "$work/snapshot.json" > "$work/live.txt"
  failed=$(transient "$work/snapshot.json")
  [ -n "$failed" ] || break
  printf 'capture-report: run %s met transient failures:\n%s\n' "$attempt" "$failed" >&2
  [ "$attempt" -lt 3 ] || { echo "capture-report: nothing written; rerun when the machine is quieter" >&2; exit 1; }
done
# What differs between two runs of the same scenario: the clock, the kubelets' fetch durations,
# the webhooks' loopback ports, the uids the apiserver generates, and the kubeconfig context
# (the harness names it after its slot: ksc-admin@ksc-3; the bundled file has none).
facts() {
  jq -S 'del(.context) | walk(if type == "object" then del(.collectedAt, .fetchMillis)
    elif type == "string" then
      gsub("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"; "<uid>")
      | gsub("//127\\.0\\.0\\.1:[0-9]+/"; "//127.0.0.1:<port>/")
    else . end)' "$1"
}
if ! cmp -s <(facts "$work/snapshot.json") <(facts "$root/$snapshot"); then
  cp "$work/snapshot.json" "$root/$snapshot"
  echo "capture-report: $snapshot refreshed from the scenario" >&2
fi

render > "$work/report.txt"
timeless() { sed 's/(collected [^)]*)/(collected <time>)/' "$1"; }
if ! diff -u <(timeless "$work/live.txt") <(timeless "$work/report.txt") >&2; then
  echo "capture-report: the snapshot does not reproduce the live report (diff above: live, then snapshot)" >&2
  exit 1
fi

# The report replaces everything between the markers, fenced as text.
readme=$root/README.md
grep -q '^<!-- BEGIN doctor report' "$readme" && grep -q '^<!-- END doctor report -->' "$readme" || {
  echo "capture-report: README.md lacks the '<!-- BEGIN doctor report' and '<!-- END doctor report -->' lines" >&2
  exit 1
}
awk -v report="$work/report.txt" '
  /^<!-- BEGIN doctor report/ { print; print "```text"; while ((getline l < report) > 0) print l; print "```"; skip = 1; next }
  /^<!-- END doctor report -->/ { skip = 0 }
  !skip { print }
' "$readme" > "$work/README.md"
if cmp -s "$work/README.md" "$readme"; then
  echo "capture-report: README.md already shows this report" >&2
else
  cp "$work/README.md" "$readme"
  echo "capture-report: README.md updated" >&2
fi
