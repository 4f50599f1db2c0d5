# What the bench scripts share: a command's wall time, the median of a list, a series of
# alternating pairs, and a command's peak RSS. Sourced, not run.

# Bash's own clock ($EPOCHREALTIME): no date(1) process inside the interval timed.
timed() { local t0; t0=$EPOCHREALTIME; "$@"; echo "$EPOCHREALTIME - $t0" | bc -l; }

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# alternate RUNS OURS THEIRS: RUNS pairs of the two commands (functions that print nothing), the
# side that runs first alternating from pair to pair, so that a machine busier in one second
# than the next weighs on both. Sets the arrays t_ours, t_theirs and ratios (ours / theirs).
alternate() {
    local runs=$1 ours=$2 theirs=$3 run a b
    t_ours=() t_theirs=() ratios=()
    for run in $(seq "$runs"); do
        if [ $((run % 2)) -eq 1 ]; then
            a=$(timed "$ours"); b=$(timed "$theirs")
        else
            b=$(timed "$theirs"); a=$(timed "$ours")
        fi
        t_ours+=("$a") t_theirs+=("$b") ratios+=("$(echo "$a / $b" | bc -l)")
    done
}

# peak_rss COMMAND...: the command's peak resident set size in KiB (GNU time), its output and
# errors discarded.
peak_rss() { /usr/bin/time -o /dev/fd/3 -f '%M' "$@" 3>&1 >/dev/null 2>&1 | tail -1; }
