#!/usr/bin/python3
"""Check an OCI image layout (a directory) or a docker-archive (a tar file) as ocitools
build-image must write it.

Usage: check-image.py [--schema-dir DIR] [--max-mtime N] [--any-owner] [--allow-unreferenced]
                      PATH

PATH is an OCI image layout directory (oci-layout, index.json, blobs/) or a tar file holding
one plus a Docker manifest.json (what `docker save` of Docker 25 writes); "-" reads that tar
from stdin.

Checked, every rule an error of its own:
  * oci-layout, index.json, every manifest and every image config against the image-spec JSON
    schemas Debian ships (golang-github-opencontainers-image-spec-dev), every $ref resolved from
    that directory and never fetched; JSON that is not UTF-8, not JSON or has a duplicate key;
  * every descriptor (index -> manifests -> config and layers): the blob exists, its size and
    sha256 are the descriptor's, its mediaType is the one expected there; no two manifests
    carry the same org.opencontainers.image.ref.name;
  * the config: rootfs.diff_ids has one entry per layer, each the sha256 of that layer's
    decompressed tar (by mediaType: tar, tar+gzip, tar+zstd through `zstd -dc`); history has
    one non-empty entry per layer; created (config and history) is RFC 3339; a descriptor's
    platform, when given, is the config's os/architecture;
  * every gzip member of a layer has a header without file name and with mtime 0;
  * every layer's tar: entry names relative, without "..", "" or "." components (a leading
    "./" is allowed), each name once, in sorted order (siblings sorted bytewise, a directory
    before what it holds: the order of a sorted tree walk, or plain bytewise order of the
    names); uid and gid 0 (unless --any-owner); empty uname and gname; no character or block
    device, FIFO or whiteout (.wh.) entries; a hard link names an earlier entry of its layer;
    with --max-mtime N, no mtime above N;
  * across the layers of one image: no path that is not a directory in two layers (nor a
    directory in one and something else in another);
  * no file under blobs/ that no descriptor names (unless --allow-unreferenced), nothing but
    oci-layout, index.json and blobs/ at the top (plus manifest.json and repositories in an
    archive);
  * an archive: its own entry names relative without ".."; manifest.json lists, for every
    manifest of index.json, its Config and Layers as blobs/sha256/<hex> paths and RepoTags =
    the ref names with ":latest" added to those without a tag.

Output: one line per error on stdout, "<where>: <message>".
Exit status: 0 valid, 1 invalid, 2 usage or I/O error.

Must run with Debian's /usr/bin/python3 (python3-jsonschema).
"""

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import zlib

DEFAULT_SCHEMA_DIR = "/usr/share/gocode/src/github.com/opencontainers/image-spec/schema"

try:
    import jsonschema
except ImportError as exc:  # pragma: no cover
    print("check-image: cannot import jsonschema (%s); run with /usr/bin/python3 "
          "and install python3-jsonschema" % exc, file=sys.stderr)
    sys.exit(2)

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYERS = {
    "application/vnd.oci.image.layer.v1.tar": "none",
    "application/vnd.oci.image.layer.v1.tar+gzip": "gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd": "zstd",
}
REF_NAME = "org.opencontainers.image.ref.name"
# RFC 3339 section 5.6 date-time.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class Errors:
    def __init__(self):
        self.lines = []

    def __call__(self, where, msg):
        self.lines.append("%s: %s" % (where, msg))


class SchemaSet:
    """The image-spec schemas, their relative $refs resolved from one directory.

    The schemas carry "id"s such as https://opencontainers.org/schema/image/manifest, so a
    relative $ref like "defs-descriptor.json" becomes an https URL beneath them: every http(s)
    reference is answered with the file of the same name in the schema directory, and a name
    that is not there is an error, never a download."""

    def __init__(self, schema_dir):
        self.dir = schema_dir
        self.docs = {}
        for name in ("image-layout-schema.json", "image-index-schema.json",
                     "image-manifest-schema.json", "config-schema.json"):
            self.docs[name] = self._load(name)
        self.validators = {}
        for name, doc in self.docs.items():
            jsonschema.Draft4Validator.check_schema(doc)
            resolver = jsonschema.RefResolver(
                base_uri=doc.get("id", ""), referrer=doc,
                handlers={"http": self._local, "https": self._local})
            self.validators[name] = jsonschema.Draft4Validator(doc, resolver=resolver)

    def _load(self, name):
        with open(os.path.join(self.dir, name), encoding="utf-8") as f:
            return json.load(f)

    def _local(self, uri):
        name = os.path.basename(urllib.parse.urlsplit(uri).path)
        if not name.endswith(".json"):
            name += ".json"  # an "id" without the extension, never a file of its own
        if not os.path.isfile(os.path.join(self.dir, name)):
            raise jsonschema.RefResolutionError(
                "schema reference %s: no %s in %s (nothing is fetched)" % (uri, name, self.dir))
        return self._load(name)

    def validate(self, name, doc, where, err):
        for e in self.validators[name].iter_errors(doc):
            path = "".join("[%s]" % json.dumps(p) for p in e.absolute_path) or "$"
            err(where, "%s (schema %s): %s" % (path, name, e.message))


