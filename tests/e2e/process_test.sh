#!/usr/bin/env bash
# Process settings and secure defaults (issue 5): env, cwd, user, hostname, terminal, the
# capability sets, noNewPrivileges, RLIMIT_NOFILE, masked and read-only paths, the minimal
# /etc files; and bad input refused with nothing written. Run by the real runc as root.
source "$(dirname "$0")/lib.sh"
[ -x /bin/busybox ] || { echo "skipped: busybox-static not installed"; exit 77; }
BB=/bin/busybox

# --- Bad input: one clear error line, exit 1, nothing written (needs no runc) ---
echo '{"args": ["/bin/busybox"], "env": ["GOOD=1", "BAD"]}' > "$WORK/env.json"
echo '{"args": ["/bin/busybox"], "capAdd": ["CAP_TELEPORT"]}' > "$WORK/cap.json"
echo '{"args": ["/bin/busybox"], "cap_add": ["NET_RAW"]}' > "$WORK/capkey.json"
echo '{"args": ["/bin/busybox"], "user": "alice"}' > "$WORK/user.json"
expect_build_refused "--mount without a destination" "no destination given" \
    --mount "type=bind,source=$WORK" -- $BB true
expect_build_refused "--mount with an empty field" "empty field" \
    --mount "type=bind,,source=$WORK,destination=/d" -- $BB true
expect_build_refused "--mount with an empty type" "empty type" \
    --mount "type=,source=$WORK,destination=/d" -- $BB true
expect_build_refused "-v without a destination" "expected SOURCE:DESTINATION[:ro]" -v "$WORK" -- $BB true
expect_build_refused "-v with an unknown option" 'unknown option rx' -v "$WORK:/d:rx" -- $BB true
expect_build_refused "unknown --cap-add" "--cap-add: unknown capability CAP_TELEPORT" \
    --cap-add CAP_TELEPORT -- $BB true
expect_build_refused "unknown --cap-drop" "--cap-drop: unknown capability fly" --cap-drop fly -- $BB true
expect_build_refused "unknown capAdd in the spec" 'key "capAdd": unknown capability CAP_TELEPORT' \
    --spec "$WORK/cap.json"
expect_build_refused "unknown spec key still named" 'key "cap_add": unknown key' --spec "$WORK/capkey.json"
expect_build_refused "capability both added and dropped" "CAP_KILL is both added" \
    --cap-add kill --cap-drop CAP_KILL -- $BB true
expect_build_refused "user name without a passwd in the closure" \
    "--user alice: no user alice in the rootfs's /etc/passwd (the closure brings none" -u alice -- $BB true
expect_build_refused "user name missing from the closure's passwd" \
    "--user no-such-user-xyz: no user no-such-user-xyz in the rootfs's /etc/passwd" \
    --include /etc/passwd -u no-such-user-xyz -- $BB true
expect_build_refused "spec user name without an entry" "no user alice" --spec "$WORK/user.json"
expect_build_refused "group name without an entry" "no group wheelz in the rootfs's /etc/group" \
    -u 0:wheelz -- $BB true
expect_build_refused "malformed --user" "--user 1:2:3: expected UID[:GID]" -u 1:2:3 -- $BB true
expect_build_refused "--env without =" "--env FOO: expected KEY=VALUE" -e FOO -- $BB true
expect_build_refused "--env with an empty name" "the variable name is empty" -e =x -- $BB true
expect_build_refused "spec env without =" 'key "env[1]": BAD: expected KEY=VALUE' --spec "$WORK/env.json"
expect_build_refused "relative --cwd" "must be an absolute path" --cwd work -- $BB true
expect_build_refused "bad --hostname" "not a hostname" --hostname "a b" -- $BB true
expect_build_refused "non-root user in a rootless bundle" "a rootless bundle maps only container root" \
    --rootless -u 1000 -- $BB true

need_root

# --- Process settings as set ---
DEFAULT_CAPS="AUDIT_WRITE KILL NET_BIND_SERVICE"
"$OCITOOLS" build-container -o "$WORK/proc" --hostname box -e GREETING=hello -e "SPACED=a b" \
    --cwd /work/dir -u 1000:1000 -- $BB sh -c \
    'hostname; echo "$GREETING|$SPACED"; pwd; id -u; id -g; id -un; echo $$; grep NoNewPrivs /proc/self/status; ulimit -n; ulimit -Hn'
