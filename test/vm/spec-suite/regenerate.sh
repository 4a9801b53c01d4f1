#!/usr/bin/env bash
# Regenerates the converted WebAssembly spec testsuite in this folder (README.md says what and why).
# Usage: test/vm/spec-suite/regenerate.sh <git dir or clone of WebAssembly/testsuite>
# Needs wast2json from wabt 1.0.32 (Debian: apt-get install wabt).
set -euo pipefail
COMMIT=9104fa33e6390f306948405b92b93e0765979e7d
SRC=${1:?usage: regenerate.sh <WebAssembly/testsuite git dir>}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/json"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
rm -rf "$OUT"
mkdir -p "$OUT"
# MVP core and the post-MVP features actors may use (sign-ext, saturating conversions, bulk memory,
# mutable globals); SIMD and the reference-types-only files (ref_*, table*) are left out: refused by
# design, they would only add megabytes.
git --git-dir="$SRC" ls-tree --name-only "$COMMIT" | grep '\.wast$' | grep -v -E '^(simd_|ref_|table)' |
  while read -r f; do
    git --git-dir="$SRC" show "$COMMIT:$f" >"$TMP/$f"
    name=${f%.wast}
    (cd "$OUT" && wast2json "$TMP/$f" -o "$name.json")
  done
echo "converted $(ls "$OUT"/*.json | wc -l) files into $OUT"
