# Shared set-up for the end-to-end tests: each test script sources this file, builds real
# bundles with the real ocitools binary, checks them with three validators and runs them with
# the real runc. Environment (set by ctest): OCITOOLS, RT_VALIDATE, TOOLS_DIR.
set -euo pipefail

: "${OCITOOLS:?path to the ocitools binary}"
: "${TOOLS_DIR:?path to tests/tools}"
: "${RT_VALIDATE:?path to the runtime-tools validator binary}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ocitools-e2e.XXXXXX")
chmod 755 "$WORK"
FAILURES=0
CHECKS=0
cleanup() {
    # Containers left by a failed test would keep runc state around.
    for id in $(runc list -q 2>/dev/null | grep "^e2e-$$-" || true); do
        runc delete --force "$id" >/dev/null 2>&1 || true
    done
    # Rootless containers live under their own runc --root (setup_rootless_user).
    if [ -n "${RL_STATE:-}" ]; then
        for id in $(as_user runc --root "$RL_STATE" list -q 2>/dev/null | grep "^e2e-$$-" || true); do
            as_user runc --root "$RL_STATE" delete --force "$id" >/dev/null 2>&1 || true
        done
    fi
    # A test's own clean-up.
    if declare -F e2e_cleanup_hook >/dev/null; then e2e_cleanup_hook || true; fi
    if [ -n "${MOUNTS:-}" ]; then
        for m in "$MOUNTS"/*; do mountpoint -q "$m" && umount "$m"; done
        rm -rf "$MOUNTS"
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# mount_dir NAME: an empty directory for a test's own mount, outside /tmp, /var/tmp, /run and
# $HOME: a mount beneath one of those makes the kernel refuse the traced run's overlay of it,
# and other tests trace while this one runs. Unmounted and removed at exit.
mount_dir() {
    [ -n "${MOUNTS:-}" ] || MOUNTS=$(mktemp -d /srv/ocitools-e2e-mounts.XXXXXX)
    mkdir -p "$MOUNTS/$1"
    echo "$MOUNTS/$1"
}

fail() {
    echo "FAIL: $*" >&2
    FAILURES=$((FAILURES + 1))
}
pass() {
    echo "ok: $*"
}
check() {  # check DESCRIPTION COMMAND...
    local what=$1
    shift
    CHECKS=$((CHECKS + 1))
    if "$@"; then pass "$what"; else fail "$what"; fi
}
expect_eq() {  # expect_eq DESCRIPTION EXPECTED ACTUAL
    CHECKS=$((CHECKS + 1))
    if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}
expect_contains() {  # expect_contains DESCRIPTION NEEDLE HAYSTACK
    CHECKS=$((CHECKS + 1))
    if [[ "$3" == *"$2"* ]]; then pass "$1"; else fail "$1: [$3] does not contain [$2]"; fi
}

need_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "skipped: runc as root needs root"
        exit 77
    fi
}

# A bundle passes the runtime-spec JSON schema, runtime-tools' validate checks, and ours.
check_bundle() {
    local dir=$1 out
    CHECKS=$((CHECKS + 1))
    if ! out=$(/usr/bin/python3 "$TOOLS_DIR/check-schema.py" "$dir" 2>&1); then
        fail "$dir: runtime-spec schema: $out"
        return
    fi
    # -strict-ambient: an ambient capability must also be inheritable and permitted
    # (capabilities(7)); runc's own `runc spec` breaks that rule, ocitools must not.
    if ! out=$("$RT_VALIDATE" -strict-ambient "$dir" 2>/dev/null); then
        fail "$dir: runtime-tools validate: $out"
        return
    fi
    if ! out=$("$OCITOOLS" validate "$dir" 2>&1); then
        fail "$dir: ocitools validate: $out"
        return
    fi
    pass "$dir passes the schema, runtime-tools and ocitools validate"
}

# run_bundle DIR: run it under runc (rootful), print the command's output; returns its status.
RUN_SEQ=0
run_bundle() {
    RUN_SEQ=$((RUN_SEQ + 1))
    timeout 60 runc run --bundle "$1" "e2e-$$-$RUN_SEQ" </dev/null
}

# expect_build_refused DESCRIPTION NEEDLE BUILD-CONTAINER-ARGS...: `ocitools build-container -o
# $WORK/refused/b ARGS...` must fail with one error line holding NEEDLE and leave nothing in
# $WORK/refused (no bundle, no temporary).
expect_build_refused() {
    local what=$1 needle=$2 err rc=0
    shift 2
    mkdir -p "$WORK/refused"
    err=$("$OCITOOLS" build-container -o "$WORK/refused/b" "$@" 2>&1 >/dev/null) || rc=$?
    CHECKS=$((CHECKS + 1))
    err=$(printf '%s\n' "$err" | grep -v '^ocitools: warning: ' || true)
    if [ "$rc" -ne 1 ]; then fail "$what: exit status $rc, expected 1 ($err)"
    elif [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then fail "$what: not one line: $err"
    elif [[ "$err" != *"$needle"* ]]; then fail "$what: [$err] lacks [$needle]"
    elif [ -n "$(ls -A "$WORK/refused")" ]; then fail "$what: left $(ls -A "$WORK/refused")"
    else pass "$what ($err)"
    fi
    rm -rf "$WORK/refused"
}

# config_get DIR PYTHON-EXPR-ON-c: a value from DIR/config.json (JSON for lists and objects).
config_get() {
    /usr/bin/python3 - "$1/config.json" "$2" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))
PY
}

# Capabilities by number (capabilities(7), <linux/capability.h>), to spell the masks that
# /proc/self/status shows: an oracle independent of ocitools' own table.
CAP_NUMBERS=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
    LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE
    SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME
    SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG
    WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE)
cap_mask() {  # cap_mask NAME... (without CAP_) -> 0000000020000420
    local mask=0 name i found
    for name in "$@"; do
        found=0
        for i in "${!CAP_NUMBERS[@]}"; do
            if [ "${CAP_NUMBERS[$i]}" == "$name" ]; then mask=$((mask | (1 << i))); found=1; fi
        done
        [ "$found" -eq 1 ] || { echo "cap_mask: unknown capability $name" >&2; return 1; }
    done
    printf '%016x' "$mask"
}
# cap_status "INHERITABLE" "PERMITTED" "EFFECTIVE" "BOUNDING" "AMBIENT": the Cap* lines of
# /proc/self/status (proc(5)) for these sets, each a space-separated list of names.
cap_status() {
    local label set
    set -- CapInh "$1" CapPrm "$2" CapEff "$3" CapBnd "$4" CapAmb "$5"
    while [ $# -gt 0 ]; do
        label=$1 set=$2
        shift 2
        # shellcheck disable=SC2086  # a list of names
        printf '%s:\t%s\n' "$label" "$(cap_mask $set)"
    done
}
# The shell command that prints those lines inside a container.
CAP_LINES='grep "^Cap" /proc/self/status'

# The unprivileged user of the rootless tests: the caller when not root; as root (CI, on a fresh
# machine), a dedicated user, created when missing. as_user runs a command as that user.
setup_rootless_user() {
    if [ "$(id -u)" != 0 ]; then
        ROOTLESS_USER=$(id -un)
        as_user() { "$@"; }
    else
        ROOTLESS_USER=${OCITOOLS_E2E_USER:-ocitools-e2e}
        if ! id -u "$ROOTLESS_USER" >/dev/null 2>&1; then
            useradd --create-home --shell /bin/sh "$ROOTLESS_USER" 2>/dev/null ||
                id -u "$ROOTLESS_USER" >/dev/null  # a concurrent run may have made it
        fi
        as_user() { runuser -u "$ROOTLESS_USER" -- "$@"; }
    fi
    ROOTLESS_UID=$(id -u "$ROOTLESS_USER")
    ROOTLESS_GID=$(id -g "$ROOTLESS_USER")
    # The user's own directory for bundles and runc state; and a copy of ocitools it can run
    # (the build tree may sit in a directory only root can enter).
    RL="$WORK/rootless"
    mkdir -p "$RL/bin"
    cp "$OCITOOLS" "$RL/bin/ocitools"
    chmod 755 "$RL/bin" "$RL/bin/ocitools"
    chown -R "$ROOTLESS_UID:$ROOTLESS_GID" "$RL"
    RL_OCITOOLS="$RL/bin/ocitools"
    RL_STATE="$RL/runc-state"
    as_user mkdir -p "$RL_STATE"
}

# run_bundle_rootless DIR: run it with runc as the unprivileged user, state under RL_STATE.
run_bundle_rootless() {
    RUN_SEQ=$((RUN_SEQ + 1))
    (cd "$1" && as_user timeout 60 runc --root "$RL_STATE" run "e2e-$$-$RUN_SEQ" </dev/null)
}

# stop_mid_build TARGET COMMAND...: start a build of TARGET in the background and freeze it
# (SIGSTOP) while its temporary sibling exists and the target does not: the moment a signal or a
# kill must find. Sets BUILD_PID; the caller sends its signal, then SIGCONT. Tries five builds; a
# run where none was caught mid-way is a failure, never a skipped check.
stop_mid_build() {
    local target=$1 temp state
    shift
    temp="$(dirname "$target")/.$(basename "$target").ocitools-tmp-*"
    for _ in 1 2 3 4 5; do
        "$@" 2>"$WORK/mid-build.err" &
        BUILD_PID=$!
        for _ in $(seq 1 4000); do
            if compgen -G "$temp" >/dev/null; then
                kill -STOP "$BUILD_PID" 2>/dev/null || break
                state=$(awk '{print $3}' "/proc/$BUILD_PID/stat" 2>/dev/null || echo gone)
                while [ "$state" != T ] && [ "$state" != Z ] && [ "$state" != gone ]; do
                    sleep 0.01
                    state=$(awk '{print $3}' "/proc/$BUILD_PID/stat" 2>/dev/null || echo gone)
                done
                if [ "$state" = T ] && compgen -G "$temp" >/dev/null && [ ! -e "$target" ]; then
                    return 0
                fi
                kill -CONT "$BUILD_PID" 2>/dev/null || true
                break
            fi
            kill -0 "$BUILD_PID" 2>/dev/null || break
            sleep 0.002
        done
        wait "$BUILD_PID" 2>/dev/null || true
        rm -rf "$target"
    done
    fail "no build of $target could be caught mid-way (5 tries): make it bigger"
    return 1
}

finish() {
    echo "$((CHECKS - FAILURES)) passed, $FAILURES failed"
    [ "$FAILURES" -eq 0 ]
}