check_bundle "$WORK/proc"
out=$(run_bundle "$WORK/proc")
expect_eq "hostname, env, cwd, user, PID 1, noNewPrivileges, RLIMIT_NOFILE" \
    "box
hello|a b
/work/dir
1000
1000
user
1
NoNewPrivs:	1
1024
1024" "$out"
expect_eq "config.json keeps the env in order after PATH" \
    '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello", "SPACED=a b"]' \
    "$(config_get "$WORK/proc" 'c["process"]["env"]')"
check "the cwd exists in the rootfs" test -d "$WORK/proc/rootfs/work/dir"
expect_eq "/etc/passwd written with root, nobody and the process user" \
    "root nobody user" "$(cut -d: -f1 "$WORK/proc/rootfs/etc/passwd" | tr '\n' ' ' | sed 's/ $//')"
expect_contains "/etc/hosts names the hostname" "127.0.1.1	box" "$(cat "$WORK/proc/rootfs/etc/hosts")"

# --- The default capability sets, exactly; --cap-add / --cap-drop change them ---
"$OCITOOLS" build-container -o "$WORK/caps" -- $BB sh -c "$CAP_LINES"
check_bundle "$WORK/caps"
expect_eq "default capability sets are runc's" \
    "$(cap_status "" "$DEFAULT_CAPS" "$DEFAULT_CAPS" "$DEFAULT_CAPS" "")" "$(run_bundle "$WORK/caps")"

"$OCITOOLS" build-container -o "$WORK/capchg" --cap-add net_raw --cap-add CAP_SYS_TIME --cap-drop KILL \
    -- $BB sh -c "$CAP_LINES"
check_bundle "$WORK/capchg"
CHANGED="AUDIT_WRITE NET_BIND_SERVICE NET_RAW SYS_TIME"
expect_eq "--cap-add / --cap-drop change the sets" \
    "$(cap_status "" "$CHANGED" "$CHANGED" "$CHANGED" "")" "$(run_bundle "$WORK/capchg")"

"$OCITOOLS" build-container -o "$WORK/capnone" --cap-drop ALL -- $BB sh -c "$CAP_LINES"
check_bundle "$WORK/capnone"
expect_eq "--cap-drop ALL leaves none" "$(cap_status "" "" "" "" "")" "$(run_bundle "$WORK/capnone")"

# A non-root user keeps what it was given through the ambient set (inheritable and permitted
# too, which runtime-tools' -strict-ambient checks in check_bundle).
"$OCITOOLS" build-container -o "$WORK/capuser" -u 1000:1000 --cap-add NET_RAW -- $BB sh -c "$CAP_LINES"
check_bundle "$WORK/capuser"
expect_eq "a non-root user's added capability is ambient" \
    "$(cap_status "NET_RAW" "NET_RAW" "NET_RAW" "$DEFAULT_CAPS NET_RAW" "NET_RAW")" \
    "$(run_bundle "$WORK/capuser")"

# --- Masked and read-only paths (those of this kernel's files that exist) ---
MASKED_FILES="/proc/keys /proc/timer_list /proc/sched_debug /proc/kcore /proc/latency_stats"
expected=""
for p in $MASKED_FILES; do [ -e "$p" ] && expected+="$p 0"$'\n'; done
[ -n "$expected" ] || fail "none of $MASKED_FILES exists here: masking cannot be checked"
"$OCITOOLS" build-container -o "$WORK/mask" --hostname box -- $BB sh -c \
    "for p in $MASKED_FILES; do [ -e \$p ] && echo \"\$p \$(wc -c < \$p)\"; done; ls -A /sys/firmware | wc -l
     echo other > /proc/sys/kernel/hostname 2>/dev/null && echo wrote || echo refused; hostname"
check_bundle "$WORK/mask"
expect_eq "masked files read empty, /sys/firmware is empty, /proc/sys is read-only" "${expected}0
refused
box" "$(run_bundle "$WORK/mask" 2>/dev/null)"