def load_json(raw, where, err):
    """Strict JSON: UTF-8, no duplicate keys. Returns None (and records why) when it is not."""
    def hook(pairs):
        obj = {}
        for k, v in pairs:
            if k in obj:
                err(where, "duplicate key %s" % json.dumps(k))
            obj[k] = v
        return obj
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=hook)
    except UnicodeDecodeError as e:
        err(where, "not UTF-8: %s" % e)
    except ValueError as e:
        err(where, "not JSON: %s" % e)
    return None


def name_key_tree(name):
    return [c.encode() for c in name.split("/")]


def check_tar_order(names, where, err):
    """Each name once, sorted: as a sorted tree walk (component-wise) or bytewise."""
    if len(set(names)) != len(names):
        seen = set()
        for n in names:
            if n in seen:
                err(where, "entry %s appears twice" % n)
            seen.add(n)
        return
    tree = [name_key_tree(n) for n in names]
    flat = [n.encode() for n in names]
    if tree != sorted(tree) and flat != sorted(flat):
        for i in range(1, len(names)):
            if tree[i] < tree[i - 1]:
                err(where, "entries not sorted: %s after %s" % (names[i], names[i - 1]))
                return


class Image:
    def __init__(self, root, args, schemas, err):
        self.root = root
        self.args = args
        self.schemas = schemas
        self.err = err
        self.referenced = set()
        self.layer_cache = {}  # layer digest -> list of (name, type) or None

    def blob(self, desc, where, expect_types):
        """Read the blob a descriptor names and check size, digest and mediaType."""
        err = self.err
        mt, digest, size = desc.get("mediaType"), desc.get("digest"), desc.get("size")
        if mt not in expect_types:
            err(where, "mediaType %s, expected %s" % (mt, " or ".join(sorted(expect_types))))
        if not isinstance(digest, str) or not DIGEST.match(digest):
            err(where, "digest %r is not sha256:<64 hex>" % (digest,))
            return None
        path = os.path.join(self.root, "blobs", "sha256", digest[7:])
        self.referenced.add(os.path.normpath(path))
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            err(where, "blob %s: %s" % (digest, e.strerror))
            return None
        if len(data) != size:
            err(where, "blob %s has %d bytes, descriptor says %r" % (digest, len(data), size))
        actual = "sha256:" + hashlib.sha256(data).hexdigest()
        if actual != digest:
            err(where, "blob %s has digest %s" % (digest, actual))
        return data

    def check(self):
        err = self.err
        raw = self.read_top("oci-layout")
        if raw is not None:
            doc = load_json(raw, "oci-layout", err)
            if doc is not None:
                self.schemas.validate("image-layout-schema.json", doc, "oci-layout", err)
        raw = self.read_top("index.json")
        if raw is None:
            return []
        index = load_json(raw, "index.json", err)
        if index is None:
            return []
        self.schemas.validate("image-index-schema.json", index, "index.json", err)
        if index.get("mediaType", MT_INDEX) != MT_INDEX:
            err("index.json", "mediaType %s, expected %s" % (index.get("mediaType"), MT_INDEX))
        manifests = index.get("manifests")
        if not isinstance(manifests, list) or not manifests:
            err("index.json", "no manifests")
            return []
        images = []
        refs = {}
        for i, desc in enumerate(manifests):
            if not isinstance(desc, dict):
                continue  # the schema said so
            ref = (desc.get("annotations") or {}).get(REF_NAME)
            where = "index.json manifests[%d]%s" % (i, " (%s)" % ref if ref is not None else "")
            if ref is not None:
                if ref in refs:
                    err(where, "ref name %s already names manifests[%d]" % (ref, refs[ref]))
                refs[ref] = i
            image = self.check_manifest(desc, where)
            if image is not None:
                image["ref"] = ref
                images.append(image)
        self.check_tree()
        return images

    def read_top(self, name):
        try:
            with open(os.path.join(self.root, name), "rb") as f:
                return f.read()
        except OSError as e:
            self.err(name, e.strerror)
            return None

    def check_manifest(self, desc, where):
        err = self.err
        data = self.blob(desc, where, {MT_MANIFEST})
        if data is None:
            return None
        where = "manifest %s" % desc["digest"]
        m = load_json(data, where, err)
        if m is None:
            return None
        self.schemas.validate("image-manifest-schema.json", m, where, err)
        if m.get("mediaType", MT_MANIFEST) != MT_MANIFEST:
            err(where, "mediaType %s, expected %s" % (m.get("mediaType"), MT_MANIFEST))
        if not isinstance(m.get("config"), dict) or not isinstance(m.get("layers"), list):
            return None
        cdata = self.blob(m["config"], where + " config", {MT_CONFIG})
        config = None
        if cdata is not None:
            cwhere = "config %s" % m["config"].get("digest")
            config = load_json(cdata, cwhere, err)
            if config is not None:
                self.schemas.validate("config-schema.json", config, cwhere, err)
                self.check_config(config, m, desc, cwhere)
        diff_ids = []
        if isinstance(config, dict) and isinstance(config.get("rootfs"), dict):
            diff_ids = config["rootfs"].get("diff_ids") or []
        owner = {}  # path -> (layer index, is_dir)
        for i, layer in enumerate(m["layers"]):
            if not isinstance(layer, dict):
                continue
            lwhere = "%s layers[%d]" % (where, i)
            entries = self.check_layer(layer, lwhere, diff_ids[i] if i < len(diff_ids) else None)
            for name, is_dir in entries or []:
                if name in owner:
                    j, was_dir = owner[name]
                    if not (is_dir and was_dir):
                        err(lwhere, "%s is also in layers[%d] (not a directory in both)" % (name, j))
                else:
                    owner[name] = (i, is_dir)
        return {"manifest": m, "config": config, "digest": desc["digest"]}

    def check_config(self, c, m, desc, where):
        err = self.err
        if not isinstance(c, dict):
            return
        for key in ("created",):
            if key in c and not (isinstance(c[key], str) and RFC3339.match(c[key])):
                err(where, "%s %r is not an RFC 3339 date-time" % (key, c[key]))
        rootfs = c.get("rootfs")
        if isinstance(rootfs, dict) and isinstance(rootfs.get("diff_ids"), list):
            n = len(m["layers"])
            if len(rootfs["diff_ids"]) != n:
                err(where, "%d diff_ids for %d layers" % (len(rootfs["diff_ids"]), n))
            for d in rootfs["diff_ids"]:
                if not isinstance(d, str) or not DIGEST.match(d):
                    err(where, "diff_id %r is not sha256:<64 hex>" % (d,))
        history = c.get("history")
        if history is not None and isinstance(history, list):
            nonempty = [h for h in history if isinstance(h, dict) and not h.get("empty_layer")]
            if len(nonempty) != len(m["layers"]):
                err(where, "%d non-empty history entries for %d layers"
                    % (len(nonempty), len(m["layers"])))
            for i, h in enumerate(history):
                if isinstance(h, dict) and "created" in h and not (
                        isinstance(h["created"], str) and RFC3339.match(h["created"])):
                    err(where, "history[%d].created %r is not RFC 3339" % (i, h["created"]))
        cc = c.get("config")
        if isinstance(cc, dict):
            for e in cc.get("Env") or []:
                if not isinstance(e, str) or "=" not in e:
                    err(where, "Env entry %r is not NAME=VALUE" % (e,))
            for p in cc.get("ExposedPorts") or {}:
                if not re.match(r"^[0-9]+(/(tcp|udp))?$", p):
                    err(where, "ExposedPorts key %r is not PORT[/tcp|/udp]" % p)
        platform = desc.get("platform")
        if isinstance(platform, dict):
            for k in ("os", "architecture"):
                if k in platform and platform[k] != c.get(k):
                    err(where, "index platform %s %r, config says %r" % (k, platform[k], c.get(k)))

    def check_layer(self, desc, where, diff_id):
        """Check one layer; returns [(name, is_dir)] of its entries (None when unreadable)."""
        digest = desc.get("digest")
        data = self.blob(desc, where, set(MT_LAYERS))
        if data is None:
            return None
        comp = MT_LAYERS.get(desc.get("mediaType"), "none")
        tar = self.decompress(data, comp, where)
        if tar is None:
            return None
        actual = "sha256:" + hashlib.sha256(tar).hexdigest()
        if diff_id is not None and actual != diff_id:
            self.err(where, "diff_id %s, the decompressed tar has %s" % (diff_id, actual))
        if digest in self.layer_cache:
            return self.layer_cache[digest]
        entries = self.check_tar(tar, where)
        self.layer_cache[digest] = entries
        return entries

    def decompress(self, data, comp, where):
        err = self.err
        if comp == "gzip":
            # Member by member (a writer may cut a layer into several): each header without a
            # file name and with mtime 0.
            out, rest, n = [], data, 0
            while True:
                if rest[:3] != b"\x1f\x8b\x08":
                    err(where, "gzip member %d: not gzip data" % n)
                    return None
                flags, mtime = rest[3], int.from_bytes(rest[4:8], "little")
                if flags & 0x08:
                    err(where, "gzip header of member %d carries a file name" % n)
                if mtime != 0:
                    err(where, "gzip header of member %d carries an mtime (%d)" % (n, mtime))
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                try:
                    out.append(d.decompress(rest))
                except zlib.error as e:
                    err(where, "gzip member %d: %s" % (n, e))
                    return None
                if not d.eof:
                    err(where, "gzip member %d is truncated" % n)
                    return None
                rest, n = d.unused_data, n + 1
                if not rest:
                    return b"".join(out)
        if comp == "zstd":
            if data[:4] != b"\x28\xb5\x2f\xfd":
                err(where, "not zstd data")
                return None
            p = subprocess.run(["zstd", "-dc", "-q"], input=data, capture_output=True)
            if p.returncode != 0:
                err(where, "zstd -dc: %s" % p.stderr.decode(errors="replace").strip())
                return None
            return p.stdout
        return data

    def check_tar(self, tar, where):
        err, args = self.err, self.args
        entries = []
        names = []
        seen = set()
        try:
            tf = tarfile.open(fileobj=io.BytesIO(tar), mode="r:")
            members = tf.getmembers()
        except (tarfile.TarError, EOFError) as e:
            err(where, "not a tar: %s" % e)
            return None
        for ti in members:
            raw = ti.name
            name = raw[2:] if raw.startswith("./") else raw
            name = name.rstrip("/") if ti.isdir() else name
            comps = name.split("/")
            if raw.startswith("/"):
                err(where, "absolute entry name %s" % raw)
            elif name == "" or any(c in ("", ".", "..") for c in comps):
                if name not in ("", "."):  # the root directory itself, "." or "./"
                    err(where, "entry name %s has an empty, . or .. component" % raw)
                elif not ti.isdir():
                    err(where, "entry %s for the root is not a directory" % raw)
            if ti.uid != 0 or ti.gid != 0:
                if not args.any_owner:
                    err(where, "%s owned by %d:%d" % (raw, ti.uid, ti.gid))
            if ti.uname or ti.gname:
                err(where, "%s has uname/gname %r/%r" % (raw, ti.uname, ti.gname))
            if ti.ischr() or ti.isblk() or ti.isfifo():
                err(where, "%s is a device or FIFO (type %r)" % (raw, ti.type))
            elif not (ti.isreg() or ti.isdir() or ti.issym() or ti.islnk()):
                err(where, "%s has unexpected tar type %r" % (raw, ti.type))
            if os.path.basename(name).startswith(".wh."):
                err(where, "%s is a whiteout" % raw)
            if args.max_mtime is not None and ti.mtime > args.max_mtime:
                err(where, "%s has mtime %s > %d" % (raw, ti.mtime, args.max_mtime))
            if ti.islnk():
                target = ti.linkname[2:] if ti.linkname.startswith("./") else ti.linkname
                if target not in seen:
                    err(where, "hard link %s -> %s: no earlier entry of that name"
                        % (raw, ti.linkname))
            seen.add(name)
            names.append(name)
            if name not in ("", "."):
                entries.append((name, ti.isdir()))
        check_tar_order(names, where, err)
        return entries

    def check_tree(self):
        """Nothing beside the layout's files; no blob that no descriptor names."""
        extra_top = {"manifest.json", "repositories"} if self.args.archive else set()
        for name in sorted(os.listdir(self.root)):
            if name not in {"oci-layout", "index.json", "blobs"} | extra_top:
                self.err(name, "not part of an image layout")
        blobs = os.path.join(self.root, "blobs")
        for dirpath, dirnames, filenames in os.walk(blobs):
            dirnames.sort()
            for f in sorted(filenames):
                p = os.path.normpath(os.path.join(dirpath, f))
                if p not in self.referenced and not self.args.allow_unreferenced:
                    self.err(os.path.relpath(p, self.root), "no descriptor names this blob")


