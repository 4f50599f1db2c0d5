#!/usr/bin/env bash
# Hostile inputs end to end: odd names, symlink traps, interrupted, killed and concurrent builds,
# unreadable inputs. Nothing may be written outside the output, and no failure may leave a
# half-built bundle.
source "$(dirname "$0")/lib.sh"
[ -x /bin/busybox ] || { echo "skipped: busybox-static not installed"; exit 77; }
mkdir -p "$WORK/out"
B="$WORK/out/b"

# --- Names with spaces, newlines and non-UTF-8 bytes are copied faithfully, and `closure` prints
# one unambiguous line per path.
mkdir -p "$WORK/odd"
touch "$WORK/odd/with space" "$WORK/odd/new
line" "$WORK/odd/$(printf 'bad\xffbyte')" "$WORK/odd/caf$(printf '\xc3\xa9')"
"$OCITOOLS" build-container -o "$B" --include "$WORK/odd" -- /bin/busybox true 2>/dev/null
expect_eq "odd names copied byte for byte" \
    "$(cd "$WORK/odd" && /usr/bin/python3 -c 'import os; print(sorted(os.listdir(b".")))')" \
    "$(cd "$B/rootfs$WORK/odd" && /usr/bin/python3 -c 'import os; print(sorted(os.listdir(b".")))')"
out=$("$OCITOOLS" closure --include "$WORK/odd" -- /bin/busybox true 2>/dev/null)
expect_contains "space quoted" "\"$WORK/odd/with space\"" "$out"
expect_contains "newline escaped" "\"$WORK/odd/new\\nline\"" "$out"
expect_contains "invalid byte escaped" "\"$WORK/odd/bad\\xffbyte\"" "$out"
expect_contains "valid UTF-8 kept" "$WORK/odd/café" "$out"
expect_eq "one line per path" 7 "$(printf '%s\n' "$out" | wc -l)"  # odd, 4 files, /bin, busybox
rm -rf "$B"

# --- Symlink traps.
# A loop: an error naming it, no hang.
ln -s loop2 "$WORK/loop1"; ln -s loop1 "$WORK/loop2"
err=$(timeout 20 "$OCITOOLS" build-container -o "$B" --include "$WORK/loop1" -- /bin/busybox true 2>&1) && fail "loop accepted" || true
expect_contains "symlink loop named" "too many levels of symbolic links" "$err"
# A directory root holding a symlink to / is not followed into the host.
mkdir -p "$WORK/tree"; ln -s / "$WORK/tree/host-root"; echo data > "$WORK/tree/file"
"$OCITOOLS" build-container -o "$B" --include "$WORK/tree" -- /bin/busybox true 2>/dev/null
check "the link to / is recreated as a link" test -L "$B/rootfs$WORK/tree/host-root"
expect_eq "the rootfs did not receive the host" "bin dev etc proc sys tmp usr var" "$(ls "$B/rootfs" | tr '\n' ' ' | sed 's/ $//')"
rm -rf "$B"
# A library symlink climbing out of the host root through `..` and an absolute one resolve as the
# kernel resolves them ("/.." is "/"), and the program runs.
# (busybox picks its applet from argv[0], so the links are named busybox.)
mkdir -p "$WORK/lnk/up" "$WORK/lnk/abs"
ln -s "../../../../../../../../../../../bin/busybox" "$WORK/lnk/up/busybox"
ln -s /bin/busybox "$WORK/lnk/abs/busybox"
"$OCITOOLS" build-container -o "$B" -- "$WORK/lnk/up/busybox" echo up 2>/dev/null
check "the climbing link is kept as written" test "$(readlink "$B/rootfs$WORK/lnk/up/busybox")" = "../../../../../../../../../../../bin/busybox"
[ "$(id -u)" = 0 ] && expect_eq "and works in the container" "up" "$(run_bundle "$B")"
rm -rf "$B"
"$OCITOOLS" build-container -o "$B" -- "$WORK/lnk/abs/busybox" echo abs 2>/dev/null
[ "$(id -u)" = 0 ] && expect_eq "an absolute link works in the container" "abs" "$(run_bundle "$B")"
rm -rf "$B"

# A dangling symlink inside an included directory is kept, with a warning.
mkdir -p "$WORK/dang"; ln -s /no/such/target "$WORK/dang/link"
err=$("$OCITOOLS" build-container -o "$B" --include "$WORK/dang" -- /bin/busybox true 2>&1)
expect_contains "dangling link warned about" "warning: keeping dangling symlink $WORK/dang/link -> /no/such/target" "$err"
expect_eq "dangling link kept as it was" "/no/such/target" "$(readlink "$B/rootfs$WORK/dang/link")"
rm -rf "$B"

