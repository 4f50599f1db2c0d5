#!/usr/bin/env bash
# The closure cache (src/closure/closure_cache.h): `ocitools closure` and `build-container` keep a
# computed closure in $XDG_CACHE_HOME/ocitools/closures with every host path the walk looked at,
# and reuse it only while each of those paths answers lstat(2)/stat(2) the same. Checked here: a
# hit gives what --no-cache gives, its warnings and notes included; --no-cache neither reads nor
# writes the cache; each kind of change the walk depends on (a #! interpreter, an --include tree,
# a symlink, a library search path, an x bit, PATH, an argument, the dpkg database) makes a miss
# whose result is --no-cache's; a change less than a second old, a failed closure and one with
# Nix store paths are not stored; a damaged, foreign or unsafe cache file or directory is not
# used; a bundle built from a hit is the --no-cache bundle, and runs under runc.
# build-container leaves a hit's regular files to the writer, which checks each as it links or
# copies it: a file changed where only the writer looks makes the hit "stale" (its record is
# removed), and the bundle is made again from the closure computed afresh, with the --no-cache
# result and its warnings once.
#
# The cache also compares every directory on the way to a path, so a file anyone creates in /tmp
# turns a hit below /tmp into a miss. As root the test runs in a private mount namespace with its
# own tmpfs on /tmp, so that other processes (parallel ctest jobs) cannot disturb it.
if [ "$(id -u)" = 0 ] && [ -z "${OCITOOLS_CACHE_TEST_NS:-}" ] && command -v unshare >/dev/null &&
    ! { realpath -m "${OCITOOLS:-}" "${RT_VALIDATE:-}" "${TOOLS_DIR:-}" "$0" | grep -q '^/tmp/'; } &&
    unshare --mount --propagation private true 2>/dev/null; then
    # shellcheck disable=SC2016  # $0 is the inner shell's
    exec env OCITOOLS_CACHE_TEST_NS=1 TMPDIR=/tmp unshare --mount --propagation private sh -c \
        'mount -t tmpfs -o mode=1777 ocitools-cache-test /tmp || echo "note: no private /tmp" >&2
         exec bash "$0"' "$0"
fi
source "$(dirname "$0")/lib.sh"
command -v cc >/dev/null || { echo "skipped: needs a C compiler for the library fixtures"; exit 77; }
[ -x /bin/bash ] || { echo "skipped: needs /bin/bash"; exit 77; }

# Everything the closures look at lives under $FX, made at once and then left to age a second;
# outputs go elsewhere ($OUT, $B), as does the cache. Only a scenario's own change touches $FX.
FX="$WORK/fx" OUT="$WORK/out" B="$WORK/bundles"
export XDG_CACHE_HOME="$WORK/xdg"
CACHE="$XDG_CACHE_HOME/ocitools"
CLOSURES="$CACHE/closures"
mkdir -p "$FX" "$OUT" "$B" "$XDG_CACHE_HOME"
unset OCITOOLS_DEBUG DPKG_ADMINDIR NIX_STORE_DIR NIX_STATE_DIR
cd "$OUT" || exit 1  # the working directory is part of the cache key: one for all runs

# --- Helpers -------------------------------------------------------------------------------
# A request is a command line: optional VAR=VALUE words, "$OCITOOLS", a subcommand, its
# arguments. `run NAME REQUEST...` runs it with OCITOOLS_DEBUG=cache (a build writes to $B/NAME)
# and keeps NAME.out (stdout), NAME.err (stderr without the cache line), NAME.cache (that line),
# NAME.rc. `truth NAME REQUEST...` is the same with --no-cache.
with_after_subcommand() {  # with_after_subcommand WORD... -- REQUEST...: sets REQ
    local extra=() arg inserted=0
    while [ "$1" != -- ]; do extra+=("$1"); shift; done
    shift
    REQ=()
    for arg in "$@"; do
        REQ+=("$arg")
        if [ "$inserted" = 0 ] && { [ "$arg" = closure ] || [ "$arg" = build-container ]; }; then
            REQ+=("${extra[@]}")
            inserted=1
        fi
    done
}
run() {
    local name=$1 rc=0
    shift
    local extra=()
    if [[ " $* " == *" build-container "* ]]; then extra=(-o "$B/$name"); fi
    with_after_subcommand "${extra[@]}" -- "$@"
    env OCITOOLS_DEBUG=cache "${REQ[@]}" >"$OUT/$name.out" 2>"$OUT/$name.raw" || rc=$?
    echo "$rc" >"$OUT/$name.rc"
    grep '^ocitools: closure cache: ' "$OUT/$name.raw" >"$OUT/$name.cache" || true
    grep -v '^ocitools: closure cache: ' "$OUT/$name.raw" >"$OUT/$name.err" || true
}
truth() {
    local name=$1
    shift
    with_after_subcommand --no-cache -- "$@"
    run "$name" "${REQ[@]}"
}
cache_line() { cat "$OUT/$1.cache"; }
# The record named by a "stored" or "hit" line (paths here have no spaces).
cache_file() { sed -n 's/^ocitools: closure cache: \(stored\|hit\): \([^ ]*\).*/\2/p' "$OUT/$1.cache"; }

