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
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

timed() { local t0; t0=$EPOCHREALTIME; for _ in $(seq 20); do "$@" >/dev/null 2>&1; done; echo "($EPOCHREALTIME - $t0) / 20" | bc -l; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# row WHAT GOAL ::: OURS... ::: THEIRS...
row() {
    local what=$1 goal=$2; shift 3
    local ours=() theirs=()
    while [ "$1" != ::: ]; do ours+=("$1"); shift; done; shift
    theirs=("$@")
    "${ours[@]}" >/dev/null 2>&1; "${theirs[@]}" >/dev/null 2>&1  # warm the page cache
    local a b t_ours=() t_theirs=() ratios=()
    for run in $(seq "$runs"); do
        if [ $((run % 2)) -eq 1 ]; then
            a=$(timed "${ours[@]}"); b=$(timed "${theirs[@]}")
        else
            b=$(timed "${theirs[@]}"); a=$(timed "${ours[@]}")
        fi
        t_ours+=("$a") t_theirs+=("$b") ratios+=("$(echo "$a / $b" | bc -l)")
    done
    local rss
    rss=$(/usr/bin/time -f '%M' -o "$tmp" "${ours[@]}" >/dev/null 2>&1; cat "$tmp")
    printf '| %s | %.1f ms | %.1f ms | **%.2fx** (goal: %s) | %s KiB |\n' "$what" \
        "$(echo "$(median "${t_ours[@]}") * 1000" | bc -l)" \
        "$(echo "$(median "${t_theirs[@]}") * 1000" | bc -l)" "$(median "${ratios[@]}")" "$goal" "$rss"
}

row '`ocitools --version` vs `/bin/true`' '3 ms' ::: "$ocitools" --version ::: /bin/true
for prog in /bin/true /usr/bin/curl /usr/bin/python3; do
    [ -x "$prog" ] || continue
    n=$("$loader" --list "$prog" | wc -l)
    row "\`ocitools closure -- $prog\` ($n objects) vs \`ld.so --list $prog\`" '1x or less' \
        ::: "$ocitools" closure -- "$prog" ::: "$loader" --list "$prog"
done
