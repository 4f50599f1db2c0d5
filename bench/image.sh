#!/usr/bin/env bash
# An OCI image of python3 (`build-image --package python3`, by default: the closure computed
# from nothing, then its gzip layers, one per Debian package up to 32, written on one thread per
# core, and the config, manifest and index), against the obvious ways to pack the same files:
# `tar c --sort=name | gzip -n` and the same through `pigz -n` (one layer, no image around it)
# of the rootfs `build-container` writes for the same request, and `umoci repack` of that
# rootfs (a whole image, one layer). The page caches are warm (each command runs once before
# timing) and every command writes a directory or file of its own: nothing is deleted between
# runs (see bench/bundle.sh: ext4 would time its scan of freshly freed inodes).
# umoci repack packs only what changed since the bundle was unpacked (it compares the rootfs
# with the mtree manifest unpack wrote), so the bundle is unpacked once from an empty image
# (no layers) and the python3 rootfs copied into it: each repack then finds every file new and
# packs the whole rootfs. Repack does not refresh the bundle's manifest (no --refresh-bundle),
# so the bundle stays as it is from run to run; each repack is given a fresh copy of the empty
# layout, made outside the interval timed, so that no repack finds its layer already there.
# Each run times pairs, each pair's commands one right after the other, the side that runs
# first alternating from run to run: the image and each of the three; `ocitools closure` alone
# beside umoci (what of the image's time is not the image's); `--compression zstd` and `none`
# against `tar c --sort=name | zstd` and `tar c --sort=name` alone. Each ratio is the median of
# the runs' ratios (a ratio is measured within a pair, so that a minute when the machine is
# busier than the next weighs on both sides), with the median times beside it. Peak RSS (GNU
# time) is measured once for images from a static busybox to several hundred MiB: it should
# not grow with them.
# Usage: bench/image.sh OCITOOLS [RUNS]
# Needs: umoci, pigz, zstd, time (apt-get install -y umoci pigz zstd time), python3 installed.
set -euo pipefail
ocitools=$1
runs=${2:-5}
request=(--package python3 -- /usr/bin/python3 -c pass)

