#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "closure/debian/dpkg_database.h"
#include "closure/debian/dpkg_test_support.h"
#include "closure/debian/installed_files.h"
#include "closure/debian/package_closure.h"
#include "base/error.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;
using Strings = std::vector<std::string>;

Strings ids(const std::vector<const DpkgPackage*>& packages) {
    Strings out;
    for (const DpkgPackage* p : packages) out.push_back(p->name + ":" + p->architecture);
    return out;
}

Strings closure_of(const DpkgDatabase& db, const Strings& requests) {
    return ids(package_closure(db, requests));
}

// ---------------------------------------------------------------------------------------------
// Relationship fields.

TEST(DpkgRelationships, ParsesEveryPart) {
    const auto deps = parse_relationships(
        "libc6 (>= 2.36), python3:any (>= 3.11~) | python3-minimal:amd64 (<< 4)\n"
        " , foo [amd64 !i386] <!nocheck> <stage1 cross>,bar(>1),baz (< 2),");
    ASSERT_EQ(deps.size(), 5u);
    EXPECT_EQ(deps[0].alternatives.size(), 1u);
    EXPECT_EQ(deps[0].alternatives[0].name, "libc6");
    EXPECT_EQ(deps[0].alternatives[0].relation, ">=");
    EXPECT_EQ(deps[0].alternatives[0].version, "2.36");
    ASSERT_EQ(deps[1].alternatives.size(), 2u);
    EXPECT_EQ(deps[1].alternatives[0].target(), "python3:any");
    EXPECT_EQ(deps[1].alternatives[0].version, "3.11~");
    EXPECT_EQ(deps[1].alternatives[1].arch_qualifier, "amd64");
    EXPECT_EQ(deps[1].to_string(), "python3:any (>= 3.11~) | python3-minimal:amd64 (<< 4)");
    EXPECT_EQ(deps[2].alternatives[0].architectures, (Strings{"amd64", "!i386"}));
    EXPECT_EQ(deps[2].alternatives[0].profiles,
              (std::vector<Strings>{{"!nocheck"}, {"stage1", "cross"}}));
    EXPECT_EQ(deps[2].to_string(), "foo [amd64 !i386] <!nocheck> <stage1 cross>");
    // The obsolete "<" and ">" mean "<=" and ">=" (deb-control(5)).
    EXPECT_EQ(deps[3].alternatives[0].relation, ">=");
    EXPECT_EQ(deps[4].alternatives[0].relation, "<=");
    EXPECT_TRUE(parse_relationships("").empty());
    EXPECT_TRUE(parse_relationships(" \n ").empty());
}

TEST(DpkgRelationships, RejectsMalformedFields) {
    for (const char* bad : {"a,, b", "a b", "a (>= )", "a (>= 1", "a (~ 1)", "a:", "| a",
                            "a [amd64", "a []", "a <>", "-a", "a | , b"}) {
        EXPECT_THROW(parse_relationships(bad), DpkgFormatError) << bad;
    }
    EXPECT_ERROR_CONTAINS(parse_relationships("a (>= 1"), DpkgFormatError, "expected ')'");
}

TEST(DpkgRelationships, RestrictionsApplyToArchitectureWithNoProfileActive) {
    auto alt = [](const std::string& text) {
        return parse_relationships(text).at(0).alternatives.at(0);
    };
    EXPECT_TRUE(alt("a").applies_to("amd64"));
    EXPECT_TRUE(alt("a [amd64 i386]").applies_to("amd64"));
    EXPECT_FALSE(alt("a [i386]").applies_to("amd64"));
    EXPECT_FALSE(alt("a [!amd64]").applies_to("amd64"));
    EXPECT_TRUE(alt("a [!i386]").applies_to("amd64"));
    EXPECT_TRUE(alt("a [linux-any]").applies_to("amd64"));
    EXPECT_FALSE(alt("a [hurd-any]").applies_to("amd64"));
    EXPECT_TRUE(alt("a [any-arm]").applies_to("armhf"));
    EXPECT_FALSE(alt("a [any-arm64]").applies_to("amd64"));
    EXPECT_TRUE(alt("a <!nocheck>").applies_to("amd64"));
    EXPECT_FALSE(alt("a <nocheck>").applies_to("amd64"));
    EXPECT_TRUE(alt("a <nocheck> <!stage1 !cross>").applies_to("amd64"));
    EXPECT_FALSE(alt("a <!nocheck stage1>").applies_to("amd64"));
}

// ---------------------------------------------------------------------------------------------
// The status file, the journal, file lists, diversions.

