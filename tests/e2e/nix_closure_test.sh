#!/usr/bin/env bash
# Nix store closures end to end, in the machine's own /nix/store (the default store): a small
# store built with Debian's nix-bin (tests/nix/store.nix: host binaries patched to load only from
# the store), ocitools' closure compared with `nix-store -qR` from the database and by scanning,
# and bundles run by runc. A private store elsewhere is nix_store_dir_test.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nix_lib.sh"
need_root
unset NIX_STORE_DIR NIX_STATE_DIR NIX_LOG_DIR
build_test_store

# The closure of each store root equals nix-store -qR, from the database and by scanning.
expect_nix_closure "the #! script in the store" "$app" -- "$app/bin/hello"
expect_contains "the build-time-only helper exists in the store" "$helper" "$(ls -d "$helper")"
check "the build-time-only helper is not in the closure" \
    bash -c "! '$OCITOOLS' closure -- '$app/bin/hello' 2>/dev/null | grep -qF '$helper'"
expect_nix_closure "bash (ELF interpreter and RUNPATH in the store)" "$bash" -- "$bash/bin/bash"
expect_nix_closure "bash reached through the bin/sh symlink" "$bash" -- "$bash/bin/sh"
expect_nix_closure "a store path inside a -c argument" "$bash $busybox" \
    -- "$bash/bin/bash" -c "$busybox/bin/busybox true"
expect_nix_closure "a store path inside --config=" "$busybox $motd" \
    -- "$busybox/bin/busybox" cat "--config=$motd/etc/motd"
expect_nix_closure "an --include store path (a single file)" "$busybox $banner" \
    --include "$banner" -- "$busybox/bin/busybox" true

# The script's bundle runs under runc; its rootfs/nix/store holds exactly the closure, each
# store path whole.
"$OCITOOLS" build-container -o "$WORK/app" -- "$app/bin/hello"
check_bundle "$WORK/app"
expect_eq "the store script runs under runc" "$APP_OUTPUT" "$(run_bundle "$WORK/app")"
closure=$(nix-store -qR "$app")
expect_store_in_rootfs "$WORK/app/rootfs" /nix/store "$closure"
check "the build-time-only helper is not in the rootfs" test ! -e "$WORK/app/rootfs$helper"
expect_eq "nothing from the host beside the store (generated /etc, mount points, /tmp)" \
    "dev etc nix proc sys tmp var" "$(ls -A "$WORK/app/rootfs" | xargs)"
expect_eq "Nix's mtime (1) is kept" "1" "$(stat -c %Y "$WORK/app/rootfs$app/bin/hello")"
expect_eq "modes are kept" "555 444" \
    "$(stat -c %a "$WORK/app/rootfs$app/bin/hello") $(stat -c %a "$WORK/app/rootfs$motd/etc/motd")"
expect_eq "a hard link within a store path stays one (bin/rbash = bin/bash)" \
    "$(stat -c %i "$WORK/app/rootfs$bash/bin/bash")" "$(stat -c %i "$WORK/app/rootfs$bash/bin/rbash")"
expect_eq "a symlink into another store path is kept" "$motd/etc/motd" \
    "$(readlink "$WORK/app/rootfs$app/share/motd")"

# bash from the store: its interpreter and libraries are store paths.
"$OCITOOLS" build-container -o "$WORK/bash" -- "$bash/bin/bash" -c 'echo $((6*7))'
check_bundle "$WORK/bash"
expect_eq "store bash runs under runc" "42" "$(run_bundle "$WORK/bash")"
expect_store_in_rootfs "$WORK/bash/rootfs" /nix/store "$(nix-store -qR "$bash")"

# Store paths and host paths in one bundle: the host's busybox runs the store script.
"$OCITOOLS" build-container -o "$WORK/mixed" -- /bin/busybox sh -c "$app/bin/hello && echo and the host busybox"
check_bundle "$WORK/mixed"
expect_eq "host program and store script run together" \
    "$APP_OUTPUT
and the host busybox" "$(run_bundle "$WORK/mixed")"
mixed=$("$OCITOOLS" closure -- /bin/busybox sh -c "$app/bin/hello" 2>/dev/null)
expect_eq "the mixed closure's store part is nix-store -qR" "$(sort <<<"$closure")" \
    "$(grep '^/nix/store/' <<<"$mixed")"
expect_contains "the mixed closure has the host busybox" "bin/busybox" "$(grep -v '^/nix/store/' <<<"$mixed")"
expect_store_in_rootfs "$WORK/mixed/rootfs" /nix/store "$closure"

# Errors name the store path.
gone=/nix/store/0000000000000000000000000000000g-gone
expect_build_refused "a store path that does not exist" "$gone, named in argument 2" \
    -- "$busybox/bin/busybox" cat "$gone/file"

finish