expect_outcome() {  # expect_outcome DESCRIPTION RUN OUTCOME (hit, stored, not stored, off)
    local line
    line=$(cache_line "$2")
    CHECKS=$((CHECKS + 1))
    if [[ "$line" == "ocitools: closure cache: $3: "* ]]; then pass "$1"
    else fail "$1: expected '$3', got [$line] (stderr: $(head -c 300 "$OUT/$2.err"))"
    fi
}
expect_no_hit() {  # expect_no_hit DESCRIPTION RUN
    local line
    line=$(cache_line "$2")
    CHECKS=$((CHECKS + 1))
    if [[ "$line" != *"closure cache: hit: "* ]]; then pass "$1 (${line:-no cache line})"
    else fail "$1: $line"
    fi
}
# The rootfs as find sees it: names, types, modes, sizes, symlink targets; mtimes when they come
# from the host (older than $STAMP), "new" for what the build made.
listing() {
    (cd "$1/rootfs" && find . -mindepth 1 -printf '%p %y %m %l ' \( -type d -o -printf '%s ' \) \
        \( -newer "$STAMP" -printf 'new\n' -o -printf '%T@\n' \)) | sort
}
# Two runs gave the same result: stdout, stderr (the cache line aside), exit status, and for
# builds the same rootfs and config.json.
same_result() {  # same_result DESCRIPTION RUN-A RUN-B
    local what
    CHECKS=$((CHECKS + 1))
    for what in out err rc; do
        if ! cmp -s "$OUT/$2.$what" "$OUT/$3.$what"; then
            fail "$1: $what differs: $(diff "$OUT/$2.$what" "$OUT/$3.$what" | head -8 | tr '\n' '|')"
            return
        fi
    done
    if [ -d "$B/$2" ] || [ -d "$B/$3" ]; then
        if ! [ -d "$B/$2" ] || ! [ -d "$B/$3" ]; then fail "$1: only one of them built a bundle"; return; fi
        if [ "$(listing "$B/$2")" != "$(listing "$B/$3")" ]; then
            fail "$1: the rootfs differs: $(diff <(listing "$B/$2") <(listing "$B/$3") | head -8 | tr '\n' '|')"
            return
        fi
        if ! cmp -s "$B/$2/config.json" "$B/$3/config.json"; then fail "$1: config.json differs"; return; fi
    fi
    pass "$1"
}
differs() {  # differs DESCRIPTION RUN-A RUN-B: stdout, stderr, status or rootfs differ
    CHECKS=$((CHECKS + 1))
    if cmp -s "$OUT/$2.out" "$OUT/$3.out" && cmp -s "$OUT/$2.err" "$OUT/$3.err" &&
        cmp -s "$OUT/$2.rc" "$OUT/$3.rc" &&
        { ! [ -d "$B/$2" ] || [ "$(listing "$B/$2")" == "$(listing "$B/$3")" ]; }; then
        fail "$1: both gave [$(head -c 300 "$OUT/$2.out")] [$(head -c 300 "$OUT/$2.err")]"
    else
        pass "$1"
    fi
}
cache_files() { find "$XDG_CACHE_HOME" -type f 2>/dev/null | sort; }
cache_state() { find "$XDG_CACHE_HOME" -printf '%p %y %m %U %s %T@ %C@\n' 2>/dev/null | sort; }

