// LibrarySearch against ELF objects the test builds with the system compiler, so every rule of
// ld.so(8) is checked on real files: RPATH inheritance, RUNPATH precedence and non-inheritance,
// $ORIGIN, incompatible candidates, missing libraries.
#include "closure/elf/library_search.h"
#include "fs/memory_disk.h"
#include "fs/real_disk.h"

#include <elf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "base/error.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

void run(const std::string& command) {
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

class LibrarySearchTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!have_compiler()) GTEST_SKIP() << "no C compiler";
        write_text(dir_ / "src/dep.c", "int dep(void) { return 7; }\n");
        write_text(dir_ / "src/a.c", "int dep(void);\nint a(void) { return dep() + 1; }\n");
        write_text(dir_ / "src/main.c",
                   "int a(void);\nint main(void) { return a() == 8 ? 0 : 1; }\n");
        write_text(dir_ / "src/usedep.c",
                   "int dep(void);\nint main(void) { return dep() == 7 ? 0 : 1; }\n");
        fs::create_directories(dir_ / "bin");
    }

    std::string path(const std::string& rel) const { return (dir_ / rel).string(); }

    // Build lib<name>.so (soname lib<name>.so) from src/<src>.c into <out_dir>, linked with -l
    // flags from <link_dir>.
    void library(const std::string& name, const std::string& src, const std::string& out_dir,
                 const std::string& extra = "") {
        fs::create_directories(dir_ / out_dir);
        run("cc -shared -fPIC -o " + path(out_dir + "/lib" + name + ".so") + " -Wl,-soname,lib" +
            name + ".so " + path("src/" + src + ".c") + " " + extra);
    }
    // Build <out> from src/usedep.c, linked with libdep.so of <link_dir>, and `extra` flags.
    void dep_program(const std::string& out, const std::string& link_dir,
                     const std::string& extra) {
        run("cc -o " + path(out) + " " + path("src/usedep.c") + " -L" + path(link_dir) + " -ldep " +
            extra);
    }
    // Build x/liba.so from src/a.c, linked with libdep.so of <dep_dir>, and `extra` flags.
    void liba(const std::string& dep_dir, const std::string& extra = "") {
        library("a", "a", "x", "-L" + path(dep_dir) + " -ldep " + extra);
    }
    // Build bin/main from src/main.c, linked with x/liba.so, and `extra` flags.
    void main_program(const std::string& extra) {
        run("cc -o " + path("bin/main") + " " + path("src/main.c") + " -L" + path("x") + " -la " +
            extra);
    }
    // Linker flags: an RPATH (DT_RPATH), or a RUNPATH (DT_RUNPATH), of `dirs` (':' between).
    static std::string rpath(const std::string& dirs) {
        return "-Wl,--disable-new-dtags,-rpath," + dirs;
    }
    static std::string runpath(const std::string& dirs) {
        return "-Wl,--enable-new-dtags,-rpath," + dirs;
    }

    LoadSet load(const std::string& rel) {
        FileTree host(host_disk());
        LibrarySearch search(host);
        return search.load(path(rel));
    }

    static bool has(const LoadSet& set, const std::string& file) {
        return std::find(set.libraries.begin(), set.libraries.end(), file) != set.libraries.end();
    }

    ScratchDir dir_;
};

TEST_F(LibrarySearchTest, ProgramsRpathIsInheritedByLibrariesWithoutRunpath) {
    library("dep", "dep", "x");
    liba("x");
    main_program(rpath(path("x")));
    const LoadSet set = load("bin/main");
    EXPECT_EQ(set.interpreter.empty(), false);
    EXPECT_TRUE(has(set, path("x/liba.so")));
    EXPECT_TRUE(has(set, path("x/libdep.so")));  // found through main's RPATH
}

TEST_F(LibrarySearchTest, RunpathIsNotInherited) {
    library("dep", "dep", "x");
    liba("x");
    main_program(runpath(path("x")));
    EXPECT_ERROR_CONTAINS(load("bin/main"), ClosureError,
                          path("x/liba.so") + " needs libdep.so, which is not found");
}

