#!/usr/bin/env bash
# A statically linked program (Debian's busybox-static) in a bundle, run by runc as root.
source "$(dirname "$0")/lib.sh"
need_root
[ -x /bin/busybox ] || { echo "skipped: busybox-static not installed"; exit 77; }

# The seed's case: a command with its arguments.
"$OCITOOLS" build-container -o "$WORK/echo" -- /bin/busybox echo hello from ocitools
check_bundle "$WORK/echo"
expect_eq "busybox echo runs under runc" "hello from ocitools" "$(run_bundle "$WORK/echo")"
check "merged-/usr symlink kept as a symlink" test -L "$WORK/echo/rootfs/bin"
expect_eq "bin symlink target" "$(readlink /bin)" "$(readlink "$WORK/echo/rootfs/bin")"
check "rootfs has dev, proc, sys" test -d "$WORK/echo/rootfs/dev" -a -d "$WORK/echo/rootfs/proc" -a -d "$WORK/echo/rootfs/sys"
check "no platform key" bash -c "! grep -q '\"platform\"' '$WORK/echo/config.json'"

# Deterministic: the same request gives a byte-identical config.json.
"$OCITOOLS" build-container -o "$WORK/echo2" -- /bin/busybox echo hello from ocitools
check "config.json is byte-identical across builds" cmp -s "$WORK/echo/config.json" "$WORK/echo2/config.json"

# A bare program name is found on the host PATH; config.json keeps the name as written.
"$OCITOOLS" build-container -o "$WORK/bare" -- busybox sh -c 'echo $((6*7)) $PATH'
check_bundle "$WORK/bare"
expect_eq "args[0] kept as written" "busybox" "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["process"]["args"][0])' "$WORK/bare/config.json")"
expect_eq "bare name runs via the container PATH" \
    "42 /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$(run_bundle "$WORK/bare")"

# Read-only root: a write to / fails; without it the write succeeds.
"$OCITOOLS" build-container --readonly -o "$WORK/ro" -- /bin/busybox sh -c 'touch /x && echo wrote || echo refused'
check_bundle "$WORK/ro"
expect_eq "readonly root refuses writes" "refused" "$(run_bundle "$WORK/ro" 2>/dev/null)"
"$OCITOOLS" build-container -o "$WORK/rw" -- /bin/busybox sh -c 'touch /x && echo wrote || echo refused'
expect_eq "writable root accepts writes" "wrote" "$(run_bundle "$WORK/rw" 2>/dev/null)"

# The spec file: readonly from JSON, the deprecated os/arch accepted with a warning.
cat > "$WORK/spec.json" <<JSON
{"args": ["/bin/busybox", "sh", "-c", "touch /y 2>/dev/null && echo wrote || echo refused"],
 "readonly": true, "os": "linux", "arch": "x86_64"}
JSON
err=$("$OCITOOLS" build-container --spec "$WORK/spec.json" -o "$WORK/spec" 2>&1 >/dev/null)
expect_contains "deprecated arch warns" 'key "arch" is deprecated' "$err"
check_bundle "$WORK/spec"
expect_eq "spec file readonly honoured" "refused" "$(run_bundle "$WORK/spec")"

# Arguments naming host files come along; directories only with --include.
mkdir -p "$WORK/app/conf"
echo "main script" > "$WORK/app/main.txt"
echo "config" > "$WORK/app/conf/c.txt"
err=$("$OCITOOLS" build-container -o "$WORK/args" -- /bin/busybox cat "$WORK/app/main.txt" 2>&1)
expect_contains "argument file reported on stderr" "including $WORK/app/main.txt" "$err"
expect_eq "argument file readable inside" "main script" "$(run_bundle "$WORK/args")"
"$OCITOOLS" build-container -o "$WORK/ls" -- /bin/busybox ls -d / 2>/dev/null
expect_eq "ls -d / does not copy the host" "bin dev etc proc sys tmp usr var" "$(ls "$WORK/ls/rootfs" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "only the generated /etc files" "group hosts passwd" "$(ls "$WORK/ls/rootfs/etc" | tr '\n' ' ' | sed 's/ $//')"
"$OCITOOLS" build-container -o "$WORK/inc" --include "$WORK/app" -- /bin/busybox cat "$WORK/app/conf/c.txt" 2>/dev/null
expect_eq "--include brings a directory" "config" "$(run_bundle "$WORK/inc")"

finish