TEST(DpkgDatabase, ReadsStanzas) {
    FakeDpkg dpkg;
    dpkg.package("libfoo1",
                 "Multi-Arch: same\nPre-Depends: libc6 (>= 2.34)\nDepends: a | b,\n c\n"
                 "Provides: libfoo (= 1.0), foo-abi-1\n"
                 "Conffiles:\n /etc/foo.conf 0123456789abcdef0123456789abcdef\n"
                 " /etc/foo bar.conf 0123456789abcdef0123456789abcdef obsolete\n"
                 "Description: a\n multi-line\n .\n description",
                 Strings{"/.", "/etc", "/etc/foo.conf"});
    dpkg.package("gone", {}, std::nullopt, "amd64", "deinstall ok config-files");
    dpkg.package("pending", {}, std::nullopt, "all", "install ok triggers-pending");
    dpkg.package("unpacked", {}, std::nullopt, "amd64", "install ok unpacked");
    const auto db = dpkg.open();
    ASSERT_EQ(db->packages().size(), 4u);
    const DpkgPackage& foo = db->packages()[0];
    EXPECT_EQ(foo.name, "libfoo1");
    EXPECT_EQ(foo.multi_arch, MultiArch::Same);
    EXPECT_EQ(foo.binary_package(), "libfoo1:amd64");
    EXPECT_EQ(foo.line, 1);
    ASSERT_EQ(foo.pre_depends.size(), 1u);
    EXPECT_EQ(foo.pre_depends[0].to_string(), "libc6 (>= 2.34)");
    ASSERT_EQ(foo.depends.size(), 2u);
    EXPECT_EQ(foo.depends[1].to_string(), "c");
    ASSERT_EQ(foo.provides.size(), 2u);
    EXPECT_EQ(foo.provides[0].version, "1.0");
    ASSERT_EQ(foo.conffiles.size(), 2u);
    EXPECT_EQ(foo.conffiles[1].path, "/etc/foo bar.conf");
    EXPECT_TRUE(foo.conffiles[1].obsolete);
    EXPECT_FALSE(foo.conffiles[0].obsolete);
    EXPECT_TRUE(foo.installed());
    EXPECT_FALSE(db->packages()[1].installed());
    EXPECT_TRUE(db->packages()[2].installed());  // configured, awaiting trigger processing
    EXPECT_FALSE(db->packages()[3].installed());
    EXPECT_EQ(db->effective_architecture(db->packages()[2]), "amd64");
    EXPECT_EQ(ids(db->installed("libfoo1")), (Strings{"libfoo1:amd64"}));
    EXPECT_TRUE(db->installed("gone").empty());
    EXPECT_EQ(ids(db->providers("foo-abi-1")), (Strings{"libfoo1:amd64"}));
    EXPECT_EQ(db->file_list(foo), (Strings{"/.", "/etc", "/etc/foo.conf"}));
}

TEST(DpkgDatabase, NativeArchitectureIsDpkgs) {
    FakeDpkg dpkg;
    dpkg.package("dpkg", {}, std::nullopt, "arm64");
    dpkg.open();  // writes status
    EXPECT_EQ(DpkgDatabase(dpkg.admin()).native_architecture(), "arm64");
}

TEST(DpkgDatabase, JournalEntriesReplaceStatusStanzas) {
    FakeDpkg dpkg;
    dpkg.package("a", "Depends: old").package("b");
    dpkg.open();
    write_text(dpkg.admin() / "updates/0002",
               "Package: c\nStatus: install ok installed\nArchitecture: amd64\n");
    write_text(dpkg.admin() / "updates/0001",
               "Package: a\nStatus: install ok installed\nArchitecture: amd64\nDepends: new\n");
    write_text(dpkg.admin() / "updates/tmp.i", "garbage");  // dpkg's temporary: not a journal
    const DpkgDatabase db(dpkg.admin(), "amd64");
    ASSERT_EQ(db.packages().size(), 3u);
    EXPECT_EQ(db.packages()[0].depends.at(0).to_string(), "new");
    EXPECT_EQ(db.packages()[2].name, "c");
}

TEST(DpkgDatabase, MalformedStatusNamesFileAndLine) {
    const std::pair<std::string, std::string> cases[] = {
        {"Package: a\nStatus: install ok installed\nno colon here\n", "status:3: expected"},
        {" continuation\n", "status:1: continuation line"},
        {"Package: a\nStatus: install ok installed\nstatus: purge ok not-installed\n",
         "status:3: duplicate field"},
        {"Package: a\nStatus: install ok\n", "status:2: package a, field status"},
        {"Package: a\nStatus: install ok frobbed\n", "unknown package state"},
        {"Package: a\nStatus: install ok installed\nMulti-Arch: sometimes\n",
         "status:3: package a, field multi-arch"},
        {"Package: a\nStatus: install ok installed\nDepends: b,\n c (>= \n", "status:3:"},
        {"Package: a\nStatus: install ok installed\nProvides: x | y\n", "alternatives"},
        {"Package: a\nStatus: install ok installed\nConffiles:\n nohash\n", "field conffiles"},
        {"Package: a\nStatus: install ok installed\n\nStatus: install ok installed\n",
         "status:4: stanza without a Package"},
        {"Package: a\nArchitecture: all\n", "status:1: package a has no Status"},
    };
    for (const auto& [text, needle] : cases) {
        FakeDpkg dpkg;
        write_text(dpkg.admin() / "status", text);
        EXPECT_ERROR_CONTAINS(DpkgDatabase(dpkg.admin(), "amd64"), DpkgFormatError, needle);
    }
}

TEST(DpkgDatabase, MissingStatusIsASystemError) {
    ScratchDir dir;
    EXPECT_ERROR_CONTAINS(DpkgDatabase(dir.path(), "amd64"), SystemError, "status");
}

TEST(DpkgDatabase, CommentsAndBlankLinesWithSpaces) {
    FakeDpkg dpkg;
    write_text(dpkg.admin() / "status",
               "# a comment\nPackage: a\nStatus: install ok installed\n \t\nPackage: b\n"
               "Status: install ok installed\n");
    EXPECT_EQ(DpkgDatabase(dpkg.admin(), "amd64").packages().size(), 2u);
}

