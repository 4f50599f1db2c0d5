#!/usr/bin/env bash
# The loader rules of issue 20, each on a small gcc-built program: the bundle must start and load
# what the host's ld.so loads (each library prints which copy it is), and `closure` must hold what
# `ld.so --list` lists. Run by runc as root.
source "$(dirname "$0")/lib.sh"
need_root
command -v cc >/dev/null || { fail "no C compiler"; finish; exit 1; }
LDSO=/lib64/ld-linux-x86-64.so.2
[ -x "$LDSO" ] || { echo "skipped: x86_64 glibc only"; exit 77; }

R="$WORK/r"
mkdir -p "$R"
# lib_c NAME: a source whose p() says NAME; main.c prints what p() says.
lib_c() { printf 'const char *p(void) { return "%s"; }\n' "$1" > "$R/$1.c"; echo "$R/$1.c"; }
printf '#include <stdio.h>\nconst char *p(void);\nint main(void) { puts(p()); return 0; }\n' > "$R/main.c"

# closure_has PATH PROG [closure options]: the closure of PROG holds PATH (by real path).
closure_has() {
    local want=$1 prog=$2
    shift 2
    "$OCITOOLS" closure "$@" -- "$prog" | xargs -r realpath -q | grep -qx "$(realpath "$want")"
}
# ldso_has PATH PROG: ld.so --list PROG names PATH (by real path).
ldso_has() {
    "$LDSO" --list "$2" | awk '$2 == "=>" { print $3 } $2 != "=>" { print $1 }' |
        xargs -r realpath -q | grep -qx "$(realpath "$1")"
}
# same_run NAME PROG [build-container options]: a bundle of PROG prints what PROG prints here.
same_run() {
    local name=$1 prog=$2 want
    shift 2
    want=$("$prog")
    "$OCITOOLS" build-container -o "$WORK/$name" "$@" -- "$prog"
    check_bundle "$WORK/$name"
    expect_eq "$name: the bundle loads what the host loads" "$want" "$(run_bundle "$WORK/$name")"
}

# 1. A DT_NEEDED given as an absolute path.
mkdir -p "$R/abs"
cc -shared -fPIC -o "$R/abs/libp.so" "$(lib_c abs)"
cc -o "$R/a" "$R/main.c" "$R/abs/libp.so"
check "absolute DT_NEEDED: ld.so loads it" ldso_has "$R/abs/libp.so" "$R/a"
check "absolute DT_NEEDED: in the closure" closure_has "$R/abs/libp.so" "$R/a"
same_run abs "$R/a"

# 2. $ORIGIN inside a DT_NEEDED (the library's soname, copied by the linker).
mkdir -p "$R/o"
cc -shared -fPIC -o "$R/o/libo.so" "$(lib_c origin)" -Wl,-soname,'$ORIGIN/libo.so'
cc -o "$R/o/o" "$R/main.c" "$R/o/libo.so"
check "\$ORIGIN DT_NEEDED: ld.so loads it" ldso_has "$R/o/libo.so" "$R/o/o"
check "\$ORIGIN DT_NEEDED: in the closure" closure_has "$R/o/libo.so" "$R/o/o"
same_run origin "$R/o/o"

# 3. DT_FILTER and DT_AUXILIARY: the filter's p() is the filtee's.
mkdir -p "$R/f"
cc -shared -fPIC -o "$R/f/libfiltee.so" -Wl,-soname,libfiltee.so "$(lib_c filtee)"
cc -shared -fPIC -o "$R/f/libaux.so" -Wl,-soname,libaux.so "$(lib_c auxiliary)"
cc -shared -fPIC -o "$R/f/libfilter.so" -Wl,-soname,libfilter.so,--filter=libfiltee.so "$(lib_c filter)"
cc -shared -fPIC -o "$R/f/libauxf.so" -Wl,-soname,libauxf.so,--auxiliary=libaux.so "$(lib_c auxfilter)"
cc -o "$R/f/filter" "$R/main.c" -L"$R/f" -lfilter -Wl,--disable-new-dtags,-rpath,"$R/f"
cc -o "$R/f/aux" "$R/main.c" -L"$R/f" -lauxf -Wl,--disable-new-dtags,-rpath,"$R/f"
expect_eq "DT_FILTER: the host runs the filtee" "filtee" "$("$R/f/filter")"
expect_eq "DT_AUXILIARY: the host runs the auxiliary" "auxiliary" "$("$R/f/aux")"
check "DT_FILTER: the filtee is in the closure" closure_has "$R/f/libfiltee.so" "$R/f/filter"
check "DT_AUXILIARY: the auxiliary is in the closure" closure_has "$R/f/libaux.so" "$R/f/aux"
same_run filter "$R/f/filter"
same_run aux "$R/f/aux"