TEST_F(LibrarySearchTest, AnObjectsRunpathDisablesEveryRpath) {
    // libdep.so exists in both directories; main has RPATH=first, liba has RUNPATH=second.
    library("dep", "dep", "first");
    library("dep", "dep", "second");
    liba("second", runpath(path("second")));
    main_program(rpath(path("x") + ":" + path("first")));
    const LoadSet set = load("bin/main");
    EXPECT_TRUE(has(set, path("second/libdep.so")));
    EXPECT_FALSE(has(set, path("first/libdep.so")));

    // Without liba's RUNPATH, main's RPATH applies and the first directory wins.
    liba("second");
    const LoadSet inherited = load("bin/main");
    EXPECT_TRUE(has(inherited, path("first/libdep.so")));
    EXPECT_FALSE(has(inherited, path("second/libdep.so")));
}

// Give the ELF executable at `path`, linked with an RPATH, a DT_RUNPATH with the same string
// too, in place of its DT_DEBUG entry (the linker no longer writes both tags itself).
void add_runpath_beside_rpath(const std::string& path) {
    std::string bytes = testing::read_text(path);
    Elf64_Ehdr eh;
    std::memcpy(&eh, bytes.data(), sizeof eh);
    for (int i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph;
        std::memcpy(&ph, bytes.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_DYNAMIC) continue;
        Elf64_Xword rpath = 0;
        size_t debug = 0;
        for (size_t at = ph.p_offset; at + sizeof(Elf64_Dyn) <= ph.p_offset + ph.p_filesz;
             at += sizeof(Elf64_Dyn)) {
            Elf64_Dyn d;
            std::memcpy(&d, bytes.data() + at, sizeof d);
            if (d.d_tag == DT_RPATH) rpath = d.d_un.d_val;
            if (d.d_tag == DT_DEBUG) debug = at;
        }
        ASSERT_NE(debug, 0u) << path << " has no DT_DEBUG to replace";
        ASSERT_NE(rpath, 0u) << path << " has no DT_RPATH";
        const Elf64_Dyn runpath{DT_RUNPATH, {rpath}};
        std::memcpy(bytes.data() + debug, &runpath, sizeof runpath);
        write_text(path, bytes);
        return;
    }
    FAIL() << path << " has no PT_DYNAMIC";
}

TEST_F(LibrarySearchTest, ALoadersRpathIsNotInheritedWhenItAlsoHasARunpath) {
    // main has RPATH and RUNPATH "x": its own needs are found through the RUNPATH, and its
    // RPATH is ignored, so liba's libdep (in x too) is found by nothing: ld.so agrees.
    library("dep", "dep", "x");
    liba("x");
    main_program(rpath(path("x")));
    ASSERT_EQ(std::system(path("bin/main").c_str()), 0);  // RPATH alone: inherited, it runs
    add_runpath_beside_rpath(path("bin/main"));
    ASSERT_NE(std::system((path("bin/main") + " 2>/dev/null").c_str()), 0);
    EXPECT_ERROR_CONTAINS(load("bin/main"), ClosureError,
                          path("x/liba.so") + " needs libdep.so, which is not found");
}

TEST_F(LibrarySearchTest, OriginRunpathBeatsTheCache) {
    // A library named like one in ld.so.cache (libz.so.1), shipped beside the program.
    fs::create_directories(dir_ / "app/lib");
    run("cc -shared -fPIC -o " + path("app/lib/libz.so.1") + " -Wl,-soname,libz.so.1 " +
        path("src/dep.c"));
    write_text(dir_ / "src/usez.c",
               "int dep(void);\nint main(void) { return dep() == 7 ? 0 : 1; }\n");
    fs::create_directories(dir_ / "app/bin");
    run("cc -o " + path("app/bin/main") + " " + path("src/usez.c") + " " +
        path("app/lib/libz.so.1") + " -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'");
    const LoadSet set = load("app/bin/main");
    ASSERT_EQ(set.libraries.size(), 2u);  // our libz.so.1, then libc.so.6
    EXPECT_EQ(set.libraries[0], path("app/bin/../lib/libz.so.1"));
    // And the program really runs with it.
    run(path("app/bin/main"));
}