TEST(DpkgDatabase, CommentLinesInsideAFoldedFieldAreSkipped) {
    FakeDpkg dpkg;
    write_text(dpkg.admin() / "status",
               "Package: a\nStatus: install ok installed\nDepends: b,\n c,\n# a comment\n d\n");
    const DpkgDatabase db(dpkg.admin(), "amd64");
    ASSERT_EQ(db.packages().size(), 1u);
    std::vector<std::string> names;
    for (const auto& d : db.packages()[0].depends) names.push_back(d.alternatives.at(0).name);
    EXPECT_EQ(names, (std::vector<std::string>{"b", "c", "d"}));
}

TEST(DpkgDatabase, FileListsByDpkgsNames) {
    FakeDpkg dpkg;
    dpkg.package("plain", {}, Strings{"/.", "/usr", "/usr/bin", "/usr/bin/plain"});
    dpkg.package("libsame", "Multi-Arch: same", Strings{"/.", "/usr/lib/libsame.so.1"});
    dpkg.package("libsame", "Multi-Arch: same", Strings{"/.", "/usr/lib32/libsame.so.1"}, "i386");
    dpkg.package("nolist", {}, std::nullopt);
    Strings warnings;
    const auto db = dpkg.open(&warnings);
    const auto& p = db->packages();
    EXPECT_EQ(db->file_list(p[0]).back(), "/usr/bin/plain");
    EXPECT_EQ(db->file_list(p[1]).back(), "/usr/lib/libsame.so.1");
    EXPECT_EQ(db->file_list(p[2]).back(), "/usr/lib32/libsame.so.1");
    EXPECT_EQ(ids(db->installed("libsame")), (Strings{"libsame:amd64", "libsame:i386"}));
    // As dpkg: a missing list is a warning and no files.
    EXPECT_TRUE(db->file_list(p[3]).empty());
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("nolist"), std::string::npos);

    write_text(dpkg.admin() / "info/plain.list", "/.\n\n/usr\n");
    const auto reopened = dpkg.open();
    EXPECT_ERROR_CONTAINS(reopened->file_list(reopened->packages()[0]), DpkgFormatError,
                          "plain.list:2: expected an absolute path");
}

TEST(DpkgDatabase, Diversions) {
    FakeDpkg dpkg;
    dpkg.package("dash");
    dpkg.diversions("/bin/sh\n/bin/sh.distrib\ndash\n/etc/motd\n/etc/motd.orig\n:\n");
    const auto db = dpkg.open();
    EXPECT_EQ(db->diversions(),
              (std::vector<Diversion>{{"/bin/sh", "/bin/sh.distrib", "dash"},
                                      {"/etc/motd", "/etc/motd.orig", std::nullopt}}));
    dpkg.diversions("/bin/sh\n/bin/sh.distrib\ndash\n/etc/motd\n/etc/motd.orig\n");
    EXPECT_ERROR_CONTAINS(dpkg.open(), DpkgFormatError, "diversions:5: truncated");
    dpkg.diversions("/bin/sh\nsh.distrib\ndash\n");
    EXPECT_ERROR_CONTAINS(dpkg.open(), DpkgFormatError, "diversions:2: expected an absolute");
}

// ---------------------------------------------------------------------------------------------
// Package closures.

TEST(PackageClosure, FollowsPreDependsAndDepends) {
    FakeDpkg dpkg;
    dpkg.package("app", "Pre-Depends: libc6\nDepends: libfoo (>= 99:1.0), data")
        .package("libc6", "Multi-Arch: same\nDepends: libgcc-s1")
        .package("libgcc-s1", "Multi-Arch: same\nDepends: libc6 (>= 2.35)")  // a cycle
        .package("libfoo", "Depends: libc6 (<< 0.1)")                        // versions are ignored
        .package("data", {}, Strings{"/."}, "all")
        .package("unrelated");
    const auto db = dpkg.open();
    EXPECT_EQ(closure_of(*db, {"app"}),
              (Strings{"app:amd64", "data:all", "libc6:amd64", "libfoo:amd64", "libgcc-s1:amd64"}));
    EXPECT_EQ(closure_of(*db, {"libgcc-s1"}), (Strings{"libc6:amd64", "libgcc-s1:amd64"}));
    PackageClosure closure(*db);
    closure.add("app");
    const DpkgPackage* gcc = db->installed("libgcc-s1").at(0);
    EXPECT_EQ(closure.chain(*gcc), (Strings{"app", "libc6", "libgcc-s1"}));
}

TEST(PackageClosure, FirstInstalledAlternative) {
    FakeDpkg dpkg;
    dpkg.package("app", "Depends: missing | second | third, first | second")
        .package("first")
        .package("second")
        .package("third")
        .package("half", {}, Strings{"/."}, "amd64", "install reinstreq half-configured")
        .package("app2", "Depends: half | third");
    const auto db = dpkg.open();
    EXPECT_EQ(closure_of(*db, {"app"}), (Strings{"app:amd64", "first:amd64", "second:amd64"}));
    // A package that is not configured does not satisfy a dependency.
    EXPECT_EQ(closure_of(*db, {"app2"}), (Strings{"app2:amd64", "third:amd64"}));
}