# --- The scenarios: each a request over its own fixtures, and the change that must show ------
# Phase 1 (stored_then_hit): the first run stores, an identical one hits with the same result.
# Phase 2 (after_change): right after the scenario's change, a cached run is no hit, and gives
# what --no-cache gives, which differs from the result before. It does not store what changed
# less than a second ago (a new mtime), but does store at once a change that kept the old
# mtimes (a file renamed into place, a file replaced by a directory): the walk saw it as it is.
# Phase 3 (settled): a second later the new closure is stored, or hit if it was, with that same
# result.
# run_to_store NAME REQUEST...: run; when the closure is not stored because a host path outside
# the fixtures changed while it was computed (another process hard-linking libc, which moves its
# ctime), wait and run again, a few times.
run_to_store() {
    local name=$1 tries
    shift
    for tries in 1 2 3 4; do
        run "$name" "$@"
        local line
        line=$(cache_line "$name")
        [[ "$line" == *": not stored: "*" changed "* ]] || return 0
        [[ "$line" != *": not stored: $FX/"* ]] || return 0
        echo "note: $name (try $tries): ${line#*: not stored: }; trying again"
        sleep 1.1
    done
}
stored_then_hit() {  # stored_then_hit NAME REQUEST...
    local s=$1
    shift
    run_to_store "$s.before" "$@"
    expect_outcome "$s: the first run stores the closure" "$s.before" stored
    run "$s.hit" "$@"
    expect_outcome "$s: an identical second run is a hit" "$s.hit" hit
    same_result "$s: the hit gives the first run's result" "$s.before" "$s.hit"
}
# KEPT_MTIMES: the scenarios whose change keeps the old mtimes, stored at once.
KEPT_MTIMES=" a2 d2 h sa2 sd2 "
after_change() {  # after_change NAME CHANGE-FUNCTION REQUEST...
    local s=$1 change=$2
    shift 2
    "$change"
    run "$s.after" "$@"
    truth "$s.truth" "$@"
    expect_no_hit "$s: after the change the cached run is a miss" "$s.after"
    if [ "$(cat "$OUT/$s.truth.rc")" = 0 ] && [[ "$KEPT_MTIMES" == *" $s "* ]]; then
        expect_outcome "$s: and stores the change, which kept the old mtimes, at once" "$s.after" stored
    elif [ "$(cat "$OUT/$s.truth.rc")" = 0 ]; then
        expect_outcome "$s: and does not store the fresh change" "$s.after" "not stored"
        expect_contains "$s: saying why" "changed less than a second ago" "$(cache_line "$s.after")"
    fi
    same_result "$s: the cached run gives the --no-cache result" "$s.after" "$s.truth"
    differs "$s: which differs from the result before the change" "$s.before" "$s.truth"
}
# after_stale_change NAME CHANGE-FUNCTION FILE REQUEST...: a build-container request whose
# change is to FILE, a regular file of the plan that only the writer checks on a hit.
after_stale_change() {
    local s=$1 change=$2 file=$3
    shift 3
    "$change"
    run "$s.after" "$@"
    truth "$s.truth" "$@"
    local lines
    lines=$(cache_line "$s.after")
    expect_contains "$s: after the change the cache is a hit at first" "closure cache: hit: " "$lines"
    expect_contains "$s: which the writer finds stale, naming the file" \
        "closure cache: stale: $file changed (seen while writing; computing afresh)" "$lines"
    if [[ "$KEPT_MTIMES" == *" $s "* ]]; then
        expect_contains "$s: the closure computed afresh, of a change that kept the old mtimes, is stored" \
            "closure cache: stored: " "$lines"
    else
        expect_contains "$s: the closure computed afresh is not stored yet" \
            "closure cache: not stored: $file changed less than a second ago" "$lines"
    fi
    same_result "$s: the build gives the --no-cache result, its warnings once" "$s.after" "$s.truth"
    differs "$s: which differs from the result before the change" "$s.before" "$s.truth"
    # The stale record is removed, or replaced by the closure computed afresh: the next run is
    # no stale hit again.
    CHECKS=$((CHECKS + 1))
    if [[ "$KEPT_MTIMES" == *" $s "* ]] || [ ! -e "$(cache_file "$s.after" | head -1)" ]; then
        pass "$s: the stale record is removed"
    else
        fail "$s: the stale record is still there"
    fi
}
settled() {  # settled NAME REQUEST...
    local s=$1
    shift
    run_to_store "$s.stored" "$@"
    if [ "$(cat "$OUT/$s.truth.rc")" = 0 ] && [[ "$KEPT_MTIMES" == *" $s "* ]]; then
        expect_outcome "$s: a second after the change the closure stored at once is hit" "$s.stored" hit
    elif [ "$(cat "$OUT/$s.truth.rc")" = 0 ]; then
        expect_outcome "$s: a second after the change the new closure is stored" "$s.stored" stored
    else
        expect_no_hit "$s: a failed closure is not stored" "$s.stored"
    fi
    same_result "$s: with the --no-cache result" "$s.stored" "$s.truth"
    run "$s.rehit" "$@"
    if [ "$(cat "$OUT/$s.truth.rc")" = 0 ]; then
        expect_outcome "$s: and then hit" "$s.rehit" hit
    else
        expect_no_hit "$s: and never hit" "$s.rehit"
    fi
    same_result "$s: again with the --no-cache result" "$s.rehit" "$s.truth"
}

# --- Fixtures ------------------------------------------------------------------------------
# Two interpreters of the same path length, so that a rewritten #! line keeps the file's size.
SH1=/bin/dash SH2=/bin/bash
[ -x "$SH1" ] || SH1=/bin/sh

# note: a data file named in the arguments (a note) and a dangling symlink in an --include
# directory (a warning).
mkdir -p "$FX/note/inc"
echo "data" >"$FX/note/data.txt"
echo "kept" >"$FX/note/inc/file"
ln -s "$FX/note/gone" "$FX/note/inc/dangling"
REQ_NOTE=("$OCITOOLS" closure --include "$FX/note/inc" -- /bin/cat "$FX/note/data.txt")

# a: a script whose #! interpreter is rewritten in place (same size, same inode).
mkdir -p "$FX/a"
printf '#!%s\necho hi\n' "$SH1" >"$FX/a/script"
chmod 755 "$FX/a/script"
REQ_A=("$OCITOOLS" closure -- "$FX/a/script")
change_a() { printf '#!%s\necho hi\n' "$SH2" >"$FX/a/script"; }

# a2: the same script replaced by rename, with the old size and mtime (cp -p, rsync).
mkdir -p "$FX/a2"
cp -p "$FX/a/script" "$FX/a2/script"
REQ_A2=("$OCITOOLS" closure -- "$FX/a2/script")
change_a2() {
    printf '#!%s\necho hi\n' "$SH2" >"$FX/a2/new"
    chmod 755 "$FX/a2/new"
    touch -r "$FX/a2/script" "$FX/a2/new"
    mv "$FX/a2/new" "$FX/a2/script"
}

# b: files added to an --include tree, at its top and in a subdirectory.
mkdir -p "$FX/b/inc/sub"
echo one >"$FX/b/inc/one"
echo deep >"$FX/b/inc/sub/deep"
REQ_B=("$OCITOOLS" closure --include "$FX/b/inc" -- /bin/true)
change_b() {
    echo new >"$FX/b/inc/new"
    echo new >"$FX/b/inc/sub/new"
}

# c1: a symlink in an --include tree retargeted (to a missing file): the bundle's link and the
# dangling-symlink warning must follow.
mkdir -p "$FX/c1/inc"
echo a >"$FX/c1/inc/target-a"
ln -s target-a "$FX/c1/inc/link"
REQ_C1=("$OCITOOLS" build-container --include "$FX/c1/inc" -- /bin/true)
change_c1() { ln -sfn target-x "$FX/c1/inc/link"; }

