#!/usr/bin/env bash
# Reference-scan throughput: the closure of a store of at least 1 GiB (made here, from copies of
# the host's /usr files in store paths that refer to each other in a chain, so the closure scans
# every byte), found by scanning (no Nix database), against reading the same files with
# `cat > /dev/null` in the same run. Usage: bench/nix_scan.sh OCITOOLS [RUNS]
set -euo pipefail
ocitools=$(realpath "$1")
runs=${2:-5}
size=$((1 << 30))
chunk=$((32 << 20))
source "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ocitools-bench-nix.XXXXXX")
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
store="$tmp/store"
mkdir -p "$store"
hash() {  # 32 random characters of Nix's base32 alphabet
    local alphabet=0123456789abcdfghijklmnpqrsvwxyz h='' i
    for i in {1..32}; do h+=${alphabet:RANDOM%32:1}; done
    echo "$h"
}

# Which host file goes to which store path: about 32 MiB each, 1 GiB in all (again from the
# start if /usr holds less).
find /usr/lib /usr/share /usr/bin -xdev -type f -readable -size +0 -size -64M -printf '%s\t%p\n' \
    2>/dev/null > "$tmp/files" || true
awk -F'\t' -v limit="$size" -v chunk="$chunk" '
    { size[NR] = $1; path[NR] = $2; all += $1 }
    END { if (all == 0) exit 1
          while (total < limit) for (i = 1; i <= NR && total < limit; i++) {
            print int(total / chunk) "\t" path[i]; total += size[i] } }' "$tmp/files" > "$tmp/plan"
npkgs=$(($(tail -1 "$tmp/plan" | cut -f1) + 1))
pkgs=()
for i in $(seq 0 $((npkgs - 1))); do pkgs+=("$store/$(hash)-pkg-$i"); done
for i in $(seq 0 $((npkgs - 1))); do
    p=${pkgs[$i]}
    mkdir -p "$p/nix-support"
    awk -F'\t' -v i="$i" '$1 == i { print $2 }' "$tmp/plan" > "$tmp/list"
    # Repeated files (a second pass over /usr) land in their own store path, so no clash.
    tar -cf - -T "$tmp/list" 2>/dev/null | tar -xf - -C "$p" 2>/dev/null || true
    # The chain of references: pkg-i names pkg-(i+1) in a text file.
    if [ "$i" -lt $((npkgs - 1)) ]; then echo "${pkgs[$((i + 1))]}" > "$p/nix-support/propagated"; fi
done
mkdir -p "${pkgs[0]}/bin"
cp /bin/busybox "${pkgs[0]}/bin/sh"
bytes=$(du -sb --apparent-size "$store" | cut -f1)
nfiles=$(find "$store" -type f | wc -l)

scan() {
    NIX_STORE_DIR="$store" NIX_STATE_DIR="$tmp/no-state" "$ocitools" closure \
        -- "${pkgs[0]}/bin/sh" 2>/dev/null
}
read_all() { find "$store" -type f -print0 | xargs -0 cat >/dev/null; }
[ "$(scan | wc -l)" -eq "$npkgs" ] || { echo "nix_scan.sh: the scan missed store paths" >&2; exit 1; }
read_all  # warm the page cache for both
scan_quiet() { scan >/dev/null; }
alternate "$runs" scan_quiet read_all
ours=$(median "${t_ours[@]}")
rss=$(NIX_STORE_DIR="$store" NIX_STATE_DIR="$tmp/no-state" peak_rss "$ocitools" closure -- "${pkgs[0]}/bin/sh")
printf '| Nix reference scan of a %.2f GiB store (%d store paths, %d files), vs `cat > /dev/null` of its files | %.3f s (%.0f MiB/s) | %.3f s | **%.2fx** (goal: under 3x) | %s KiB |\n' \
    "$(echo "$bytes / 2^30" | bc -l)" "$npkgs" "$nfiles" "$ours" \
    "$(echo "$bytes / 2^20 / $ours" | bc -l)" "$(median "${t_theirs[@]}")" "$(median "${ratios[@]}")" "$rss"
