#!/usr/bin/env bash
# Closure of every ELF program in /usr/bin in one ocitools call (computed from nothing: there is
# no closure cache), against `ldd` on each program (the obvious alternative, which runs the
# loader once per program). Both are timed in the same run, on the same machine, in pairs whose
# first side alternates; the result is the median of the pairs' ratios.
# Usage: bench/elf_closure.sh OCITOOLS [RUNS]
set -euo pipefail
ocitools=$1
runs=${2:-5}

# The ELF programs of /usr/bin: what ldd is given.
mapfile -t programs < <(for f in /usr/bin/*; do
    [ -f "$f" ] && [ "$(head -c 4 "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] && echo "$f"
done)

ours() { "$ocitools" closure --include /usr/bin -- /bin/true >/dev/null; }
ldd_each() { for f in "${programs[@]}"; do ldd "$f" >/dev/null 2>&1 || true; done; }
timed() { local t0; t0=$EPOCHREALTIME; "$@"; echo "$EPOCHREALTIME - $t0" | bc -l; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ours  # warm the page cache
t_ours=() t_ldd=() ratios=()
for run in $(seq "$runs"); do
    if [ $((run % 2)) -eq 1 ]; then
        a=$(timed ours); b=$(timed ldd_each)
    else
        b=$(timed ldd_each); a=$(timed ours)
    fi
    t_ours+=("$a") t_ldd+=("$b") ratios+=("$(echo "$a / $b" | bc -l)")
done
rss=$( { /usr/bin/time -f '%M' "$ocitools" closure --include /usr/bin -- /bin/true >/dev/null; } 2>&1 | tail -1)
printf '| ELF closure of /usr/bin (%d ELF files), one call, computed from nothing, vs `ldd` on each | %.3f s | %.2f s | **1/%.0f** (goal: 1/100 or less) | %s KiB |\n' \
    "${#programs[@]}" "$(median "${t_ours[@]}")" "$(median "${t_ldd[@]}")" \
    "$(echo "1 / $(median "${ratios[@]}")" | bc -l)" "$rss"
