#!/usr/bin/env bash
# Prints "N passed, N failed" from a `bun test` log (its summary lines " N pass" and " N fail").
set -euo pipefail
passed="$(grep -E '^ *[0-9]+ pass$' "$1" | tail -1 | grep -oE '[0-9]+' || true)"
failed="$(grep -E '^ *[0-9]+ fail$' "$1" | tail -1 | grep -oE '[0-9]+' || true)"
echo "${passed:-0} passed, ${failed:-0} failed"