# --- Nothing is written outside the output.
mkdir -p "$WORK/victim"
# The output path is a planted symlink: refused, with or without --force; its target untouched.
ln -s "$WORK/victim" "$B"
err=$("$OCITOOLS" build-container -o "$B" -- /bin/busybox true 2>&1) && fail "symlink output accepted" || true
expect_contains "symlinked output refused" "already exists" "$err"
err=$("$OCITOOLS" build-container --force -o "$B" -- /bin/busybox true 2>&1) && fail "symlink output replaced" || true
expect_contains "symlinked output not replaced even with --force" "is not a directory" "$err"
rm "$B"
# A planted "temporary" symlink in the parent, looking like a stale build: never followed.
ln -s "$WORK/victim" "$WORK/out/.b.ocitools-tmp-999999-AAAAAA"
touch "$WORK/victim/precious"
"$OCITOOLS" build-container -o "$B" -- /bin/busybox true
check "a planted temp symlink is not followed" test -f "$WORK/victim/precious"
check "nothing written into the planted target" test "$(ls -A "$WORK/victim")" = precious
rm -f "$WORK/out/.b.ocitools-tmp-999999-AAAAAA"; rm -rf "$B"

# --- Interruption. A build big enough to interrupt: 400 files of 1 MiB.
mkdir -p "$WORK/big"
for i in $(seq 1 400); do head -c 1048576 /dev/urandom > "$WORK/big/f$i"; done
for sig in TERM INT; do
    if stop_mid_build "$B" "$OCITOOLS" build-container -o "$B" --include "$WORK/big" -- /bin/busybox true; then
        kill -"$sig" "$BUILD_PID"; kill -CONT "$BUILD_PID"
        rc=0; wait "$BUILD_PID" || rc=$?
        expect_eq "SIG$sig: exit status 128+signal" "$((128 + $(kill -l "$sig")))" "$rc"
        check "SIG$sig: nothing at the target" test ! -e "$B"
        check "SIG$sig: the temporary directory is removed" test -z "$(ls -A "$WORK/out")"
        expect_contains "SIG$sig: reported" "interrupted by signal" "$(cat "$WORK/mid-build.err")"
    fi
    rm -rf "$B" "$WORK"/out/.b.ocitools-tmp-*
done
# SIGKILL: nothing at the target; the next build there succeeds and removes the dead temporary.
if stop_mid_build "$B" "$OCITOOLS" build-container -o "$B" --include "$WORK/big" -- /bin/busybox true; then
    kill -KILL "$BUILD_PID"; wait "$BUILD_PID" 2>/dev/null || true
    check "SIGKILL: the temporary is left" compgen -G "$WORK/out/.b.ocitools-tmp-*"
    check "SIGKILL: nothing at the target" test ! -e "$B"
    "$OCITOOLS" build-container -o "$B" -- /bin/busybox true
    check "the next build succeeds" test -f "$B/config.json"
    expect_eq "and removes the dead build's temporary" "b" "$(ls -A "$WORK/out")"
fi
rm -rf "$B"

# --- Concurrent builds to one output: one wins, the other errors, the result is one bundle.
for round in 1 2 3; do
    "$OCITOOLS" build-container -o "$B" --include "$WORK/big" -- /bin/busybox echo "$round" 2>"$WORK/c1.err" & p1=$!
    "$OCITOOLS" build-container -o "$B" --include "$WORK/big" -- /bin/busybox echo "$round" 2>"$WORK/c2.err" & p2=$!
    r1=0; wait $p1 || r1=$?; r2=0; wait $p2 || r2=$?
    expect_eq "round $round: exactly one build wins" 1 "$(( (r1 == 0) + (r2 == 0) ))"
    loser=$(cat "$WORK/c1.err" "$WORK/c2.err")
    CHECKS=$((CHECKS + 1))
    if [[ "$loser" == *"already exists"* || "$loser" == *"was created by something else while this build ran"* ]]; then
        pass "round $round: the loser says why ($loser)"
    else
        fail "round $round: the loser's message: [$loser]"
    fi
    check "round $round: one complete, valid bundle" "$OCITOOLS" validate "$B"
    expect_eq "round $round: no temporaries left" "b" "$(ls -A "$WORK/out")"
    rm -rf "$B"