# --- A user name from the closure's /etc/passwd; the closure's files are kept ---
"$OCITOOLS" build-container -o "$WORK/named" --include /etc/passwd --include /etc/group -u daemon \
    -- $BB sh -c 'id -u; id -g; id -un' 2>/dev/null
check_bundle "$WORK/named"
expect_eq "--user daemon is looked up in the rootfs's /etc/passwd" \
    "$(id -u daemon)
$(id -g daemon)
daemon" "$(run_bundle "$WORK/named")"
check "the closure's /etc/passwd is not replaced" cmp -s /etc/passwd "$WORK/named/rootfs/etc/passwd"
check "no /etc/hosts brought: the minimal one is written" test -f "$WORK/named/rootfs/etc/hosts"
"$OCITOOLS" build-container -o "$WORK/nobody" -u nobody -- $BB id
check_bundle "$WORK/nobody"
expect_eq "--user nobody resolves in the minimal passwd" \
    "uid=65534(nobody) gid=65534(nobody)" "$(run_bundle "$WORK/nobody")"
"$OCITOOLS" build-container -o "$WORK/root" -- $BB id
expect_eq "root by default, with names" "uid=0(root) gid=0(root)" "$(run_bundle "$WORK/root")"

# --- The spec keys; flags override them ---
cat > "$WORK/spec.json" <<JSON
{"args": ["/bin/busybox", "sh", "-c", "hostname; echo \$A \$B; pwd; id -u; grep ^Cap /proc/self/status"],
 "env": ["A=from-spec", "B=kept"], "cwd": "/srv", "user": "0:0", "hostname": "spec-host",
 "terminal": false, "rootless": false, "capAdd": ["net_admin"], "capDrop": ["CAP_KILL"]}
JSON
"$OCITOOLS" build-container -o "$WORK/spec" --spec "$WORK/spec.json" --hostname flag-host -e A=from-flag
check_bundle "$WORK/spec"
SPEC_CAPS="AUDIT_WRITE NET_ADMIN NET_BIND_SERVICE"
expect_eq "spec keys honoured, flags override" "flag-host
from-flag kept
/srv
0
$(cap_status "" "$SPEC_CAPS" "$SPEC_CAPS" "$SPEC_CAPS" "")" "$(run_bundle "$WORK/spec")"

# --- The user's PATH is the container's: `#!/usr/bin/env NAME` is found on it ---
mkdir -p "$WORK/opt/bin" "$WORK/app"
printf '#!%s sh\necho "foo ran from $0"\n' "$BB" > "$WORK/opt/bin/foo"
printf '#!/usr/bin/env foo\n' > "$WORK/app/run"
chmod 755 "$WORK/opt/bin/foo" "$WORK/app/run"
"$OCITOOLS" build-container -o "$WORK/userpath" -e "PATH=$WORK/opt/bin:/usr/bin:/bin" -- "$WORK/app/run"
check_bundle "$WORK/userpath"
expect_eq "a #!/usr/bin/env program on the user's PATH" "foo ran from $WORK/opt/bin/foo" \
    "$(run_bundle "$WORK/userpath")"

# --- A terminal (runc needs one on its side: script(1) provides it) ---
"$OCITOOLS" build-container -o "$WORK/tty" -t -- $BB sh -c 'tty; echo "TERM=$TERM"'
check_bundle "$WORK/tty"
expect_eq "config.json asks for a terminal" "true" "$(config_get "$WORK/tty" 'c["process"]["terminal"]')"
if command -v script >/dev/null; then
    RUN_SEQ=$((RUN_SEQ + 1))
    out=$(timeout 60 script -qec "runc run --bundle '$WORK/tty' e2e-$$-$RUN_SEQ" /dev/null </dev/null |
        tr -d '\r\000' | sed 's/\^@//g')  # the pty echoes the end of input as ^@
    expect_eq "--terminal gives the process a terminal and TERM" "/dev/pts/0
TERM=xterm" "$out"
else
    fail "script(1) (bsdutils) is missing: the terminal run cannot be checked"
fi

finish
