#!/usr/bin/env bash
# The traced run of `python3 -c 'import json, ssl, sqlite3'` (bench/trace_run.cpp: what --trace
# does before the closure) against the same command untraced, and against
# `strace -f -qq -e trace=%file`, the obvious way to see what a program opens. Pairs in the same
# run, the side that runs first alternating; the result is the median of the pairs' ratios.
# Usage: bench/trace.sh TRACE_RUN [RUNS]
set -euo pipefail
trace_run=$1
runs=${2:-11}
cmd=(/usr/bin/python3 -c 'import json, ssl, sqlite3')

plain() { "${cmd[@]}"; }
traced() { "$trace_run" "${cmd[@]}" 2>/dev/null; }
straced() { strace -f -qq -e trace=%file -o /dev/null "${cmd[@]}"; }
# The floor: the namespaces the traced run needs, without tracing, overlays or a fresh /dev.
isolated() { unshare --user --map-current-user --mount --pid --fork --ipc --net "${cmd[@]}"; }
timed() { local t0; t0=$EPOCHREALTIME; "$@"; echo "$EPOCHREALTIME - $t0" | bc -l; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

plain; traced; straced; isolated  # warm the page cache
t_plain=() t_traced=() t_strace=() t_iso=() r_plain=() r_strace=() r_iso=()
for run in $(seq "$runs"); do
    if [ $((run % 2)) -eq 1 ]; then
        a=$(timed traced); b=$(timed plain); c=$(timed straced); d=$(timed isolated)
    else
        d=$(timed isolated); c=$(timed straced); b=$(timed plain); a=$(timed traced)
    fi
    t_traced+=("$a") t_plain+=("$b") t_strace+=("$c") t_iso+=("$d")
    r_plain+=("$(echo "$a / $b" | bc -l)") r_strace+=("$(echo "$a / $c" | bc -l)")
    r_iso+=("$(echo "$d / $b" | bc -l)")
done
printf '| traced run of `python3 -c '"'"'import json, ssl, sqlite3'"'"'` vs the same untraced | %.3f s | %.3f s | **%.2fx** (goal: 1.5x or less) | |\n' \
    "$(median "${t_traced[@]}")" "$(median "${t_plain[@]}")" "$(median "${r_plain[@]}")"
printf '| the same traced run vs `strace -f -qq -e trace=%%file -o /dev/null` | %.3f s | %.3f s | **%.2fx** (goal: 0.5x or less) | |\n' \
    "$(median "${t_traced[@]}")" "$(median "${t_strace[@]}")" "$(median "${r_strace[@]}")"
printf '| floor: the same command in the same namespaces (`unshare --user --mount --pid --fork --ipc --net`), untraced, vs plain | %.3f s | %.3f s | %.2fx | |\n' \
    "$(median "${t_iso[@]}")" "$(median "${t_plain[@]}")" "$(median "${r_iso[@]}")"