# c2: an --include path through a "current -> v1" symlink, switched to v2.
mkdir -p "$FX/c2/v1/data" "$FX/c2/v2/data"
echo v1 >"$FX/c2/v1/data/only-in-v1"
echo v2 >"$FX/c2/v2/data/only-in-v2"
ln -s v1 "$FX/c2/current"
REQ_C2=("$OCITOOLS" closure --include "$FX/c2/current/data" -- /bin/true)
change_c2() { ln -sfn v2 "$FX/c2/current"; }

# d1, d2: a program with DT_RUNPATH $ORIGIN/lib2:$ORIGIN/lib1 and its library libcachet.so.
SRC="$OUT/src"
mkdir -p "$SRC"
printf 'int cachet(void) { return 0; }\n' >"$SRC/cachet.c"
printf 'int cachedep(void) { return 0; }\n' >"$SRC/cachedep.c"
printf 'int cachedep(void);\nint cachet(void) { return cachedep(); }\n' >"$SRC/cachet2.c"
printf 'int cachet(void);\nint main(void) { return cachet(); }\n' >"$SRC/prog.c"
cc -shared -fPIC -Wl,-soname,libcachet.so -o "$SRC/libcachet.so" "$SRC/cachet.c"
cc -shared -fPIC -Wl,-soname,libcachedep.so -o "$SRC/libcachedep.so" "$SRC/cachedep.c"
cc -shared -fPIC -Wl,-soname,libcachet.so -Wl,--enable-new-dtags,-rpath,"\$ORIGIN" \
    -o "$SRC/libcachet2.so" "$SRC/cachet2.c" -L"$SRC" -lcachedep
cc -o "$SRC/prog" "$SRC/prog.c" -L"$SRC" -lcachet \
    -Wl,--enable-new-dtags,-rpath,"\$ORIGIN/lib2:\$ORIGIN/lib1"
# d1: the library appears in lib2, earlier on the search path.
mkdir -p "$FX/d1/lib1" "$FX/d1/lib2"
cp "$SRC/prog" "$FX/d1/prog"
cp "$SRC/libcachet.so" "$FX/d1/lib1/"
REQ_D1=("$OCITOOLS" closure -- "$FX/d1/prog")
change_d1() { cp "$SRC/libcachet.so" "$FX/d1/lib2/"; }
# d2: the library is replaced (by rename, old mtime kept) by one that needs libcachedep.so.
mkdir -p "$FX/d2/lib1"
cp "$SRC/prog" "$FX/d2/prog"
cp "$SRC/libcachet.so" "$SRC/libcachedep.so" "$FX/d2/lib1/"
REQ_D2=("$OCITOOLS" closure -- "$FX/d2/prog")
change_d2() {
    cp "$SRC/libcachet2.so" "$FX/d2/lib1/.new"
    touch -r "$FX/d2/lib1/libcachet.so" "$FX/d2/lib1/.new"
    mv "$FX/d2/lib1/.new" "$FX/d2/lib1/libcachet.so"
}

# e: the program loses its x bit: the cached run must fail as the uncached one does.
mkdir -p "$FX/e"
cp /bin/true "$FX/e/prog"
REQ_E=("$OCITOOLS" closure -- "$FX/e/prog")
change_e() { chmod a-x "$FX/e/prog"; }

# e2: a program found on PATH; another of that name appears earlier on PATH.
mkdir -p "$FX/e2/bin1" "$FX/e2/bin2"
printf '#!%s\n' "$SH1" >"$FX/e2/bin2/cachetool"
chmod 755 "$FX/e2/bin2/cachetool"
REQ_E2=("PATH=$FX/e2/bin1:$FX/e2/bin2:/usr/bin:/bin" "$OCITOOLS" closure -- cachetool)
change_e2() {
    printf '#!%s\n' "$SH2" >"$FX/e2/bin1/cachetool"
    chmod 755 "$FX/e2/bin1/cachetool"
}

# h: an argument naming a file becomes a directory (a note, not an inclusion).
mkdir -p "$FX/h"
echo data >"$FX/h/arg"
REQ_H=("$OCITOOLS" closure -- /bin/cat "$FX/h/arg")
change_h() { rm "$FX/h/arg" && mkdir "$FX/h/arg"; }

# f1, f2, f3: fake dpkg databases (DPKG_ADMINDIR) over the files of $FX/fdata. Package
# cachefake owns "one"; cachedep owns "dep".
mkdir -p "$FX/fdata"
for f in one two dep; do echo "$f" >"$FX/fdata/$f"; done
status_of() {  # status_of [DEPENDS]: the status file, cachefake depending on DEPENDS if given
    printf 'Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n\n'
    printf 'Package: cachefake\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n'
    [ -z "${1:-}" ] || printf 'Depends: %s\n' "$1"
    printf '\nPackage: cachedep\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n'
}
for f in f1 f2 f3; do
    mkdir -p "$FX/$f/admin/info" "$FX/$f/admin/updates"
    status_of >"$FX/$f/admin/status"
    printf '%s\n' "$FX/fdata" "$FX/fdata/one" >"$FX/$f/admin/info/cachefake.list"
    printf '%s\n' "$FX/fdata" "$FX/fdata/dep" >"$FX/$f/admin/info/cachedep.list"
