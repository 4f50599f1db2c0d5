#!/usr/bin/env bash
# The static closure on what everyday programs do (issue 15): files the runtime mounts named in
# the arguments, $ORIGIN behind a symlink, included trees whose libraries are met at run time,
# /tmp, packages whose files changed after install, a script's interpreter's packages, the
# C.UTF-8 locale, and files a package's scripts made. Each bundle runs under runc as root and
# its output is compared with the host's.
source "$(dirname "$0")/lib.sh"
need_root

# Files in /proc and /sys named in the arguments are the runtime's, never copied; /etc/mtab, a
# symlink into /proc, stays a symlink, so the container reads its own mounts there.
ln -s /proc/self/mounts "$WORK/mounts-link"
"$OCITOOLS" build-container -o "$WORK/proc" -- /bin/cat /proc/sys/kernel/ostype \
    /sys/devices/system/cpu/online /etc/mtab "$WORK/mounts-link" 2>"$WORK/proc.err" ||
    fail "cat of /proc and /sys files does not build: $(cat "$WORK/proc.err")"
check_bundle "$WORK/proc"
out=$(run_bundle "$WORK/proc")
expect_eq "cat of /proc and /sys files runs under runc as on the host" \
    "$(cat /proc/sys/kernel/ostype /sys/devices/system/cpu/online)" "$(printf '%s\n' "$out" | head -2)"
expect_contains "/etc/mtab in the container lists the container's /proc" " /proc proc " "$out"
check "/etc/mtab is kept as a symlink" test -L "$WORK/proc/rootfs/etc/mtab"
check "the symlink given in the arguments is kept" test -L "$WORK/proc/rootfs$WORK/mounts-link"
expect_eq "nothing is copied into /proc or /sys" "" "$(cd "$WORK/proc/rootfs" && find proc sys -mindepth 1)"
expect_contains "a note says why /proc/sys/kernel/ostype is left out" \
    "not including /proc/sys/kernel/ostype named in the arguments: the runtime mounts /proc" \
    "$(cat "$WORK/proc.err")"
"$OCITOOLS" build-container -o "$WORK/cpuinfo" -- /bin/cat /proc/cpuinfo /proc/self/status 2>/dev/null ||
    fail "cat /proc/cpuinfo does not build"
expect_contains "cat /proc/cpuinfo runs under runc" "processor" "$(run_bundle "$WORK/cpuinfo")"

# $ORIGIN is the directory of the program's real path (/proc/self/exe), not of the symlink
# that named it: a bundle whose program is reached through a symlink validates and runs.
if command -v cc >/dev/null; then
    mkdir -p "$WORK/o/bin" "$WORK/o/lib" "$WORK/o/x/y" "$WORK/src"
    echo 'int answer(void) { return 42; }' > "$WORK/src/lib.c"
    printf '#include <stdio.h>\nint answer(void);\nint main(void) { printf("origin %%d\\n", answer()); return 0; }\n' > "$WORK/src/main.c"
    cc -shared -fPIC -Wl,-soname,libanswer.so.1 -o "$WORK/o/lib/libanswer.so.1" "$WORK/src/lib.c"
    cc -o "$WORK/o/bin/p" "$WORK/src/main.c" "$WORK/o/lib/libanswer.so.1" -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'
    ln -s ../../bin/p "$WORK/o/x/y/p"
    expect_eq "the \$ORIGIN program runs on the host through the symlink" "origin 42" "$("$WORK/o/x/y/p")"
    "$OCITOOLS" build-container -o "$WORK/orig" -- "$WORK/o/x/y/p" || fail "the \$ORIGIN program does not build"
    check_bundle "$WORK/orig"
    expect_eq "and under runc" "origin 42" "$(run_bundle "$WORK/orig")"
else
    fail "no C compiler for the \$ORIGIN program"
fi

# An included tree need not be complete: the JDK's libjava.so needs libjvm.so from server/,
# which the java launcher has loaded by then. One warning, and java runs as on the host (its
# program is also reached through symlinks: /usr/bin/java -> alternatives -> the JDK).
java=$(readlink -f /usr/bin/java 2>/dev/null || true)
if [ -x "$java" ]; then
    jdk=$(dirname "$(dirname "$java")")
    if "$OCITOOLS" build-container -o "$WORK/java" --include "$jdk" -- /usr/bin/java -version \
        2>"$WORK/java.err"; then
        check_bundle "$WORK/java"
        expect_eq "java -version with --include of its JDK runs under runc as on the host" \
            "$(java -version 2>&1)" "$(run_bundle "$WORK/java" 2>&1)"
        expect_contains "the unresolved libraries of the JDK are one warning" \
            "file(s) of $jdk (include) need what cannot be found on this host; copied, not followed" \
            "$(cat "$WORK/java.err")"
    else
        fail "--include $jdk does not build: $(cat "$WORK/java.err")"
    fi
else
    fail "no JDK (/usr/bin/java) for the --include check"
fi

