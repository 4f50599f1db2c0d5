#!/usr/bin/env bash
# Hard links instead of copies (--link copy|hardlink|auto, spec key "link"), the copying threads
# (-j) and the progress line. A hard-linked rootfs shares the host's inodes, so the rule under
# test is: only a read-only root gets hard links silently; a spec file cannot ask for them with a
# writable root; the command line can, with a warning. Files that cannot be linked (another
# filesystem, fs.protected_hardlinks) are copied. Run by the real runc, as root and rootless.
source "$(dirname "$0")/lib.sh"
dpkg-query -W python3 >/dev/null 2>&1 || { echo "skipped: Debian's python3 not installed"; exit 77; }
command -v runc >/dev/null || { echo "skipped: runc not installed"; exit 77; }
build() { "$OCITOOLS" build-container "$@"; }

# A file on another filesystem than the output: a tmpfs of the test's own (not /dev/shm, whose
# files the runtime mounts over and ocitools leaves out).
[ "$(id -u)" == 0 ] || { echo "skipped: mounting a tmpfs needs root"; exit 77; }
mount_dir tmpfs >/dev/null
TMPFS="$MOUNTS/tmpfs"
mount -t tmpfs -o size=1m,mode=755 ocitools-e2e "$TMPFS"
SHM=$(mktemp "$TMPFS/ocitools-e2e.XXXXXX")
echo "from the tmpfs" > "$SHM"
if [ "$(stat -c %d "$SHM")" == "$(stat -c %d "$WORK")" ]; then
    fail "the tmpfs is not another filesystem than $WORK"
fi

inode() { stat -c %i "$(realpath "$1")"; }
# same_inode DESCRIPTION HOST-PATH BUNDLE: the rootfs's copy of HOST-PATH is the host's inode.
same_inode() { expect_eq "$1" "$(inode "$2")" "$(stat -c %i "$3/rootfs$(realpath "$2")")"; }
other_inode() {  # other_inode DESCRIPTION HOST-PATH BUNDLE: a copy, with its own inode
    CHECKS=$((CHECKS + 1))
    local host mine
    host=$(inode "$2") mine=$(stat -c %i "$3/rootfs$(realpath "$2")")
    if [ "$host" != "$mine" ]; then pass "$1"; else fail "$1: both are inode $host"; fi
}
# The tree as `find` sees it: names, types, modes, link counts, sizes (not of directories, which
# ext4 may grow with the order names were added), symlink targets, and the mtimes taken from the
# host; what ocitools makes at build time (/etc/passwd, mount points, parents of the closure's
# paths) is only "new", being newer than $STAMP.
STAMP="$WORK/stamp"
touch -d '1 minute ago' "$STAMP"
listing() {
    (cd "$1/rootfs" && find . -mindepth 1 -printf '%p %y %m %n ' \
        \( -type d -o -printf '%s %l ' \) \( -newer "$STAMP" -printf 'new\n' -o -printf '%T@\n' \)) |
        sort
}
LS=$(realpath /bin/ls)
# What `ls -i /usr/bin/ls` prints on the host, and so inside a container that links it.
LS_I="$(inode "$LS") $LS"

# --- A spec file cannot hard-link a writable root; nothing is written (needs no runc) ---
echo '{"args": ["/bin/ls"], "link": "hardlink"}' > "$WORK/hardlink.json"
echo '{"args": ["/bin/ls"], "link": "symlink"}' > "$WORK/badlink.json"
expect_build_refused "spec link hardlink with a writable root" \
    'link "hardlink" with a writable root' --spec "$WORK/hardlink.json"
expect_build_refused "an unknown link mode in the spec" \
    'key "link": symlink is not a link mode' --spec "$WORK/badlink.json"

# --- The progress line: drawn and erased on a terminal, absent otherwise ---
# python3 with its package: a thousand files in a hundred directories, long enough to draw.
PY=(--package python3 -- /usr/bin/python3 -c 'print("hi")')
build -o "$WORK/quiet" "${PY[@]}" 2>"$WORK/quiet.err"
expect_eq "no terminal: a clean build prints nothing on stderr" "" "$(cat "$WORK/quiet.err")"
if command -v script >/dev/null; then
    # script(1) gives ocitools a terminal and copies what it draws there.
    out=$(timeout 60 script -qec "'$OCITOOLS' build-container -o '$WORK/tty' --package python3 -- /usr/bin/python3 -V" \
        /dev/null </dev/null)
    expect_contains "on a terminal: the progress line names the step" $'\rocitools: writing rootfs: ' "$out"
    expect_contains "and counts files and MiB" " files, " "$out"
    check "and is erased at the end" test "${out: -4}" == $'\r\e[K'
    check_bundle "$WORK/tty"
else
    fail "script(1) (bsdutils) is missing: the progress line on a terminal cannot be checked"
fi

# --- -j: any number of threads writes the same tree ---
build -o "$WORK/j-default" "${PY[@]}"
build -o "$WORK/j1" -j 1 "${PY[@]}"
build -o "$WORK/j4" -j 4 "${PY[@]}"
check "python3's closure spans many directories" \
    test "$(find "$WORK/j-default/rootfs" -type d | wc -l)" -gt 50
expect_eq "-j 1 writes the same tree as the default" "$(listing "$WORK/j-default")" "$(listing "$WORK/j1")"
expect_eq "-j 4 writes the same tree as the default" "$(listing "$WORK/j-default")" "$(listing "$WORK/j4")"
check "with the same contents (-j 1)" diff -r --no-dereference "$WORK/j-default/rootfs" "$WORK/j1/rootfs"
check "with the same contents (-j 4)" diff -r --no-dereference "$WORK/j-default/rootfs" "$WORK/j4/rootfs"

