#!/usr/bin/env bash
# A bundle, closure included, against `tar c | tar x` of the same files (what nixpkgs'
# buildContainer does with its closure: two processes, every byte through a pipe). ocitools is
# timed in copy mode and with hard links (--link auto --readonly); tar is given the very paths
# `ocitools closure` lists, so both write the same tree, on the filesystem of the sources (for
# the hard links), with warm caches (each command runs once before timing). Nothing is deleted
# between runs: ext4 passes over inodes freed in the last minute when it allocates new ones, so
# a loop of create-and-delete would time that scan rather than the copies.
# ocitools is timed twice: as a repeated build is (its closure from the closure cache, checked
# against the files), and with --no-cache (the closure computed afresh, as on a first build).
# Usage: bench/bundle.sh OCITOOLS WHAT RUNS REQUEST... (the build-container arguments after -o)
set -euo pipefail
ocitools=$1
what=$2
runs=$3
shift 3
request=("$@")

work=$(mktemp -d /var/tmp/ocitools-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"
"$ocitools" closure --no-cache "${request[@]}" | sed 's|^/||' > "$work/list"
paths=$(wc -l < "$work/list")

n=0
cache=()  # or --no-cache
ours_copy() { "$ocitools" build-container -o "$work/copy$n${cache[*]}" "${cache[@]}" "${request[@]}" >/dev/null 2>&1; }
ours_link() {
    "$ocitools" build-container -o "$work/link$n${cache[*]}" "${cache[@]}" --link auto --readonly \
        "${request[@]}" >/dev/null 2>&1
}
tar_pipe() {
    mkdir "$work/tar$n" &&
        tar -C / -cf - --no-recursion -T "$work/list" | tar -C "$work/tar$n" -xf -
}
# Bash's own clock ($EPOCHREALTIME): no date(1) process inside the interval timed.
timed() { local t0; t0=$EPOCHREALTIME; "$@"; echo "$EPOCHREALTIME - $t0" | bc -l; }
min() { echo "if ($1 < $2) $1 else $2" | bc -l; }

# The floor for hard links: the same tree's mkdir, link and symlink calls alone (bench/floor.c),
# on as many threads as ocitools uses (one per core, at most 8); and a process start (/bin/true),
# which every command timed here pays once (tar twice).
threads=$(nproc)
[ "$threads" -le 8 ] || threads=8
cc -O2 -pthread -o "$work/floor" "$(dirname "$0")/floor.c"
floor_of() { mkdir "$work/floor$n" && "$work/floor" "$work/list" "$work/floor$n" "$threads"; }
start_of() { timed /bin/true; }
ours_closure() { "$ocitools" closure "${cache[@]}" "${request[@]}" >/dev/null 2>&1; }

ours_copy; ours_link; tar_pipe  # warm the caches, the closure cache too
[ -n "$(ls "$XDG_CACHE_HOME/ocitools/closures")" ] || { echo "no closure was cached" >&2; exit 1; }
bytes=$(du -sb --apparent-size "$work/tar0" | cut -f1)
best_copy=999999 best_link=999999 best_tar=999999 best_closure=999999
cold_copy=999999 cold_link=999999 cold_closure=999999 best_floor=999999 best_start=999999
for n in $(seq "$runs"); do
    cache=()
    best_copy=$(min "$(timed ours_copy)" "$best_copy")
    best_link=$(min "$(timed ours_link)" "$best_link")
    best_tar=$(min "$(timed tar_pipe)" "$best_tar")
    best_closure=$(min "$(timed ours_closure)" "$best_closure")
    cache=(--no-cache)
    cold_copy=$(min "$(timed ours_copy)" "$cold_copy")
    cold_link=$(min "$(timed ours_link)" "$cold_link")
    cold_closure=$(min "$(timed ours_closure)" "$cold_closure")
    best_floor=$(min "$(floor_of)" "$best_floor")
    best_start=$(min "$(start_of)" "$best_start")
done
cache=()

# Peak RSS in KiB, from one more run of each.
n=rss
rss_of() { /usr/bin/time -o "$work/rss" -f '%M' "$@" >/dev/null 2>&1; tail -1 "$work/rss"; }
rss_copy=$(rss_of "$ocitools" build-container -o "$work/copy$n" "${request[@]}")
rss_link=$(rss_of "$ocitools" build-container -o "$work/link$n" --link auto --readonly "${request[@]}")
rss_cold=$(rss_of "$ocitools" build-container -o "$work/cold$n" --no-cache "${request[@]}")
rss_tar=$(rss_of tar -C / -cf /dev/null --no-recursion -T "$work/list")

ratio() { echo "$1 / $best_tar" | bc -l; }
printf '| Bundle of %s, closure included (%d paths, %.0f MiB), copy mode, vs `tar c \\| tar x` of the same paths | %.3f s | %.3f s | **%.2fx** (goal: 0.5x or less) | %s KiB (tar c: %s KiB) |\n' \
    "$what" "$paths" "$(echo "$bytes / 1048576" | bc -l)" "$best_copy" "$best_tar" \
    "$(ratio "$best_copy")" "$rss_copy" "$rss_tar"
printf '| The same bundle of %s with hard links (`--link auto --readonly`), vs the same `tar c \\| tar x` | %.3f s | %.3f s | **%.2fx** (goal: 0.1x or less) | %s KiB |\n' \
    "$what" "$best_link" "$best_tar" "$(ratio "$best_link")" "$rss_link"
printf '| Of which the closure of %s alone (`ocitools closure`, from the closure cache), vs the same `tar c \\| tar x` | %.3f s | %.3f s | %.2fx | |\n' \
    "$what" "$best_closure" "$best_tar" "$(ratio "$best_closure")"
printf '| Floor for hard links: the same tree'"'"'s mkdir, link and symlink calls alone (`bench/floor.c`: links on %d threads, no closure, no checks, no modes or times; process start not counted) | %.3f s | %.3f s | %.2fx | |\n' \
    "$threads" "$best_floor" "$best_tar" "$(ratio "$best_floor")"
printf '| Process start alone (`/bin/true`, timed the same way; every command above pays it once, tar c \| tar x twice, in parallel) | %.3f s | %.3f s | %.2fx | |\n' \
    "$best_start" "$best_tar" "$(ratio "$best_start")"
printf '| First build of %s (`--no-cache`: the closure computed afresh), copy mode, vs the same `tar c \\| tar x` | %.3f s | %.3f s | %.2fx | %s KiB |\n' \
    "$what" "$cold_copy" "$best_tar" "$(ratio "$cold_copy")" "$rss_cold"
printf '| First build of %s (`--no-cache`) with hard links, vs the same `tar c \\| tar x` | %.3f s | %.3f s | %.2fx | |\n' \
    "$what" "$cold_link" "$best_tar" "$(ratio "$cold_link")"
printf '| Of which the closure of %s computed afresh (`ocitools closure --no-cache`), vs the same `tar c \\| tar x` | %.3f s | %.3f s | %.2fx | |\n' \
    "$what" "$cold_closure" "$best_tar" "$(ratio "$cold_closure")"