TEST(PackageClosure, VirtualPackages) {
    FakeDpkg dpkg;
    dpkg.package("mail-user", "Depends: mail-transport-agent")
        .package("postfix", "Provides: mail-transport-agent")
        .package("exim4", "Provides: mail-transport-agent (= 4)")
        .package("awk-user", "Depends: mawk | awk")
        .package("gawk", "Provides: awk")
        .package("real-user", "Depends: both")
        .package("both")
        .package("both-provider", "Provides: both");
    const auto db = dpkg.open();
    // Every installed provider: which one the system uses is not recorded.
    EXPECT_EQ(closure_of(*db, {"mail-user"}),
              (Strings{"exim4:amd64", "mail-user:amd64", "postfix:amd64"}));
    EXPECT_EQ(closure_of(*db, {"awk-user"}), (Strings{"awk-user:amd64", "gawk:amd64"}));
    // An installed real package wins over providers.
    EXPECT_EQ(closure_of(*db, {"real-user"}), (Strings{"both:amd64", "real-user:amd64"}));
}

TEST(PackageClosure, ArchitectureQualifiers) {
    FakeDpkg dpkg;
    dpkg.package("py-tool", "Depends: python3:any, perl:any | perl-base")
        .package("python3", "Multi-Arch: allowed")
        .package("perl", "Multi-Arch: no")  // ":any" needs Multi-Arch: allowed
        .package("perl-base")
        .package("cross", "Depends: libx:i386, libx:amd64, tool", Strings{"/."}, "i386")
        .package("libx", "Multi-Arch: same")
        .package("libx", "Multi-Arch: same", Strings{"/."}, "i386")
        .package("tool", "Multi-Arch: foreign")  // satisfies dependencies of any architecture
        .package("indep", "Depends: libx, native-only:native", Strings{"/."}, "all")
        .package("native-only")
        // An explicit :arch wants that architecture, Multi-Arch: foreign or not.
        .package("wants-i386-tool", "Depends: tool:i386");
    const auto db = dpkg.open();
    EXPECT_EQ(closure_of(*db, {"py-tool"}),
              (Strings{"perl-base:amd64", "py-tool:amd64", "python3:amd64"}));
    EXPECT_EQ(closure_of(*db, {"cross"}),
              (Strings{"cross:i386", "libx:amd64", "libx:i386", "tool:amd64"}));
    // An Architecture: all package depends as a native one.
    EXPECT_EQ(closure_of(*db, {"indep"}),
              (Strings{"indep:all", "libx:amd64", "native-only:amd64"}));
    // Requests: an :arch picks the instance; without one, the native instance.
    EXPECT_EQ(closure_of(*db, {"libx:i386"}), (Strings{"libx:i386"}));
    EXPECT_EQ(closure_of(*db, {"libx"}), (Strings{"libx:amd64"}));
    EXPECT_EQ(closure_of(*db, {"indep:amd64"}).front(), "indep:all");
    EXPECT_ERROR_CONTAINS(closure_of(*db, {"perl:i386"}), PackageError,
                          "perl:i386: not installed (installed: perl:amd64)");
    EXPECT_ERROR_CONTAINS(closure_of(*db, {"wants-i386-tool"}), PackageError,
                          "wants-i386-tool -> tool:i386: not installed");
}

TEST(PackageClosure, UnsatisfiedDependencyNamesTheChain) {
    FakeDpkg dpkg;
    dpkg.package("python3", "Depends: python3.11")
        .package("python3.11", "Depends: libpython3.11-stdlib")
        .package("libpython3.11-stdlib", "Multi-Arch: same\nDepends: libc6, nosuch (>= 1)")
        .package("libc6")
        .package("wants-i386", "Depends: libc6:i386 | other")
        .package("restricted", "Depends: nosuch [i386], libc6 <!nocheck>");
    const auto db = dpkg.open();
    EXPECT_ERROR_CONTAINS(closure_of(*db, {"python3"}), PackageError,
                          "python3 -> python3.11 -> libpython3.11-stdlib -> nosuch: not installed");
    EXPECT_ERROR_CONTAINS(closure_of(*db, {"nosuch"}), PackageError, "nosuch: not installed");
    EXPECT_ERROR_CONTAINS(closure_of(*db, {"wants-i386"}), PackageError,
                          "wants-i386 -> libc6:i386 | other: not installed; installed but of "
                          "another architecture: libc6:amd64");
    // Alternatives restricted to other architectures are no dependency here.
    EXPECT_EQ(closure_of(*db, {"restricted"}), (Strings{"libc6:amd64", "restricted:amd64"}));

    // An error adds nothing; a reason starts the chain.
    PackageClosure closure(*db);
    EXPECT_THROW(closure.add("python3"), PackageError);
    EXPECT_TRUE(closure.packages().empty());
    EXPECT_ERROR_CONTAINS(closure.add(*db->installed("python3.11").at(0), "/usr/bin/python3.11"),
                          PackageError,
                          "/usr/bin/python3.11 -> python3.11 -> libpython3.11-stdlib -> nosuch");
    closure.add(*db->installed("libc6").at(0), "/lib/libc.so.6");
    EXPECT_EQ(closure.chain(*db->installed("libc6").at(0)), (Strings{"/lib/libc.so.6", "libc6"}));
    EXPECT_THROW(closure.add(":amd64"), SpecError);
}

// ---------------------------------------------------------------------------------------------
// Owners and files.