# /tmp and /var/tmp are sticky and world-writable: mktemp works for any user, as on the host
# (where it runs on fresh tmpfs mounts, so that it leaves nothing behind).
tmp_script='for d in /tmp /var/tmp; do f=$("$0" -p $d) && echo ok > "$f" && read -r x < "$f" && echo "$d $x"; [ -k $d ] && echo sticky; done'
if "$OCITOOLS" build-container -o "$WORK/tmp" --user 65534:65534 -- /bin/bash -c "$tmp_script" \
    /usr/bin/mktemp 2>/dev/null; then
    check_bundle "$WORK/tmp"
    expect_eq "mktemp in /tmp and /var/tmp runs under runc as nobody as on the host" \
        "$(unshare -m /bin/sh -c 'mount -t tmpfs -o mode=1777 tmpfs /tmp &&
            mount -t tmpfs -o mode=1777 tmpfs /var/tmp && exec runuser -u nobody -- "$@"' sh \
            /bin/bash -c "$tmp_script" /usr/bin/mktemp)" \
        "$(run_bundle "$WORK/tmp" 2>&1)"
else
    fail "the mktemp bundle does not build"
fi

# A file dpkg lists but that is gone from disk (npm upgraded in place under nodejs) is one
# warning for its package; the build goes on. The host's database is copied (status, journal,
# diversions and file lists) and nodejs's list names a directory and a file that do not exist.
if dpkg-query -W -f '${Status}' nodejs 2>/dev/null | grep -q 'install ok installed'; then
    admin="$WORK/dpkg"
    mkdir -p "$admin/info"
    cp -a /var/lib/dpkg/status "$admin/"
    [ -d /var/lib/dpkg/updates ] && cp -a /var/lib/dpkg/updates "$admin/"
    [ -f /var/lib/dpkg/diversions ] && cp -a /var/lib/dpkg/diversions "$admin/"
    cp -a /var/lib/dpkg/info/*.list "$admin/info/"
    nodejs_list=$(compgen -G "$admin/info/nodejs*.list" | grep -E '/nodejs(:[^/]*)?\.list$' | head -1)
    printf '%s\n' /usr/lib/node_modules/ocitools-gone /usr/lib/node_modules/ocitools-gone/index.js \
        >> "$nodejs_list"
    node_script='console.log([1, 2, 3].map(x => x * 7).join(" "))'
    if DPKG_ADMINDIR="$admin" "$OCITOOLS" build-container -o "$WORK/node" --package nodejs -- \
        /usr/bin/node -e "$node_script" 2>"$WORK/node.err"; then
        check_bundle "$WORK/node"
        expect_eq "node with --package nodejs runs under runc as on the host" \
            "$(/usr/bin/node -e "$node_script")" "$(run_bundle "$WORK/node")"
        expect_contains "the missing files are one warning for nodejs" \
            "listed path(s) are not on disk (changed after install?), left out: " \
            "$(grep 'warning: package nodejs:' "$WORK/node.err")"
        expect_eq "one warning line for the package" 1 "$(grep -c 'warning: package nodejs:' "$WORK/node.err")"
    else
        fail "--package nodejs with files gone from disk does not build: $(tail -1 "$WORK/node.err")"
    fi
else
    fail "nodejs is not installed for the --package check"
fi

# --closure packages: a script's #! interpreter brings its packages as the program does
# (perl's POSIX module for a perl script that no package owns).
mkdir -p "$WORK/plapp"
printf '#!/usr/bin/perl\nuse POSIX;\nprint POSIX::floor(7.5) * 6, "\\n";\n' > "$WORK/plapp/main.pl"
chmod 755 "$WORK/plapp/main.pl"
if "$OCITOOLS" build-container -o "$WORK/plapp-bundle" --closure packages -- "$WORK/plapp/main.pl" \
    2>/dev/null; then
    check_bundle "$WORK/plapp-bundle"
    expect_eq "a perl script with --closure packages runs under runc as on the host" \
        "$("$WORK/plapp/main.pl")" "$(run_bundle "$WORK/plapp-bundle" 2>&1)"
else
    fail "the perl script with --closure packages does not build"
fi

# A glibc brings its C.UTF-8 locale (libc-bin's, in no file list the closure reads): bash counts
# characters, not bytes, under LC_ALL=C.UTF-8, as on the host.
locale_script='x=héllo; echo ${#x}'
if "$OCITOOLS" build-container -o "$WORK/locale" --env LC_ALL=C.UTF-8 -- /bin/bash -c \
    "$locale_script" 2>/dev/null; then
    check_bundle "$WORK/locale"
    expect_eq "bash under LC_ALL=C.UTF-8 runs under runc as on the host" \
        "$(LC_ALL=C.UTF-8 /bin/bash -c "$locale_script" 2>&1)" "$(run_bundle "$WORK/locale" 2>&1)"
else
    fail "the C.UTF-8 bundle does not build"
fi

# Files a package's scripts made where it left room (update-ca-certificates' /etc/ssl/certs):
# openssl verifies a certificate with the default CA directory, as on the host.
cert=/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt
if [ -f "$cert" ] && [ -x /usr/bin/openssl ]; then
    if "$OCITOOLS" build-container -o "$WORK/ca" --package ca-certificates -- /usr/bin/openssl \
        verify "$cert" 2>/dev/null; then
        check_bundle "$WORK/ca"
        expect_eq "openssl verify with --package ca-certificates runs under runc as on the host" \
            "$(/usr/bin/openssl verify "$cert" 2>&1)" "$(run_bundle "$WORK/ca" 2>&1)"
        check "ca-certificates.crt is there" test -s "$WORK/ca/rootfs/etc/ssl/certs/ca-certificates.crt"
    else
        fail "the ca-certificates bundle does not build"
    fi
else
    fail "no ca-certificates ($cert) and openssl for the generated-files check"
fi

finish