work=$(mktemp -d /var/tmp/ocitools-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The rootfs every alternative packs: the same request's bundle.
"$ocitools" build-container -o "$work/bundle" "${request[@]}" >/dev/null 2>&1
rootfs=$work/bundle/rootfs
paths=$(cd "$rootfs" && find . -mindepth 1 | wc -l)
bytes=$(du -sb --apparent-size "$rootfs" | cut -f1)

# umoci runs rootless when this script does not run as root.
umoci_opts=()
[ "$(id -u)" -eq 0 ] || umoci_opts=(--rootless)
umoci init --layout "$work/layout0"
umoci new --image "$work/layout0:t"
umoci unpack "${umoci_opts[@]}" --image "$work/layout0:t" "$work/umoci" >/dev/null
cp -a "$rootfs/." "$work/umoci/rootfs/"

n=0
ours() { "$ocitools" build-image -o "$work/image$n" "${request[@]}" >/dev/null 2>&1; }
ours_zstd() {
    "$ocitools" build-image -o "$work/zstd$n" --compression zstd "${request[@]}" >/dev/null 2>&1
}
ours_none() {
    "$ocitools" build-image -o "$work/none$n" --compression none "${request[@]}" >/dev/null 2>&1
}
ours_fast() {
    "$ocitools" build-image -o "$work/fast$n" --compression-level 1 "${request[@]}" >/dev/null 2>&1
}
ours_closure() { "$ocitools" closure "${request[@]}" >/dev/null 2>&1; }
tar_gzip() { tar c --sort=name -C "$rootfs" . | gzip -n > "$work/gzip$n.tar.gz"; }
tar_pigz() { tar c --sort=name -C "$rootfs" . | pigz -n > "$work/pigz$n.tar.gz"; }
tar_zstd() { tar c --sort=name -C "$rootfs" . | zstd -q > "$work/tzstd$n.tar.zst"; }
tar_none() { tar c --sort=name -C "$rootfs" . > "$work/tar$n.tar"; }
umoci_repack() {
    umoci repack "${umoci_opts[@]}" --image "$work/layout$n:t" "$work/umoci" >/dev/null
}
source "$(dirname "$0")/lib.sh"

# The pairs (the closure rides with umoci's), as NAME:KIND...
pairs=('gzip:ours tar_gzip' 'pigz:ours tar_pigz' 'umoci:ours umoci_repack ours_closure'
    'fast:ours_fast umoci_repack' 'zstd:ours_zstd tar_zstd' 'none:ours_none tar_none')
declare -A times  # NAME/KIND -> space-separated seconds, one per run
# One run: every pair once, its commands in order on odd runs and reversed on even runs, each
# writing under its own name; the umoci layout is copied before the clock starts.
run() {  # run NUMBER
    local pair name kind kinds
    for pair in "${pairs[@]}"; do
        name=${pair%%:*}
        read -ra kinds <<< "${pair#*:}"
        [ $(($1 % 2)) -eq 1 ] || mapfile -t kinds < <(printf '%s\n' "${kinds[@]}" | tac)
        for kind in "${kinds[@]}"; do
            n=$1-$name
            [ "$kind" != umoci_repack ] || cp -a "$work/layout0" "$work/layout$n"
            times[$name/$kind]+=" $(timed "$kind")"
        done
    done
}
run 0; times=()  # warm the page caches
# The image's layers: how many, and their bytes in all (from its manifest); tar | gzip's one.
layer_sizes() {  # layer_sizes LAYOUT: how many layers, and their bytes in all
    /usr/bin/python3 -c '
import json, sys
blob = lambda d: sys.argv[1] + "/blobs/" + d["digest"].replace(":", "/")
manifest = json.load(open(blob(json.load(open(sys.argv[1] + "/index.json"))["manifests"][0])))
print(len(manifest["layers"]), sum(layer["size"] for layer in manifest["layers"]))' "$1"
}
read -r layers layer_bytes < <(layer_sizes "$work/image0-gzip")
read -r _ fast_bytes < <(layer_sizes "$work/fast0-fast")
read -r _ umoci_bytes < <(layer_sizes "$work/layout0-umoci")
layer_gzip=$(stat -c %s "$work/gzip0-gzip.tar.gz")
for i in $(seq "$runs"); do run "$i"; done

# Every time measured, one column per run, on stderr (bench/run keeps stdout only).
for key in "${!times[@]}"; do echo "bench/image.sh: seconds of $key:${times[$key]}"; done | sort >&2

# Peak RSS in KiB, from one more run.
rss_ours=$(peak_rss "$ocitools" build-image -o "$work/image-rss" "${request[@]}")
cp -a "$work/layout0" "$work/layout-rss"
rss_umoci=$(peak_rss umoci repack "${umoci_opts[@]}" --image "$work/layout-rss:t" "$work/umoci")
rss_gzip=$(peak_rss gzip -n -c "$work/tar1-none.tar")
rss_pigz=$(peak_rss pigz -n -c "$work/tar1-none.tar")

# In pair NAME, KIND's median time, ALT's median time and the median of the runs' ratios
# KIND / ALT, as table cells; `bold` for the figures with a goal.
cells() {  # cells NAME KIND ALT [bold]
    local b=${4:+**} ratios=() i ours alt
    read -ra ours <<< "${times[$1/$2]}"
    read -ra alt <<< "${times[$1/$3]}"
    for i in "${!ours[@]}"; do ratios+=("$(echo "${ours[i]} / ${alt[i]}" | bc -l)"); done
    printf '%.3f s | %.3f s | %s%.2fx%s' "$(median "${ours[@]}")" "$(median "${alt[@]}")" \
        "$b" "$(median "${ratios[@]}")" "$b"
}
mib() { echo "$1 / 1048576" | bc -l; }
printf '| OCI image of python3 (`build-image --package python3`), closure included (%d paths, %.0f MiB; %d gzip layers, %.1f MiB in all; gzip -n: %.1f MiB), vs `tar c --sort=name \\| gzip -n` of the same rootfs | %s (goal: 0.5x or less) | %s KiB (gzip: %s KiB) |\n' \
    "$paths" "$(mib "$bytes")" "$layers" "$(mib "$layer_bytes")" "$(mib "$layer_gzip")" \
    "$(cells gzip ours tar_gzip bold)" "$rss_ours" "$rss_gzip"
printf '| The same image vs `tar c --sort=name \\| pigz -n` (%d threads) | %s | (pigz: %s KiB) |\n' \
    "$(nproc)" "$(cells pigz ours tar_pigz)" "$rss_pigz"
printf '| The same image vs `umoci repack` of the same rootfs (the whole rootfs new since `umoci unpack`: one gzip layer) | %s (goal: 0.5x or less) | (umoci: %s KiB) |\n' \
    "$(cells umoci ours umoci_repack bold)" "$rss_umoci"
printf '| The same image at `--compression-level 1` (%.1f MiB in all; umoci'"'"'s layer: %.1f MiB), vs the same `umoci repack` | %s | |\n' \
    "$(mib "$fast_bytes")" "$(mib "$umoci_bytes")" "$(cells fast ours_fast umoci_repack)"
printf '| Of which the closure alone (`ocitools closure`, computed from nothing), vs the same `umoci repack` | %s | |\n' \
    "$(cells umoci ours_closure umoci_repack)"
printf '| The same image with `--compression zstd`, vs `tar c --sort=name \\| zstd` | %s | |\n' \
    "$(cells zstd ours_zstd tar_zstd)"
printf '| The same image with `--compression none`, vs `tar c --sort=name > FILE` | %s | |\n' \
    "$(cells none ours_none tar_none)"

# Peak RSS against the image's size: a static busybox, python3 (above), and the installed ones
# of python3, perl and gcc-12 together; one run each, after one to warm the page cache.
big=()
for p in python3 perl gcc-12; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        big+=(--package "$p")
    fi
done
for r in small big; do
    if [ $r = small ]; then req=(-- /bin/busybox true); else req=("${big[@]}" -- /bin/true); fi
    "$ocitools" build-container -o "$work/bundle-$r" "${req[@]}" >/dev/null 2>&1
    "$ocitools" build-image -o "$work/image-$r-warm" "${req[@]}" >/dev/null 2>&1
    t0=$EPOCHREALTIME
    rss=$(peak_rss "$ocitools" build-image -o "$work/image-$r" "${req[@]}")
    secs=$(echo "$EPOCHREALTIME - $t0" | bc -l)
    printf '| `build-image` of `%s` (%d paths, %.0f MiB; one run, for its peak RSS) | %.3f s | | | %s KiB |\n' \
        "${req[*]}" "$(cd "$work/bundle-$r/rootfs" && find . -mindepth 1 | wc -l)" \
        "$(mib "$(du -sb --apparent-size "$work/bundle-$r/rootfs" | cut -f1)")" "$secs" "$rss"
done