done
# f1: the package gains a file in its .list.
REQ_F1=("DPKG_ADMINDIR=$FX/f1/admin" "$OCITOOLS" closure --package cachefake -- /bin/true)
change_f1() { echo "$FX/fdata/two" >>"$FX/f1/admin/info/cachefake.list"; }
# f2: the status file gains a dependency (its package list, with --list-packages).
REQ_F2=("DPKG_ADMINDIR=$FX/f2/admin" "$OCITOOLS" closure --package cachefake --list-packages -- /bin/true)
change_f2() { status_of cachedep >"$FX/f2/admin/status"; }
# f3: the same through dpkg's journal (updates/0001, as dpkg leaves it mid-run).
REQ_F3=("DPKG_ADMINDIR=$FX/f3/admin" "$OCITOOLS" closure --package cachefake -- /bin/true)
change_f3() {
    printf 'Package: cachefake\nStatus: install ok installed\nArchitecture: all\nVersion: 2\nDepends: cachedep\n' \
        >"$FX/f3/admin/updates/0001"
}

# nix: an argument inside a (fake) Nix store path: the closure holds the store path, whose
# references the cache cannot record, so it is never stored.
NIX_HASH=0123456789abcdfghijklmnpqrsvwxyz  # 32 characters of Nix's base-32 alphabet
mkdir -p "$FX/nix/store/$NIX_HASH-data" "$FX/nix/state"
echo data >"$FX/nix/store/$NIX_HASH-data/file"
REQ_NIX=("NIX_STATE_DIR=$FX/nix/state" "$OCITOOLS" closure --store-dir "$FX/nix/store" --
    /bin/cat "$FX/nix/store/$NIX_HASH-data/file")

# dmg: a stable request for the damaged-file and safety checks.
mkdir -p "$FX/dmg"
echo stable >"$FX/dmg/file"
REQ_DMG=("$OCITOOLS" closure --include "$FX/dmg" -- /bin/true)

# g: a bundle built from a hit, run by runc.
mkdir -p "$FX/g/data"
echo "hello from the cache" >"$FX/g/data/msg"
REQ_G=("$OCITOOLS" build-container --include "$FX/g/data" -- /bin/sh -c "read m < $FX/g/data/msg && echo \$m")

# k: a package directory (planned with its mode and mtime, looked up, not listed) gains a name
# that is not the package's: still a hit, and the bundle's copy of the directory gets its new
# mtime, as with --no-cache.
mkdir -p "$FX/k/admin/info" "$FX/k/admin/updates" "$FX/k/pkg"
echo one >"$FX/k/pkg/one"
status_of >"$FX/k/admin/status"
printf '%s\n' "$FX/k/pkg" "$FX/k/pkg/one" >"$FX/k/admin/info/cachefake.list"
printf '%s\n' "$FX/k/pkg" >"$FX/k/admin/info/cachedep.list"
REQ_K=("DPKG_ADMINDIR=$FX/k/admin" "$OCITOOLS" build-container --package cachefake -- /bin/true)

# cap: a program only its owner (uid 1000) may read: root reads it through CAP_DAC_OVERRIDE.
# Root without that capability must not get root's cached closure (found in review).
mkdir -p "$FX/cap"
cp /bin/true "$FX/cap/tool"
REQ_CAP=("$OCITOOLS" closure -- "$FX/cap/tool")
if [ "$(id -u)" = 0 ]; then chown 1000:1000 "$FX/cap/tool" && chmod 0711 "$FX/cap/tool"; fi

# sa, sa2, sd2: build-container requests over files only the writer checks on a hit. Each
# includes a directory with a dangling symlink, so that each has a warning to give once.
mkdir -p "$FX/s/inc" "$FX/sa" "$FX/sa2" "$FX/sd2/lib1"
ln -s gone "$FX/s/inc/dangling"
# sa: the script rewritten in place (same size, new mtime), copied.
printf '#!%s\necho hi\n' "$SH1" >"$FX/sa/script"
chmod 755 "$FX/sa/script"
REQ_SA=("$OCITOOLS" build-container --include "$FX/s/inc" -- "$FX/sa/script")
change_sa() { printf '#!%s\necho hi\n' "$SH2" >"$FX/sa/script"; }
# sa2: the script replaced by rename with its old size and mtime, hard-linked.
cp -p "$FX/sa/script" "$FX/sa2/script"
REQ_SA2=("$OCITOOLS" build-container --link auto --readonly --include "$FX/s/inc" -- "$FX/sa2/script")
change_sa2() {
    printf '#!%s\necho hi\n' "$SH2" >"$FX/sa2/new"
    chmod 755 "$FX/sa2/new"
    touch -r "$FX/sa2/script" "$FX/sa2/new"
    mv "$FX/sa2/new" "$FX/sa2/script"
}
# sd2: the library replaced by rename (old mtime kept) by one that needs libcachedep.so.
cp "$SRC/prog" "$FX/sd2/prog"
cp "$SRC/libcachet.so" "$SRC/libcachedep.so" "$FX/sd2/lib1/"
REQ_SD2=("$OCITOOLS" build-container --include "$FX/s/inc" -- "$FX/sd2/prog")
change_sd2() {
    cp "$SRC/libcachet2.so" "$FX/sd2/lib1/.new"
    touch -r "$FX/sd2/lib1/libcachet.so" "$FX/sd2/lib1/.new"
    mv "$FX/sd2/lib1/.new" "$FX/sd2/lib1/libcachet.so"
}