# 4. glibc 2.36's legacy hwcaps subdirectories (this host's ld.so is 2.36: it searches them).
if "$LDSO" --version | grep -q 'release version 2\.36\.'; then
    mkdir -p "$R/leg/x86_64" "$R/leg2/tls"
    cc -shared -fPIC -o "$R/leg/libw.so" -Wl,-soname,libw.so "$(lib_c legacy-base)"
    cc -shared -fPIC -o "$R/leg/x86_64/libw.so" -Wl,-soname,libw.so "$(lib_c legacy-x86_64)"
    cc -shared -fPIC -o "$R/leg2/tls/libw.so" -Wl,-soname,libw.so "$(lib_c legacy-tls)"
    cc -o "$R/leg/w" "$R/main.c" -L"$R/leg" -lw -Wl,--disable-new-dtags,-rpath,"$R/leg"
    cc -o "$R/leg2/w" "$R/main.c" -L"$R/leg" -lw -Wl,--disable-new-dtags,-rpath,"$R/leg2"
    check "legacy hwcaps: ld.so loads x86_64/libw.so" ldso_has "$R/leg/x86_64/libw.so" "$R/leg/w"
    check "legacy hwcaps: x86_64/libw.so is in the closure" closure_has "$R/leg/x86_64/libw.so" "$R/leg/w"
    same_run legacy "$R/leg/w"
    check "legacy hwcaps, only tls/libw.so: ld.so loads it" ldso_has "$R/leg2/tls/libw.so" "$R/leg2/w"
    same_run legacy-tls "$R/leg2/w"
else
    fail "the host's ld.so is not glibc 2.36: the legacy hwcaps case needs one"
fi

# 5. Every glibc-hwcaps variant and a base in a later directory: RPATH h1:h2.
if "$LDSO" --help | grep -q 'x86-64-v3 (supported, searched)'; then
    mkdir -p "$R/h1/glibc-hwcaps/x86-64-v3" "$R/h2"
    cc -shared -fPIC -o "$R/h1/glibc-hwcaps/x86-64-v3/libv.so" -Wl,-soname,libv.so "$(lib_c v3)"
    cc -shared -fPIC -o "$R/h2/libv.so" -Wl,-soname,libv.so "$(lib_c h2-base)"
    cc -o "$R/h" "$R/main.c" -L"$R/h2" -lv -Wl,--disable-new-dtags,-rpath,"$R/h1:$R/h2"
    nov3='glibc.cpu.hwcaps=-AVX2,-BMI1,-BMI2,-F16C,-FMA,-LZCNT,-MOVBE'
    expect_eq "hwcaps: a CPU without x86-64-v3 loads h2's" "h2-base" "$(GLIBC_TUNABLES=$nov3 "$R/h")"
    check "hwcaps: the v3 variant is in the closure" closure_has "$R/h1/glibc-hwcaps/x86-64-v3/libv.so" "$R/h"
    check "hwcaps: h2's base is in the closure" closure_has "$R/h2/libv.so" "$R/h"
    GLIBC_TUNABLES=$nov3 ldso_has "$R/h2/libv.so" "$R/h" || fail "ld.so --list without v3 lacks h2"
    same_run hwcaps "$R/h"
    "$OCITOOLS" build-container -o "$WORK/hwcaps-nov3" -e GLIBC_TUNABLES=$nov3 -- "$R/h"
    expect_eq "hwcaps: the bundle on a CPU without v3 loads h2's" "h2-base" "$(run_bundle "$WORK/hwcaps-nov3")"
