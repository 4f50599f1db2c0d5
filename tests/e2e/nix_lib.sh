# Shared by the Nix end-to-end tests (source after lib.sh): build the test store of
# tests/nix/store.nix, and compare ocitools' closures with `nix-store -qR`.

NIX_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../nix" && pwd)

# What the test store's app/bin/hello prints.
# shellcheck disable=SC2034  # for the scripts that source this file
APP_OUTPUT="hello from the store
motd through a symlink into another store path
bash says 42"

# build_test_store: set glibc tinfo bash busybox motd banner helper app to their store paths,
# in the store NIX_STORE_DIR names (default /nix/store).
build_test_store() {
    if ! command -v nix-build >/dev/null; then
        fail "nix-build is not installed (Debian package nix-bin, in .ci/packages)"
        finish
        exit 1
    fi
    local out
    if ! out=$("$NIX_TESTS_DIR/build-store.sh"); then
        fail "building the test store failed"
        finish
        exit 1
    fi
    eval "$out"
    pass "built the test store: $app"
}

# expect_nix_closure DESCRIPTION "ROOT..." OCITOOLS-CLOSURE-ARGS...: `ocitools closure ARGS`
# prints exactly `nix-store -qR ROOTS` (sorted): with the database (auto finds it), by scanning
# (auto without a database: NIX_STATE_DIR pointing where there is none), and with
# --nix-references db and scan.
expect_nix_closure() {
    local what=$1 roots=$2 expected got err
    shift 2
    # shellcheck disable=SC2086  # a list of store paths
    expected=$(nix-store -qR $roots | sort)
    err="$WORK/closure.err"
    if got=$("$OCITOOLS" closure "$@" 2>"$err"); then
        expect_eq "$what: closure (auto: the database) = nix-store -qR" "$expected" "$got"
    else
        fail "$what: closure failed: $(cat "$err")"
    fi
    if got=$(NIX_STATE_DIR="$WORK/no-nix-state" "$OCITOOLS" closure "$@" 2>"$err"); then
        expect_eq "$what: closure (auto without a database: scan) = nix-store -qR" "$expected" "$got"
        expect_contains "$what: auto says it scans" "by scanning them" "$(cat "$err")"
    else
        fail "$what: scan closure failed: $(cat "$err")"
    fi
    local mode
    for mode in db scan; do
        if got=$("$OCITOOLS" closure --nix-references "$mode" "$@" 2>"$err"); then
            expect_eq "$what: closure --nix-references $mode = nix-store -qR" "$expected" "$got"
        else
            fail "$what: closure --nix-references $mode failed: $(cat "$err")"
        fi
    done
}

# tree_listing PATH: every node beneath PATH (and PATH itself) with type, mode, mtime, size and
# symlink target: what "copied whole" must keep.
tree_listing() {
    (cd "$(dirname "$1")" && find "$(basename "$1")" -printf '%p %y %m %T@ %s %l\n' | sort)
}

# expect_store_in_rootfs ROOTFS STORE_DIR "PATH...": ROOTFS/STORE_DIR holds exactly these store
# paths, each copied whole.
expect_store_in_rootfs() {
    local rootfs=$1 store_dir=$2 paths=$3 p
    expect_eq "$rootfs$store_dir holds exactly the closure" \
        "$(for p in $paths; do basename "$p"; done | sort)" "$(ls -A "$rootfs$store_dir" | sort)"
    for p in $paths; do
        expect_eq "$(basename "$p") copied whole (types, modes, mtimes, sizes, link targets)" \
            "$(tree_listing "$p")" "$(tree_listing "$rootfs$p")"
    done
}