def extract_archive(src, dest, args, err):
    """Extract a docker-archive tar into dest; check its own entry names. False if unreadable."""
    try:
        if src == "-":
            tf = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()), mode="r:")
        else:
            tf = tarfile.open(src, mode="r:")
        members = tf.getmembers()
    except (OSError, tarfile.TarError, EOFError) as e:
        err(src, "not a tar archive: %s" % e)
        return False
    safe = []
    for ti in members:
        comps = ti.name.rstrip("/").split("/")
        if ti.name.startswith("/") or ".." in comps:
            err("archive", "entry %s is absolute or has a .. component" % ti.name)
            continue
        if not (ti.isreg() or ti.isdir()):
            err("archive", "entry %s is neither a file nor a directory" % ti.name)
            continue
        safe.append(ti)
    tf.extractall(dest, members=safe)
    return True


def check_docker_manifest(root, images, err):
    raw = None
    try:
        with open(os.path.join(root, "manifest.json"), "rb") as f:
            raw = f.read()
    except OSError as e:
        err("manifest.json", e.strerror)
        return
    dm = load_json(raw, "manifest.json", err)
    if not isinstance(dm, list):
        err("manifest.json", "not a JSON list")
        return
    want_tags = set()
    for img in images:
        if img["ref"] is not None:
            ref = img["ref"]
            # A tag is what follows the last ":" after the last "/" (a registry port is not).
            want_tags.add(ref if ":" in ref.rsplit("/", 1)[-1] else ref + ":latest")
    got_tags = set()
    matched = set()
    for i, e in enumerate(dm):
        where = "manifest.json[%d]" % i
        if not isinstance(e, dict):
            err(where, "not an object")
            continue
        tags = e.get("RepoTags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            err(where, "RepoTags is not a list of strings")
            tags = []
        got_tags.update(tags)
        found = None
        for img in images:
            m = img["manifest"]
            if e.get("Config") == "blobs/sha256/" + str(m["config"].get("digest"))[7:] and \
                    e.get("Layers") == ["blobs/sha256/" + str(l.get("digest"))[7:]
                                        for l in m["layers"]]:
                found = img
        if found is None:
            err(where, "Config %s / Layers match no manifest of index.json" % e.get("Config"))
            continue
        matched.add(found["digest"])
        for p in [e.get("Config")] + list(e.get("Layers") or []):
            if not isinstance(p, str) or not os.path.isfile(os.path.join(root, p)):
                err(where, "%s is not a file of the archive" % p)
    for digest in sorted({img["digest"] for img in images} - matched):
        err("manifest.json", "no entry for manifest %s" % digest)
    if got_tags != want_tags:
        err("manifest.json", "RepoTags %s, expected %s (index.json's ref names)"
            % (sorted(got_tags), sorted(want_tags)))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schema-dir", default=DEFAULT_SCHEMA_DIR)
    ap.add_argument("--max-mtime", type=int, default=None,
                    help="every tar entry's mtime must be at most N")
    ap.add_argument("--any-owner", action="store_true",
                    help="allow tar entries owned by other than 0:0")
    ap.add_argument("--allow-unreferenced", action="store_true",
                    help="allow blobs that no descriptor names")
    ap.add_argument("path", metavar="PATH")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    try:
        schemas = SchemaSet(args.schema_dir)
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print("check-image: cannot load the schemas from %s: %s" % (args.schema_dir, e),
              file=sys.stderr)
        return 2
    err = Errors()
    tmp = None
    try:
        args.archive = args.path == "-" or os.path.isfile(args.path)
        if args.archive:
            tmp = tempfile.mkdtemp(prefix="check-image.")
            if not extract_archive(args.path, tmp, args, err):
                print("\n".join(err.lines))
                return 1
            root = tmp
        elif os.path.isdir(args.path):
            root = args.path
        else:
            print("check-image: %s: no such file or directory" % args.path, file=sys.stderr)
            return 2
        try:
            images = Image(root, args, schemas, err).check()
        except jsonschema.RefResolutionError as e:
            print("check-image: schema reference error: %s" % e, file=sys.stderr)
            return 2
        if args.archive:
            check_docker_manifest(root, images, err)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    for line in err.lines:
        print(line)
    return 1 if err.lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