STAMP="$OUT/stamp"
touch "$STAMP"

# --- Fresh fixtures: computed, not stored -----------------------------------------------
# Made here, just before: setting the fixtures up (compiling) can take more than a second on a
# slow machine. A ctime moved alone (chmod, a hard link) is no reason not to store; the mtime is.
mkdir -p "$FX/fresh"
printf '#!%s\necho hi\n' "$SH1" >"$FX/fresh/script"
chmod 755 "$FX/fresh/script"
run fresh "$OCITOOLS" closure -- "$FX/fresh/script"
expect_outcome "a closure of files changed less than a second ago is not stored" fresh "not stored"
expect_contains "saying which changed too recently" "changed less than a second ago" "$(cache_line fresh)"
expect_eq "and nothing is written to the cache" "" "$(cache_files)"

sleep 1.2

# --- --no-cache, on fixtures old enough to store: the cache is not even created ------------
truth nc.first "${REQ_NOTE[@]}"
expect_outcome "--no-cache: the cache is off" nc.first off
check "--no-cache does not create the cache directory" test ! -e "$CACHE"

# --- Phase 1: stored, then hit -------------------------------------------------------------
stored_then_hit note "${REQ_NOTE[@]}"
expect_contains "note: the hit replays the note on the named argument" \
    "ocitools: including $FX/note/data.txt (named in the arguments)" "$(cat "$OUT/note.hit.err")"
expect_contains "note: and the warning on the dangling symlink" \
    "ocitools: warning: keeping dangling symlink $FX/note/inc/dangling" "$(cat "$OUT/note.hit.err")"
truth note.truth "${REQ_NOTE[@]}"
same_result "note: the hit gives the --no-cache result" note.hit note.truth
NOTE_FILE=$(cache_file note.hit)
expect_eq "the cache directories are private (0700) and the record is 0600" "700 700 600" \
    "$(stat -c %a "$CACHE" "$CLOSURES" "$NOTE_FILE" | tr '\n' ' ' | sed 's/ $//')"

stored_then_hit a "${REQ_A[@]}"
stored_then_hit a2 "${REQ_A2[@]}"
stored_then_hit b "${REQ_B[@]}"
stored_then_hit c1 "${REQ_C1[@]}"
expect_eq "c1: the bundle's symlink as on the host" target-a "$(readlink "$B/c1.hit/rootfs$FX/c1/inc/link")"
stored_then_hit c2 "${REQ_C2[@]}"
stored_then_hit d1 "${REQ_D1[@]}"
expect_contains "d1: the library is found in lib1" "$FX/d1/lib1/libcachet.so" "$(cat "$OUT/d1.hit.out")"
stored_then_hit d2 "${REQ_D2[@]}"
stored_then_hit e "${REQ_E[@]}"
stored_then_hit e2 "${REQ_E2[@]}"
stored_then_hit h "${REQ_H[@]}"
stored_then_hit f1 "${REQ_F1[@]}"
stored_then_hit f2 "${REQ_F2[@]}"
expect_eq "f2: the package set before" "cachefake:amd64" "$(cat "$OUT/f2.hit.out")"
stored_then_hit f3 "${REQ_F3[@]}"
stored_then_hit dmg "${REQ_DMG[@]}"
DMG_FILE=$(cache_file dmg.hit)
stored_then_hit sa "${REQ_SA[@]}"
expect_contains "sa: a build's hit leaves the plan's files to the writer" "files left to the writer" \
    "$(cache_line sa.hit)"
expect_contains "sa: and gives the warning once" "ocitools: warning: keeping dangling symlink $FX/s/inc/dangling" \
    "$(cat "$OUT/sa.hit.err")"
expect_eq "sa: once only" 1 "$(grep -c 'dangling symlink' "$OUT/sa.hit.err")"
stored_then_hit sa2 "${REQ_SA2[@]}"
stored_then_hit sd2 "${REQ_SD2[@]}"
run nix.1 "${REQ_NIX[@]}"
run nix.2 "${REQ_NIX[@]}"
truth nix.truth "${REQ_NIX[@]}"
expect_contains "nix: the closure holds the store path" "$FX/nix/store/$NIX_HASH-data" "$(cat "$OUT/nix.truth.out")"
expect_eq "nix: a closure with Nix store paths is not stored" \
    "ocitools: closure cache: not stored: the closure holds Nix store paths" "$(cache_line nix.1)"
expect_no_hit "nix: so the next run is no hit" nix.2
same_result "nix: and gives the --no-cache result" nix.2 nix.truth

# --- --no-cache neither reads nor writes ---------------------------------------------------
# A record edited in place (the note's text) is what a cached run replays: the control that
# shows a --no-cache run, which prints the true note, did not read it.
cp "$NOTE_FILE" "$OUT/note.record"
/usr/bin/python3 - "$NOTE_FILE" <<'PY' || fail "cannot edit the note in $NOTE_FILE"
import sys
path = sys.argv[1]
data = open(path, "rb").read()
old, new = b"(named in the arguments)", b"(NAMED IN THE ARGUMENTS)"
assert data.count(old) == 1, "the note is not in the record once"
with open(path, "r+b") as f:
    f.write(data.replace(old, new))
