#!/usr/bin/python3
"""The Debian package closure of each named package, computed independently of ocitools.

Everything comes from dpkg's own tools: `dpkg-query -W` prints each package's Status,
Architecture, Multi-Arch, Pre-Depends, Depends and Provides as dpkg parsed them, and
`dpkg --print-architecture` the native architecture. The rules are issue 6's, with dpkg's
architecture rules (lib/dpkg/depcon.c, deparchsatisfied):
  - a dependency "a | b" is satisfied by its first alternative that some installed package fits;
  - an alternative is fitted by installed packages of that name, or else by every installed
    package that Provides it;
  - an unqualified dependency: a Multi-Arch: foreign package, or one of the depending package's
    architecture; ":any": a Multi-Arch: allowed package; ":ARCH": that architecture; "all" counts
    as the native architecture;
  - version constraints are ignored.

Usage: dpkg_property.py PACKAGE...   prints, for each PACKAGE, a line "= PACKAGE" and then its
closure, one "name:architecture" per line, sorted. Exit 1 when a dependency is unsatisfied.
"""

import re
import subprocess
import sys

INSTALLED = {"installed", "triggers-pending", "triggers-awaited"}
FIELDS = ["Package", "Architecture", "Multi-Arch", "Status", "Pre-Depends", "Depends", "Provides"]
ALTERNATIVE = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9+._-]*)(?::(?P<qual>[a-z0-9-]+))?"
    r"\s*(?:\((?P<version>[^)]*)\))?\s*(?P<rest>.*)$", re.S)


def query():
    fmt = "\\t".join("${%s}" % f for f in FIELDS) + "\\n"
    out = subprocess.run(["dpkg-query", "-W", "-f", fmt], check=True, capture_output=True,
                         text=True).stdout
    packages = []
    for line in out.splitlines():
        values = dict(zip(FIELDS, line.split("\t")))
        if values["Status"].split()[-1] not in INSTALLED:
            continue
        packages.append(values)
    return packages


def relationships(value):
    groups = []
    for group in filter(None, (g.strip() for g in value.split(","))):
        alternatives = []
        for alt in group.split("|"):
            m = ALTERNATIVE.match(alt)
            if not m or m.group("rest").strip():
                raise SystemExit(f"cannot parse relationship {alt!r} in {value!r}")
            alternatives.append((m.group("name"), m.group("qual") or ""))
        groups.append(alternatives)
    return groups


def main(roots):
    native = subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True,
                            text=True).stdout.strip()
    packages = query()
    by_name, providers = {}, {}
    for p in packages:
        by_name.setdefault(p["Package"], []).append(p)
        for name, _ in (alts[0] for alts in relationships(p["Provides"])):
            providers.setdefault(name, []).append(p)

    def arch(p):
        return native if p["Architecture"] in ("", "all") else p["Architecture"]

    def fits(candidate, qual, dependent):
        multi_arch = candidate["Multi-Arch"] or "no"
        if not qual and multi_arch == "foreign":
            return True
        if qual == "any":
            return multi_arch == "allowed"
        wanted = arch(dependent) if not qual else native if qual in ("native", "all") else qual
        return wanted == arch(candidate)

    def key(p):
        return f'{p["Package"]}:{p["Architecture"]}'

    def closure(root_name):
        name, _, qual = root_name.partition(":")
        roots = [p for p in by_name.get(name, []) if not qual or p["Architecture"] == qual]
        if len(roots) > 1:
            roots = [p for p in roots if arch(p) == native]
        if len(roots) != 1:
            raise SystemExit(f"{root_name}: not installed (or ambiguous)")
        seen = {key(roots[0]): roots[0]}
        todo = [roots[0]]
        while todo:
            p = todo.pop()
            for group in relationships(p["Pre-Depends"]) + relationships(p["Depends"]):
                found = []
                for name, qual in group:
                    found = [c for c in by_name.get(name, []) if fits(c, qual, p)]
                    if not found:
                        found = [c for c in providers.get(name, []) if fits(c, qual, p)]
                    if found:
                        break
                if not found:
                    raise SystemExit(f"{key(p)}: unsatisfied {group}")
                for c in found:
                    if key(c) not in seen:
                        seen[key(c)] = c
                        todo.append(c)
        return sorted(seen)

    for root in roots:
        print(f"= {root}")
        for k in closure(root):
            print(k)


if __name__ == "__main__":
    main(sys.argv[1:])
