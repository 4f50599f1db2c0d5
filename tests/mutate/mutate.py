#!/usr/bin/python3
"""Plant realistic bugs one at a time and count how many the tests catch (mutation testing).

Each mutation is one small textual change of a source file (tests/mutate/mutations.txt). For
each: apply it, rebuild incrementally in a build directory of its own (never the one a ctest run
may be using), run the tests it names (a ctest -R regex; `--full` runs the whole suite), and put
the file back, whatever happens. A mutant is killed when a test fails; one that does not build is
not counted. Prints one line per mutant, then the score and the survivors.

Not in CI (too slow): run it before changing the list or the tests it names, and write the
score in docs/testing.md. Usage (as root, from the repository):
  tests/mutate/mutate.py [--build DIR] [--full] [--only SUBSTRING]
"""
import argparse
import os
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse(path):
    """Blocks separated by blank lines: `file:`, `old:`, `new:`, `tests:`, `why:` lines."""
    mutations, block = [], {}
    for line in open(path, encoding="utf-8").read().split("\n") + [""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if block:
                missing = {"file", "old", "new", "tests", "why"} - block.keys()
                if missing:
                    sys.exit(f"{path}: a mutation lacks {sorted(missing)}: {block}")
                mutations.append(block)
                block = {}
            continue
        key, _, value = line.partition(": ")
        block[key] = value.replace("\\n", "\n")
    return mutations


def run(command, **kwargs):
    return subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kwargs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build-mutate"))
    parser.add_argument("--full", action="store_true", help="run the whole suite per mutant")
    parser.add_argument("--only", default="", help="only mutations whose file or why has this")
    args = parser.parse_args()
    mutations = [m for m in parse(os.path.join(ROOT, "tests/mutate/mutations.txt"))
                 if args.only in m["file"] or args.only in m["why"]]

    if run(["cmake", "-S", ROOT, "-B", args.build]).returncode != 0:
        sys.exit("cmake failed")
    if run(["cmake", "--build", args.build, "-j2"]).returncode != 0:
        sys.exit("the unmutated tree does not build")

    # The file being mutated is put back on every way out, an interrupt included.
    current = {}

    def restore(*_):
        if current:
            open(current["path"], "w", encoding="utf-8").write(current["text"])
            current.clear()

    def interrupted(signum, _frame):
        restore()
        sys.exit(128 + signum)

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)

    killed, survivors, unbuilt = 0, [], []
    for i, m in enumerate(mutations, 1):
        path = os.path.join(ROOT, m["file"])
        text = open(path, encoding="utf-8").read()
        if text.count(m["old"]) != 1:
            sys.exit(f"{m['file']}: the text to mutate occurs {text.count(m['old'])} times, "
                     f"not once: {m['old']!r}")
        current.update(path=path, text=text)
        try:
            open(path, "w", encoding="utf-8").write(text.replace(m["old"], m["new"]))
            if run(["cmake", "--build", args.build, "-j2"]).returncode != 0:
                unbuilt.append(m)
                print(f"[{i}/{len(mutations)}] does not build: {m['why']}", flush=True)
                continue
            ctest = ["ctest", "--test-dir", args.build, "-j2", "--timeout", "600"]
            if not args.full:
                ctest += ["-R", m["tests"]]
            result = run(ctest)
            ran = "No tests were found" not in result.stdout
            if result.returncode != 0 and ran:
                killed += 1
                print(f"[{i}/{len(mutations)}] killed: {m['why']}", flush=True)
            else:
                survivors.append(m)
                print(f"[{i}/{len(mutations)}] SURVIVED: {m['why']} ({m['file']})", flush=True)
        finally:
            restore()
    run(["cmake", "--build", args.build, "-j2"])  # leave the build as the tree is
    counted = killed + len(survivors)
    print(f"\nscore: {killed} of {counted} mutants killed "
          f"({100.0 * killed / max(counted, 1):.0f}%); {len(unbuilt)} did not build")
    for m in survivors:
        print(f"survivor: {m['file']}: {m['why']}")
    return 0 if not survivors else 1


if __name__ == "__main__":
    sys.exit(main())