TEST_F(LibrarySearchTest, BracedTokensAndPlatform) {
    library("dep", "dep", "app/lib/x86_64");
    fs::create_directories(dir_ / "app/bin");
    write_text(dir_ / "src/usedep.c",
               "int dep(void);\nint main(void) { return dep() == 7 ? 0 : 1; }\n");
    if (std::system("uname -m | grep -qx x86_64") != 0) GTEST_SKIP() << "x86_64 only";
    run("cc -o " + path("app/bin/main") + " " + path("src/usedep.c") + " -L" +
        path("app/lib/x86_64") +
        " -ldep -Wl,--enable-new-dtags,-rpath,'${ORIGIN}/../lib/$PLATFORM'");
    const LoadSet set = load("app/bin/main");
    EXPECT_TRUE(has(set, path("app/bin/../lib/x86_64/libdep.so")));
}

TEST_F(LibrarySearchTest, IncompatibleCandidatesAreSkipped) {
    // A 32-bit "libdep.so" comes first on the RPATH; ld.so skips it and so must we.
    fs::create_directories(dir_ / "wrong");
    std::string elf32(52, '\0');
    elf32.replace(0, 4,
                  "\x7f"
                  "ELF");
    elf32[4] = 1;    // ELFCLASS32
    elf32[5] = 1;    // little endian
    elf32[6] = 1;    // EV_CURRENT
    elf32[16] = 3;   // ET_DYN
    elf32[18] = 3;   // EM_386
    elf32[20] = 1;   // e_version
    elf32[40] = 52;  // e_ehsize
    write_text(dir_ / "wrong/libdep.so", elf32);
    library("dep", "dep", "right");
    liba("right");
    main_program(rpath(path("x") + ":" + path("wrong") + ":" + path("right")));
    const LoadSet set = load("bin/main");
    EXPECT_TRUE(has(set, path("right/libdep.so")));
    EXPECT_FALSE(has(set, path("wrong/libdep.so")));
}

TEST_F(LibrarySearchTest, MissingLibraryNamesObjectAndSoname) {
    library("dep", "dep", "x");
    liba("x");
    main_program(rpath(path("x")));
    fs::remove(dir_ / "x/libdep.so");
    EXPECT_ERROR_CONTAINS(load("bin/main"), ClosureError,
                          path("x/liba.so") + " needs libdep.so, which is not found (searched " +
                              path("x") + ":ld.so.cache:");
}

TEST_F(LibrarySearchTest, HwcapsVariantsAreKeptWithTheirBaseLibrary) {
    if (std::system("uname -m | grep -qx x86_64") != 0) GTEST_SKIP() << "x86_64 only";
    // In a search directory: lib/glibc-hwcaps/x86-64-v3/libdep.so shadows lib/libdep.so.
    library("dep", "dep", "lib");
    library("dep", "dep", "lib/glibc-hwcaps/x86-64-v3");
    liba("lib", runpath(path("lib")));
    main_program("-L" + path("lib") + " " + runpath(path("x")));
    const LoadSet set = load("bin/main");
    EXPECT_TRUE(has(set, path("lib/glibc-hwcaps/x86-64-v3/libdep.so")));
    EXPECT_TRUE(has(set, path("lib/libdep.so")));
}

TEST_F(LibrarySearchTest, AnAbsoluteDtNeededIsLoaded) {
    // No soname: the DT_NEEDED entry is the path the library was linked by.
    fs::create_directories(dir_ / "abs");
    fs::create_directories(dir_ / "bin");
    run("cc -shared -fPIC -o " + path("abs/libdep.so") + " " + path("src/dep.c"));
    run("cc -o " + path("bin/main") + " " + path("src/usedep.c") + " " + path("abs/libdep.so"));
    const LoadSet set = load("bin/main");
    EXPECT_TRUE(has(set, path("abs/libdep.so")));
}

