#!/usr/bin/python3
"""Property test over the machine: for every ELF program in /usr/bin and /usr/sbin, the closure
ocitools computes contains every library ldd reports (compared by real path). ldd runs the
loader; ocitools never does, so this checks our reading of ld.so's rules against ld.so itself.
Usage: ldd_property.py OCITOOLS"""
import concurrent.futures
import os
import re
import subprocess
import sys

ocitools = sys.argv[1]


def programs():
    for d in ("/usr/bin", "/usr/sbin"):
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if not os.path.isfile(path) or not os.access(path, os.X_OK):
                continue
            try:
                with open(path, "rb") as f:
                    if f.read(4) != b"\x7fELF":
                        continue
            except OSError:
                continue
            yield path


def ldd_libraries(path):
    r = subprocess.run(["ldd", path], capture_output=True, text=True, errors="replace")
    if r.returncode != 0 or "not found" in r.stdout:
        return None  # static, or broken on this machine
    libs = set()
    for line in r.stdout.splitlines():
        m = re.match(r"\s*\S+ => (/\S+) \(", line) or re.match(r"\s*(/\S+) \(", line)
        if m:
            libs.add(os.path.realpath(m.group(1)))
    return libs


def check(path):
    want = ldd_libraries(path)
    if want is None:
        return path, None, None
    r = subprocess.run([ocitools, "closure", "--", path], capture_output=True, text=True,
                       errors="surrogateescape")
    if r.returncode != 0:
        return path, want, "ocitools closure failed: " + r.stderr.strip()
    have = {os.path.realpath(p) for p in r.stdout.splitlines()}
    missing = sorted(want - have)
    return path, want, ("missing " + " ".join(missing)) if missing else None


failures = compared = total = 0
with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
    for path, want, problem in pool.map(check, programs()):
        total += 1
        if want is None:
            continue
        compared += 1
        if problem:
            failures += 1
            print(f"FAIL: {path}: {problem}")
print(f"compared {compared} dynamically linked programs of {total} ELF files")
if compared < 50:
    print("FAIL: too few programs compared")
    failures += 1
print(f"{compared - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
