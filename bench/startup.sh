#!/usr/bin/env bash
# Start-up: `ocitools closure -- PROG` against `ld.so --list PROG` (the loader's own answer), and
# `ocitools --version` against `/bin/true` (a process start and nothing else), each in pairs whose
# first side alternates; a side of a pair is 20 runs back to back (one run is near the timer's
# resolution). The result is the median of the pairs' ratios.
# Usage: bench/startup.sh OCITOOLS [RUNS]
set -euo pipefail
ocitools=$1
runs=${2:-7}
loader=$(readlink -f /lib64/ld-linux-x86-64.so.2)
source "$(dirname "$0")/lib.sh"

# row WHAT GOAL ::: OURS... ::: THEIRS...
row() {
    local what=$1 goal=$2; shift 3
    local ours=() theirs=()
    while [ "$1" != ::: ]; do ours+=("$1"); shift; done; shift
    theirs=("$@")
    "${ours[@]}" >/dev/null 2>&1; "${theirs[@]}" >/dev/null 2>&1  # warm the page cache
    ours_20() { for _ in $(seq 20); do "${ours[@]}" >/dev/null 2>&1; done; }
    theirs_20() { for _ in $(seq 20); do "${theirs[@]}" >/dev/null 2>&1; done; }
    alternate "$runs" ours_20 theirs_20
    printf '| %s | %.1f ms | %.1f ms | **%.2fx** (goal: %s) | %s KiB |\n' "$what" \
        "$(echo "$(median "${t_ours[@]}") * 1000 / 20" | bc -l)" \
        "$(echo "$(median "${t_theirs[@]}") * 1000 / 20" | bc -l)" "$(median "${ratios[@]}")" \
        "$goal" "$(peak_rss "${ours[@]}")"
}

row '`ocitools --version` vs `/bin/true`' '3 ms' ::: "$ocitools" --version ::: /bin/true
for prog in /bin/true /usr/bin/curl /usr/bin/python3; do
    [ -x "$prog" ] || continue
    n=$("$loader" --list "$prog" | wc -l)
    row "\`ocitools closure -- $prog\` ($n objects) vs \`ld.so --list $prog\`" '1x or less' \
        ::: "$ocitools" closure -- "$prog" ::: "$loader" --list "$prog"
done
