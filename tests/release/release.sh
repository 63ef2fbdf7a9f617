#!/usr/bin/env bash
# Builds and packs a release the way .github/workflows/release.yml does, for the platforms this
# machine can build, and renders the krew manifest for the archives with their real digests.
#
#   tests/release/release.sh [--tag v0.1.0] [--out DIR] [--platform OS/ARCH]... [--binary OS/ARCH=PATH]...
#
# Writes to DIR (default target/dist/TAG): one archive per platform,
# kubectl-sidecar_TAG_OS_ARCH.tar.gz (.zip for Windows) holding the binary, LICENSE and README.md;
# sha256sums.txt; and sidecar.yaml, the rendered krew manifest. Prints DIR.
#
# --platform picks platforms (default: every one this machine can build; the others are named
# with what they need). --binary packs a binary built elsewhere instead of building one: the
# release workflow builds Darwin and Windows binaries on their own runners, and
# tests/krew_install.rs packs the binary under test. The tag must be v + Cargo.toml's version,
# which is what the binary reports.
#
# Local builds: Linux binaries are static (musl): rustup targets x86_64-unknown-linux-musl and
# aarch64-unknown-linux-musl, with Debian's musl-tools and gcc-aarch64-linux-gnu. Windows is
# cross-built with mingw-w64 (target x86_64-pc-windows-gnu, Debian's gcc-mingw-w64-x86-64); the
# workflow builds it with MSVC on Windows. Darwin needs a macOS host.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)
tag=v$version out= platforms=() binaries=()
while [ $# -gt 0 ]; do
  case $1 in
    --tag) tag=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --platform) platforms+=("$2"); shift 2 ;;
    --binary) binaries+=("$2"); shift 2 ;;
    *) echo "release: unknown argument $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done
if [ "$tag" != "v$version" ]; then
  echo "release: tag $tag does not match Cargo.toml's version $version (the binary would report $version)" >&2
  exit 2
fi
out=${out:-${CARGO_TARGET_DIR:-$root/target}/dist/$tag}

all_platforms=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64)
triple() {
  case $1 in
    linux/amd64) echo x86_64-unknown-linux-musl ;;
    linux/arm64) echo aarch64-unknown-linux-musl ;;
    darwin/amd64) echo x86_64-apple-darwin ;;
    darwin/arm64) echo aarch64-apple-darwin ;;
    windows/amd64) echo x86_64-pc-windows-gnu ;;
    *) return 1 ;;
  esac
}
# Prints nothing when $1 can be built here, else what is missing.
cannot_build() {
  local t missing=()
  t=$(triple "$1")
  rustup target list --installed 2>/dev/null | grep -qx "$t" || missing+=("rustup target add $t")
  case $1 in
    linux/amd64) command -v musl-gcc >/dev/null || missing+=("Debian's musl-tools") ;;
    linux/arm64) command -v aarch64-linux-gnu-gcc >/dev/null || missing+=("Debian's gcc-aarch64-linux-gnu") ;;
    windows/amd64) command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=("Debian's gcc-mingw-w64-x86-64") ;;
    darwin/*) [ "$(uname -s)" = Darwin ] || missing+=("a macOS host") ;;
  esac
  [ ${#missing[@]} -eq 0 ] || (IFS=,; echo "${missing[*]}")
}
binary_for() { local b; for b in "${binaries[@]+"${binaries[@]}"}"; do [ "${b%%=*}" = "$1" ] && echo "${b#*=}"; done; return 0; }

# What to release: explicit platforms, else those given a binary, else every one buildable here.
if [ ${#platforms[@]} -eq 0 ]; then
  for b in "${binaries[@]+"${binaries[@]}"}"; do platforms+=("${b%%=*}"); done
fi
if [ ${#platforms[@]} -eq 0 ]; then
  for p in "${all_platforms[@]}"; do
    why=$(cannot_build "$p")
    if [ -z "$why" ]; then platforms+=("$p"); else echo "release: skipping $p: needs $why" >&2; fi
  done
fi
[ ${#platforms[@]} -gt 0 ] || { echo "release: nothing to release" >&2; exit 2; }

# The archives' timestamps are the commit's, so that the same commit packs the same bytes.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)}
rm -rf "$out"
mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

for p in "${platforms[@]}"; do
  triple "$p" >/dev/null || { echo "release: unknown platform $p (one of ${all_platforms[*]})" >&2; exit 2; }
  os=${p%/*} arch=${p#*/}
  exe=kubectl-sidecar
  [ "$os" = windows ] && exe=kubectl-sidecar.exe
  bin=$(binary_for "$p")
  if [ -z "$bin" ]; then
    why=$(cannot_build "$p")
    [ -z "$why" ] || { echo "release: cannot build $p here: needs $why" >&2; exit 2; }
    t=$(triple "$p")
    echo "release: building $p ($t)" >&2
    case $t in
      x86_64-unknown-linux-musl) export CC_x86_64_unknown_linux_musl=musl-gcc ;;
      aarch64-unknown-linux-musl)
        export CC_aarch64_unknown_linux_musl=aarch64-linux-gnu-gcc
        export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=aarch64-linux-gnu-gcc ;;
    esac
    (cd "$root" && cargo build --release --locked --target "$t" >&2)
    bin=${CARGO_TARGET_DIR:-$root/target}/$t/release/$exe
  fi
  [ -f "$bin" ] || { echo "release: no binary at $bin" >&2; exit 2; }

  dir=$stage/$os-$arch
  mkdir -p "$dir"
  install -m 0755 "$bin" "$dir/$exe"
  install -m 0644 "$root/LICENSE" "$root/README.md" "$dir/"
  touch -d "@$epoch" "$dir"/*
  name=kubectl-sidecar_${tag}_${os}_${arch}
  # Flat archives: krew extracts everything and finds the binary by its name at the top.
  if [ "$os" = windows ]; then
    (cd "$dir" && zip -q -X "$out/$name.zip" "$exe" LICENSE README.md)
  else
    tar -C "$dir" --owner=0 --group=0 --numeric-owner -cf - "$exe" LICENSE README.md | gzip -n > "$out/$name.tar.gz"
  fi
  echo "release: packed $p" >&2
done

(cd "$out" && for f in kubectl-sidecar_*; do
  if command -v sha256sum >/dev/null; then sha256sum "$f"; else shasum -a 256 "$f"; fi
done) > "$out/sha256sums.txt"
"$here/render-manifest.sh" --tag "$tag" --dir "$out" > "$out/sidecar.yaml"
echo "$out"
