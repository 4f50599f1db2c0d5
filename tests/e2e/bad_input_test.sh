#!/usr/bin/env bash
# Bad input: a clear one-line error naming the culprit, a non-zero exit, and nothing written at
# the output path (nor a temporary left beside it).
source "$(dirname "$0")/lib.sh"

# expect_refused DESCRIPTION NEEDLE OCITOOLS-ARGS... (the output is always $WORK/out/b)
expect_refused() {
    local what=$1 needle=$2 err rc=0
    shift 2
    err=$("$OCITOOLS" "$@" 2>&1 >/dev/null) || rc=$?
    CHECKS=$((CHECKS + 1))
    if [ "$rc" -eq 0 ]; then fail "$what: exit status 0"; return; fi
    # One error line (a deprecation warning may precede it).
    err=$(printf '%s\n' "$err" | grep -v '^ocitools: warning: ')
    if [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then fail "$what: not one line: $err"; return; fi
    if [[ "$err" != *"$needle"* ]]; then fail "$what: [$err] lacks [$needle]"; return; fi
    if [ -n "$(ls -A "$WORK/out")" ]; then fail "$what: left $(ls -A "$WORK/out")"; return; fi
    pass "$what ($err)"
}
mkdir -p "$WORK/out" "$WORK/data"
B="$WORK/out/b"
touch "$WORK/noexec"
printf '{\n  "args": ["/bin/busybox",]\n}\n' > "$WORK/malformed.json"
echo '{"args": "/bin/busybox"}' > "$WORK/type.json"
echo '{"args": ["/bin/busybox"], "mount": {}}' > "$WORK/unknown.json"
echo '{"args": []}' > "$WORK/empty.json"
echo '{"args": ["/bin/busybox"], "mounts": {"data": {"type": "bind", "source": "/tmp"}}}' > "$WORK/relmount.json"
echo '{"args": ["/bin/busybox"], "mounts": {"/d": {"type": "bind", "source": "/no/such/dir"}}}' > "$WORK/nosource.json"
echo '{"args": ["/bin/busybox"], "arch": "arm64"}' > "$WORK/arch.json"
echo '{"args": ["/bin/busybox"], "os": "plan10"}' > "$WORK/os.json"

expect_refused "missing program" "/no/such/program" build-container -o "$B" -- /no/such/program
expect_refused "non-executable program" "is not executable" build-container -o "$B" -- "$WORK/noexec"
expect_refused "unknown program name" "program no-such-program-xyz: not found on PATH" build-container -o "$B" -- no-such-program-xyz
expect_refused "malformed JSON names file, line and column" "$WORK/malformed.json:2:" build-container -o "$B" --spec "$WORK/malformed.json"
expect_refused "wrong type names the key" 'key "args": expected a list of strings' build-container -o "$B" --spec "$WORK/type.json"
expect_refused "unknown key is named" 'key "mount": unknown key' build-container -o "$B" --spec "$WORK/unknown.json"
expect_refused "empty args" 'key "args": the command is empty' build-container -o "$B" --spec "$WORK/empty.json"
expect_refused "relative mount destination" 'mount "data": destination must be an absolute path' build-container -o "$B" --spec "$WORK/relmount.json"
expect_refused "missing bind source" "bind source /no/such/dir: No such file or directory" build-container -o "$B" --spec "$WORK/nosource.json"
expect_refused "foreign arch" 'key "arch": arm64 is not this host' build-container -o "$B" --spec "$WORK/arch.json"
expect_refused "unknown os" 'key "os": plan10 is not a Go GOOS name' build-container -o "$B" --spec "$WORK/os.json"
printf 'echo no shebang\n' > "$WORK/plain-script" && chmod 755 "$WORK/plain-script"
expect_refused "a program that is neither ELF nor a #! script" "is neither an ELF executable nor a #! script" build-container -o "$B" -- "$WORK/plain-script"
printf '#!/no/such/shell\n' > "$WORK/bad-shebang" && chmod 755 "$WORK/bad-shebang"
expect_refused "a script whose interpreter is missing" "its #! interpreter /no/such/shell does not exist" build-container -o "$B" -- "$WORK/bad-shebang"
expect_refused "missing --include path" "/no/such/include" build-container -o "$B" --include /no/such/include -- /bin/busybox true
expect_refused "bad -v flag" "expected SOURCE:DESTINATION" build-container -o "$B" -v /tmp -- /bin/busybox true
expect_refused "missing output parent" "$WORK/out/missing" build-container -o "$WORK/out/missing/b" -- /bin/busybox true

# A failure after the rootfs is written (a mount point through a dangling symlink) still leaves
# nothing behind: the temporary sibling is removed.
mkdir -p "$WORK/tree"
ln -s /no/such/target "$WORK/tree/dangling"
expect_refused "late failure removes the temporary bundle" "is a dangling symlink in the rootfs" \
    build-container -o "$B" --include "$WORK/tree" -v "$WORK/data:$WORK/tree/dangling/x" -- /bin/busybox true

# An existing output is never touched without --force; --force replaces it.
mkdir -p "$B" && echo keep > "$B/marker"
err=$("$OCITOOLS" build-container -o "$B" -- /bin/busybox true 2>&1) && fail "existing output accepted" || true
expect_contains "existing output refused" "already exists (use --force to replace it)" "$err"
check "existing output untouched" test -f "$B/marker"
"$OCITOOLS" build-container --force -o "$B" -- /bin/busybox true
check "--force replaces the output" test -f "$B/config.json" -a ! -e "$B/marker"
expect_eq "--force leaves no temporary behind" "b" "$(ls -A "$WORK/out")"
rm -rf "$B"

# A killed build leaves nothing at the target: the bundle only appears by rename at the end.
mkdir -p "$WORK/big"
for i in $(seq 1 400); do head -c 1048576 /dev/urandom > "$WORK/big/f$i"; done
if stop_mid_build "$B" "$OCITOOLS" build-container -o "$B" --include "$WORK/big" -- /bin/busybox true; then
    kill -KILL "$BUILD_PID"; wait "$BUILD_PID" 2>/dev/null || true
    check "SIGKILL mid-build: nothing at the target" test ! -e "$B"
fi
rm -rf "$WORK/out/".b.ocitools-tmp-* "$B"
"$OCITOOLS" build-container -o "$B" -- /bin/busybox true
check "the next build at the same path succeeds" test -f "$B/config.json"

# Usage errors exit 2 (CLI11), like other command-line tools.
rc=0; "$OCITOOLS" build-container >/dev/null 2>&1 || rc=$?
expect_eq "missing -o is a usage error" 2 "$rc"

finish
