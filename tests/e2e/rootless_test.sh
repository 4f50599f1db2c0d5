#!/usr/bin/env bash
# Rootless bundles (issue 5): an unprivileged user builds a bundle (rootless by default) and runs
# it with `runc --root DIR run`. Container root is that user, the rootfs is theirs, the network
# namespace holds only lo, and mounts, --readonly and capabilities work under the mapping.
source "$(dirname "$0")/lib.sh"
[ -x /bin/busybox ] || { echo "skipped: busybox-static not installed"; exit 77; }
command -v runc >/dev/null || { echo "skipped: runc not installed"; exit 77; }
BB=/bin/busybox

setup_rootless_user
cd "$RL" || exit 1
if ! as_user unshare --user --map-root-user true 2>/dev/null; then
    echo "skipped: $ROOTLESS_USER cannot create user namespaces on this kernel"
    exit 77
fi
echo "rootless user: $ROOTLESS_USER ($ROOTLESS_UID:$ROOTLESS_GID)"
build() { as_user "$RL_OCITOOLS" build-container "$@"; }
DEFAULT_CAPS="AUDIT_WRITE KILL NET_BIND_SERVICE"

# --- Rootless is the default for a non-root builder; container root is the user ---
build -o "$RL/id" -- $BB sh -c \
    'id -u; cat /proc/self/uid_map; cat /proc/self/gid_map; sed -n "s/^ *\([^:]*\):.*/\1/p" /proc/net/dev; echo $$; stat -c "%u:%g" /usr/bin/busybox; id -un'
check_bundle "$RL/id"
expect_eq "user namespace added after the seed's namespaces" '["pid", "network", "mount", "ipc", "uts", "user"]' \
    "$(config_get "$RL/id" '[n["type"] for n in c["linux"]["namespaces"]]')"
expect_eq "uidMappings map container root to the builder" "[{\"containerID\": 0, \"hostID\": $ROOTLESS_UID, \"size\": 1}]" \
    "$(config_get "$RL/id" 'c["linux"]["uidMappings"]')"
expect_eq "gidMappings map container root to the builder" "[{\"containerID\": 0, \"hostID\": $ROOTLESS_GID, \"size\": 1}]" \
    "$(config_get "$RL/id" 'c["linux"]["gidMappings"]')"
expect_eq "/sys is a read-only recursive bind of the host's, no cgroup mount" \
    '[["/sys", "none", "/sys", ["rbind", "nosuid", "noexec", "nodev", "ro"]]]' \
    "$(config_get "$RL/id" '[[m["destination"], m["type"], m["source"], m.get("options")] for m in c["mounts"] if m["destination"].startswith("/sys")]')"
expect_eq "no uid=/gid= mount options the mapping cannot satisfy" "[]" \
    "$(config_get "$RL/id" '[o for m in c["mounts"] for o in m.get("options", []) if o.startswith(("uid=", "gid="))]')"
expect_eq "the rootfs belongs to the builder" "" \
    "$(find "$RL/id/rootfs" \( ! -user "$ROOTLESS_UID" -o ! -group "$ROOTLESS_GID" \) -print)"
printf -v maps '%10s%11s%11s' 0 "$ROOTLESS_UID" 1
printf -v gmaps '%10s%11s%11s' 0 "$ROOTLESS_GID" 1
expect_eq "inside: uid 0 mapped to the user, only lo, PID 1, the rootfs owned by root" "0
$maps
$gmaps
lo
1
0:0
root" "$(run_bundle_rootless "$RL/id")"

# --- The capability sets under the mapping; --cap-add / --cap-drop change them ---
build -o "$RL/caps" -- $BB sh -c "$CAP_LINES"
check_bundle "$RL/caps"
expect_eq "default capability sets, rootless" \
    "$(cap_status "" "$DEFAULT_CAPS" "$DEFAULT_CAPS" "$DEFAULT_CAPS" "")" "$(run_bundle_rootless "$RL/caps")"
build -o "$RL/capchg" --cap-add CAP_NET_RAW --cap-drop kill -- $BB sh -c "$CAP_LINES"
check_bundle "$RL/capchg"
CHANGED="AUDIT_WRITE NET_BIND_SERVICE NET_RAW"
expect_eq "--cap-add / --cap-drop change them, rootless" \
    "$(cap_status "" "$CHANGED" "$CHANGED" "$CHANGED" "")" "$(run_bundle_rootless "$RL/capchg")"

# --- Bind mounts: read-only shows host data and refuses writes; read-write reaches the host ---
as_user mkdir -p "$RL/data" "$RL/rw"
as_user sh -c "echo 'host data' > '$RL/data/file.txt'; echo 'one file' > '$RL/one.txt'"
build -o "$RL/mounts" -v "$RL/data:/in:ro" --mount "type=bind,source=$RL/rw,destination=/out" \
    -v "$RL/one.txt:/etc/one.txt:ro" -- $BB sh -c \
    'cat /in/file.txt /etc/one.txt; touch /in/new 2>/dev/null && echo wrote || echo refused; echo from-container > /out/written && echo done'
check_bundle "$RL/mounts"
check "a file bind gets a file mount point" test -f "$RL/mounts/rootfs/etc/one.txt"
expect_eq "bind mounts, rootless" "host data
one file
refused
done" "$(run_bundle_rootless "$RL/mounts")"
check "nothing written through the read-only bind" test ! -e "$RL/data/new"
expect_eq "a read-write bind's write reaches the host" "from-container" "$(cat "$RL/rw/written" 2>/dev/null)"
expect_eq "and is the user's on the host" "$ROOTLESS_UID" "$(stat -c %u "$RL/rw/written" 2>/dev/null)"

# --- --readonly; process settings under the mapping ---
build -o "$RL/ro" --readonly --hostname rl-box -e MODE=rootless --cwd /tmp/work -- $BB sh -c \
    'touch /x 2>/dev/null && echo wrote || echo refused; hostname; echo $MODE; pwd'
check_bundle "$RL/ro"
expect_eq "--readonly refuses writes to /; hostname, env, cwd set" "refused
rl-box
rootless
/tmp/work" "$(run_bundle_rootless "$RL/ro")"
build -o "$RL/rw-root" -- $BB sh -c 'touch /x && echo wrote'
expect_eq "a writable root accepts writes, rootless" "wrote" "$(run_bundle_rootless "$RL/rw-root")"

# --- Opting out, and what a size-1 mapping cannot do ---
build -o "$RL/rootful" --rootless=false -- $BB true
check_bundle "$RL/rootful"
expect_eq "--rootless=false: no user namespace" "False" \
    "$(config_get "$RL/rootful" 'str("uidMappings" in c["linux"] or {"type": "user"} in c["linux"]["namespaces"])')"
err=$(build -o "$RL/uid" -u 1000 -- $BB true 2>&1) && fail "a non-root --user accepted in a rootless bundle" || true
expect_contains "a non-root --user is refused in a rootless bundle" "a rootless bundle maps only container root" "$err"
check "and nothing written" test ! -e "$RL/uid"
if [ "$(id -u)" = 0 ]; then
    "$OCITOOLS" build-container -o "$WORK/root-rootless" --rootless -- $BB true
    check_bundle "$WORK/root-rootless"
    expect_eq "--rootless as root maps container root to root" "[0, 0]" \
        "$(config_get "$WORK/root-rootless" '[c["linux"]["uidMappings"][0]["hostID"], c["linux"]["gidMappings"][0]["hostID"]]')"
fi

finish
