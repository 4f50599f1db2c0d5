#!/usr/bin/env bash
# OCI images (ocitools build-image) end to end, checked by their real consumers: the image-spec
# JSON schemas and the layout's own digests (tests/tools/check-image.py), skopeo inspect,
# umoci unpack + runc, podman run from the layout, podman load of the docker-archive, and a
# docker-registry this test starts on 127.0.0.1 (skopeo copy in, podman pull out). Then: layers
# shared between images, byte-reproducible builds, SOURCE_DATE_EPOCH, the layer limit, the
# compressions and their levels, the image config, warnings for what an image cannot carry, and
# bad input that leaves nothing behind.
#
# What the tools on these machines need (Debian bookworm: podman 4.3.1, skopeo 1.9.3, umoci
# 0.4.7, docker-registry 2.8.2):
#   * podman runs as root with everything of its own under $WORK: --root, --runroot, --tmpdir
#     (else /run/libpod), --network-config-dir (else /etc/containers/networks), --volumepath;
#     its own policy.json (--signature-policy; skopeo --policy), registries.conf
#     (CONTAINERS_REGISTRIES_CONF), an empty containers.conf (CONTAINERS_CONF) and a
#     storage.conf naming vfs and those directories (CONTAINERS_STORAGE_CONF; an empty one
#     fails: "runroot must be set"), so a host without containers-common's files, or with other
#     settings, changes nothing. `run` gets --net=none: the default bridge network has netavark
#     add iptables chains and a podman0 bridge, and mount /run/netns, on the host. GUIDE.md's
#     flags: --runtime runc --cgroup-manager=cgroupfs --storage-driver=vfs --events-backend=file,
#     and on run --ulimit nofile=1024:1024 --ulimit nproc=1024:1024. vfs copies every layer
#     whole: python3's 32 layers take 780 MB and ~14 s per import, so few runs use it.
#   * podman names an image it takes from oci:DIR:REF after DIR ("localhost/DIR"), not after REF,
#     so DIR must be a valid lower-case reference: podman runs from $WORK with relative
#     paths (mktemp's $WORK has upper-case letters). skopeo, podman and umoci all split
#     DIR:NAME:TAG at its first colon, so a ref name with a colon ("busybox:1.0") works as typed.
#   * umoci unpack writes a config.json with "terminal": true; runc without a tty then fails
#     ("open /dev/tty"), so the test sets it to false.
#   * umoci 0.4.7 refuses zstd layers ("blob is not correct mediatype ...tar+zstd"); podman 4.3
#     runs them. zstd images are checked by check-image.py and podman; uncompressed ones by umoci.
#   * c/image keeps a blob-info cache in /var/lib/containers/cache and netavark a directory
#     /run/containers/networks even with --net=none; no flag moves them, so the clean-up
#     removes them when this test created them: the cache file, then each directory if empty
#     (another podman user may have come meanwhile).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nix_lib.sh"
need_root
for tool in runc umoci skopeo podman docker-registry zstd curl; do
    command -v "$tool" >/dev/null || { echo "skipped: $tool not installed"; exit 77; }
done
for f in /bin/busybox /usr/bin/python3 /usr/bin/perl; do
    [ -x "$f" ] || { echo "skipped: $f not installed"; exit 77; }
done
SCHEMA_DIR=/usr/share/gocode/src/github.com/opencontainers/image-spec/schema
[ -f "$SCHEMA_DIR/image-manifest-schema.json" ] ||
    { echo "skipped: no image-spec schemas (golang-github-opencontainers-image-spec-dev)"; exit 77; }
SECONDS=0
unset NIX_STORE_DIR NIX_STATE_DIR NIX_LOG_DIR SOURCE_DATE_EPOCH

# podman and skopeo's files outside $WORK, removed at the end when this test made them.
NEW_VARLIB=0 NEW_RUN=0
[ -e /var/lib/containers ] || NEW_VARLIB=1
[ -e /run/containers ] || NEW_RUN=1

PM="$WORK/podman"
mkdir -p "$PM/tmp"
echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$PM/policy.json"
echo 'unqualified-search-registries = []' >"$PM/registries.conf"
: >"$PM/containers.conf"
# c/storage wants a driver and a runroot in the file it is pointed at, even with the flags.
printf '[storage]\ndriver = "vfs"\nrunroot = "%s"\ngraphroot = "%s"\n' "$PM/runroot" "$PM/root" >"$PM/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$PM/registries.conf" CONTAINERS_CONF="$PM/containers.conf" \
    CONTAINERS_STORAGE_CONF="$PM/storage.conf"
PODMAN=(podman --root "$PM/root" --runroot "$PM/runroot" --tmpdir "$PM/tmp"
    --network-config-dir "$PM/net" --volumepath "$PM/volumes"
    --runtime runc --cgroup-manager=cgroupfs --storage-driver=vfs --events-backend=file)
pm() { TMPDIR="$PM/tmp" timeout 120 "${PODMAN[@]}" "$@" </dev/null; }
# pm_run IMAGE [ARG...]: the container's stdout; when podman fails, the end of its stderr.
pm_run() {
    pm run --rm --net=none --signature-policy "$PM/policy.json" \
        --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@" 2>"$WORK/podman.err" ||
        echo "podman run failed: $(tail -n 3 "$WORK/podman.err")"
}
sk() { timeout 120 skopeo --policy "$PM/policy.json" "$@"; }

REGISTRY_PID=
e2e_cleanup_hook() {
    if [ -n "$REGISTRY_PID" ]; then kill "$REGISTRY_PID" 2>/dev/null; wait "$REGISTRY_PID" 2>/dev/null; fi
    if [ -d "$PM/root" ]; then pm rm --all --force >/dev/null 2>&1; fi
    # Mounts of this test (the tmpfs and read-only bind of the bad-input checks, a container's
    # shm left by a killed podman), innermost first.
    findmnt -rn -o TARGET | grep -F "$WORK/" | sort -r | while read -r m; do umount -l "$m"; done
    if [ "$NEW_VARLIB" = 1 ]; then
        rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb
        rmdir /var/lib/containers/cache /var/lib/containers 2>/dev/null
    fi
    if [ "$NEW_RUN" = 1 ]; then rmdir /run/containers/networks /run/containers 2>/dev/null; fi
}

