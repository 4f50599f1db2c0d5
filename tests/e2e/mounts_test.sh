#!/usr/bin/env bash
# User mounts (nixpkgs ignores them, issue #290879): each lands in config.json after the system
# mounts, gets a mount point in the rootfs, and works under runc.
source "$(dirname "$0")/lib.sh"
need_root
[ -x /bin/busybox ] || { echo "skipped: busybox-static not installed"; exit 77; }

mkdir -p "$WORK/data" "$WORK/rw"
echo "host data" > "$WORK/data/file.txt"
echo "single file" > "$WORK/one.txt"

# The seed's attribute-set form, from a spec file.
cat > "$WORK/spec.json" <<JSON
{"args": ["/bin/busybox", "sh", "-c",
          "cat /mnt/data/file.txt; cat /etc/one.txt; touch /mnt/data/new 2>/dev/null && echo wrote || echo refused"],
 "mounts": {"/mnt/data": {"type": "bind", "source": "$WORK/data", "options": ["ro"]},
            "/etc/one.txt": {"type": "bind", "source": "$WORK/one.txt", "options": ["ro"]},
            "/scratch": {"type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m"]}}}
JSON
"$OCITOOLS" build-container --spec "$WORK/spec.json" -o "$WORK/b"
check_bundle "$WORK/b"
check "directory mount point created" test -d "$WORK/b/rootfs/mnt/data"
check "file mount point created as a file" test -f "$WORK/b/rootfs/etc/one.txt"
expect_eq "user mounts follow the seven system mounts" \
    "/proc /dev /dev/pts /dev/shm /dev/mqueue /sys /sys/fs/cgroup /etc/one.txt /mnt/data /scratch" \
    "$(/usr/bin/python3 -c 'import json,sys; print(" ".join(m["destination"] for m in json.load(open(sys.argv[1]))["mounts"]))' "$WORK/b/config.json")"
expect_eq "bind mounts show host data, read-only refuses writes" \
    "host data
single file
refused" "$(run_bundle "$WORK/b")"
check "nothing written to the read-only host dir" test ! -e "$WORK/data/new"

# The flag forms: --mount (runc/podman) and -v (docker); a read-write bind reaches the host.
"$OCITOOLS" build-container -o "$WORK/f" \
    --mount "type=bind,source=$WORK/rw,destination=/out" -v "$WORK/data:/in:ro" \
    -- /bin/busybox sh -c 'cat /in/file.txt > /out/copied && echo done'
check_bundle "$WORK/f"
expect_eq "flag mounts run" "done" "$(run_bundle "$WORK/f")"
expect_eq "a read-write bind mount writes reach the host" "host data" "$(cat "$WORK/rw/copied")"

# A user mount at a system mount's destination replaces it (a larger /dev/shm).
"$OCITOOLS" build-container -o "$WORK/shm" \
    --mount "type=tmpfs,source=shm,destination=/dev/shm,nosuid,nodev,size=128m" \
    -- /bin/busybox df -k /dev/shm
check_bundle "$WORK/shm"
expect_contains "the user's /dev/shm replaces the system one" "131072" "$(run_bundle "$WORK/shm")"

finish