PY
run note.edited "${REQ_NOTE[@]}"
expect_outcome "(control) a record edited in place is read by a cached run" note.edited hit
expect_contains "(control) which replays the edited note" "(NAMED IN THE ARGUMENTS)" "$(cat "$OUT/note.edited.err")"
before=$(cache_state)
truth note.nc "${REQ_NOTE[@]}"
expect_outcome "--no-cache says the cache is off" note.nc off
same_result "--no-cache does not read the record" note.truth note.nc
truth nc.new "$OCITOOLS" closure -- /bin/true /etc/passwd
expect_eq "--no-cache writes nothing, for a known request or a new one" "$before" "$(cache_state)"
cp "$OUT/note.record" "$NOTE_FILE"
run note.restored "${REQ_NOTE[@]}"
expect_outcome "the restored record hits again" note.restored hit
same_result "with the true note" note.restored note.truth

# --- Damaged and foreign records are ignored, and replaced --------------------------------
damaged() {  # damaged DESCRIPTION: run the dmg request over a damaged record
    local name=$1
    run_to_store "dmg.$name" "${REQ_DMG[@]}"
    expect_no_hit "a $name record is not used" "dmg.$name"
    same_result "the run over a $name record gives the right closure" dmg.before "dmg.$name"
    expect_outcome "and replaces the record" "dmg.$name" stored
    run "dmg.$name.again" "${REQ_DMG[@]}"
    expect_outcome "which the next run hits" "dmg.$name.again" hit
}
head -c 4000 /dev/urandom >"$DMG_FILE"
damaged garbage
truncate -s "$(($(stat -c %s "$DMG_FILE") / 2))" "$DMG_FILE"
damaged truncated
: >"$DMG_FILE"
damaged empty
# Another request's (valid) record under this request's name.
cp "$(cache_file note.restored)" "$DMG_FILE"
damaged foreign
truth dmg.truth "${REQ_DMG[@]}"
same_result "the dmg request: cached and --no-cache agree" dmg.foreign.again dmg.truth

# --- A cache others could write is not used -----------------------------------------------
unsafe() {  # unsafe DESCRIPTION UNDO-COMMAND: the cache as set up now is neither read nor written
    local what=$1
    shift
    cp "$DMG_FILE" "$OUT/dmg.record"
    run dmg.unsafe "${REQ_DMG[@]}"
    expect_no_hit "$what: not used" dmg.unsafe
    same_result "$what: the build still succeeds, with the right closure" dmg.before dmg.unsafe
    CHECKS=$((CHECKS + 1))
    if cmp -s "$DMG_FILE" "$OUT/dmg.record"; then pass "$what: the record is not rewritten"
    else fail "$what: the record was rewritten"
    fi
    "$@"
    run dmg.safe "${REQ_DMG[@]}"
    expect_outcome "$what: (control) undone, the record hits" dmg.safe hit
}
chmod 777 "$CLOSURES"
unsafe "a world-writable closures directory" chmod 700 "$CLOSURES"
chmod 770 "$CACHE"
unsafe "a group-writable ocitools cache directory" chmod 700 "$CACHE"
mv "$CLOSURES" "$CACHE/elsewhere"
ln -s elsewhere "$CLOSURES"
unsafe "a closures directory that is a symlink" sh -c "rm '$CLOSURES' && mv '$CACHE/elsewhere' '$CLOSURES'"
chmod 666 "$DMG_FILE"
run_to_store dmg.writable "${REQ_DMG[@]}"
expect_no_hit "a world-writable record is not used" dmg.writable
same_result "the run over it gives the right closure" dmg.before dmg.writable
expect_eq "and replaces it with a private one" 600 "$(stat -c %a "$DMG_FILE")"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    chown -R nobody "$CACHE"
    unsafe "a cache directory owned by another user (nobody)" chown -R 0 "$CACHE"
    chown nobody "$DMG_FILE"
    run dmg.theirs "${REQ_DMG[@]}"
    expect_no_hit "a record owned by another user is not used" dmg.theirs
    same_result "the run over it gives the right closure" dmg.before dmg.theirs
else
    echo "note: not root: the cache owned by another user is not checked"
fi

# --- Phase 2: change each scenario's fixtures; the cached run must not be stale ------------
after_change a change_a "${REQ_A[@]}"
after_change a2 change_a2 "${REQ_A2[@]}"
after_change b change_b "${REQ_B[@]}"
expect_contains "b: the new file at the top is there" "$FX/b/inc/new" "$(cat "$OUT/b.after.out")"
expect_contains "b: and the one in the subdirectory" "$FX/b/inc/sub/new" "$(cat "$OUT/b.after.out")"
after_change c1 change_c1 "${REQ_C1[@]}"
expect_eq "c1: the bundle's symlink follows the new target" target-x \
    "$(readlink "$B/c1.after/rootfs$FX/c1/inc/link")"
expect_contains "c1: with the dangling-symlink warning" "keeping dangling symlink $FX/c1/inc/link" \
    "$(cat "$OUT/c1.after.err")"