TEST_F(LibrarySearchTest, OriginInADtNeededIsExpanded) {
    fs::create_directories(dir_ / "o");
    run("cc -shared -fPIC -o " + path("o/libo.so") + " -Wl,-soname,'$ORIGIN/libo.so' " +
        path("src/dep.c"));
    run("cc -o " + path("o/main") + " " + path("src/usedep.c") + " " + path("o/libo.so"));
    const LoadSet set = load("o/main");
    EXPECT_TRUE(has(set, path("o/libo.so")));
    run(path("o/main"));  // and ld.so agrees
}

TEST_F(LibrarySearchTest, FilteesAreLoadedAuxiliariesWhenFound) {
    // libf.so is a filter on libfiltee.so and an auxiliary filter on libaux.so, both found on
    // the program's RPATH.
    library("filtee", "dep", "f");
    library("aux", "dep", "f");
    library("f", "dep", "f", "-Wl,--filter=libfiltee.so -Wl,--auxiliary=libaux.so");
    run("cc -o " + path("bin/main") + " " + path("src/usedep.c") + " -L" + path("f") + " -lf " +
        rpath(path("f")));
    LoadSet set = load("bin/main");
    EXPECT_TRUE(has(set, path("f/libfiltee.so")));
    EXPECT_TRUE(has(set, path("f/libaux.so")));
    // A missing auxiliary is no error; a missing filtee is, as for ld.so.
    fs::remove(dir_ / "f/libaux.so");
    set = load("bin/main");
    EXPECT_FALSE(has(set, path("f/libaux.so")));
    run(path("bin/main"));
    fs::remove(dir_ / "f/libfiltee.so");
    EXPECT_ERROR_CONTAINS(load("bin/main"), ClosureError,
                          path("f/libf.so") + " needs libfiltee.so, which is not found");
    ASSERT_NE(std::system((path("bin/main") + " 2>/dev/null").c_str()), 0);
}

TEST_F(LibrarySearchTest, HwcapsVariantAndABaseInALaterDirectory) {
    if (std::system("uname -m | grep -qx x86_64") != 0) GTEST_SKIP() << "x86_64 only";
    // RPATH h1:h2; h1 holds only an x86-64-v3 variant: a CPU without v3 takes h2's.
    library("dep", "dep", "h1/glibc-hwcaps/x86-64-v3");
    library("dep", "dep", "h2");
    dep_program("bin/main", "h2", rpath(path("h1") + ":" + path("h2")));
    const LoadSet set = load("bin/main");
    EXPECT_TRUE(has(set, path("h1/glibc-hwcaps/x86-64-v3/libdep.so")));
    EXPECT_TRUE(has(set, path("h2/libdep.so")));
}

TEST_F(LibrarySearchTest, LdLibraryPathComesAfterRpathAndBeforeRunpath) {
    library("dep", "dep", "rpath");
    library("dep", "dep", "llp");
    library("dep", "dep", "runpath");
    dep_program("bin/rpath", "llp", rpath(path("rpath")));
    dep_program("bin/runpath", "llp", runpath(path("runpath")));
    FileTree host(host_disk());
    // Separators ':' and ';', $ORIGIN the program's directory.
    LibrarySearch search(host, "/nonexistent;$ORIGIN/../llp");
    EXPECT_TRUE(has(search.load(path("bin/rpath")), path("rpath/libdep.so")));
    EXPECT_TRUE(has(search.load(path("bin/runpath")), path("bin/../llp/libdep.so")));
    EXPECT_FALSE(has(search.load(path("bin/runpath")), path("runpath/libdep.so")));
    // A set-user-ID program may run without it (secure-execution mode): both are kept.
    fs::permissions(dir_ / "bin/runpath", fs::perms::set_uid, fs::perm_options::add);
    const LoadSet setuid = search.load(path("bin/runpath"));
    EXPECT_TRUE(has(setuid, path("bin/../llp/libdep.so")));
    EXPECT_TRUE(has(setuid, path("runpath/libdep.so")));
}

