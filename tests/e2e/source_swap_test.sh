#!/usr/bin/env bash
# The source-swap race (issue 18, defect 1): root builds with --include of a directory another
# user can write, while that user keeps exchanging a subdirectory with a symlink to a directory
# of root's (renameat2 RENAME_EXCHANGE in a loop). Root's private file must end up in no bundle,
# copied or hard-linked: every build either succeeds with the user's own file or fails naming
# the path it found swapped.
source "$(dirname "$0")/lib.sh"
need_root
setup_rootless_user

# The attacker: exchange two names until a stop file appears, then print how many swaps it made.
cat >"$WORK/swap.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char** argv) {
    if (argc != 4) return 2;
    long swaps = 0;
    for (long i = 0;; ++i) {
        if (i % 1024 == 0 && access(argv[3], F_OK) == 0) break;
        if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) == 0) ++swaps;
    }
    printf("%ld\n", swaps);
    return 0;
}
EOF
cc -O2 -o "$WORK/swap" "$WORK/swap.c"
chmod 755 "$WORK/swap"

# Root's private directory and file, on the same filesystem as the builds (so hard links work).
mkdir -m 700 "$WORK/private"
printf 'ROOT PRIVATE\n' >"$WORK/private/secret"
chmod 600 "$WORK/private/secret"
# The user's directory: sub/secret is theirs; decoy points at root's directory.
RACE="$WORK/race"
mkdir -p "$RACE/inc/sub"
printf "the user's own\n" >"$RACE/inc/sub/secret"
ln -s "$WORK/private" "$RACE/inc/decoy"
chown -R "$ROOTLESS_UID:$ROOTLESS_GID" "$RACE"
chmod 755 "$RACE" "$RACE/inc" "$RACE/inc/sub"
mkdir -p "$WORK/out"

as_user "$WORK/swap" "$RACE/inc/sub" "$RACE/inc/decoy" "$RACE/stop" >"$WORK/swaps" &
ATTACKER=$!
e2e_cleanup_hook() { touch "$RACE/stop"; wait "$ATTACKER" 2>/dev/null; }

succeeded=0 refused=0 leaked=0 unclear=0
# build MODE N FLAGS...: one root build racing the attacker, judged.
build() {
    local mode=$1 n=$2 out="$WORK/out/$1-$2" rc=0
    shift 2
    "$OCITOOLS" build-container -o "$out" --include "$RACE/inc" "$@" -- /bin/busybox true \
        2>"$WORK/err" || rc=$?
    if [ -d "$out" ] && grep -rqs 'ROOT PRIVATE' "$out/rootfs"; then
        leaked=$((leaked + 1))
        fail "$mode build $n: root's private file is in the bundle"
    elif [ "$rc" -eq 0 ]; then
        succeeded=$((succeeded + 1))
        # What it holds under the swapped names is the user's own file, or nothing (find,
        # like grep -r, follows no symlink: a swapped name is kept as the user's symlink).
        for f in $(find "$out/rootfs$RACE" -type f); do
            if [ "$(cat "$f")" != "the user's own" ]; then
                unclear=$((unclear + 1))
                fail "$mode build $n: $f holds [$(cat "$f")]"
            fi
        done
    elif [ "$(wc -l <"$WORK/err")" -eq 1 ] && grep -q "$RACE/inc" "$WORK/err" && [ ! -e "$out" ]; then
        refused=$((refused + 1))
    else
        unclear=$((unclear + 1))
        fail "$mode build $n: exit $rc, neither a bundle nor one line naming the path: $(cat "$WORK/err")"
    fi
    rm -rf "$out"
}
for n in $(seq 1 60); do build copy "$n"; done
for n in $(seq 1 40); do build hardlink "$n" --link hardlink --readonly; done
touch "$RACE/stop"
wait "$ATTACKER"
swaps=$(cat "$WORK/swaps")
echo "100 builds: $succeeded succeeded, $refused refused naming the path; the attacker made $swaps swaps"

expect_eq "root's private file is in none of 100 racing builds" 0 "$leaked"
expect_eq "every racing build either succeeded with the user's file or failed naming the path" \
    0 "$unclear"
# The race must have been run: the attacker swapped throughout, and some builds met a swap.
check "the attacker kept swapping during the builds ($swaps swaps)" test "${swaps:-0}" -gt 1000
check "some builds met the swap and were refused ($refused)" test "$refused" -gt 0
finish