after_change c2 change_c2 "${REQ_C2[@]}"
expect_contains "c2: v2's file is there" "$FX/c2/v2/data/only-in-v2" "$(cat "$OUT/c2.after.out")"
after_change d1 change_d1 "${REQ_D1[@]}"
expect_contains "d1: the library comes from lib2" "$FX/d1/lib2/libcachet.so" "$(cat "$OUT/d1.after.out")"
after_change d2 change_d2 "${REQ_D2[@]}"
expect_contains "d2: the new library's dependency is there" "$FX/d2/lib1/libcachedep.so" "$(cat "$OUT/d2.after.out")"
after_change e change_e "${REQ_E[@]}"
expect_contains "e: the run fails on the missing x bit" "not executable" "$(cat "$OUT/e.after.err")"
after_change e2 change_e2 "${REQ_E2[@]}"
expect_contains "e2: the program is the one earlier on PATH" "$FX/e2/bin1/cachetool" "$(cat "$OUT/e2.after.out")"
after_change h change_h "${REQ_H[@]}"
expect_contains "h: the argument is now a directory, not included" "not including directory" "$(cat "$OUT/h.after.err")"
after_change f1 change_f1 "${REQ_F1[@]}"
expect_contains "f1: the package's new file is there" "$FX/fdata/two" "$(cat "$OUT/f1.after.out")"
after_change f2 change_f2 "${REQ_F2[@]}"
expect_eq "f2: the package set gained the dependency" "cachedep:amd64
cachefake:amd64" "$(sort "$OUT/f2.after.out")"
after_change f3 change_f3 "${REQ_F3[@]}"
expect_contains "f3: the journal's dependency brings its file" "$FX/fdata/dep" "$(cat "$OUT/f3.after.out")"
after_stale_change sa change_sa "$FX/sa/script" "${REQ_SA[@]}"
check "sa: the bundle has the new interpreter" test -e "$B/sa.after/rootfs$SH2"
after_stale_change sa2 change_sa2 "$FX/sa2/script" "${REQ_SA2[@]}"
expect_eq "sa2: the bundle links the new script" "$(stat -c %i "$FX/sa2/script")" \
    "$(stat -c %i "$B/sa2.after/rootfs$FX/sa2/script")"
after_stale_change sd2 change_sd2 "$FX/sd2/lib1/libcachet.so" "${REQ_SD2[@]}"
check "sd2: the new library's dependency is in the bundle" test -e "$B/sd2.after/rootfs$FX/sd2/lib1/libcachedep.so"

# --- Phase 3: a second later, the new closures are stored and hit -------------------------
sleep 1.2
settled a "${REQ_A[@]}"
settled a2 "${REQ_A2[@]}"
settled b "${REQ_B[@]}"
settled c1 "${REQ_C1[@]}"
settled c2 "${REQ_C2[@]}"
settled d1 "${REQ_D1[@]}"
settled d2 "${REQ_D2[@]}"
settled e "${REQ_E[@]}"
settled e2 "${REQ_E2[@]}"
settled h "${REQ_H[@]}"
settled f1 "${REQ_F1[@]}"
settled f2 "${REQ_F2[@]}"
settled f3 "${REQ_F3[@]}"
settled sa "${REQ_SA[@]}"
settled sa2 "${REQ_SA2[@]}"
settled sd2 "${REQ_SD2[@]}"

# --- build-container from a hit: the same bundle as --no-cache, and runc runs it ----------
stored_then_hit g "${REQ_G[@]}"
truth g.truth "${REQ_G[@]}"
same_result "g: the bundle built from a hit is the --no-cache bundle" g.hit g.truth
check_bundle "$B/g.hit"
# OCITOOLS_DEBUG=time: each phase of the build, and nothing of the sort without it.
with_after_subcommand -o "$B/g.time" -- "${REQ_G[@]}"
env OCITOOLS_DEBUG=time "${REQ[@]}" >/dev/null 2>"$OUT/g.time.err"
for phase in arguments "cache: read" "cache: check" closure "write: layout" "write: files" \
    "write: directory times" "config and /etc" publish; do
    expect_contains "OCITOOLS_DEBUG=time gives the time of: $phase" "ocitools: time: $phase " \
        "$(cat "$OUT/g.time.err")"
done
expect_eq "and no time without it" "" "$(grep 'ocitools: time:' "$OUT/g.hit.err")"
if [ "$(id -u)" = 0 ] && command -v runc >/dev/null; then
    expect_eq "g: runc runs the bundle built from a hit" "hello from the cache" "$(run_bundle "$B/g.hit")"
else
    echo "note: runc as root not available: the bundle from a hit is not run"
fi

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    stored_then_hit cap "${REQ_CAP[@]}"
    run cap.dropped setpriv --bounding-set -dac_override,-dac_read_search "${REQ_CAP[@]}"
    truth cap.truth setpriv --bounding-set -dac_override,-dac_read_search "${REQ_CAP[@]}"
    expect_no_hit "cap: root without CAP_DAC_OVERRIDE does not get root's cached closure" cap.dropped
    same_result "cap: it fails as --no-cache does" cap.dropped cap.truth
    expect_contains "cap: on the unreadable program" "Permission denied" "$(cat "$OUT/cap.dropped.err")"
else
    echo "note: not root, or no setpriv: capabilities in the key are not checked"
fi

stored_then_hit k "${REQ_K[@]}"
echo not-the-package-s >"$FX/k/pkg/other"
run k.after "${REQ_K[@]}"
expect_outcome "k: a name added in a package directory keeps the hit" k.after hit
truth k.truth "${REQ_K[@]}"
same_result "k: the bundle is the --no-cache bundle" k.after k.truth
expect_eq "k: its copy of the directory has the directory's new mtime" \
    "$(stat -c %y "$FX/k/pkg")" "$(stat -c %y "$B/k.after/rootfs$FX/k/pkg")"
expect_eq "k: as the --no-cache bundle's has" \
    "$(stat -c %y "$B/k.truth/rootfs$FX/k/pkg")" "$(stat -c %y "$B/k.after/rootfs$FX/k/pkg")"

finish