// A merged-/usr tree: bin -> usr/bin, lib -> usr/lib, lib64 -> /usr/lib64 (absolute: resolved
// inside the tree), with dpkg's lists still naming /bin and /lib paths.
class PackageFilesMergedUsr : public ::testing::Test {
  protected:
    void SetUp() override {
        dpkg.symlink("usr/bin", "/bin");
        dpkg.symlink("usr/lib", "/lib");
        dpkg.symlink("/usr/lib64", "/lib64");
        dpkg.file("/usr/lib/x86_64-linux-gnu/libc.so.6");
        dpkg.file("/usr/lib64/ld-linux-x86-64.so.2");
        dpkg.file("/usr/bin/dash");
        dpkg.symlink("dash", "/usr/bin/sh");
        dpkg.file("/usr/bin/sh.distrib");
        dpkg.file("/usr/bin/bash");
        dpkg.file("/etc/motd.orig");
        dpkg.file("/etc/bash.bashrc");
        dpkg.file("/usr/share/doc/libc6/copyright");
        dpkg.file("/usr/share/doc/libc6/changelog.gz");
        dpkg.file("/usr/share/man/man1/bash.1.gz");
        dpkg.file("/usr/share/locale/de/LC_MESSAGES/bash.mo");
        dpkg.file("/usr/lib/x86_64-linux-gnu/gconv/gconv-modules");
        fs::create_directories(dpkg.root() / "var/lib/bash-empty");
        dpkg.package(
            "libc6", "Multi-Arch: same",
            Strings{"/.", "/lib", "/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu/libc.so.6",
                    "/lib64", "/lib64/ld-linux-x86-64.so.2", "/usr", "/usr/lib",
                    "/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/gconv",
                    "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules", "/usr/share", "/usr/share/doc",
                    "/usr/share/doc/libc6", "/usr/share/doc/libc6/copyright",
                    "/usr/share/doc/libc6/changelog.gz"});
        dpkg.package("dash", "Multi-Arch: foreign",
                     Strings{"/.", "/bin", "/bin/dash", "/bin/sh", "/usr", "/usr/bin"});
        dpkg.package(
            "bash",
            "Conffiles:\n /etc/bash.bashrc 0123456789abcdef0123456789abcdef\n"
            " /etc/bash.old 0123456789abcdef0123456789abcdef obsolete",
            Strings{"/.", "/bin", "/bin/bash", "/bin/sh", "/etc", "/etc/motd", "/usr", "/usr/share",
                    "/usr/share/man", "/usr/share/man/man1", "/usr/share/man/man1/bash.1.gz",
                    "/usr/share/locale", "/usr/share/locale/de", "/usr/share/locale/de/LC_MESSAGES",
                    "/usr/share/locale/de/LC_MESSAGES/bash.mo", "/var", "/var/lib",
                    "/var/lib/bash-empty", "/usr/share/doc/bash/README"});
        // base-files lists "/bin" with nothing beneath (as on Debian 12).
        dpkg.package("base-files", {}, Strings{"/.", "/bin", "/var", "/var/lib"});
        dpkg.diversions("/bin/sh\n/bin/sh.distrib\ndash\n/etc/motd\n/etc/motd.orig\n:\n");
        db = dpkg.open();
        rootfs = std::make_unique<RootfsDisk>(dpkg.root());
        files = std::make_unique<InstalledFiles>(*db, *rootfs);
    }

    Strings owners(const std::string& path) { return ids(files->owners_of(path)); }
    const DpkgPackage& pkg(const std::string& name) { return *db->installed(name).at(0); }

    FakeDpkg dpkg;
    std::unique_ptr<DpkgDatabase> db;
    std::unique_ptr<RootfsDisk> rootfs;
    std::unique_ptr<InstalledFiles> files;
};

TEST_F(PackageFilesMergedUsr, CanonicalPathsResolveDirectoriesInsideTheRoot) {
    EXPECT_EQ(files->canonical("/lib/x86_64-linux-gnu/libc.so.6"),
              "/usr/lib/x86_64-linux-gnu/libc.so.6");
    EXPECT_EQ(files->canonical("/lib64/ld-linux-x86-64.so.2"), "/usr/lib64/ld-linux-x86-64.so.2");
    EXPECT_EQ(files->canonical("/bin"), "/bin");  // the last component is kept
    EXPECT_EQ(files->canonical("/bin/sh"), "/usr/bin/sh");
    EXPECT_EQ(files->canonical("//lib/./nonexistent/x"), "/usr/lib/nonexistent/x");
    EXPECT_EQ(files->canonical("/usr/bin/../lib/x"), "/usr/lib/x");
    EXPECT_EQ(files->canonical("/"), "/");
    dpkg.symlink("loop-b", "/loop-a");
    dpkg.symlink("loop-a", "/loop-b");
    EXPECT_ERROR_CONTAINS(files->canonical("/loop-a/x"), ClosureError, "too many levels");
}

TEST_F(PackageFilesMergedUsr, OwnersCompareCanonicalPaths) {
    EXPECT_EQ(owners("/usr/lib/x86_64-linux-gnu/libc.so.6"), (Strings{"libc6:amd64"}));
    EXPECT_EQ(owners("/lib/x86_64-linux-gnu/libc.so.6"), (Strings{"libc6:amd64"}));
    EXPECT_EQ(owners("/usr/lib64/ld-linux-x86-64.so.2"), (Strings{"libc6:amd64"}));
    EXPECT_EQ(owners("/usr/bin/bash"), (Strings{"bash:amd64"}));
    // Directories and the merged-/usr symlinks belong to no one, even base-files' lone "/bin".
    EXPECT_TRUE(owners("/bin").empty());
    EXPECT_EQ(owners("/var/lib/bash-empty"), (Strings{"bash:amd64"}));  // an empty directory
    EXPECT_TRUE(owners("/lib").empty());
    EXPECT_TRUE(owners("/usr/lib/x86_64-linux-gnu").empty());
    EXPECT_TRUE(owners("/usr/bin/nothing").empty());
    EXPECT_EQ(owners("/etc/bash.bashrc"), (Strings{"bash:amd64"}));  // a conffile
    EXPECT_THROW(files->owners_of("bin/bash"), ClosureError);
}