else
    fail "this CPU lacks x86-64-v3: the hwcaps case needs one"
fi

# 7. LD_LIBRARY_PATH of the container: a library only there, and one shadowing libz.so.1.
mkdir -p "$R/llp" "$R/shadow"
cc -shared -fPIC -o "$R/llp/libq.so" -Wl,-soname,libq.so "$(lib_c llp)"
cc -o "$R/q" "$R/main.c" -L"$R/llp" -lq
cc -shared -fPIC -o "$R/shadow/libz.so.1" -Wl,-soname,libz.so.1 "$(lib_c shadow-libz)"
cc -o "$R/z" "$R/main.c" "$R/shadow/libz.so.1"
check "LD_LIBRARY_PATH: closure -e finds it" closure_has "$R/llp/libq.so" "$R/q" -e LD_LIBRARY_PATH="$R/llp"
check "LD_LIBRARY_PATH: closure -e takes the shadowing libz" closure_has "$R/shadow/libz.so.1" "$R/z" -e LD_LIBRARY_PATH="/nonexistent;$R/shadow"
want=$(LD_LIBRARY_PATH="$R/llp" "$R/q")
"$OCITOOLS" build-container -o "$WORK/llp" -e LD_LIBRARY_PATH="$R/llp" -- "$R/q"
check_bundle "$WORK/llp"
expect_eq "LD_LIBRARY_PATH: the bundle runs" "$want" "$(run_bundle "$WORK/llp")"
want=$(LD_LIBRARY_PATH="$R/shadow" "$R/z")
"$OCITOOLS" build-container -o "$WORK/shadow" -e LD_LIBRARY_PATH="$R/shadow" -- "$R/z"
check_bundle "$WORK/shadow"
expect_eq "LD_LIBRARY_PATH: the bundle loads the shadowing libz" "$want" "$(run_bundle "$WORK/shadow")"

# 8. DF_1_NODEFLIB: the program's libraries cannot come from the default directories.
mkdir -p "$R/nd"
cc -shared -fPIC -o "$R/nd/libp.so" -Wl,-soname,libp.so "$(lib_c nodeflib)"
cc -o "$R/nd/n" "$R/main.c" -L"$R/nd" -lp -Wl,-z,nodefaultlib,--disable-new-dtags,-rpath,"$R/nd"
check "NODEFLIB: ld.so finds no libc for it" bash -c "! '$LDSO' --list '$R/nd/n' >/dev/null 2>&1"
err=$("$OCITOOLS" closure -- "$R/nd/n" 2>&1 >/dev/null) && fail "NODEFLIB: closure accepted it" || true
expect_contains "NODEFLIB: closure says libc is not found" "needs libc.so.6, which is not found" "$err"
# With libc beside it, on its RPATH, it runs, and the bundle's libc is that one.
cp "$(realpath /lib/x86_64-linux-gnu/libc.so.6)" "$R/nd/libc.so.6"
check "NODEFLIB: its own libc is in the closure" closure_has "$R/nd/libc.so.6" "$R/nd/n"
same_run nodeflib "$R/nd/n"
check "NODEFLIB: the system libc is not in the bundle" bash -c "! ls '$WORK'/nodeflib/rootfs/lib/x86_64-linux-gnu/libc.so.6 '$WORK'/nodeflib/rootfs/usr/lib/x86_64-linux-gnu/libc.so.6 2>/dev/null"
# In a rootfs whose RPATH directory lacks libp.so, a copy in /usr/lib does not make it start.
mv "$WORK/nodeflib/rootfs$R/nd/libp.so" "$WORK/nodeflib/rootfs/usr/lib/libp.so"
out=$("$OCITOOLS" validate "$WORK/nodeflib") && fail "NODEFLIB: validate accepted a libp.so in /usr/lib" || true
expect_contains "NODEFLIB: validate says libp.so is not found" "needs libp.so, which is not found" "$out"
rc=0
run_bundle "$WORK/nodeflib" >/dev/null 2>&1 || rc=$?
expect_eq "NODEFLIB: runc agrees (exit 127)" "127" "$rc"

finish
