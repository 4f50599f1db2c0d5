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
    rm -rf "$WORK"
}
trap cleanup EXIT

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
    if ! out=$("$RT_VALIDATE" "$dir" 2>/dev/null); then
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

finish() {
    echo "$((CHECKS - FAILURES)) passed, $FAILURES failed"
    [ "$FAILURES" -eq 0 ]
}