TEST_F(LibrarySearchTest, NodeflibSkipsTheSystemDirectories) {
    // The program has DF_1_NODEFLIB: its libc cannot come from the cache or /lib: not found,
    // as ld.so says. With libc on its RPATH it is found there.
    library("dep", "dep", "nd");
    dep_program("bin/main", "nd", "-Wl,-z,nodefaultlib,--disable-new-dtags,-rpath," + path("nd"));
    EXPECT_ERROR_CONTAINS(load("bin/main"), ClosureError, "needs libc.so.6, which is not found");
    ASSERT_NE(std::system((path("bin/main") + " 2>/dev/null").c_str()), 0);
    FileTree host(host_disk());
    LibrarySearch search(host);
    const LoadSet usual = search.load("/usr/bin/env");
    for (const auto& lib : usual.libraries)
        if (lib.ends_with("/libc.so.6")) fs::copy_file(fs::canonical(lib), dir_ / "nd/libc.so.6");
    const LoadSet set = load("bin/main");
    EXPECT_TRUE(has(set, path("nd/libc.so.6")));
    run(path("bin/main"));
}

// A tree in memory holding a program whose RPATH directory has libdep.so only in a legacy
// hwcaps subdirectory, and an ld.so that says which glibc it is.
LoadSet load_with_legacy_copy(const std::string& ld_so_text, const std::string& subdir) {
    ScratchDir dir;
    write_text(dir / "dep.c", "int dep(void) { return 7; }\n");
    write_text(dir / "main.c", "int dep(void);\nint main(void) { return dep(); }\n");
    run("cc -shared -fPIC -Wl,-soname,libdep.so -o " + (dir / "libdep.so").string() + " " +
        (dir / "dep.c").string());
    run("cc -nostdlib -o " + (dir / "main").string() + " " + (dir / "main.c").string() + " " +
        (dir / "libdep.so").string() + " -Wl,--disable-new-dtags,-rpath,/app/lib" +
        " -Wl,--dynamic-linker,/lib64/ld-linux-x86-64.so.2 -Wl,-e,main");
    MemoryDisk disk;
    disk.add_file("/lib64/ld-linux-x86-64.so.2", "not ELF, but the text: " + ld_so_text + "\n");
    disk.add_file("/app/bin/main", testing::read_text(dir / "main"), 0755);
    disk.add_file("/app/lib/" + subdir + "/libdep.so", testing::read_text(dir / "libdep.so"));
    const FileTree tree(disk);
    LibrarySearch search(tree);
    return search.load("/app/bin/main");
}

TEST(LibrarySearchOnADisk, LegacyHwcapsSubdirectoriesBefore237Only) {
    if (std::system("uname -m | grep -qx x86_64") != 0 || !have_compiler()) GTEST_SKIP();
    const std::string v236 = "ld.so (Debian GLIBC 2.36-9) stable release version 2.36.";
    const std::string v237 = "ld.so (GNU libc) stable release version 2.37.";
    for (const std::string sub : {"tls", "x86_64", "tls/x86_64", "haswell", "tls/x86_64/x86_64",
                                  "avx512_1", "x86_64/avx512_1"}) {
        const LoadSet old = load_with_legacy_copy(v236, sub);
        ASSERT_EQ(old.libraries.size(), 1u) << sub;
        EXPECT_EQ(old.libraries[0], "/app/lib/" + sub + "/libdep.so");
        EXPECT_ERROR_CONTAINS(load_with_legacy_copy(v237, sub), ClosureError,
                              "needs libdep.so, which is not found");
    }
    // Not a subdirectory glibc 2.36 searches on x86_64.
    EXPECT_ERROR_CONTAINS(load_with_legacy_copy(v236, "i686"), ClosureError,
                          "needs libdep.so, which is not found");
}

