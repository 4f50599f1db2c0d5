#!/usr/bin/env bash
# Hostile inputs, round two (issue 18): documents that are not regular files, or never end, are
# refused before a byte is read (a spec, a bundle's config.json); --include of a FIFO, socket or
# device is skipped without opening it; malformed or ambiguous JSON gets a message naming the
# origin and the key.
source "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/out"

# expect_error DESCRIPTION NEEDLE COMMAND...: exits 1 within 10 s, one line of output (an error,
# or validate's problem) holding NEEDLE, nothing in $WORK/out.
expect_error() {
    local what=$1 needle=$2 err rc=0
    shift 2
    err=$(timeout 10 "$@" 2>&1) || rc=$?
    CHECKS=$((CHECKS + 1))
    if [ "$rc" -ne 1 ]; then fail "$what: exit status $rc, expected 1 (124: it hung) [$err]"
    elif [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then fail "$what: not one line: $err"
    elif [[ "$err" != *"$needle"* ]]; then fail "$what: [$err] lacks [$needle]"
    elif [ -n "$(ls -A "$WORK/out")" ]; then fail "$what: left $(ls -A "$WORK/out")"
    else pass "$what ($err)"
    fi
}

# A spec that never ends, blocks, or is a directory.
mkfifo "$WORK/fifo"
expect_error "--spec /dev/zero is refused at once" "/dev/zero: not a regular file" \
    "$OCITOOLS" build-container -o "$WORK/out/b" --spec /dev/zero
expect_error "--spec of a FIFO does not hang" "fifo: not a regular file" \
    "$OCITOOLS" build-container -o "$WORK/out/b" --spec "$WORK/fifo"
expect_error "--spec of a directory says so" "not a regular file" \
    "$OCITOOLS" build-container -o "$WORK/out/b" --spec "$WORK"
head -c $((17 << 20)) /dev/zero | tr '\0' ' ' >"$WORK/huge.json"
expect_error "a spec past the size limit names the limit" "the limit for a spec" \
    "$OCITOOLS" build-container -o "$WORK/out/b" --spec "$WORK/huge.json"

# validate of a bundle whose config.json is a link to /dev/zero, or a FIFO.
mkdir -p "$WORK/v1" "$WORK/v2"
ln -s /dev/zero "$WORK/v1/config.json"
mkfifo "$WORK/v2/config.json"
expect_error "validate: config.json -> /dev/zero is refused at once" "not a regular file" \
    "$OCITOOLS" validate "$WORK/v1"
expect_error "validate: a FIFO config.json does not hang" "not a regular file" \
    "$OCITOOLS" validate "$WORK/v2"

# --include of a FIFO, a socket or a device: skipped, and never opened. A writer waiting on the
# FIFO is the witness: opening it for reading would let the writer finish before its timeout.
(rc=0; timeout 8 sh -c "echo opened > '$WORK/fifo'" || rc=$?; echo "$rc" >"$WORK/writer.rc") &
writer=$!
/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$WORK/sock"
DEV_NODE=""
if mknod "$WORK/nulldev" c 1 3 2>/dev/null; then DEV_NODE="$WORK/nulldev"; fi
err=$(timeout 20 "$OCITOOLS" build-container -o "$WORK/out/inc" --include "$WORK/fifo" \
    --include "$WORK/sock" ${DEV_NODE:+--include "$DEV_NODE"} -- /bin/busybox true 2>&1) ||
    fail "build with --include of a FIFO, socket and device failed: $err"
expect_contains "the FIFO is said to be skipped" "skipping $WORK/fifo" "$err"
expect_contains "the socket is said to be skipped" "skipping $WORK/sock" "$err"
check "none of them is in the rootfs" test ! -e "$WORK/out/inc/rootfs$WORK/fifo" -a \
    ! -e "$WORK/out/inc/rootfs$WORK/sock" -a ! -e "$WORK/out/inc/rootfs$WORK/nulldev"
wait "$writer" || true
expect_eq "the FIFO was never opened (its writer waited until its timeout)" 124 \
    "$(cat "$WORK/writer.rc")"
rm -rf "$WORK/out/inc"
if [ -z "$DEV_NODE" ]; then
    fail "mknod is not permitted here: the device case was not tried"
fi

# JSON that parses but cannot be meant, or cannot be a number.
expect_error "a key given twice is refused, naming it" 'key "args" is given twice' \
    "$OCITOOLS" build-container -o "$WORK/out/b" \
    --spec-json '{"args": ["/bin/busybox", "true"], "args": ["/bin/busybox", "false"]}'
expect_error "a key twice in a nested object too" 'key "A" is given twice' \
    "$OCITOOLS" build-container -o "$WORK/out/b" \
    --spec-json '{"args": ["/bin/busybox", "true"], "env": {"A": "1", "A": "2"}}'
expect_error "1e999 is a malformed number, not an internal error" "--spec-json: malformed JSON" \
    "$OCITOOLS" build-container -o "$WORK/out/b" \
    --spec-json '{"args": ["/bin/busybox", "true"], "traceTimeout": 1e999}'
finish
