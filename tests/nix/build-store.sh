#!/usr/bin/env bash
# Build the test store of tests/nix/store.nix with Debian's nix-bin and print one NAME=STORE_PATH
# line per attribute (glibc tinfo bash busybox motd banner helper app), for `eval`.
#
# The store is the one Nix itself picks: /nix/store with its database in /nix/var/nix, or, to
# keep the machine's store untouched, a private one named by NIX_STORE_DIR, NIX_STATE_DIR and
# NIX_LOG_DIR (store paths then start with that directory). Single-user, as root: no build
# users, no sandbox (the builders copy host binaries), no substituters (offline).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v nix-build >/dev/null; then
    echo "build-store.sh: nix-build not found (apt-get install nix-bin)" >&2
    exit 1
fi
for tool in patchelf ldd; do
    command -v "$tool" >/dev/null || { echo "build-store.sh: $tool not found" >&2; exit 1; }
done
attrs=(glibc tinfo bash busybox motd banner helper app)
args=()
for a in "${attrs[@]}"; do args+=(-A "$a"); done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! paths=$(nix-build --no-out-link --quiet \
        --option build-users-group "" --option sandbox false --option substituters "" \
        "$here/store.nix" "${args[@]}" 2>"$log"); then
    cat "$log" >&2
    exit 1
fi
mapfile -t built <<<"$paths"
if [ "${#built[@]}" -ne "${#attrs[@]}" ]; then
    echo "build-store.sh: expected ${#attrs[@]} store paths, nix-build printed: $paths" >&2
    exit 1
fi
for i in "${!attrs[@]}"; do
    printf '%s=%q\n' "${attrs[$i]}" "${built[$i]}"
done