TEST(LibrarySearchInATree, CacheOfTheTreeWithHwcapsEntries) {
    // A small root of our own whose ld.so.cache ldconfig writes (`ldconfig -r`), holding a
    // glibc-hwcaps entry and its base entry for the same soname.
    if (std::system("uname -m | grep -qx x86_64") != 0 || access("/sbin/ldconfig", X_OK) != 0 ||
        !fs::exists("/lib64/ld-linux-x86-64.so.2") || !have_compiler())
        GTEST_SKIP();
    ScratchDir dir;
    const fs::path root = dir / "root";
    fs::create_directories(root / "opt/lib/glibc-hwcaps/x86-64-v3");
    fs::create_directories(root / "lib64");
    fs::create_directories(root / "bin");
    write_text(dir / "dep.c", "int dep(void) { return 7; }\n");
    write_text(dir / "main.c", "int dep(void);\nint main(void) { return dep(); }\n");
    run("cc -shared -fPIC -Wl,-soname,libdep.so.1 -o " + (root / "opt/lib/libdep.so.1").string() +
        " " + (dir / "dep.c").string());
    fs::copy_file(root / "opt/lib/libdep.so.1",
                  root / "opt/lib/glibc-hwcaps/x86-64-v3/libdep.so.1");
    fs::copy_file(fs::canonical("/lib64/ld-linux-x86-64.so.2"),
                  root / "lib64/ld-linux-x86-64.so.2");
    // libc, found by soname in /opt/lib through the cache too.
    FileTree host(host_disk());
    LibrarySearch host_search(host);
    const LoadSet ls = host_search.load("/usr/bin/env");
    for (const auto& lib : ls.libraries)
        if (lib.find("/libc.so.6") != std::string::npos)
            fs::copy_file(fs::canonical(lib), root / "opt/lib/libc.so.6");
    run("cc -o " + (root / "bin/main").string() + " " + (dir / "main.c").string() + " " +
        (root / "opt/lib/libdep.so.1").string());
    write_text(root / "etc/ld.so.conf", "/opt/lib\n");
    run("/sbin/ldconfig -r " + root.string());
    // A copy in a system directory, made after the cache: ld.so asks the cache first (ld.so(8)
    // step 3 before step 4), so it is never the one loaded.
    fs::copy_file(root / "opt/lib/libdep.so.1", root / "lib64/libdep.so.1");

    const RootfsDisk rootfs(root);
    FileTree tree(rootfs);
    LibrarySearch search(tree);
    const LoadSet set = search.load("/bin/main");
    EXPECT_EQ(set.interpreter, "/lib64/ld-linux-x86-64.so.2");
    const std::vector<std::string> want = {"/opt/lib/glibc-hwcaps/x86-64-v3/libdep.so.1",
                                           "/opt/lib/libdep.so.1", "/opt/lib/libc.so.6"};
    EXPECT_EQ(set.libraries, want);
}

TEST(LibrarySearch, SystemProgramUsesTheCache) {
    if (access("/usr/bin/ls", X_OK) != 0) GTEST_SKIP();
    FileTree host(host_disk());
    LibrarySearch search(host);
    const LoadSet set = search.load("/usr/bin/ls");
    EXPECT_FALSE(set.interpreter.empty());
    const bool has_libc =
        std::any_of(set.libraries.begin(), set.libraries.end(),
                    [](const std::string& l) { return l.find("/libc.so.6") != std::string::npos; });
    EXPECT_TRUE(has_libc);
}

TEST(LibrarySearch, CorruptAndTruncatedObjectsAreErrors) {
    ScratchDir dir;
    write_text(dir / "truncated", std::string("\x7f"
                                              "ELF\x02\x01\x01",
                                              7));
    FileTree host(host_disk());
    LibrarySearch search(host);
    EXPECT_THROW(search.load((dir / "truncated").string()), FormatError);
    write_text(dir / "text", "hello");
    EXPECT_ERROR_CONTAINS(search.load((dir / "text").string()), ClosureError, "not an ELF object");
}

}  // namespace
}  // namespace ocitools

namespace ocitools {
namespace {

TEST(LibrarySearchOnADisk, ReadsTheTreesLdSoCacheThroughTheDisk) {
    MemoryDisk disk;
    disk.add_file("/etc/ld.so.cache", "not a cache at all");
    const FileTree tree(disk);
    EXPECT_ERROR_CONTAINS(LibrarySearch{tree}, FormatError, "/etc/ld.so.cache");
}

}  // namespace
}  // namespace ocitools
