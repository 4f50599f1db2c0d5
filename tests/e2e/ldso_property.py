#!/usr/bin/python3
"""The whole-machine differential: for every dynamically linked ELF object of this machine (the
programs in /usr/bin and /usr/sbin, and every object beneath /usr/lib and /usr/libexec: shared
libraries, plugins, interpreter modules, helper programs), the libraries of `ocitools closure` are exactly those glibc's own loader
lists (`ld.so --list OBJECT`), compared by real path: none missed, none extra. ld.so runs the
loader's rules; ocitools never runs anything, so this checks our reading of those rules against
ld.so itself. An object ld.so cannot load (a library not found) must fail in ocitools too.
Usage: ldso_property.py OCITOOLS [LDSO]"""
import concurrent.futures
import os
import re
import subprocess
import sys

ocitools = sys.argv[1]
ldso = sys.argv[2] if len(sys.argv) > 2 else "/lib64/ld-linux-x86-64.so.2"
interpreter = os.path.realpath(ldso)



def dynamic_elf(path):
    """True for a 64-bit ELF file with a PT_DYNAMIC segment (one ld.so would load)."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:5] != b"\x7fELF\x02" or head[5] != 1:
                return False
            phoff = int.from_bytes(head[32:40], "little")
            phentsize = int.from_bytes(head[54:56], "little")
            phnum = int.from_bytes(head[56:58], "little")
            f.seek(phoff)
            table = f.read(phentsize * phnum)
    except OSError:
        return False
    if phentsize < 4:
        return False
    return any(int.from_bytes(table[i:i + 4], "little") == 2  # PT_DYNAMIC
               for i in range(0, len(table), phentsize))


def candidates():
    for d in ("/usr/bin", "/usr/sbin"):
        for name in sorted(os.listdir(d)):
            yield os.path.join(d, name)
    for top in ("/usr/lib", "/usr/libexec"):
        for d, dirs, names in os.walk(top):
            dirs.sort()
            for name in sorted(names):
                yield os.path.join(d, name)


def objects():
    for path in candidates():
        if os.path.islink(path) or not os.path.isfile(path) or not dynamic_elf(path):
            continue
        yield path


def ldso_libraries(path):
    """The set ld.so --list loads, None when it finds a library missing, "skip" when it cannot
    load the object for another reason (a static PIE, an object for another machine)."""
    r = subprocess.run([ldso, "--list", path], capture_output=True, text=True, errors="replace")
    if "=> not found" in r.stdout or "cannot open shared object file" in r.stderr:
        return None
    if r.returncode != 0:
        return "skip"
    libs = set()
    for line in r.stdout.splitlines():
        m = re.match(r"\s*\S+ => (/\S+) \(", line) or re.match(r"\s*(/\S+) \(", line)
        if m:
            libs.add(os.path.realpath(m.group(1)))
    return libs - {interpreter}


# The object comes in as an --include of a request whose program is static (a library need not be
# executable): the libraries of the closure are then the object's alone.
STATIC_PROGRAM = "/sbin/ldconfig"


def ocitools_libraries(path):
    command = [ocitools, "closure", "--why", "--", STATIC_PROGRAM]
    if path:
        command[3:3] = ["--include", path]
    r = subprocess.run(command, capture_output=True, text=True, errors="surrogateescape")
    # An include whose libraries are not all found is copied with a warning, not followed.
    if r.returncode != 0 or "which is not found" in r.stderr:
        return None, r.stderr.strip()
    libs = set()
    for line in r.stdout.splitlines():
        where, _, why = line.partition("\t")
        if why.startswith("DT_NEEDED of "):
            libs.add(os.path.realpath(where))
    return libs - {interpreter}, None


def check(path):
    want = ldso_libraries(path)
    if want == "skip":
        return path, None, None
    have, error = ocitools_libraries(path)
    if want is None:
        return path, 0, None if have is None else "ld.so cannot load it, ocitools can"
    if have is None:
        return path, len(want), "ocitools closure failed: " + error
    missed, extra = sorted(want - have), sorted(have - want)
    problem = ""
    if missed:
        problem += " missed " + " ".join(missed)
    if extra:
        problem += " extra " + " ".join(extra)
    return path, len(want), problem.strip() or None


if ocitools_libraries(None) != (set(), None):
    sys.exit(f"FAIL: {STATIC_PROGRAM} is not a static program here: {ocitools_libraries(None)}")
failures = total = edges = skipped = 0
with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
    for path, count, problem in pool.map(check, objects()):
        if count is None:
            skipped += 1
            continue
        total += 1
        edges += count
        if problem:
            failures += 1
            print(f"FAIL: {path}: {problem}")
print(f"compared {total} dynamically linked objects, {edges} library edges "
      f"({skipped} ld.so --list cannot load)")
if total < 100:
    print("FAIL: too few objects compared")
    failures += 1
print(f"{total - failures} agreed, {failures} disagreed")
sys.exit(1 if failures else 0)