TEST_F(PackageFilesMergedUsr, OwnersHonourDiversions) {
    // dash diverts everyone else's /bin/sh to /bin/sh.distrib and keeps its own.
    EXPECT_EQ(owners("/usr/bin/sh"), (Strings{"dash:amd64"}));
    EXPECT_EQ(owners("/bin/sh"), (Strings{"dash:amd64"}));
    EXPECT_EQ(owners("/usr/bin/sh.distrib"), (Strings{"bash:amd64"}));
    // A local diversion moves every package's copy.
    EXPECT_TRUE(owners("/etc/motd").empty());
    EXPECT_EQ(owners("/etc/motd.orig"), (Strings{"bash:amd64"}));
    EXPECT_EQ(files->installed_path(pkg("bash"), "/bin/sh"), "/bin/sh.distrib");
    EXPECT_EQ(files->installed_path(pkg("dash"), "/bin/sh"), "/bin/sh");
    EXPECT_EQ(files->installed_path(pkg("bash"), "/usr/bin/sh"), "/bin/sh.distrib");
}

TEST_F(PackageFilesMergedUsr, FilesWithDefaultExcludes) {
    const PackageFiles f = files->files_of({&pkg("libc6"), &pkg("dash"), &pkg("bash")});
    EXPECT_EQ(
        f.directories,
        (Strings{"/bin", "/etc", "/lib", "/lib/x86_64-linux-gnu", "/lib64", "/usr", "/usr/bin",
                 "/usr/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/gconv",
                 "/usr/share", "/usr/share/doc", "/usr/share/doc/libc6", "/usr/share/locale",
                 "/usr/share/man", "/var", "/var/lib", "/var/lib/bash-empty"}));
    EXPECT_EQ(f.files, (Strings{"/bin/bash", "/bin/dash", "/bin/sh.distrib", "/etc/bash.bashrc",
                                "/etc/motd.orig", "/lib/x86_64-linux-gnu/libc.so.6",
                                "/lib64/ld-linux-x86-64.so.2",
                                "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules",
                                "/usr/share/doc/libc6/copyright"}));
    EXPECT_EQ(f.symlinks, (Strings{"/bin/sh"}));
    EXPECT_TRUE(f.missing.empty()) << f.missing.front().paths.front();
    // A lone listed path is what lstat says: base-files' "/bin" is the merged-/usr symlink.
    const PackageFiles base = files->files_of({&pkg("base-files")});
    EXPECT_EQ(base.symlinks, (Strings{"/bin"}));
    EXPECT_EQ(base.directories, (Strings{"/var", "/var/lib"}));
}

