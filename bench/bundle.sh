#!/usr/bin/env bash
# A bundle, closure included, against `tar c | tar x` of the same files (what nixpkgs'
# buildContainer does with its closure: two processes, every byte through a pipe). ocitools is
# timed in copy mode and with hard links (--link auto --readonly), each build a first build (the
# closure computed from nothing: there is no closure cache); tar is given the very paths
# `ocitools closure` lists, so both write the same tree, on the filesystem of the sources (for
# the hard links), with warm page caches (each command runs once before timing). Nothing is
# deleted between runs: ext4 passes over inodes freed in the last minute when it allocates new
# ones, so a loop of create-and-delete would time that scan rather than the copies.
# Each run is a pair, ocitools and tar, which alternate in running first; each row is the median
# of the runs' ratios (a ratio is measured within a pair, so that a minute when the machine is
# busier than the next weighs on both sides), with the median times beside it.
# Usage: bench/bundle.sh OCITOOLS WHAT RUNS REQUEST... (the build-container arguments after -o)
set -euo pipefail
ocitools=$1
what=$2
runs=$3
shift 3
request=("$@")

work=$(mktemp -d /var/tmp/ocitools-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$ocitools" closure "${request[@]}" | sed 's|^/||' > "$work/list"
paths=$(wc -l < "$work/list")

n=0
ours_copy() { "$ocitools" build-container -o "$work/copy$n" "${request[@]}" >/dev/null 2>&1; }
ours_link() {
    "$ocitools" build-container -o "$work/link$n" --link auto --readonly "${request[@]}" \
        >/dev/null 2>&1
}
ours_closure() { "$ocitools" closure "${request[@]}" >/dev/null 2>&1; }
tar_pipe() {
    mkdir "$work/tar$n" &&
        tar -C / -cf - --no-recursion -T "$work/list" | tar -C "$work/tar$n" -xf -
}
source "$(dirname "$0")/lib.sh"

# The floor for hard links: the same tree's mkdir, link and symlink calls alone (bench/floor.c),
# on as many threads as ocitools uses (one per core, at most 8); and a process start (/bin/true),
# which every command timed here pays once (tar twice).
threads=$(nproc)
[ "$threads" -le 8 ] || threads=8
cc -O2 -pthread -o "$work/floor" "$(dirname "$0")/floor.c"
floor_of() { mkdir "$work/floor$n" && "$work/floor" "$work/list" "$work/floor$n" "$threads"; }
floor_copy_of() { mkdir "$work/floorc$n" && "$work/floor" "$work/list" "$work/floorc$n" "$threads" copy; }
start_of() { timed /bin/true; }
# The floor for the closure: the file system calls `ocitools closure` makes (recorded by strace,
# bench/strace_ops.py), replayed alone (bench/closure_floor.c) on as many threads.
mkdir "$work/strace"
strace -ff -qq -e trace=openat,close,newfstatat,readlinkat,pread64,read,getdents64,mmap \
    -o "$work/strace/t" "$ocitools" closure "${request[@]}" >/dev/null
/usr/bin/python3 "$(dirname "$0")/strace_ops.py" "$work/strace/t" > "$work/ops"
calls=$(awk -F'\t' '$1 != "O" { n++; next }
    { n += 2; for (i = 3; i <= NF; i++) if ($i ~ /^[FPRG]$/) n++; else if ($i == "M") n += 2 }
    END { print n }' "$work/ops")
cc -O2 -pthread -o "$work/closure_floor" "$(dirname "$0")/closure_floor.c"
closure_floor_of() { "$work/closure_floor" "$work/ops" "$threads"; }

ours_copy; ours_link; tar_pipe  # warm the page cache
bytes=$(du -sb --apparent-size "$work/tar0" | cut -f1)
declare -A times ratios  # "kind" -> space-separated values, one per run
record() {  # record KIND OURS_SECONDS TAR_SECONDS
    times[$1]+=" $2"
    times[tar_$1]+=" $3"
    ratios[$1]+=" $(echo "$2 / $3" | bc -l)"
}
# A pair: ocitools and tar, the first of them alternating from one run to the next. Every
# command writes to a directory of its own ($n).
k=0
# With `self`, FUNCTION prints the seconds it took itself.
pair() {  # pair KIND FUNCTION [self]
    local ours tar clock=timed
    [ -z "${3:-}" ] || clock=
    if [ $((k % 2)) -eq 0 ]; then
        n=$((++k)); ours=$($clock "$2")
        n=$((++k)); tar=$(timed tar_pipe)
    else
        n=$((++k)); tar=$(timed tar_pipe)
        n=$((++k)); ours=$($clock "$2")
    fi
    record "$1" "$ours" "$tar"
}
for _ in $(seq "$runs"); do
    pair copy ours_copy
    pair link ours_link
    pair closure ours_closure
    pair closure_floor closure_floor_of self
    pair floor floor_of self
    pair floor_copy floor_copy_of self
    pair start start_of self
done

# Peak RSS in KiB, from one more run of each.
n=rss
rss_copy=$(peak_rss "$ocitools" build-container -o "$work/copy$n" "${request[@]}")
rss_link=$(peak_rss "$ocitools" build-container -o "$work/link$n" --link auto --readonly "${request[@]}")
rss_tar=$(peak_rss tar -C / -cf /dev/null --no-recursion -T "$work/list")

# KIND's median times and median ratio, as table cells; `bold` for the figures with a goal.
cells() {  # cells KIND [bold]
    local b=${2:+**}
    # shellcheck disable=SC2086  # the lists are space-separated numbers
    printf '%.3f s | %.3f s | %s%.2fx%s' "$(median ${times[$1]})" "$(median ${times[tar_$1]})" \
        "$b" "$(median ${ratios[$1]})" "$b"
}
printf '| First build of %s, closure included (%d paths, %.0f MiB), copy mode, vs `tar c \\| tar x` of the same paths | %s (goal: 0.6x or less) | %s KiB (tar c: %s KiB) |\n' \
    "$what" "$paths" "$(echo "$bytes / 1048576" | bc -l)" "$(cells copy bold)" "$rss_copy" "$rss_tar"
printf '| The same first build with hard links (`--link auto --readonly`), vs the same `tar c \\| tar x` | %s (goal: 0.35x or less) | %s KiB |\n' \
    "$(cells link bold)" "$rss_link"
printf '| Of which the closure alone (`ocitools closure`, computed from nothing), vs the same `tar c \\| tar x` | %s | |\n' \
    "$(cells closure)"
printf '| Floor for the closure: its %d file system calls alone (`bench/closure_floor.c`: the lstat, stat, readlink, open, fstat, pread, mmap and close calls of `ocitools closure`, recorded by strace and replayed on %d threads with nothing computed between them; process start not counted) | %s | |\n' \
    "$calls" "$threads" "$(cells closure_floor)"
printf '| Floor for hard links: the same tree'"'"'s mkdir, link and symlink calls alone (`bench/floor.c`: links on %d threads, no closure, no checks, no modes or times; process start not counted) | %s | |\n' \
    "$threads" "$(cells floor)"
printf '| Floor for copies: the same calls, the files copied instead of linked (`bench/floor.c copy`: open, `copy_file_range` to the end, close, on %d threads) | %s | |\n' \
    "$threads" "$(cells floor_copy)"
printf '| Process start alone (`/bin/true`, timed the same way; every command above pays it once, tar c \\| tar x twice, in parallel) | %s | |\n' \
    "$(cells start)"
