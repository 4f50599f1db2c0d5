#!/usr/bin/env bash
# Closure of every ELF program in /usr/bin in one ocitools call (computed from nothing: there is
# no closure cache), against `ldd` on each program (the obvious alternative, which runs the
# loader once per program). Both are timed in the same run, on the same machine, in pairs whose
# first side alternates; the result is the median of the pairs' ratios.
# Usage: bench/elf_closure.sh OCITOOLS [RUNS]
set -euo pipefail
ocitools=$1
runs=${2:-5}
source "$(dirname "$0")/lib.sh"

# The ELF programs of /usr/bin: what ldd is given.
mapfile -t programs < <(for f in /usr/bin/*; do
    [ -f "$f" ] && [ "$(head -c 4 "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] && echo "$f"
done)

ours() { "$ocitools" closure --include /usr/bin -- /bin/true >/dev/null; }
ldd_each() { for f in "${programs[@]}"; do ldd "$f" >/dev/null 2>&1 || true; done; }

ours  # warm the page cache
alternate "$runs" ours ldd_each
rss=$(peak_rss "$ocitools" closure --include /usr/bin -- /bin/true)
printf '| ELF closure of /usr/bin (%d ELF files), one call, computed from nothing, vs `ldd` on each | %.3f s | %.2f s | **1/%.0f** (goal: 1/100 or less) | %s KiB |\n' \
    "${#programs[@]}" "$(median "${t_ours[@]}")" "$(median "${t_theirs[@]}")" \
    "$(echo "1 / $(median "${ratios[@]}")" | bc -l)" "$rss"
