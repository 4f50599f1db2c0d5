#!/usr/bin/env bash
# Closure of every ELF program in /usr/bin in one ocitools call, against `ldd` on each program
# (the obvious alternative, which runs the loader once per program), with no closure cache. Both
# are timed in the same run, on the same machine; the result is a ratio. Usage: bench/elf_closure.sh OCITOOLS [RUNS]
set -euo pipefail
ocitools=$1
runs=${2:-3}

# The ELF programs of /usr/bin: what ldd is given.
mapfile -t programs < <(for f in /usr/bin/*; do
    [ -f "$f" ] && [ "$(head -c 4 "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] && echo "$f"
done)

best_ours=999999
best_ldd=999999
for _ in $(seq "$runs"); do
    t0=$EPOCHREALTIME
    "$ocitools" closure --no-cache --include /usr/bin -- /bin/true >/dev/null
    t1=$EPOCHREALTIME
    for f in "${programs[@]}"; do ldd "$f" >/dev/null 2>&1 || true; done
    t2=$EPOCHREALTIME
    best_ours=$(echo "if ($t1 - $t0 < $best_ours) $t1 - $t0 else $best_ours" | bc -l)
    best_ldd=$(echo "if ($t2 - $t1 < $best_ldd) $t2 - $t1 else $best_ldd" | bc -l)
done
rss=$( { /usr/bin/time -f '%M' "$ocitools" closure --no-cache --include /usr/bin -- /bin/true >/dev/null; } 2>&1 | tail -1)
ratio=$(echo "$best_ours / $best_ldd" | bc -l)
printf '| ELF closure of /usr/bin (%d ELF files), one call, computed afresh (`--no-cache`), vs `ldd` on each | %.3f s | %.2f s | **1/%.0f** (goal: under 1/20) | %s KiB |\n' \
    "${#programs[@]}" "$best_ours" "$best_ldd" "$(echo "1 / $ratio" | bc -l)" "$rss"
