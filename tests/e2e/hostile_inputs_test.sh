#!/usr/bin/env bash
# Hostile inputs, round two (issue 18): documents that are not regular files, or never end, are
# refused before a byte is read (a spec, a bundle's config.json); --include of a FIFO, socket or
# device is skipped without opening it; bundles runc would refuse (a mount on / or /proc, a bind
# of the wrong kind, a working directory that is a file, NUL bytes, a #! script running itself)
# are refused at build time and by validate; malformed or ambiguous JSON gets a message naming
# the origin and the key.
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

# dpkg's status as a FIFO (a hostile or broken DPKG_ADMINDIR): refused, not read as empty.
mkdir -p "$WORK/dpkg"
mkfifo "$WORK/dpkg/status"
expect_error "a FIFO as dpkg's status is refused at once" "status: not a regular file" \
    env DPKG_ADMINDIR="$WORK/dpkg" "$OCITOOLS" build-container -o "$WORK/out/b" \
    --package libc6 -- /bin/busybox true

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

# Bundles that would build and validate but that runc refuses: each is refused at build time,
# naming the key.
B=(-- /bin/busybox true)
expect_error "--cwd naming a regular file" 'key "cwd" (--cwd): /usr/bin/busybox is not a directory' \
    "$OCITOOLS" build-container -o "$WORK/out/b" --cwd /usr/bin/busybox "${B[@]}"
expect_error "a directory bind-mounted on a file" 'mount "/usr/bin/busybox" (a directory)' \
    "$OCITOOLS" build-container -o "$WORK/out/b" -v "$WORK:/usr/bin/busybox" "${B[@]}"
echo data >"$WORK/file"
expect_error "a file bind-mounted on a directory" 'mount "/usr/bin" (a file): /usr/bin is a directory' \
    "$OCITOOLS" build-container -o "$WORK/out/b" -v "$WORK/file:/usr/bin" "${B[@]}"
for dest in / /.. /proc /proc/sys; do
    expect_error "a mount on $dest" "mount \"$dest\": " \
        "$OCITOOLS" build-container -o "$WORK/out/b" -v "$WORK:$dest" "${B[@]}"
done
expect_error "a NUL byte in an argument" 'key "args"[2]: holds a NUL byte' \
    "$OCITOOLS" build-container -o "$WORK/out/b" --spec-json '{"args": ["/bin/busybox", "echo", "a\u0000b"]}'
expect_error "a NUL byte in a mount option" "holds a NUL byte, which mount(2) cannot carry" \
    "$OCITOOLS" build-container -o "$WORK/out/b" --spec-json \
    '{"args": ["/bin/busybox", "true"], "mounts": {"/data": {"type": "tmpfs", "source": "tmpfs", "options": ["size=1m\u0000"]}}}'
printf '#!%s\necho never\n' "$WORK/self.sh" >"$WORK/self.sh"
chmod 755 "$WORK/self.sh"
expect_error "a #! script that runs itself" "too many nested #! interpreters" \
    "$OCITOOLS" build-container -o "$WORK/out/b" -- "$WORK/self.sh"

# validate says the same of a bundle written by hand.
"$OCITOOLS" build-container -o "$WORK/hand" -v "$WORK:/data" "${B[@]}"
/usr/bin/python3 - "$WORK/hand/config.json" "$WORK" <<'PY'
import json, sys
path, work = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["process"]["args"].append("a\u0000b")
c["process"]["cwd"] = "/usr/bin/busybox"
c["mounts"].append({"destination": "/proc", "type": "bind", "source": work, "options": ["rbind"]})
c["mounts"].append({"destination": "/", "type": "bind", "source": work, "options": ["rbind"]})
c["mounts"].append({"destination": "/usr/bin/busybox", "type": "bind", "source": work,
                    "options": ["rbind", "ro\u0000"]})
json.dump(c, open(path, "w"))
PY
rc=0
out=$("$OCITOOLS" validate "$WORK/hand") || rc=$?
expect_eq "validate refuses the hand-written bundle" 1 "$rc"
for needle in 'process.args[2]: holds a NUL byte' 'process.cwd: /usr/bin/busybox is not a directory' \
    '"/proc": runc refuses mounts on /proc' '"/": a mount on / would hide' \
    'holds a NUL byte, which mount(2) cannot carry' \
    "/usr/bin/busybox is not a directory in the rootfs, but the bind source $WORK is one"; do
    expect_contains "validate: $needle" "$needle" "$out"
done
check "validate does not flag the runtime's own /proc mount" \
    bash -c "! printf '%s' \"\$1\" | grep -q 'mounts\[0\]'" _ "$out"

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