TEST_F(PackageFilesMergedUsr, FilesWithoutDefaultExcludesAndWithExtraOnes) {
    FileSelection all;
    all.default_excludes = false;
    const PackageFiles f = files->files_of({&pkg("libc6"), &pkg("bash")}, all);
    for (const char* p : {"/usr/share/doc/libc6/changelog.gz", "/usr/share/man/man1/bash.1.gz",
                          "/usr/share/locale/de/LC_MESSAGES/bash.mo"})
        EXPECT_TRUE(std::count(f.files.begin(), f.files.end(), p)) << p;
    // Listed but not on disk: a documentation file the host's own filters left out.
    EXPECT_EQ(f.missing,
              (std::vector<MissingFiles>{{"bash:amd64", {"/usr/share/doc/bash/README"}}}));
    EXPECT_TRUE(
        std::count(f.directories.begin(), f.directories.end(), "/usr/share/locale/de/LC_MESSAGES"));

    FileSelection some;
    some.excludes = {"/usr/lib/*/gconv*", "*/copyright"};
    const PackageFiles g = files->files_of({&pkg("libc6")}, some);
    EXPECT_EQ(g.files, (Strings{"/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}));
    EXPECT_FALSE(
        std::count(g.directories.begin(), g.directories.end(), "/usr/lib/x86_64-linux-gnu/gconv"));
    EXPECT_FALSE(std::count(g.directories.begin(), g.directories.end(), "/usr/share/doc/libc6"));
}

// Files and directories an in-place upgrade removed (npm under nodejs): each package's are
// listed apart, directories too, and nothing is thrown.
TEST(PackageFiles, ListedPathsGoneFromDiskAreMissingPerPackage) {
    FakeDpkg dpkg;
    dpkg.file("/usr/lib/node_modules/npm/kept.js");
    dpkg.file("/usr/bin/node");
    dpkg.package(
        "nodejs", {},
        Strings{"/.", "/usr", "/usr/bin", "/usr/bin/node", "/usr/lib", "/usr/lib/node_modules",
                "/usr/lib/node_modules/npm", "/usr/lib/node_modules/npm/.npmrc",
                "/usr/lib/node_modules/npm/gone", "/usr/lib/node_modules/npm/gone/a.js",
                "/usr/lib/node_modules/npm/kept.js"});
    dpkg.package("other", {}, Strings{"/.", "/usr", "/usr/bin", "/usr/bin/other"});
    const auto db = dpkg.open();
    const RootfsDisk rootfs(dpkg.root());
    const InstalledFiles files(*db, rootfs);
    const PackageFiles f =
        files.files_of({db->installed("nodejs").at(0), db->installed("other").at(0)});
    EXPECT_EQ(f.files, (Strings{"/usr/bin/node", "/usr/lib/node_modules/npm/kept.js"}));
    EXPECT_EQ(f.directories, (Strings{"/usr", "/usr/bin", "/usr/lib", "/usr/lib/node_modules",
                                      "/usr/lib/node_modules/npm"}));
    EXPECT_EQ(f.missing, (std::vector<MissingFiles>{
                             {"nodejs:amd64",
                              {"/usr/lib/node_modules/npm/.npmrc", "/usr/lib/node_modules/npm/gone",
                               "/usr/lib/node_modules/npm/gone/a.js"}},
                             {"other:amd64", {"/usr/bin/other"}}}));
}

// update-ca-certificates fills /etc/ssl/certs, which ca-certificates lists empty: what is there
// and in no list comes, if readable by all; a listed file, a private one, a subdirectory, or a
// directory the package lists something in does not.
TEST(PackageFiles, GeneratedFilesAreTheUnlistedOnesInAnEmptyListedDirectory) {
    FakeDpkg dpkg;
    dpkg.file("/usr/share/ca-certificates/x.crt");
    dpkg.symlink("/usr/share/ca-certificates/x.crt", "/etc/ssl/certs/x.pem");
    dpkg.symlink("x.pem", "/etc/ssl/certs/1234abcd.0");
    dpkg.file("/etc/ssl/certs/ca-certificates.crt");
    fs::permissions(dpkg.root() / "etc/ssl/certs/ca-certificates.crt", fs::perms(0644));
    dpkg.file("/etc/ssl/certs/secret.key");
    fs::permissions(dpkg.root() / "etc/ssl/certs/secret.key", fs::perms(0600));
    dpkg.file("/etc/ssl/certs/java/cacerts");
    dpkg.file("/etc/ssl/certs/other.pem");
    dpkg.file("/etc/ssl/openssl.cnf");
    dpkg.file("/etc/ssl/unlisted.cnf");
    dpkg.package("ca-certificates", {},
                 Strings{"/.", "/etc", "/etc/ssl", "/etc/ssl/certs", "/usr", "/usr/share",
                         "/usr/share/ca-certificates", "/usr/share/ca-certificates/x.crt"});
    dpkg.package("openssl", {}, Strings{"/.", "/etc", "/etc/ssl", "/etc/ssl/openssl.cnf"});
    dpkg.package("other", {},
                 Strings{"/.", "/etc", "/etc/ssl", "/etc/ssl/certs", "/etc/ssl/certs/other.pem"});
    const auto db = dpkg.open();
    const RootfsDisk rootfs(dpkg.root());
    const InstalledFiles files(*db, rootfs);
    const std::vector<const DpkgPackage*> set{db->installed("ca-certificates").at(0),
                                              db->installed("openssl").at(0)};
    EXPECT_EQ(files.generated_files(set),
              (Strings{"/etc/ssl/certs/1234abcd.0", "/etc/ssl/certs/ca-certificates.crt",
                       "/etc/ssl/certs/x.pem"}));
    FileSelection no_bundle;
    no_bundle.excludes = {"*.crt"};
    EXPECT_EQ(files.generated_files(set, no_bundle),
              (Strings{"/etc/ssl/certs/1234abcd.0", "/etc/ssl/certs/x.pem"}));
    // A listing package in the set, whose list the closure has read already, counts as well.
    const std::vector<const DpkgPackage*> with_other{set[0], set[1],
                                                     db->installed("other").at(0)};
    EXPECT_EQ(files.generated_files(with_other),
              (Strings{"/etc/ssl/certs/1234abcd.0", "/etc/ssl/certs/ca-certificates.crt",
                       "/etc/ssl/certs/x.pem"}));
}

// A diverted file in such a directory: the file at the diversion's target is another package's
// (it lists the original path), so it is not generated; the file at the diverted path belongs to
// the diverting package only if that package lists it, else it is the administrator's.
TEST(PackageFiles, GeneratedFilesFollowDiversions) {
    FakeDpkg dpkg;
    dpkg.file("/etc/conf.d/tool.conf");       // diverted away by `diverter`, which ships none
    dpkg.file("/etc/conf.d/tool.conf.orig");  // where `tool`'s copy is installed
    dpkg.file("/etc/conf.d/local.conf");      // nobody's
    dpkg.package("room", {}, Strings{"/.", "/etc", "/etc/conf.d"});
    dpkg.package("tool", {}, Strings{"/.", "/etc", "/etc/conf.d", "/etc/conf.d/tool.conf"});
    dpkg.package("diverter", {}, Strings{"/.", "/etc"});
    dpkg.diversions("/etc/conf.d/tool.conf\n/etc/conf.d/tool.conf.orig\ndiverter\n");
    const auto db = dpkg.open();
    const RootfsDisk rootfs(dpkg.root());
    const InstalledFiles files(*db, rootfs);
    const std::vector<const DpkgPackage*> set{db->installed("room").at(0)};
    EXPECT_EQ(files.generated_files(set),
              (Strings{"/etc/conf.d/local.conf", "/etc/conf.d/tool.conf"}));
    // The same answers as owners_of.
    EXPECT_TRUE(files.owners_of("/etc/conf.d/tool.conf").empty());
    EXPECT_FALSE(files.owners_of("/etc/conf.d/tool.conf.orig").empty());
}

TEST(PackageFiles, SelectionPatterns) {
    FileSelection s;
    EXPECT_TRUE(s.excluded("/usr/share/doc/bash/README"));
    EXPECT_TRUE(s.excluded("/usr/share/doc/bash"));
    EXPECT_FALSE(s.excluded("/usr/share/doc"));
    EXPECT_FALSE(s.excluded("/usr/share/doc/bash/copyright"));
    EXPECT_TRUE(s.excluded("/usr/share/man/man1/ls.1.gz"));
    EXPECT_TRUE(s.excluded("/usr/share/info/dir"));
    EXPECT_TRUE(s.excluded("/usr/share/lintian/overrides/bash"));
    EXPECT_TRUE(s.excluded("/usr/share/locale/de/LC_MESSAGES/bash.mo"));
    EXPECT_FALSE(s.excluded("/usr/share/locale"));
    EXPECT_FALSE(s.excluded("/usr/bin/man"));
    s.excludes = {"*.pyc", "/usr/share/doc/*"};
    EXPECT_TRUE(s.excluded("/usr/lib/python3/x/__pycache__/a.pyc"));
    EXPECT_TRUE(s.excluded("/usr/share/doc/bash/copyright"));  // the user's patterns win
    s.default_excludes = false;
    EXPECT_FALSE(s.excluded("/usr/share/man/man1/ls.1.gz"));
}

// ---------------------------------------------------------------------------------------------
// Against this machine's dpkg database.

bool host_has_dpkg() {
    return fs::exists("/var/lib/dpkg/status") && access("/usr/bin/dpkg-query", X_OK) == 0 &&
           access("/usr/bin/python3", X_OK) == 0;
}


// The closures tests/e2e/dpkg_property.py computes from dpkg-query's output, by root.
std::map<std::string, Strings> independent_closures(const Strings& roots) {
    std::string command = "/usr/bin/python3 " OCITOOLS_TEST_DATA "/e2e/dpkg_property.py";
    for (const auto& r : roots) command += " " + r;
    std::map<std::string, Strings> out;
    std::string current, line;
    for (char c : run_output(command)) {
        if (c != '\n') {
            line += c;
        } else if (line.rfind("= ", 0) == 0) {
            current = line.substr(2);
            line.clear();
        } else {
            out[current].push_back(line);
            line.clear();
        }
    }
    return out;
}

void expect_same_closures(const DpkgDatabase& db, const Strings& roots) {
    const auto expected = independent_closures(roots);
    ASSERT_EQ(expected.size(), roots.size()) << "dpkg_property.py failed";
    for (const auto& r : roots) {
        Strings ours = closure_of(db, {r});
        std::sort(ours.begin(), ours.end());  // the script sorts "name:arch" strings
        EXPECT_EQ(ours, expected.at(r)) << "closure of " << r;
    }
}

TEST(DpkgProperty, PackageSetsMatchDpkgQuery) {
    if (!host_has_dpkg()) GTEST_SKIP() << "no dpkg database on this machine";
    const DpkgDatabase db;
    Strings roots;
    for (const char* name : {"python3", "perl", "bash", "coreutils", "git", "runc"})
        if (!db.installed(name).empty()) roots.push_back(name);
    ASSERT_GE(roots.size(), 3u) << "too few of the reference packages are installed";
    expect_same_closures(db, roots);
}

// The same for every installed package as a root (a few hundred milliseconds).
TEST(DpkgProperty, EveryInstalledPackageMatchesDpkgQuery) {
    if (!host_has_dpkg()) GTEST_SKIP() << "no dpkg database on this machine";
    const DpkgDatabase db;
    Strings roots;
    for (const DpkgPackage& p : db.packages())
        if (p.installed()) roots.push_back(p.name + ":" + p.architecture);
    expect_same_closures(db, roots);
}

// Every file of python3's closure, looked up at its real path (merged /usr), is owned by the
// package that lists it, unless a diversion moved it.
TEST(DpkgProperty, OwnersOfRealPaths) {
    if (!host_has_dpkg()) GTEST_SKIP() << "no dpkg database on this machine";
    const DpkgDatabase db;
    if (db.installed("python3").empty()) GTEST_SKIP() << "python3 is not installed";
    InstalledFiles files(db);
    size_t checked = 0;
    for (const DpkgPackage* p : package_closure(db, {"python3"})) {
        FileSelection all;
        all.default_excludes = false;
        const PackageFiles f = files.files_of({p}, all);
        for (const auto* list : {&f.files, &f.symlinks}) {
            for (const auto& path : *list) {
                std::error_code ec;
                const fs::path real =
                    fs::canonical(fs::path(path).parent_path(), ec) / fs::path(path).filename();
                ASSERT_FALSE(ec) << path;
                const auto owners = files.owners_of(real.string());
                EXPECT_TRUE(std::count(owners.begin(), owners.end(), p) ||
                            files.installed_path(*p, path) != path)
                    << real << " (listed as " << path << ") not owned by " << p->name;
                ++checked;
            }
        }
    }
    EXPECT_GT(checked, 100u);
}

}  // namespace
}  // namespace ocitools
