#!/usr/bin/env bash
# Renders the krew manifest template (krew-manifest.yaml) for local archives, as krew-release-bot
# renders it for a published release: the tag in place of each TagName, and each addURIAndSha
# replaced by `uri:` and the archive's `sha256:`. Writes the manifest to stdout.
#
#   tests/release/render-manifest.sh --tag v0.1.0 --dir dist [--all] [--base-url http://127.0.0.1:8080]
#
# A platform whose archive is not in --dir is left out (with a note on stderr), so that a local
# release of the platforms this machine can build still gives a manifest krew accepts; with
# --all it is an error instead (a published release must cover every platform).
# --base-url replaces the download location (each archive's URL is then BASE/ARCHIVE), for
# installing from a local server. Only the two template constructs the manifest uses are
# understood; anything else left between double braces is an error, not silently shipped.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
template=$here/../../krew-manifest.yaml
tag= dir= base= all=0
while [ $# -gt 0 ]; do
  case $1 in
    --tag) tag=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --base-url) base=${2%/}; shift 2 ;;
    --template) template=$2; shift 2 ;;
    --all) all=1; shift ;;
    *) echo "render-manifest: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$tag" ] && [ -d "$dir" ] || { echo "usage: render-manifest.sh --tag vX.Y.Z --dir ARCHIVES [--all] [--base-url URL]" >&2; exit 2; }

sha256() { if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1; }

# One line per archive present: NAME SHA256.
digests=$(for f in "$dir"/*; do [ -f "$f" ] && printf '%s %s\n' "$(basename "$f")" "$(sha256 "$f")"; done)

rendered=$(DIGESTS=$digests awk -v tag="$tag" -v base="$base" -v all="$all" '
  BEGIN {
    n = split(ENVIRON["DIGESTS"], lines, "\n")
    for (i = 1; i <= n; i++) if (split(lines[i], f, " ") == 2) sha[f[1]] = f[2]
  }
  function subst_tag(s) { gsub(/\{\{ *\.TagName *\}\}/, tag, s); return s }
  function flush() {
    if (block != "" && keep) printf "%s", block
    else if (block != "") printf "render-manifest: no archive %s here: leaving out its platform\n", missing > "/dev/stderr"
    block = ""; keep = 1
  }
  # The template explains itself in its leading comment; the rendered manifest does not need it.
  !started && /^#/ { next }
  { started = 1 }
  # Platform entries: "  - selector:" up to the next entry or the end of the file.
  /^  - / { flush(); inplat = 1 }
  inplat && /^ *\{\{ *addURIAndSha / {
    line = $0
    indent = line; sub(/[^ ].*$/, "", indent)
    if (!match(line, /"[^"]*"/)) { print "render-manifest: cannot read " line > "/dev/stderr"; exit 1 }
    url = subst_tag(substr(line, RSTART + 1, RLENGTH - 2))
    rest = substr(line, RSTART + RLENGTH)
    if (rest !~ /^ +\.TagName *\}\} *$/) { print "render-manifest: unexpected " line > "/dev/stderr"; exit 1 }
    name = url; sub(/.*\//, "", name)
    if (!(name in sha) && all) { print "render-manifest: no archive " name " in the release" > "/dev/stderr"; failed = 1; exit 1 }
    if (!(name in sha)) { keep = 0; missing = name; next }
    if (base != "") url = base "/" name
    block = block indent "uri: " url "\n" indent "sha256: " sha[name] "\n"
    platforms++
    next
  }
  { line = subst_tag($0) "\n"; if (inplat) block = block line; else printf "%s", line }
  END { if (failed) exit 1; flush(); if (!platforms) { print "render-manifest: no archive matches any platform" > "/dev/stderr"; exit 1 } }
' "$template")

if grep -n '{{\|}}' <<<"$rendered" >&2; then
  echo "render-manifest: template constructs left unrendered (above)" >&2
  exit 1
fi
printf '%s\n' "$rendered"
