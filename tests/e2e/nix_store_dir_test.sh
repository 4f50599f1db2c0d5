#!/usr/bin/env bash
# Nix store closures in a private store (NIX_STORE_DIR, NIX_STATE_DIR under the test's own
# directory, so store paths are $WORK/nix/store/...): the closure of every test derivation equals
# `nix-store -qR` from the database and by scanning; the bundle runs; and what goes wrong with the
# database (a root it does not know, unreadable, corrupt) is reported, naming it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nix_lib.sh"
need_root
export NIX_STORE_DIR="$WORK/nix/store" NIX_STATE_DIR="$WORK/nix/var/nix" NIX_LOG_DIR="$WORK/nix/var/log/nix"
build_test_store
check "store paths are in the private store" test "${app#"$NIX_STORE_DIR"/}" != "$app"
db="$NIX_STATE_DIR/db/db.sqlite"

# Every derivation's closure (with the store's static busybox as the program); then several.
for name in glibc tinfo bash busybox motd banner helper app; do
    expect_nix_closure "$name" "${!name} $busybox" --include "${!name}" -- "$busybox/bin/busybox" true
done
all=$("$OCITOOLS" closure --include "$app" --include "$helper" -- "$bash/bin/bash" 2>/dev/null)
expect_eq "several roots at once" "$(nix-store -qR "$app" "$helper" "$bash" | sort)" "$all"

# The script's bundle runs; the private store is at the same path in the rootfs.
"$OCITOOLS" build-container -o "$WORK/app" -- "$app/bin/hello"
check_bundle "$WORK/app"
expect_eq "the private-store script runs under runc" "$APP_OUTPUT" "$(run_bundle "$WORK/app")"
expect_store_in_rootfs "$WORK/app/rootfs" "$NIX_STORE_DIR" "$(nix-store -qR "$app")"

# --store-dir gives the store without the environment (no database at
# the default state directory knows these paths, so auto scans).
got=$(env -u NIX_STORE_DIR -u NIX_STATE_DIR "$OCITOOLS" closure --store-dir "$NIX_STORE_DIR" \
    -- "$app/bin/hello" 2>/dev/null)
expect_eq "--store-dir without NIX_STORE_DIR" "$(nix-store -qR "$app" | sort)" "$got"
got=$(env -u NIX_STORE_DIR "$OCITOOLS" closure --store-dir "$NIX_STORE_DIR" \
    --nix-references db -- "$app/bin/hello" 2>/dev/null)
expect_eq "--store-dir with --nix-references db" "$(nix-store -qR "$app" | sort)" "$got"
rc=0
"$OCITOOLS" closure --nix-references sqlite -- "$app/bin/hello" >/dev/null 2>&1 || rc=$?
expect_eq "--nix-references with an unknown value is a usage error" 2 "$rc"

# refused_closure DESCRIPTION NEEDLE CLOSURE-ARGS...: `ocitools closure` fails with exit 1 and
# one error line holding NEEDLE.
refused_closure() {
    local what=$1 needle=$2 err rc=0
    shift 2
    err=$("$OCITOOLS" closure "$@" 2>&1 >/dev/null) || rc=$?
    err=$(grep '^ocitools: error: ' <<<"$err" || true)
    CHECKS=$((CHECKS + 1))
    if [ "$rc" -ne 1 ]; then fail "$what: exit status $rc, expected 1"
    elif [[ "$err" != *"$needle"* ]]; then fail "$what: [$err] lacks [$needle]"
    else pass "$what ($err)"
    fi
}

# A store path that the database does not list as valid (copied in by hand): auto scans and
# says why; --nix-references db refuses it.
# Its hash differs from busybox's in the last character only: the store directory is new each
# run, so the hashes are too, and a fixed last character would be busybox's own hash one run in
# 32 (the two would then share a hash and the scan sees one path).
hash=$(basename "$busybox" | cut -c1-31)
last=$(basename "$busybox" | cut -c32)
[ "$last" = x ] && other=y || other=x
unregistered="$NIX_STORE_DIR/${hash}${other}-unregistered"
mkdir -p "$unregistered"
printf '#!%s/bin/busybox sh\necho unregistered\n' "$busybox" > "$unregistered/run"
chmod 555 "$unregistered/run"
got=$("$OCITOOLS" closure -- "$unregistered/run" 2>"$WORK/err")
expect_eq "auto scans a store path the database does not know" \
    "$(printf '%s\n' "$busybox" "$unregistered" | sort)" "$got"
expect_contains "auto names the root the database lacks" \
    "the Nix database $db does not list $unregistered as valid" "$(cat "$WORK/err")"
refused_closure "db mode: a root the database does not list" \
    "store path $unregistered is not valid in the Nix database $db" \
    --nix-references db -- "$unregistered/run"

# An unprivileged user builds the bundle (rootless by default): the store's read-only
# directories are filled without root's override, and the bundle runs under rootless runc.
setup_rootless_user
if as_user unshare --user --map-root-user true 2>/dev/null; then
    (cd "$RL" && as_user "$RL_OCITOOLS" build-container -o "$RL/app" -- "$app/bin/hello")
    check_bundle "$RL/app"
    expect_eq "the store script runs under rootless runc" "$APP_OUTPUT" \
        "$(run_bundle_rootless "$RL/app")"
    expect_store_in_rootfs "$RL/app/rootfs" "$NIX_STORE_DIR" "$(nix-store -qR "$app")"
else
    fail "$ROOTLESS_USER cannot create user namespaces here: the rootless build cannot be checked"
fi

# An unreadable database (readable by root only, read by an unprivileged user).
chmod 600 "$db"
got=$(as_user "$RL_OCITOOLS" closure -- "$app/bin/hello" 2>"$WORK/err")
expect_eq "auto scans when the database is unreadable" "$(nix-store -qR "$app" | sort)" "$got"
expect_contains "auto names the unreadable database" \
    "cannot read the Nix database $db: Permission denied" "$(cat "$WORK/err")"
err=$(as_user "$RL_OCITOOLS" closure --nix-references db -- "$app/bin/hello" 2>&1 >/dev/null) &&
    fail "db mode accepted an unreadable database" || true
expect_contains "db mode: an unreadable database is an error naming it" \
    "cannot read the Nix database $db: Permission denied" "$err"
chmod 644 "$db"

# A corrupt database.
expected=$(nix-store -qR "$app" | sort)
cp "$db" "$WORK/db.backup"
head -c 8192 /dev/urandom > "$db"
rm -f "$db-wal" "$db-shm"
got=$("$OCITOOLS" closure -- "$app/bin/hello" 2>"$WORK/err")
expect_eq "auto scans when the database is corrupt" "$expected" "$got"
expect_contains "auto names the corrupt database" "$db: file is not a database" "$(cat "$WORK/err")"
refused_closure "db mode: a corrupt database is an error naming it" \
    "$db: file is not a database" --nix-references db -- "$app/bin/hello"
cp "$WORK/db.backup" "$db"

finish
