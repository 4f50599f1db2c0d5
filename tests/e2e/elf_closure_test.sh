#!/usr/bin/env bash
# The ELF closure end to end: dynamically linked programs, an env script and an $ORIGIN program
# in bundles holding only their closure, run by runc as root.
source "$(dirname "$0")/lib.sh"
need_root

# bash: the program, its interpreter, its libraries and the symlinks that lead to them.
"$OCITOOLS" build-container -o "$WORK/bash" -- /bin/bash -c 'echo $((6*7))'
check_bundle "$WORK/bash"
expect_eq "bash runs under runc" "42" "$(run_bundle "$WORK/bash")"
# (The generated /etc/passwd, /etc/group, /etc/hosts and /etc/ld.so.cache are not host files.)
files=$(cd "$WORK/bash/rootfs" && find . -type f ! -path ./etc/passwd ! -path ./etc/group ! -path ./etc/hosts ! -path ./etc/ld.so.cache | sort)
links=$(cd "$WORK/bash/rootfs" && find . -type l | sort)
closure=$("$OCITOOLS" closure -- /bin/bash)
expect_eq "the bash bundle's files are exactly bash's closure" \
    "$(for p in $closure; do [ -f "$p" ] && [ ! -L "$p" ] && echo ".$p"; done | sort)" "$files"
expect_eq "the bash bundle's symlinks are exactly those on the way" \
    "$(for p in $closure; do [ -L "$p" ] && echo ".$p"; done | sort)" "$links"
nfiles=$(printf '%s\n' "$files" | grep -vc '^\./usr/lib/locale/C\.utf8/')
check "a handful of files besides the C.UTF-8 locale ($nfiles)" test "$nfiles" -le 8
check "the interpreter path is a symlink chain" test -L "$WORK/bash/rootfs/lib64" -o -L "$WORK/bash/rootfs/lib64/ld-linux-x86-64.so.2"

# A coreutils program with several libraries (ls: libselinux, libpcre2, libc).
"$OCITOOLS" build-container -o "$WORK/ls" -- /usr/bin/ls -d /usr/bin /nonexistent-dir-xyz
check_bundle "$WORK/ls"
expect_eq "ls runs under runc" "/usr/bin" "$(run_bundle "$WORK/ls" 2>/dev/null)"
check "ls brought libselinux" bash -c "ls '$WORK'/ls/rootfs/usr/lib/*/libselinux.so.1"

# A script with #!/usr/bin/env bash: env, and bash found on the container's PATH.
mkdir -p "$WORK/app"
printf '#!/usr/bin/env bash\necho "script says $((2+3))"\n' > "$WORK/app/hello"
chmod 755 "$WORK/app/hello"
"$OCITOOLS" build-container -o "$WORK/script" -- "$WORK/app/hello"
check_bundle "$WORK/script"
expect_eq "env script runs under runc" "script says 5" "$(run_bundle "$WORK/script")"

# A program whose RUNPATH is $ORIGIN/../lib gets its library from there.
if command -v cc >/dev/null; then
    mkdir -p "$WORK/origin/bin" "$WORK/origin/lib" "$WORK/src"
    echo 'int answer(void) { return 42; }' > "$WORK/src/lib.c"
    printf '#include <stdio.h>\nint answer(void);\nint main(void) { printf("origin %%d\\n", answer()); return 0; }\n' > "$WORK/src/main.c"
    cc -shared -fPIC -Wl,-soname,libanswer.so.1 -o "$WORK/origin/lib/libanswer.so.1" "$WORK/src/lib.c"
    cc -o "$WORK/origin/bin/prog" "$WORK/src/main.c" "$WORK/origin/lib/libanswer.so.1" -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'
    "$OCITOOLS" build-container -o "$WORK/orig" -- "$WORK/origin/bin/prog"
    check_bundle "$WORK/orig"
    check "the \$ORIGIN library is in the bundle" test -f "$WORK/orig/rootfs$WORK/origin/lib/libanswer.so.1"
    expect_eq "\$ORIGIN program runs under runc" "origin 42" "$(run_bundle "$WORK/orig")"
else
    fail "no C compiler for the \$ORIGIN program"
fi

# A missing library is an error naming the object and the soname.
if command -v cc >/dev/null; then
    rm "$WORK/origin/lib/libanswer.so.1"
    err=$("$OCITOOLS" build-container -o "$WORK/missing" -- "$WORK/origin/bin/prog" 2>&1) && fail "missing library accepted" || true
    expect_contains "missing library named" "$WORK/origin/bin/prog needs libanswer.so.1, which is not found" "$err"
    check "nothing written for the missing library" test ! -e "$WORK/missing"
fi

# validate reports what would fail with "not found" at start.
"$OCITOOLS" build-container -o "$WORK/broken" -- /bin/bash -c true
rm -f "$WORK"/broken/rootfs/usr/lib/*/libtinfo.so.6*
out=$("$OCITOOLS" validate "$WORK/broken") && fail "validate accepted a bundle missing libtinfo" || true
expect_contains "validate names the missing library" "needs libtinfo.so.6, which is not found" "$out"
rm -f "$WORK"/bash/rootfs/lib64/ld-linux-x86-64.so.2 "$WORK"/bash/rootfs/usr/lib64/ld-linux-x86-64.so.2
out=$("$OCITOOLS" validate "$WORK/bash") && fail "validate accepted a bundle missing its interpreter" || true
expect_contains "validate names the missing interpreter" "ld-linux-x86-64.so.2 does not exist" "$out"
printf '#!/usr/bin/env bash\necho x\n' > "$WORK/script/rootfs$WORK/app/hello"
rm -f "$WORK/script/rootfs/usr/bin/bash"
out=$("$OCITOOLS" validate "$WORK/script") && fail "validate accepted a script without its interpreter" || true
expect_contains "validate names the script's missing program" "bash is not found on the container's PATH" "$out"

# A known interpreter gets the hint about run-time modules.
if [ -x /usr/bin/perl ]; then
    err=$("$OCITOOLS" closure -- /usr/bin/perl -e 1 2>&1 >/dev/null)
    expect_contains "interpreter hint" "is an interpreter" "$err"
fi

finish