done

# --- Pathological sizes, with bounded memory (peak RSS reported).
truncate -s 4G "$WORK/sparse4g"
echo tail >> "$WORK/sparse4g"
/usr/bin/time -f '%M' -o "$WORK/rss" "$OCITOOLS" build-container -o "$B" --include "$WORK/sparse4g" -- /bin/busybox true 2>/dev/null
expect_eq "a 4 GiB sparse file keeps its size" "$(stat -c %s "$WORK/sparse4g")" "$(stat -c %s "$B/rootfs$WORK/sparse4g")"
check "and its holes ($(du -k "$B/rootfs$WORK/sparse4g" | cut -f1) KiB allocated)" test "$(du -k "$B/rootfs$WORK/sparse4g" | cut -f1)" -lt 65536
check "and its data" cmp -s <(tail -c 5 "$WORK/sparse4g") <(tail -c 5 "$B/rootfs$WORK/sparse4g")
echo "peak RSS, 4 GiB sparse file: $(cat "$WORK/rss") KiB"
rm -rf "$B" "$WORK/sparse4g"
/usr/bin/python3 - "$WORK/many" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):
    os.makedirs(f"{root}/d{d}")
    for f in range(1000):
        with open(f"{root}/d{d}/f{f}", "w") as out:
            out.write("x")
PY
/usr/bin/time -f '%M' -o "$WORK/rss" "$OCITOOLS" build-container -o "$B" --include "$WORK/many" -- /bin/busybox true 2>/dev/null
expect_eq "a closure of 100,000 small files is complete" 100000 "$(find "$B/rootfs$WORK/many" -type f | wc -l)"
rss=$(cat "$WORK/rss")
echo "peak RSS, 100,000 files: $rss KiB"
check "with bounded memory (${rss} KiB < 256 MiB)" test "$rss" -lt 262144
rm -rf "$B" "$WORK/many"

# --- Unreadable inputs (as an unprivileged user: root reads everything).
if [ "$(id -u)" = 0 ] && command -v cc >/dev/null; then
    setup_rootless_user
    D="$RL/unreadable"
    mkdir -p "$D/bin" "$D/lib"
    echo 'int answer(void) { return 42; }' > "$D/lib.c"
    echo 'int answer(void); int main(void) { return answer() == 42 ? 0 : 1; }' > "$D/main.c"
    cc -shared -fPIC -Wl,-soname,libanswer.so.1 -o "$D/lib/libanswer.so.1" "$D/lib.c"
    cc -o "$D/bin/prog" "$D/main.c" "$D/lib/libanswer.so.1" -Wl,--enable-new-dtags,-rpath,"$D/lib"
    chown -R "$ROOTLESS_UID:$ROOTLESS_GID" "$D"
    chmod 000 "$D/lib/libanswer.so.1"
    err=$(as_user "$RL_OCITOOLS" closure -- "$D/bin/prog" 2>&1) && fail "an unreadable library was accepted" || true
    expect_contains "unreadable library: path and cause" "$D/lib/libanswer.so.1: Permission denied" "$err"
    chmod 644 "$D/lib/libanswer.so.1"
    echo secret > "$D/secret"; chmod 000 "$D/secret"; chown "$ROOTLESS_UID" "$D/secret"
    err=$(as_user "$RL_OCITOOLS" build-container -o "$RL/b" --include "$D/secret" -- /bin/busybox true 2>&1) && fail "an unreadable file was accepted" || true
    expect_contains "unreadable file: path and cause" "$D/secret: Permission denied" "$err"
    check "nothing written for it" test ! -e "$RL/b"
    # A dpkg file list it cannot read (a database of our own, through DPKG_ADMINDIR as dpkg).
    A="$RL/dpkg-admin"
    mkdir -p "$A/info"
    printf 'Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n\nPackage: tiny\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n' > "$A/status"
    echo /etc/hostname > "$A/info/tiny.list"
    chown -R "$ROOTLESS_UID:$ROOTLESS_GID" "$A"
    chmod 000 "$A/info/tiny.list"
    err=$(as_user env DPKG_ADMINDIR="$A" "$RL_OCITOOLS" closure --package tiny -- /bin/busybox true 2>&1) && fail "an unreadable dpkg list was accepted" || true
    expect_contains "unreadable dpkg list: path and cause" "$A/info/tiny.list: Permission denied" "$err"
fi

finish
