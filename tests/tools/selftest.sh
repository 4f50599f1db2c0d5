#!/bin/bash
# Self-test for the two bundle checkers in this directory.
#
# Usage: selftest.sh [RUNTIME_TOOLS_VALIDATE_BINARY]
#
# Without an argument the Go checker is built into a temporary directory
# (set GOCACHE to reuse a build cache).  Needs runc (for `runc spec`) and
# Debian's /usr/bin/python3 with python3-jsonschema.
#
# Each case lists the expected verdict of each checker (pass/fail); the
# case is PASS when both match.  Exit status is non-zero on any mismatch.
set -u

here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
schema_check="$here/check-schema.py"

work=$(mktemp -d "${TMPDIR:-/tmp}/ocitools-checkers-selftest.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ $# -ge 1 ]; then
    rtv=$1
else
    rtv="$work/bin/runtime-tools-validate"
    echo "building $rtv ..."
    if ! "$here/build-runtime-tools-validate.sh" "$rtv"; then
        echo "FAIL: cannot build runtime-tools-validate" >&2
        exit 1
    fi
fi

command -v runc >/dev/null || { echo "FAIL: runc not found" >&2; exit 1; }

# Base bundle from `runc spec`, with busybox in rootfs if the host has one.
base="$work/base"
mkdir -p "$base/rootfs"
(cd "$base" && runc spec) || { echo "FAIL: runc spec" >&2; exit 1; }
if [ -x /bin/busybox ]; then
    mkdir -p "$base/rootfs/bin"
    cp /bin/busybox "$base/rootfs/bin/busybox"
    "$py" - "$base/config.json" <<'EOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/bin/busybox", "sh", "-c", "true"]
c["process"]["terminal"] = False
json.dump(c, open(p, "w"), indent=2)
EOF
fi

failures=0
total=0

# run_case NAME EXPECT_SCHEMA EXPECT_GO PYTHON_MUTATION [GO_FLAGS...]
#   PYTHON_MUTATION edits dict `c` (config.json) and may use `bundle` (path).
run_case() {
    local name=$1 want_schema=$2 want_go=$3 mutation=$4
    shift 4
    local dir="$work/case-$name"
    cp -a "$base" "$dir"
    if [ -n "$mutation" ]; then
        "$py" - "$dir" "$mutation" <<'EOF' || { echo "FAIL $name: mutation failed"; failures=$((failures+1)); return; }
import json, os, shutil, sys
bundle, code = sys.argv[1], sys.argv[2]
p = os.path.join(bundle, "config.json")
c = json.load(open(p))
exec(code)
json.dump(c, open(p, "w"), indent=2)
EOF
    fi

    local out_s out_g rc_s rc_g got_s got_go
    out_s=$("$schema_check" "$dir" 2>&1); rc_s=$?
    out_g=$("$rtv" "$@" "$dir" 2>&1); rc_g=$?
    case $rc_s in 0) got_s=pass ;; 1) got_s=fail ;; *) got_s="error($rc_s)" ;; esac
    case $rc_g in 0) got_go=pass ;; 1) got_go=fail ;; *) got_go="error($rc_g)" ;; esac

    total=$((total+1))
    local verdict=PASS
    if [ "$got_s" != "$want_schema" ] || [ "$got_go" != "$want_go" ]; then
        verdict=FAIL
    fi
    # A failing checker must say why.
    if [ "$got_s" = fail ] && [ -z "$out_s" ]; then verdict=FAIL; fi
    if [ "$got_go" = fail ] && [ -z "$out_g" ]; then verdict=FAIL; fi
    [ "$verdict" = PASS ] || failures=$((failures+1))

    printf '%-4s %-26s schema=%-5s (want %-4s)  go=%-5s (want %s)\n' \
        "$verdict" "$name" "$got_s" "$want_schema" "$got_go" "$want_go"
    if [ "$verdict" = FAIL ] || [ -n "${VERBOSE:-}" ]; then
        [ -n "$out_s" ] && printf '     schema| %s\n' "${out_s//$'\n'/$'\n'     schema| }"
        [ -n "$out_g" ] && printf '     go    | %s\n' "${out_g//$'\n'/$'\n'     go    | }"
    fi
}

#        name                    schema go    mutation
run_case runc-spec+busybox       pass   pass  ''
run_case runc-spec-args-sh       pass   pass  'c["process"]["args"] = ["sh"]; c["process"]["terminal"] = True'
# runc spec's ambient caps lack "inheritable": only fatal with -strict-ambient.
run_case runc-spec-strict-ambient pass  fail  '' -strict-ambient
run_case inheritable-added-strict pass  pass  'c["process"]["capabilities"]["inheritable"] = list(c["process"]["capabilities"]["ambient"])' -strict-ambient
run_case relative-cwd            pass   fail  'c["process"]["cwd"] = "tmp"'
run_case missing-args            pass   fail  'del c["process"]["args"]'
run_case empty-args              pass   fail  'c["process"]["args"] = []'
run_case duplicate-namespace     pass   fail  'c["linux"]["namespaces"].append({"type": "pid"})'
run_case invalid-namespace-type  fail   fail  'c["linux"]["namespaces"].append({"type": "bogus"})'
run_case relative-mount-dest     pass   fail  'c["mounts"][0]["destination"] = "proc"'
run_case ociVersion-1.0          pass   fail  'c["ociVersion"] = "1.0"'
run_case ociVersion-v-prefix     pass   fail  'c["ociVersion"] = "v1.0.2"'
run_case platform-key            fail   pass  'c["platform"] = {"os": "linux", "arch": "amd64"}'
run_case missing-ociVersion      fail   fail  'del c["ociVersion"]'
run_case cwd-not-string          fail   fail  'c["process"]["cwd"] = 5'
run_case missing-rootfs-dir      pass   fail  'shutil.rmtree(os.path.join(bundle, "rootfs"))'
run_case args0-not-executable    pass   fail  'os.chmod(os.path.join(bundle, "rootfs/bin/busybox"), 0o644)'

echo "$((total)) cases, $failures unexpected"
[ "$failures" -eq 0 ]
