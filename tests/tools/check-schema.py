#!/usr/bin/python3
"""Validate BUNDLE_DIR/config.json against the OCI runtime-spec JSON schema.

Usage: check-schema.py [--schema-dir DIR] BUNDLE_DIR

Uses the schema Debian ships (golang-github-opencontainers-specs-dev) and
resolves every $ref from that directory; nothing is ever fetched over the
network.  Besides the schema, it rejects:
  * a top-level "platform" key (removed in runtime-spec 1.0.0-rc6; the schema
    has no additionalProperties:false, so it would otherwise be accepted),
  * duplicate keys in any JSON object (JSON parsers silently keep one),
  * config.json that is not UTF-8 or not JSON.

Output: one line per error, "<json path>: <message>", on stdout.
Exit status: 0 valid, 1 invalid, 2 usage or I/O error.

Must run with Debian's /usr/bin/python3 (python3-jsonschema 4.10).
"""

import argparse
import json
import os
import sys
import urllib.parse
import urllib.request

DEFAULT_SCHEMA_DIR = (
    "/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema"
)

try:
    import jsonschema
    from jsonschema.exceptions import best_match
except ImportError as exc:  # pragma: no cover
    print("check-schema: cannot import jsonschema (%s); run with /usr/bin/python3 "
          "and install python3-jsonschema" % exc, file=sys.stderr)
    sys.exit(2)


def json_path(path):
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += "[%d]" % part
        elif part.isidentifier():
            out += "." + part
        else:
            out += "[%s]" % json.dumps(part)
    return out


class DuplicateKeyError(Exception):
    pass


def load_json_strict(text, dup_errors):
    """json.loads that records duplicate keys (with their JSON path)."""
    # object_pairs_hook has no path information, so record duplicates with a
    # marker and locate them afterwards by walking the raw pairs tree.
    def hook(pairs):
        obj = {}
        dups = []
        for k, v in pairs:
            if k in obj:
                dups.append(k)
            obj[k] = v
        if dups:
            obj = _DupDict(obj)
            obj.dups = dups
        return obj

    data = json.loads(text, object_pairs_hook=hook)

    def walk(node, path):
        if isinstance(node, dict):
            for k in getattr(node, "dups", []):
                dup_errors.append((path + [k], "duplicate key %s" % json.dumps(k)))
            for k, v in node.items():
                walk(v, path + [k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + [i])

    walk(data, [])
    return data


class _DupDict(dict):
    dups = ()


def to_plain(node):
    if isinstance(node, dict):
        return {k: to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    return node


def build_validator(schema_dir):
    main = os.path.join(schema_dir, "config-schema.json")
    store = {}
    for name in sorted(os.listdir(schema_dir)):
        if not name.endswith(".json"):
            continue
        full = os.path.join(schema_dir, name)
        with open(full, encoding="utf-8") as f:
            doc = json.load(f)
        uri = urllib.parse.urljoin("file:", urllib.request.pathname2url(full))
        store[uri] = doc
    main_uri = urllib.parse.urljoin("file:", urllib.request.pathname2url(main))
    schema = store[main_uri]

    def refuse(uri):
        raise jsonschema.RefResolutionError(
            "refusing to fetch %s: schema references must resolve locally" % uri)

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    cls.check_schema(schema)
    resolver = jsonschema.RefResolver(
        base_uri=main_uri,
        referrer=schema,
        store=store,
        # any $ref not in the local store would be fetched: forbid that.
        handlers={"http": refuse, "https": refuse, "ftp": refuse},
    )
    return cls(schema, resolver=resolver)


def main(argv):
    ap = argparse.ArgumentParser(
        description="Validate BUNDLE_DIR/config.json against the OCI runtime-spec schema.")
    ap.add_argument("--schema-dir", default=DEFAULT_SCHEMA_DIR,
                    help="directory holding config-schema.json and its $ref siblings "
                         "(default: %(default)s)")
    ap.add_argument("bundle", metavar="BUNDLE_DIR")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0

    config = os.path.join(args.bundle, "config.json")
    try:
        with open(config, "rb") as f:
            raw = f.read()
    except OSError as e:
        print("check-schema: cannot read %s: %s" % (config, e.strerror), file=sys.stderr)
        return 2

    try:
        validator = build_validator(args.schema_dir)
    except (OSError, ValueError, KeyError, jsonschema.SchemaError) as e:
        print("check-schema: cannot load schema from %s: %s" % (args.schema_dir, e),
              file=sys.stderr)
        return 2

    errors = []  # (path list, message)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        print("$: config.json is not valid UTF-8: %s" % e)
        return 1
    try:
        dup_errors = []
        data = to_plain(load_json_strict(text, dup_errors))
    except ValueError as e:
        print("$: config.json is not valid JSON: %s" % e)
        return 1
    errors.extend(dup_errors)

    try:
        for err in validator.iter_errors(data):
            msg = err.message
            if err.context:
                # anyOf/oneOf: say which branch came closest.
                sub = best_match(err.context)
                sub_path = json_path(list(err.absolute_path) + list(sub.relative_path))
                msg += " (closest: %s: %s)" % (sub_path, sub.message)
            errors.append((list(err.absolute_path), msg))
    except jsonschema.RefResolutionError as e:
        print("check-schema: schema reference error: %s" % e, file=sys.stderr)
        return 2

    if isinstance(data, dict) and "platform" in data:
        errors.append((["platform"],
                       "top-level 'platform' was removed in runtime-spec 1.0.0-rc6 "
                       "(use process/linux/... and the runtime's host platform)"))

    errors.sort(key=lambda e: [str(p) for p in e[0]])
    for path, msg in errors:
        print("%s: %s" % (json_path(path), msg))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