cd "$WORK" || exit 1
IMG=img  # relative to $WORK: podman's names come from it (see above)
mkdir -p "$IMG"

CHECK_IMAGE=(/usr/bin/python3 "$TOOLS_DIR/check-image.py" --schema-dir "$SCHEMA_DIR")
# build_image OUTPUT ARGS...: a build that must succeed; its stderr is kept in $WORK/build.err.
# A failure is counted and the test goes on: the checks of that image then fail on their own.
build_image() {
    local out=$1
    shift
    if ! "$OCITOOLS" build-image -o "$out" "$@" 2>"$WORK/build.err"; then
        fail "build-image -o $out $*: $(tail -n 5 "$WORK/build.err")"
    fi
}
# check_image PATH [CHECK-IMAGE-FLAGS...]: check-image.py finds nothing wrong.
check_image() {
    local path=$1 out
    shift
    CHECKS=$((CHECKS + 1))
    if out=$("${CHECK_IMAGE[@]}" "$@" "$path" 2>&1); then
        pass "$path passes check-image.py $*"
    else
        fail "$path: check-image.py $*: $(head -n 20 <<<"$out")"
    fi
}
# check_image_refuses WHAT NEEDLE PATH [CHECK-IMAGE-FLAGS...]: check-image.py exits 1 on PATH,
# saying NEEDLE.
check_image_refuses() {
    local what=$1 needle=$2 path=$3 out rc=0
    shift 3
    out=$("${CHECK_IMAGE[@]}" "$@" "$path" 2>&1) || rc=$?
    CHECKS=$((CHECKS + 1))
    if [ "$rc" -eq 1 ] && [[ "$out" == *"$needle"* ]]; then
        pass "check-image.py refuses $what ($(grep -m1 -F -- "$needle" <<<"$out"))"
    else
        fail "check-image.py on $what: exit $rc, [$needle] not in [$(head -n 5 <<<"$out")]"
    fi
}
# check_skopeo LAYOUT REF: skopeo inspect reads it and finds the manifest index.json names.
check_skopeo() {
    local got
    CHECKS=$((CHECKS + 1))
    if got=$(sk inspect --format '{{.Digest}}' "oci:$1:$2" 2>&1); then
        if [ "$got" == "$(image_get "$1" "$2" 'desc["digest"]')" ]; then
            pass "skopeo inspect oci:$1:$2"
        else
            fail "skopeo inspect oci:$1:$2: digest $got, index.json says otherwise"
        fi
    else
        fail "skopeo inspect oci:$1:$2: $got"
    fi
}
# run_umoci LAYOUT REF: umoci unpack then runc run; prints the command's output.
UMOCI_SEQ=0
run_umoci() {
    UMOCI_SEQ=$((UMOCI_SEQ + 1))
    local b="$WORK/umoci-$UMOCI_SEQ"
    if ! umoci unpack --image "$1:$2" "$b" >"$WORK/umoci.err" 2>&1; then
        echo "umoci unpack failed: $(tail -n 3 "$WORK/umoci.err")"
        return 1
    fi
    /usr/bin/python3 - "$b/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
json.dump(c, open(sys.argv[1], "w"))
PY
    run_bundle "$b" 2>&1
    local rc=$?
    rm -rf "$b"
    return $rc
}
# image_get LAYOUT REF EXPR: the Python expression EXPR over the image REF ("" for a layout's only
# manifest). Names: index, desc (its descriptor), m (manifest), c (config), layers (digests),
# blobs (manifest, config and layer digests), created_by (per layer), holding(PATH) (digest of
# the layer whose tar holds PATH, "" if none).
image_get() {
    /usr/bin/python3 - "$@" <<'PY'
import gzip, json, os, subprocess, sys, tarfile, io
root, ref, expr = sys.argv[1:4]
def blob(d):
    with open(os.path.join(root, "blobs", "sha256", d[len("sha256:"):]), "rb") as f:
        return f.read()
index = json.load(open(os.path.join(root, "index.json")))
descs = [d for d in index["manifests"]
         if ref == "" or (d.get("annotations") or {}).get("org.opencontainers.image.ref.name") == ref]
if len(descs) != 1:
    sys.exit("image_get: %d manifests named %r in %s" % (len(descs), ref, root))
desc = descs[0]
m = json.loads(blob(desc["digest"]))
c = json.loads(blob(m["config"]["digest"]))
layers = [l["digest"] for l in m["layers"]]
blobs = [desc["digest"], m["config"]["digest"]] + layers
created_by = [h.get("created_by", "") for h in c.get("history", []) if not h.get("empty_layer")]
def names(l):
    data = blob(l["digest"])
    if l["mediaType"].endswith("+gzip"):
        data = gzip.decompress(data)
    elif l["mediaType"].endswith("+zstd"):
        data = subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return {n[2:] if n.startswith("./") else n for n in t.getnames()}
def holding(path):
    for l in m["layers"]:
        if path in names(l):
            return l["digest"]
    return ""
v = eval(expr)
print(v if isinstance(v, str) else json.dumps(v))
PY
}
# expect_refused DESCRIPTION NEEDLE DIR COMMAND...: exit 1, one "ocitools: error: " line holding
# NEEDLE, and DIR (where the output was to go) left empty: no image, no temporary. Warnings and
# the "ocitools: including FILE" notes may come first. With USAGE_ERROR=1, a usage error
# as CLI11 reports it is accepted too: exit 2, its line, then "Run with --help ...".
expect_refused() {
    local what=$1 needle=$2 dir=$3 err rc=0 prefix="ocitools: error: "
    shift 3
    err=$("$@" 2>&1 >/dev/null) || rc=$?
    err=$(printf '%s\n' "$err" | grep -v -e '^ocitools: warning: ' -e '^ocitools: including ' || true)
    CHECKS=$((CHECKS + 1))
    if [ "${USAGE_ERROR:-0}" = 1 ] && [ "$rc" -eq 2 ]; then
        rc=1 prefix=
        err=$(printf '%s\n' "$err" | grep -v '^Run with --help for more information\.$' || true)
    fi
    if [ "$rc" -ne 1 ]; then fail "$what: exit status $rc, expected 1 ($err)"
    elif [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then fail "$what: not one line: $err"
    elif [[ "$err" != "$prefix"* ]]; then fail "$what: [$err] is not an ocitools error"
    elif [[ "$err" != *"$needle"* ]]; then fail "$what: [$err] lacks [$needle]"
    elif [ -n "$(ls -A "$dir")" ]; then fail "$what: left $(ls -A "$dir")"
    else pass "$what ($err)"
    fi
}
# break_image SRC DST KIND [NOW]: DST becomes a copy of the layout SRC (one manifest, gzip
# layers) broken in one way, every digest above the change made right again so that only that
# rule is broken: check-image.py must say so (below).
break_image() {
    /usr/bin/python3 - "$@" <<'PY'
import gzip, hashlib, io, json, os, shutil, sys, tarfile
src, dst, kind = sys.argv[1:4]
shutil.copytree(src, dst)
B = os.path.join(dst, "blobs", "sha256")
def read(d):
    with open(os.path.join(B, d[7:]), "rb") as f:
        return f.read()
def put(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(os.path.join(B, d[7:]), "wb") as f:
        f.write(data)
    return d, len(data)
index = json.load(open(os.path.join(dst, "index.json")))
desc = index["manifests"][0]
m = json.loads(read(desc["digest"]))
c = json.loads(read(m["config"]["digest"]))
def members(i):
    t = tarfile.open(fileobj=io.BytesIO(gzip.decompress(read(m["layers"][i]["digest"]))))
    return [(ti, t.extractfile(ti).read() if ti.isreg() else None) for ti in t.getmembers()]
def tree_key(e):
    return [p.encode() for p in e[0].name.split("/")]
def put_layer(i, entries, keep_order=False, gzip_mtime=0):
    if not keep_order:
        entries = sorted(entries, key=tree_key)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    raw = buf.getvalue()
    c["rootfs"]["diff_ids"][i] = "sha256:" + hashlib.sha256(raw).hexdigest()
    # Two gzip members, as a parallel writer makes them; gzip_mtime goes in the second's header.
    half = len(raw) // 2
    d, n = put(gzip.compress(raw[:half], mtime=0) + gzip.compress(raw[half:], mtime=gzip_mtime))
    m["layers"][i].update(digest=d, size=n)
def entry(name, type_=tarfile.REGTYPE, data=None, **kw):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode = type_, 0o644
    if data is not None:
        ti.size = len(data)
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti, data
last = len(m["layers"]) - 1
rechain = True
if kind == "flip":  # a byte of a layer blob changed: its digest no longer matches
    p = os.path.join(B, m["layers"][0]["digest"][7:])
    data = bytearray(open(p, "rb").read())
    data[len(data) // 2] ^= 0xFF
    open(p, "wb").write(bytes(data))
    rechain = False
elif kind == "size":
    m["layers"][0]["size"] += 1
elif kind == "diff-id":
    c["rootfs"]["diff_ids"][0] = "sha256:" + hashlib.sha256(b"another tar").hexdigest()
elif kind == "diff-ids-count":
    c["rootfs"]["diff_ids"].pop()
elif kind == "history":
    c["history"].pop()
elif kind == "created":
    c["created"] = "1 January 1970"
elif kind == "platform":
    desc["platform"] = {"architecture": "s390x", "os": "linux"}
elif kind == "owner":
    e = members(last)
    e[-1][0].uid = 1000
    put_layer(last, e)
elif kind == "uname":
    e = members(last)
    e[-1][0].uname = "root"
    put_layer(last, e)
elif kind == "absolute":
    e = members(last)
    e[-1][0].name = "/" + e[-1][0].name
    put_layer(last, e, keep_order=True)
elif kind == "dotdot":
    put_layer(last, members(last) + [entry("tmp/../../evil", data=b"x")])
elif kind == "device":
    put_layer(last, members(last) + [entry("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3)])
elif kind == "fifo":
    put_layer(last, members(last) + [entry("tmp/fifo", tarfile.FIFOTYPE)])
elif kind == "whiteout":
    put_layer(last, members(last) + [entry("tmp/.wh.gone", data=b"")])
elif kind == "hardlink":
    put_layer(last, members(last) + [entry("tmp/link", tarfile.LNKTYPE, linkname="tmp/no-such-file")])
elif kind == "unsorted":
    put_layer(last, list(reversed(members(last))), keep_order=True)
elif kind == "two-layers":  # a file of the first layer again in the last
    first = [(ti, d) for ti, d in members(0) if ti.isreg()][0]
    put_layer(last, members(last) + [first])
elif kind == "mtime":
    e = members(last)
    e[-1][0].mtime = int(sys.argv[4]) + 1
    put_layer(last, e)
elif kind == "gzip-mtime":
    put_layer(last, members(last), gzip_mtime=1700000000)
elif kind == "unreferenced":
    put(b"a blob nothing names")
elif kind == "schema":  # a digest the descriptor grammar refuses
    m["config"]["digest"] = "SHA256:" + m["config"]["digest"][7:]
elif kind in ("duplicate-ref", "duplicate-key"):
    pass
else:
    sys.exit("break_image: unknown kind " + kind)
if rechain:
    if kind != "schema":
        d, n = put(json.dumps(c).encode())
        m["config"].update(digest=d, size=n)
    d, n = put(json.dumps(m).encode())
    desc.update(digest=d, size=n)
    if kind == "duplicate-ref":
        index["manifests"].append(dict(desc))
    text = json.dumps(index)
    if kind == "duplicate-key":
        text = text.replace('"schemaVersion": 2', '"schemaVersion": 2, "schemaVersion": 2')
    with open(os.path.join(dst, "index.json"), "w") as f:
        f.write(text)
    # The blobs of the old chain that the new one does not use.
    used = {desc["digest"][7:], m["config"]["digest"][7:]} | {l["digest"][7:] for l in m["layers"]}
    if kind != "unreferenced":
        for f in os.listdir(B):
            if f not in used:
                os.remove(os.path.join(B, f))
PY
}
# break_archive SRC DST KIND: DST becomes a copy of the docker-archive SRC with its manifest.json
# or its entry names broken.
break_archive() {
    /usr/bin/python3 - "$@" <<'PY'
import io, json, sys, tarfile
src, dst, kind = sys.argv[1:4]
with tarfile.open(src) as t:
    entries = [(ti, t.extractfile(ti).read() if ti.isreg() else None) for ti in t.getmembers()]
out = []
for ti, data in entries:
    if ti.name in ("manifest.json", "./manifest.json"):
        dm = json.loads(data)
        if kind == "repo-tags":
            dm[0]["RepoTags"] = dm[0]["RepoTags"][:1]
        elif kind == "layers":
            dm[0]["Layers"] = dm[0]["Layers"][::-1] + ["blobs/sha256/" + "0" * 64]
        data = json.dumps(dm).encode()
        ti.size = len(data)
    out.append((ti, data))
if kind == "escape":
    ti = tarfile.TarInfo("../escaped")
    ti.size = 1
    out.append((ti, b"x"))
with tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as t:
    for ti, data in out:
        t.addfile(ti, io.BytesIO(data) if data is not None else None)
PY
}
sha() { /usr/bin/python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1" 2>&1; }
# archive_sha TAR NAME: sha256 of the member NAME (or ./NAME) of TAR.
archive_sha() {
    /usr/bin/python3 - "$1" "$2" <<'PY' 2>&1
import hashlib, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        if m.name in (sys.argv[2], "./" + sys.argv[2]):
            print(hashlib.sha256(t.extractfile(m).read()).hexdigest())
PY
}

build_test_store

# The programs the images run.
mkdir -p "$WORK/app"
cat >"$WORK/app/hello.py" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(":memory:")
print("hello from python", sys.version_info[0], json.dumps({"sum": db.execute("select 6 * 7").fetchone()[0]}))
PY
BB_ARGS=(-- /bin/busybox echo hello from busybox)
BB_OUT="hello from busybox"
PY_ARGS=(--package python3 --include "$WORK/app/hello.py" -- /usr/bin/python3 "$WORK/app/hello.py")
PY_OUT="hello from python 3 {\"sum\": 42}"
NIX_ARGS=(-- "$app/bin/hello")
NIX_OUT=$APP_OUTPUT
PL_ARGS=(--package perl -- /usr/bin/perl -e 'print "hello from perl\n"')
PL_OUT="hello from perl"

# --- 1, 2. Three images, each valid, and run by umoci + runc, podman (layout and archive) ---
# busybox carries two tags, one without a ":TAG": two manifests, and "busybox:latest" in the
# archive's RepoTags.
build_image "$IMG/busybox" --tag busybox:1.0 --tag busybox "${BB_ARGS[@]}"
build_image "$IMG/busybox.tar" --format docker-archive --tag busybox:1.0 --tag busybox "${BB_ARGS[@]}"
build_image "$IMG/python" --tag python:3 "${PY_ARGS[@]}"
build_image "$IMG/python.tar" --format docker-archive --tag python:3 "${PY_ARGS[@]}"
build_image "$IMG/nix" --tag nix:1 "${NIX_ARGS[@]}"
build_image "$IMG/nix.tar" --format docker-archive --tag nix:1 "${NIX_ARGS[@]}"
build_image "$IMG/perl" --tag perl:5 "${PL_ARGS[@]}"
echo "built the images ($SECONDS s)"

expect_eq "two --tag: two manifests, each ref name as typed, one image" '[["busybox", true], ["busybox:1.0", true]]' \
    "$(image_get "$IMG/busybox" busybox 'sorted([(d.get("annotations") or {}).get("org.opencontainers.image.ref.name"), d["digest"] == desc["digest"]] for d in index["manifests"])')"
for name in busybox:busybox:1.0 python:python:3 nix:nix:1 perl:perl:5; do
    dir=$IMG/${name%%:*} ref=${name#*:}
    check_image "$dir"
    check_skopeo "$dir" "$ref"
done
for name in busybox python nix; do
    check_image "$IMG/$name.tar"
    expect_eq "$name: the archive holds the layout's index.json" \
        "$(sha "$IMG/$name/index.json")" "$(archive_sha "$IMG/$name.tar" index.json)"
done

expect_eq "busybox: umoci + runc" "$BB_OUT" "$(run_umoci "$IMG/busybox" busybox:1.0)"
expect_eq "busybox: umoci + runc, the tag-less ref name" "$BB_OUT" "$(run_umoci "$IMG/busybox" busybox)"
expect_eq "python3: umoci + runc" "$PY_OUT" "$(run_umoci "$IMG/python" python:3)"
expect_eq "nix closure: umoci + runc" "$NIX_OUT" "$(run_umoci "$IMG/nix" nix:1)"
expect_eq "perl: umoci + runc" "$PL_OUT" "$(run_umoci "$IMG/perl" perl:5)"

expect_eq "busybox: podman run oci:" "$BB_OUT" "$(pm_run "oci:$IMG/busybox:busybox:1.0")"
expect_eq "python3: podman run oci:" "$PY_OUT" "$(pm_run "oci:$IMG/python:python:3")"
expect_eq "nix closure: podman run oci:" "$NIX_OUT" "$(pm_run "oci:$IMG/nix:nix:1")"

# podman load of each archive into an empty store (nothing reused from the runs above).
pm rmi --all --force >/dev/null 2>&1 || true
for case in "busybox busybox:1.0" "python python:3" "nix nix:1"; do
    read -r name tag <<<"$case"
    loaded=$(pm load --signature-policy "$PM/policy.json" -i "$IMG/$name.tar" 2>"$WORK/podman.err" || true)
    expect_contains "$name: podman load -i names the tag" "localhost/$tag" "$loaded"
    expected=$(case $name in busybox) echo "$BB_OUT" ;; python) echo "$PY_OUT" ;; nix) echo "$NIX_OUT" ;; esac)
    expect_eq "$name: podman run of the loaded archive" "$expected" "$(pm_run "localhost/$tag")"
done
expect_contains "busybox: a tag without :TAG loads as :latest" "localhost/busybox:latest" \
    "$(pm images --format '{{.Repository}}:{{.Tag}}')"
echo "ran the images ($SECONDS s)"

# --- check-image.py can fail: each rule broken in a copy of the nix image is reported ---
NOW=$(date +%s)
check_image "$IMG/nix" --max-mtime "$NOW"
mkdir -p "$WORK/broken"
while IFS='|' read -r kind needle; do
    break_image "$IMG/nix" "$WORK/broken/$kind" "$kind" "$NOW" || { fail "break_image $kind"; continue; }
    check_image_refuses "$kind" "$needle" "$WORK/broken/$kind" --max-mtime "$NOW"
done <<'CASES'
flip|has digest
size|bytes, descriptor says
diff-id|the decompressed tar has
diff-ids-count|diff_ids for
history|non-empty history entries
created|RFC 3339
platform|index platform architecture
owner|owned by 1000:0
uname|uname/gname 'root'
absolute|absolute entry name
dotdot|.. component
device|is a device or FIFO
fifo|is a device or FIFO
whiteout|is a whiteout
hardlink|no earlier entry of that name
unsorted|entries not sorted
two-layers|is also in layers[0]
mtime|has mtime
gzip-mtime|gzip header of member 1 carries an mtime (1700000000)
unreferenced|no descriptor names this blob
schema|does not match
duplicate-ref|already names manifests[0]
duplicate-key|duplicate key "schemaVersion"
CASES
while IFS='|' read -r kind needle; do
    break_archive "$IMG/busybox.tar" "$WORK/broken/$kind.tar" "$kind" || { fail "break_archive $kind"; continue; }
    check_image_refuses "an archive's $kind" "$needle" "$WORK/broken/$kind.tar"
done <<'CASES'
repo-tags|RepoTags ['busybox:1.0'], expected ['busybox:1.0', 'busybox:latest']
layers|match no manifest of index.json
escape|has a .. component
CASES

# --- 5. Sharing: python3 and perl keep libc6 in one layer of the same digest ---
# libc6's libc.so.6, as the image holds it: beneath usr/ (merged /usr: /lib is a symlink).
LIBC=$(realpath "$(dpkg -L libc6 | grep -m1 '/libc\.so\.6$')")
LIBC=${LIBC#/}
py_libc=$(image_get "$IMG/python" python:3 "holding('$LIBC')") || py_libc=
pl_libc=$(image_get "$IMG/perl" perl:5 "holding('$LIBC')") || pl_libc=
CHECKS=$((CHECKS + 1))
if [ -n "$py_libc" ] && [ "$py_libc" == "$pl_libc" ]; then
    pass "python3 and perl share the layer holding $LIBC ($py_libc)"
else
    fail "the layers holding $LIBC differ: python3 [$py_libc], perl [$pl_libc]"
fi
expect_contains "that layer's history names libc6" libc6 \
    "$(image_get "$IMG/python" python:3 "created_by[layers.index('$py_libc')] if '$py_libc' in layers else ''")"

# --- 3. A registry: push, pull, run; a second image uploads only the blobs the first lacks ---
REG="$WORK/registry"
mkdir -p "$REG"
start_registry() {
    local port
    for _ in 1 2 3; do
        port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        cat >"$REG/config.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $REG/storage
http:
  addr: 127.0.0.1:$port
YML
        docker-registry serve "$REG/config.yml" >"$REG/log" 2>&1 &
        REGISTRY_PID=$!
        for _ in $(seq 1 100); do
            if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
                REGISTRY="127.0.0.1:$port"
                return 0
            fi
            kill -0 "$REGISTRY_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$REGISTRY_PID" 2>/dev/null; wait "$REGISTRY_PID" 2>/dev/null
        REGISTRY_PID=
    done
    fail "docker-registry did not come up: $(tail -n 3 "$REG/log")"
    return 1
}
registry_blobs() {  # the digests (hex) in the registry's storage, sorted
    find "$REG/storage/docker/registry/v2/blobs/sha256" -mindepth 2 -maxdepth 2 -type d -printf '%f\n' 2>/dev/null | sort
}
# One repository: the nix image goes in and comes back out through podman (small: podman's vfs
# driver copies every layer whole); then python3, then perl, whose push must send only the blobs
# the registry lacks.
if start_registry; then
    REPO=$REGISTRY/ocitools/demo
    check "skopeo copy the nix image into the registry" \
        sk copy -q --dest-tls-verify=false "oci:$IMG/nix:nix:1" "docker://$REPO:nix"
    pm rmi --all --force >/dev/null 2>&1 || true
    CHECKS=$((CHECKS + 1))
    if pm pull -q --tls-verify=false --signature-policy "$PM/policy.json" "$REPO:nix" \
        >/dev/null 2>"$WORK/podman.err"; then
        pass "podman pull from the registry"
    else
        fail "podman pull from the registry: $(tail -n 3 "$WORK/podman.err")"
    fi
    expect_eq "nix closure: podman run of the pulled image" "$NIX_OUT" "$(pm_run "$REPO:nix")"
    check "skopeo copy python3 into the registry" \
        sk copy -q --dest-tls-verify=false "oci:$IMG/python:python:3" "docker://$REPO:python3"

    before=$(registry_blobs) || true
    log_lines=$(wc -l <"$REG/log")
    check "skopeo copy perl into the registry" \
        sk copy -q --dest-tls-verify=false "oci:$IMG/perl:perl:5" "docker://$REPO:perl"
    after=$(registry_blobs) || true
    blob_list() { image_get "$1" "$2" '"\n".join(sorted(b[7:] for b in blobs))'; }
    # perl's blobs (layers, config, manifest) that neither image pushed before has.
    expected_new=$(comm -13 <(cat <(blob_list "$IMG/nix" nix:1) <(blob_list "$IMG/python" python:3) | sort -u) \
        <(blob_list "$IMG/perl" perl:5))
    shared=$(comm -12 <(blob_list "$IMG/python" python:3) <(blob_list "$IMG/perl" perl:5) | grep -c . || true)
    check "perl shares blobs with python3 (a push could skip them)" test "$shared" -ge 1
    added=$(comm -13 <(echo "$before") <(echo "$after"))
    expect_eq "the registry gained as many blobs as perl has that the images before lack" \
        "$(grep -c . <<<"$expected_new")" "$(grep -c . <<<"$added")"
    expect_eq "and exactly those" "$expected_new" "$added"
    # What skopeo actually sent: the access log's completed uploads (PUT .../blobs/uploads/...
    # ?digest=), the manifest going to .../manifests/ instead.
    uploaded=$(tail -n +"$((log_lines + 1))" "$REG/log" |
        sed -n 's|.*"PUT /v2/[^ ]*/blobs/uploads/[^ ]*digest=sha256%3A\([0-9a-f]\{64\}\).*|\1|p' | sort -u)
    manifest=$(image_get "$IMG/perl" perl:5 'desc["digest"][7:]') || manifest=
    expect_eq "the push uploaded only those (the manifest aside)" \
        "$(grep -v "^$manifest\$" <<<"$expected_new")" "$uploaded"
    kill "$REGISTRY_PID"; wait "$REGISTRY_PID" 2>/dev/null || true; REGISTRY_PID=
fi
echo "registry done ($SECONDS s)"

# --- 4. Reproducible: another directory and -j 1 / -j 8 give the same bytes ---
# SOURCE_DATE_EPOCH clamps the directories' mtimes: tests running beside this one change
# directories of the closure (ldcache_test.sh runs ldconfig, which replaces /etc/ld.so.cache).
mkdir -p "$WORK/r1" "$WORK/r2/deeper" "$WORK/r3"
SOURCE_DATE_EPOCH=1700000000 build_image "$WORK/r1/python" -j 1 --tag python:3 "${PY_ARGS[@]}"
SOURCE_DATE_EPOCH=1700000000 build_image "$WORK/r2/deeper/other" -j 8 --tag python:3 "${PY_ARGS[@]}"
SOURCE_DATE_EPOCH=1700000000 build_image "$WORK/r3/python" --tag python:3 "${PY_ARGS[@]}"
expect_eq "-j 1 and -j 8 in two directories: the same index.json" \
    "$(sha "$WORK/r1/python/index.json")" "$(sha "$WORK/r2/deeper/other/index.json")"
expect_eq "and the default -j: the same index.json" \
    "$(sha "$WORK/r3/python/index.json")" "$(sha "$WORK/r1/python/index.json")"
same_tree() {  # same_tree A B: the same files, byte for byte; else the first differences
    local out
    out=$(diff -rq "$1" "$2") && return 0
    head -n 5 <<<"$out" >&2
    return 1
}
check "-j 1 and -j 8: the same blobs, byte for byte" same_tree "$WORK/r1/python/blobs" "$WORK/r2/deeper/other/blobs"
expect_eq "without SOURCE_DATE_EPOCH, created is the Unix epoch" 0 \
    "$(image_get "$IMG/python" python:3 'str(int(__import__("datetime").datetime.fromisoformat(c["created"].replace("Z", "+00:00")).timestamp()))')"
SDE=1700000000
CHECKS=$((CHECKS + 1))
if SOURCE_DATE_EPOCH=$SDE "$OCITOOLS" build-image -o "$WORK/r1/sde" --tag python:3 "${PY_ARGS[@]}" 2>"$WORK/build.err"; then
    pass "a build with SOURCE_DATE_EPOCH=$SDE"
    check_image "$WORK/r1/sde" --max-mtime "$SDE"
    expect_eq "created is SOURCE_DATE_EPOCH" "$SDE" \
        "$(image_get "$WORK/r1/sde" python:3 'str(int(__import__("datetime").datetime.fromisoformat(c["created"].replace("Z", "+00:00")).timestamp()))')"
    # The contrast: without it, some entry is newer (the generated /etc files, at least), so
    # the clamp above did something.
    CHECKS=$((CHECKS + 1))
    if "${CHECK_IMAGE[@]}" --max-mtime "$SDE" "$IMG/python" >/dev/null; then
        fail "no entry of the image built without SOURCE_DATE_EPOCH is newer than $SDE: the clamp is untested"
    else
        pass "without SOURCE_DATE_EPOCH some mtime is above $SDE"
    fi
else
    fail "SOURCE_DATE_EPOCH=$SDE build-image: $(tail -n 5 "$WORK/build.err")"
fi
echo "reproducibility done ($SECONDS s)"

# --- The layer limit: python3's closure has more groups than the default limit ---
groups=$(( $("$OCITOOLS" closure --package python3 --list-packages -- /usr/bin/python3 2>/dev/null | wc -l) + 1 ))
expect_eq "default --max-layers 32: python3's $groups groups (packages and loose files) make $((groups < 32 ? groups : 32)) layers" \
    "$((groups < 32 ? groups : 32))" \
    "$(image_get "$IMG/python" python:3 'len(layers)')"
build_image "$IMG/one" --max-layers 1 --tag one "${PY_ARGS[@]}"
check_image "$IMG/one"
expect_eq "--max-layers 1: one layer" 1 "$(image_get "$IMG/one" one 'len(layers)')"
expect_eq "--max-layers 1: runs" "$PY_OUT" "$(run_umoci "$IMG/one" one)"
build_image "$IMG/five" --max-layers 5 --tag five "${PY_ARGS[@]}"
expect_eq "--max-layers 5: five layers" 5 "$(image_get "$IMG/five" five 'len(layers)')"

# --- Compressions: zstd (podman; umoci 0.4.7 cannot) and none (umoci) ---
# On the nix image: eight layers, and small ones (podman's vfs driver copies every layer whole).
build_image "$IMG/zstd" --compression zstd --tag z "${NIX_ARGS[@]}"
check_image "$IMG/zstd"
expect_eq "--compression zstd: every layer is tar+zstd" '["application/vnd.oci.image.layer.v1.tar+zstd"]' \
    "$(image_get "$IMG/zstd" z 'sorted(set(l["mediaType"] for l in m["layers"]))')"
expect_eq "--compression zstd: the same diff_ids as gzip" \
    "$(image_get "$IMG/nix" nix:1 'c["rootfs"]["diff_ids"]')" "$(image_get "$IMG/zstd" z 'c["rootfs"]["diff_ids"]')"
expect_eq "--compression zstd: podman run" "$NIX_OUT" "$(pm_run "oci:$IMG/zstd:z")"
build_image "$IMG/none" --compression none --tag n "${NIX_ARGS[@]}"
check_image "$IMG/none"
expect_eq "--compression none: every layer is a plain tar" '["application/vnd.oci.image.layer.v1.tar"]' \
    "$(image_get "$IMG/none" n 'sorted(set(l["mediaType"] for l in m["layers"]))')"
expect_eq "--compression none: a layer's digest is its diff_id" \
    "$(image_get "$IMG/none" n 'c["rootfs"]["diff_ids"]')" "$(image_get "$IMG/none" n 'layers')"
expect_eq "--compression none: the same diff_ids as gzip" \
    "$(image_get "$IMG/nix" nix:1 'c["rootfs"]["diff_ids"]')" "$(image_get "$IMG/none" n 'c["rootfs"]["diff_ids"]')"
expect_eq "--compression none: umoci + runc" "$NIX_OUT" "$(run_umoci "$IMG/none" n)"
build_image "$IMG/fast" --compression-level 1 --tag f "${NIX_ARGS[@]}"
check_image "$IMG/fast"
expect_eq "--compression-level 1: the same diff_ids as gzip's default level" \
    "$(image_get "$IMG/nix" nix:1 'c["rootfs"]["diff_ids"]')" "$(image_get "$IMG/fast" f 'c["rootfs"]["diff_ids"]')"
check "--compression-level 1: other layer blobs than the default level's" \
    test "$(image_get "$IMG/nix" nix:1 'layers')" != "$(image_get "$IMG/fast" f 'layers')"
expect_eq "--compression-level 1: umoci + runc" "$NIX_OUT" "$(run_umoci "$IMG/fast" f)"

# --- docker-archive to stdout is the file, byte for byte ---
"$OCITOOLS" build-image --format docker-archive -o - --tag busybox:1.0 --tag busybox "${BB_ARGS[@]}" \
    >"$WORK/stdout.tar" 2>"$WORK/build.err" || fail "docker-archive to stdout: $(cat "$WORK/build.err")"
check "docker-archive to - equals the file output" cmp "$IMG/busybox.tar" "$WORK/stdout.tar"

# --- The image config ---
case $(dpkg --print-architecture) in
    i386) GOARCH=386 ;; armhf | armel) GOARCH=arm ;; ppc64el) GOARCH=ppc64le ;; *) GOARCH=$(dpkg --print-architecture) ;;
esac
# shellcheck disable=SC2016  # expanded by the container's shell
SH_CMD='echo $GREETING; pwd; id -u'
build_image "$IMG/conf" --tag conf -e GREETING=salut --cwd /tmp --user 1000:1000 --label org.example.k=v \
    --port 8080 --port 53/udp -- /bin/busybox sh -c "$SH_CMD"
expect_eq "settings an image carries give no warning" "" "$(grep '^ocitools: warning: ' "$WORK/build.err" || true)"
check_image "$IMG/conf"
expect_eq "Cmd is the command" "[\"/bin/busybox\", \"sh\", \"-c\", \"$SH_CMD\"]" "$(image_get "$IMG/conf" conf 'c["config"]["Cmd"]')"
expect_eq "no Entrypoint" None "$(image_get "$IMG/conf" conf 'str(c["config"].get("Entrypoint"))')"
expect_eq "Env: PATH first, then -e" '["PATH=", "GREETING=salut"]' \
    "$(image_get "$IMG/conf" conf '[e if not e.startswith("PATH=") else "PATH=" for e in c["config"]["Env"]]')"
expect_eq "WorkingDir, User" "/tmp 1000:1000" "$(image_get "$IMG/conf" conf 'c["config"]["WorkingDir"] + " " + c["config"]["User"]')"
expect_eq "Labels" '{"org.example.k": "v"}' "$(image_get "$IMG/conf" conf 'dict(sorted(c["config"]["Labels"].items()))')"
expect_eq "ExposedPorts (tcp when not given)" '{"53/udp": {}, "8080/tcp": {}}' \
    "$(image_get "$IMG/conf" conf 'dict(sorted(c["config"]["ExposedPorts"].items()))')"
expect_eq "os/architecture of the host" "linux/$GOARCH" "$(image_get "$IMG/conf" conf 'c["os"] + "/" + c["architecture"]')"
expect_eq "podman honours Env, WorkingDir and User" "salut
/tmp
1000" "$(pm_run "oci:$IMG/conf:conf")"
build_image "$IMG/entry" --tag entry --entrypoint -- /bin/busybox echo entry:
expect_eq "--entrypoint: Entrypoint is the command, no Cmd" '[["/bin/busybox", "echo", "entry:"], null]' \
    "$(image_get "$IMG/entry" entry '[c["config"].get("Entrypoint"), c["config"].get("Cmd") or None]')"
expect_eq "--entrypoint: podman appends its arguments" "entry: one two" "$(pm_run "oci:$IMG/entry:entry" one two)"

# --- What an image cannot carry: a warning naming each ---
mkdir -p "$WORK/data"
build_image "$IMG/warn" --readonly -v "$WORK/data:/srv/data" --cap-add CAP_NET_RAW -- /bin/busybox true
warnings=$(grep '^ocitools: warning: ' "$WORK/build.err" || true)
expect_contains "a warning names the bind mount" /srv/data "$warnings"
CHECKS=$((CHECKS + 1))
if grep -qiE 'read-?only' <<<"$warnings"; then pass "a warning names --readonly"; else fail "no warning names --readonly: [$warnings]"; fi
CHECKS=$((CHECKS + 1))
if grep -qi 'NET_RAW' <<<"$warnings"; then pass "a warning names the capability"; else fail "no warning names CAP_NET_RAW: [$warnings]"; fi
check_image "$IMG/warn"

# --- 6. Bad input: one error line, exit 1, nothing at the output nor beside it ---
# An existing output is refused without --force and replaced with it.
before=$(sha "$IMG/busybox/index.json")
mkdir -p "$WORK/exist"
cp -a "$IMG/busybox" "$WORK/exist/img"
err=$("$OCITOOLS" build-image -o "$WORK/exist/img" --tag other "${BB_ARGS[@]}" 2>&1) && fail "an existing output was replaced without --force" || true
expect_contains "an existing output is refused" "already exists" "$err"
expect_eq "and left untouched" "$before" "$(sha "$WORK/exist/img/index.json")"
build_image "$WORK/exist/img" --force --tag other "${BB_ARGS[@]}"
expect_eq "--force replaces it" 1 "$(image_get "$WORK/exist/img" other 'len(index["manifests"])')"
expect_eq "--force leaves no temporary" img "$(ls -A "$WORK/exist")"

# Unwritable: a directory the unprivileged user may not write, and a read-only mount.
setup_rootless_user
mkdir -p "$WORK/rootonly"
chmod 755 "$WORK/rootonly"
expect_refused "an unwritable directory (as $ROOTLESS_USER)" "Permission denied" "$WORK/rootonly" \
    as_user "$RL_OCITOOLS" build-image -o "$WORK/rootonly/img" "${BB_ARGS[@]}"
mount_dir ro >/dev/null
RO="$MOUNTS/ro"
if mount --bind "$RO" "$RO" && mount -o remount,bind,ro "$RO"; then
    expect_refused "a read-only mount" "Read-only file system" "$RO" \
        "$OCITOOLS" build-image -o "$RO/img" "${BB_ARGS[@]}"
    umount "$RO"
else
    fail "cannot mount a read-only bind on $RO"
fi
# A full filesystem: a 2 MB tmpfs cannot hold python3's image, as a layout or an archive.
mount_dir full >/dev/null
FULL="$MOUNTS/full"
if mount -t tmpfs -o size=2m tmpfs "$FULL"; then
    expect_refused "a full filesystem (layout)" "No space left on device" "$FULL" \
        "$OCITOOLS" build-image -o "$FULL/img" "${PY_ARGS[@]}"
    expect_refused "a full filesystem (docker-archive)" "No space left on device" "$FULL" \
        "$OCITOOLS" build-image --format docker-archive -o "$FULL/img.tar" "${PY_ARGS[@]}"
    umount "$FULL"
else
    fail "cannot mount a tmpfs on $FULL"
fi
# Killed mid-build: nothing at the target; the next build there succeeds and clears the
# dead build's temporary.
mkdir -p "$WORK/kill"
if stop_mid_build "$WORK/kill/img" "$OCITOOLS" build-image -o "$WORK/kill/img" "${PY_ARGS[@]}"; then
    kill -KILL "$BUILD_PID"; wait "$BUILD_PID" 2>/dev/null || true
    check "SIGKILL mid-build: nothing at the target" test ! -e "$WORK/kill/img"
    build_image "$WORK/kill/img" "${BB_ARGS[@]}"
    check_image "$WORK/kill/img"
    expect_eq "the next build succeeds and removes the dead build's temporary" img "$(ls -A "$WORK/kill")"
fi
# Option values no image can have (a usage error, exit 2, would do as well).
mkdir -p "$WORK/refused"
export USAGE_ERROR=1
expect_refused "--max-layers 0" "max-layers" "$WORK/refused" \
    "$OCITOOLS" build-image -o "$WORK/refused/img" --max-layers 0 "${BB_ARGS[@]}"
expect_refused "a label without =" "nolabelvalue" "$WORK/refused" \
    "$OCITOOLS" build-image -o "$WORK/refused/img" --label nolabelvalue "${BB_ARGS[@]}"
expect_refused "a port out of range" "70000" "$WORK/refused" \
    "$OCITOOLS" build-image -o "$WORK/refused/img" --port 70000 "${BB_ARGS[@]}"
expect_refused "a port protocol other than tcp, udp or sctp" "80/icmp" "$WORK/refused" \
    "$OCITOOLS" build-image -o "$WORK/refused/img" --port 80/icmp "${BB_ARGS[@]}"
expect_refused "a gzip level out of range" "13 is not a level of gzip" "$WORK/refused" \
    "$OCITOOLS" build-image -o "$WORK/refused/img" --compression-level 13 "${BB_ARGS[@]}"
expect_refused "a level for --compression none" "no level for --compression none" "$WORK/refused" \
    "$OCITOOLS" build-image -o "$WORK/refused/img" --compression none --compression-level 1 "${BB_ARGS[@]}"
expect_refused "a tag that is no reference" "Not A Tag" "$WORK/refused" \
    "$OCITOOLS" build-image -o "$WORK/refused/img" --tag "Not A Tag" "${BB_ARGS[@]}"
unset USAGE_ERROR

echo "took $SECONDS s"
finish
