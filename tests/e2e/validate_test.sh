#!/usr/bin/env bash
# `ocitools validate`: each problem on its own line, exit 1 when invalid, 0 when valid.
source "$(dirname "$0")/lib.sh"
[ -x /bin/busybox ] || { echo "skipped: busybox-static not installed"; exit 77; }

"$OCITOOLS" build-container -o "$WORK/good" -- /bin/busybox echo hi
check "a fresh bundle is valid" "$OCITOOLS" validate "$WORK/good"

# broken NAME PYTHON-EXPR-ON-c: copy the good bundle and mutate its config.json.
broken() {
    rm -rf "$WORK/$1"
    cp -a "$WORK/good" "$WORK/$1"
    /usr/bin/python3 - "$WORK/$1/config.json" "$2" <<'PY'
import json, sys
path, expr = sys.argv[1], sys.argv[2]
c = json.load(open(path))
exec(expr)
json.dump(c, open(path, "w"), indent=2)
PY
}
expect_invalid() {  # expect_invalid NAME NEEDLE
    local out rc=0
    out=$("$OCITOOLS" validate "$WORK/$1") || rc=$?
    CHECKS=$((CHECKS + 1))
    if [ "$rc" -ne 1 ]; then fail "$1: exit $rc, expected 1 ($out)"; return; fi
    if [[ "$out" != *"$2"* ]]; then fail "$1: [$out] lacks [$2]"; return; fi
    pass "$1 reported: $out"
}
broken relcwd 'c["process"]["cwd"] = "tmp"';                 expect_invalid relcwd "process.cwd: \"tmp\" is not absolute"
broken noargs 'c["process"]["args"] = []';                   expect_invalid noargs "process.args: must not be empty"
broken version 'c["ociVersion"] = "1.0"';                    expect_invalid version "is not a SemVer 2.0.0 version"
broken dupns 'c["linux"]["namespaces"].append({"type": "pid"})'; expect_invalid dupns "appears more than once"
broken badns 'c["linux"]["namespaces"].append({"type": "bogus"})'; expect_invalid badns "is not a namespace type"
broken relmnt 'c["mounts"].append({"destination": "mnt", "type": "tmpfs", "source": "tmpfs"})'; expect_invalid relmnt "is not absolute"
broken noroot 'c["root"]["path"] = "nowhere"';               expect_invalid noroot "root.path"
broken types 'c["process"]["user"]["uid"] = "0"';           expect_invalid types "process.user.uid: must be a non-negative integer"
broken platform 'c["platform"] = {"os": "linux", "arch": "amd64"}'; expect_invalid platform "platform: removed"
broken missing 'c["process"]["args"] = ["/bin/nothere"]';    expect_invalid missing "/bin/nothere in the rootfs: No such file or directory"
broken barename 'c["process"]["args"] = ["nothere"]';        expect_invalid barename "nothere is not an executable file on the container's PATH"
broken bare 'c["process"]["args"] = ["busybox"]'
check "a bare name found through the container PATH is valid" "$OCITOOLS" validate "$WORK/bare"
rm -rf "$WORK/noexec" && cp -a "$WORK/good" "$WORK/noexec" && chmod a-x "$WORK/noexec/rootfs/usr/bin/busybox"
expect_invalid noexec "not executable"
# A script whose #! interpreter is itself a script (the kernel follows up to four): valid.
mkdir -p "$WORK/nested"
printf '#!/bin/busybox sh\necho "inner ran $1"\n' > "$WORK/nested/inner"
printf '#!%s\n' "$WORK/nested/inner" > "$WORK/nested/outer"
chmod 755 "$WORK/nested/inner" "$WORK/nested/outer"
"$OCITOOLS" build-container -o "$WORK/nestedb" -- "$WORK/nested/outer"
check "a script run through a script interpreter is valid" "$OCITOOLS" validate "$WORK/nestedb"
echo '{"ociVersion": ' > "$WORK/good/config.json"
expect_invalid good "malformed JSON"

finish
