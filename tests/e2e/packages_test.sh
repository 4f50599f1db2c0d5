#!/usr/bin/env bash
# Debian package closures end to end: an interpreter's standard library comes with its package.
source "$(dirname "$0")/lib.sh"
need_root
[ -x /usr/bin/python3 ] && [ -x /usr/bin/perl ] || { echo "skipped: needs Debian's python3 and perl"; exit 77; }

# --package python3: the standard library (json, sqlite3, ssl, decimal) is there.
"$OCITOOLS" build-container --package python3 -o "$WORK/py" -- /usr/bin/python3 -c \
    'import json, sqlite3, ssl, decimal; print(json.dumps({"sum": str(decimal.Decimal("0.1") + decimal.Decimal("0.2")), "sqlite": sqlite3.sqlite_version_info[0], "tls": ssl.HAS_TLSv1_2}))' 2>/dev/null
check_bundle "$WORK/py"
expect_eq "python3 with its package closure runs under runc" '{"sum": "0.3", "sqlite": 3, "tls": true}' "$(run_bundle "$WORK/py")"
# Merged /usr: the host layout, one copy of each file.
check "/lib is a symlink as on the host" test -L "$WORK/py/rootfs/lib"
check "libc under usr/lib" test -f "$WORK/py/rootfs/usr/lib/x86_64-linux-gnu/libc.so.6" -o ! -d /usr/lib/x86_64-linux-gnu
# Default excludes: no documentation but the copyright files, no manual pages.
check "copyright files kept" test -f "$WORK/py/rootfs/usr/share/doc/python3/copyright"
expect_eq "only copyright files under /usr/share/doc" "" \
    "$(cd "$WORK/py/rootfs" && find usr/share/doc -type f ! -name copyright 2>/dev/null | head -3)"
check "no manual pages" test ! -e "$WORK/py/rootfs/usr/share/man/man1/python3.1.gz"

# --closure packages: the program's owning packages (perl's and, through it, perl-base's).
"$OCITOOLS" build-container --closure packages -o "$WORK/pl" -- /usr/bin/perl -MPOSIX -e 'print POSIX::floor(7.5), "\n"' 2>/dev/null
check_bundle "$WORK/pl"
expect_eq "perl with --closure packages runs under runc" "7" "$(run_bundle "$WORK/pl")"

# The lists: --list-packages prints the package set; the closure lists files.
pkgs=$("$OCITOOLS" closure --package python3 --list-packages -- /usr/bin/python3 2>/dev/null)
expect_contains "python3 is in its own package set" "python3:" "$pkgs"
expect_contains "libpython3.11-stdlib is in python3's package set" "libpython3" "$pkgs"
files=$("$OCITOOLS" closure --package python3 -- /usr/bin/python3 2>/dev/null)
expect_contains "the closure lists the standard library" "/json/__init__.py" "$files"
with_docs=$("$OCITOOLS" closure --package python3 --no-default-excludes -- /usr/bin/python3 2>/dev/null | grep -c '^/usr/share/doc/' || true)
without=$(printf '%s\n' "$files" | grep -c '^/usr/share/doc/' || true)
check "--no-default-excludes brings the documentation back ($with_docs > $without)" test "$with_docs" -gt "$without"
excluded=$("$OCITOOLS" closure --package python3 --exclude '/usr/lib/python3*/json/*' -- /usr/bin/python3 2>/dev/null | grep -c '/json/' || true)
expect_eq "--exclude drops what it matches" 0 "$excluded"

# A package that is not installed is an error naming it.
err=$("$OCITOOLS" closure --package no-such-package-xyz -- /usr/bin/python3 2>&1) && fail "missing package accepted" || true
expect_contains "missing package named" "no-such-package-xyz" "$err"

# A package may ship ELF files that cannot run here (golang's debug/elf test data: a FreeBSD
# executable, deliberately broken objects). dpkg brought its declared dependencies; those files
# are copied, not followed, with one warning, and the bundle is still built.
A="$WORK/dpkg-admin"
D="$WORK/foreign-data"
mkdir -p "$A/info" "$D"
printf 'Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n\nPackage: foreign\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n' > "$A/status"
cp /bin/true "$D/freebsd-exec" && patchelf --set-interpreter /libexec/ld-elf.so.1 "$D/freebsd-exec"
head -c 100 /bin/true > "$D/truncated.so"
# Neither executable nor a shared object by name: no loader will load it, so it is not read.
cp "$D/freebsd-exec" "$D/testdata.bin" && chmod 644 "$D/testdata.bin"
printf '%s\n' "$WORK" "$D" "$D/freebsd-exec" "$D/testdata.bin" "$D/truncated.so" > "$A/info/foreign.list"
err=$(DPKG_ADMINDIR="$A" "$OCITOOLS" build-container --package foreign -o "$WORK/foreign" -- /bin/true 2>&1) \
    || fail "a package with foreign ELF files failed: $err"
expect_contains "foreign ELF files: one warning with the count" "2 package file(s) are ELF objects whose needs cannot be found" "$err"
expect_contains "foreign ELF files: the first is named with its cause" "/libexec/ld-elf.so.1 does not exist" "$err"
check "foreign ELF files are copied all the same" test -f "$WORK/foreign/rootfs$D/freebsd-exec" -a -f "$WORK/foreign/rootfs$D/truncated.so" -a -f "$WORK/foreign/rootfs$D/testdata.bin"

finish