need_root

# --- hardlink + --readonly: the host's inodes, silently; the container sees them too ---
mkdir "$WORK/data"
echo "hello from the host" > "$WORK/data/hello.txt"
build -o "$WORK/ro" --link hardlink --readonly --include "$WORK/data/hello.txt" -- /bin/ls -i "$LS" \
    2>"$WORK/ro.err"
check_bundle "$WORK/ro"
expect_eq "hardlink + --readonly: no warning" "" "$(grep warning "$WORK/ro.err" || true)"
same_inode "hardlink + --readonly: the program is the host's inode" "$LS" "$WORK/ro"
same_inode "and so is an --include'd file" "$WORK/data/hello.txt" "$WORK/ro"
expect_eq "whose link count grew by one" 2 "$(stat -c %h "$WORK/data/hello.txt")"
expect_eq "runc runs it, and the container sees the host's inode" "$LS_I" "$(run_bundle "$WORK/ro")"

# --- --link hardlink on the command line with a writable root: built, with a warning ---
echo "original" > "$WORK/data/shared.txt"
err=$(build -o "$WORK/rw" --link hardlink --include "$WORK/data/shared.txt" -- \
    /bin/sh -c "echo changed-in-container > $WORK/data/shared.txt && echo wrote" 2>&1 >/dev/null)
check_bundle "$WORK/rw"
expect_contains "--link hardlink with a writable root warns" \
    "ocitools: warning: --link hardlink with a writable root: the container can change host files through the hard links" "$err"
expect_eq "once, and nothing else" 1 "$(printf '%s\n' "$err" | wc -l)"
same_inode "the files are still hard links" "$WORK/data/shared.txt" "$WORK/rw"
expect_eq "the container writes to its root" "wrote" "$(run_bundle "$WORK/rw")"
expect_eq "and the warning is true: the host file changed" "changed-in-container" \
    "$(cat "$WORK/data/shared.txt")"

# --- auto: hard links only for a read-only root; copies are silent ---
build -o "$WORK/auto-rw" --link auto -- /bin/ls -a 2>"$WORK/auto-rw.err"
other_inode "--link auto with a writable root copies" "$LS" "$WORK/auto-rw"
expect_eq "silently" "" "$(cat "$WORK/auto-rw.err")"
build -o "$WORK/auto-ro" --link auto --readonly --include "$SHM" -- /bin/ls -i "$LS" 2>"$WORK/auto-ro.err"
check_bundle "$WORK/auto-ro"
same_inode "--link auto --readonly hard-links the files on the output's filesystem" "$LS" "$WORK/auto-ro"
other_inode "and copies one on another filesystem" "$SHM" "$WORK/auto-ro"
expect_eq "without a warning" "" "$(grep -vF "including $LS" "$WORK/auto-ro.err" || true)"
expect_eq "runc runs it" "$LS_I" "$(run_bundle "$WORK/auto-ro")"

# --- hardlink: a file on another filesystem is copied, with one warning naming it ---
err=$(build -o "$WORK/shm" --link hardlink --readonly --include "$SHM" -- /bin/ls -i "$LS" 2>&1 >/dev/null)
check_bundle "$WORK/shm"
other_inode "hardlink: a file on another filesystem is copied" "$SHM" "$WORK/shm"
check "whole" cmp -s "$SHM" "$WORK/shm/rootfs$SHM"
same_inode "while the others are linked" "$LS" "$WORK/shm"
expect_contains "one warning counts the copies" "ocitools: warning: 1 of " "$err"
expect_contains "and names the first, and why" \
    "files were copied, not hard-linked (the first: $SHM is on another filesystem)" "$err"
# (runc mounts a tmpfs on /dev, hiding the copy at run time: the linked files are checked.)
expect_eq "runc runs it" "$LS_I" "$(run_bundle "$WORK/shm")"

# --- Rootless: the user's own files are linked; fs.protected_hardlinks copies root's ---
setup_rootless_user
cd "$RL" || exit 1
if ! as_user unshare --user --map-root-user true 2>/dev/null; then
    fail "$ROOTLESS_USER cannot create user namespaces here: rootless hard links cannot be checked"
    finish
    exit 1
fi
# The user's file, on the output's filesystem, in a directory of theirs.
as_user mkdir "$RL/own"
as_user sh -c "echo 'the user file' > '$RL/own/mine.txt'"
err=$(as_user "$RL_OCITOOLS" build-container -o "$RL/link" --link hardlink --readonly \
    --include "$RL/own/mine.txt" -- /bin/cat "$RL/own/mine.txt" 2>&1 >/dev/null)
check_bundle "$RL/link"
same_inode "rootless hardlink: the user's own file is linked" "$RL/own/mine.txt" "$RL/link"
if [ "$(cat /proc/sys/fs/protected_hardlinks)" == 1 ]; then
    other_inode "root's files are copied (fs.protected_hardlinks)" /bin/cat "$RL/link"
    expect_contains "with one warning saying why" \
        "files were copied, not hard-linked (the first: " "$err"
    expect_contains "naming the sysctl" "not allowed (fs.protected_hardlinks" "$err"
    expect_eq "the rootfs belongs to the builder: no host file of root's reached it" "" \
        "$(find "$RL/link/rootfs" \( ! -user "$ROOTLESS_UID" -o ! -group "$ROOTLESS_GID" \) -print)"
else
    fail "fs.protected_hardlinks is off here: the copy fallback for root's files cannot be checked"
fi
expect_eq "runc runs it rootless" "the user file" "$(run_bundle_rootless "$RL/link")"

finish
