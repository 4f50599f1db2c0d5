#!/usr/bin/env bash
# Closure from the Nix database: a private store (NIX_STORE_DIR, NIX_STATE_DIR in a temporary
# directory) of N small store paths registered with `nix-store --register-validity`, each
# referring to the next three, so the closure of the first is all of them; `ocitools closure`
# (auto mode: the database) against `nix-store -qR` of the same root, in the same run.
# Usage: bench/nix_db_closure.sh OCITOOLS [RUNS] [N]
set -euo pipefail
ocitools=$(realpath "$1")
runs=${2:-5}
n=${3:-5000}
source "$(dirname "$0")/lib.sh"
command -v nix-store >/dev/null || { echo "nix_db_closure.sh: nix-store not found (nix-bin)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ocitools-bench-nixdb.XXXXXX")
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
export NIX_STORE_DIR="$tmp/store" NIX_STATE_DIR="$tmp/state" NIX_LOG_DIR="$tmp/log"
mkdir -p "$NIX_STORE_DIR"

# The store paths (small files; the root is a static shell) and their registration, in the
# format of `nix-store --register-validity`: path, deriver, number of references, references.
/usr/bin/python3 - "$NIX_STORE_DIR" "$n" > "$tmp/registration" <<'PY'
import os, random, sys
store, n = sys.argv[1], int(sys.argv[2])
alphabet = "0123456789abcdfghijklmnpqrsvwxyz"
rng = random.Random(1)
paths = [f"{store}/{''.join(rng.choice(alphabet) for _ in range(32))}-pkg-{i}" for i in range(n)]
for i, p in enumerate(paths):
    refs = paths[i + 1:i + 4]
    with open(p, "w") as f:
        f.write("\n".join(refs) + "\n")
    print(p)
    print("")
    print(len(refs))
    for r in refs:
        print(r)
PY
first=$(head -1 "$tmp/registration")
root="$NIX_STORE_DIR/$(/usr/bin/python3 -c 'import random; r=random.Random(2); print("".join(r.choice("0123456789abcdfghijklmnpqrsvwxyz") for _ in range(32)))')-shell"
mkdir -p "$root/bin"
cp /bin/busybox "$root/bin/sh"
echo "$first" > "$root/needs"
printf '%s\n\n1\n%s\n' "$root" "$first" >> "$tmp/registration"
nix-store --register-validity < "$tmp/registration"

ours() { "$ocitools" closure -- "$root/bin/sh" 2>"$tmp/err"; }
theirs() { nix-store -qR "$root"; }
[ "$(ours | wc -l)" -eq $((n + 1)) ] || { echo "nix_db_closure.sh: wrong closure: $(cat "$tmp/err")" >&2; exit 1; }
[ -z "$(cat "$tmp/err")" ] || { echo "nix_db_closure.sh: not from the database: $(cat "$tmp/err")" >&2; exit 1; }
[ "$(ours)" == "$(theirs | sort)" ] || { echo "nix_db_closure.sh: differs from nix-store -qR" >&2; exit 1; }
ours_quiet() { ours >/dev/null; }
theirs_quiet() { theirs >/dev/null; }
alternate "$runs" ours_quiet theirs_quiet
printf '| Closure of %d store paths from the Nix database, vs `nix-store -qR` | %.3f s | %.3f s | **%.2fx** | %s KiB |\n' \
    "$((n + 1))" "$(median "${t_ours[@]}")" "$(median "${t_theirs[@]}")" "$(median "${ratios[@]}")" \
    "$(peak_rss "$ocitools" closure -- "$root/bin/sh")"
