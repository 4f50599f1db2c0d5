// compute_closure on trees held in memory (MemoryDisk): the walk, HostPaths' symlink-preserving
// layout, scripts and their interpreters, and dpkg packages, without touching the real disk.
// None of these paths exists on the host, so a read that bypassed the disk seam would fail.
// The last tests use the host's real ELF programs, interpreters and libraries.
#include "closure/closure.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "fs/counting_disk.h"
#include "fs/memory_disk.h"
#include "fs/memory_trees.h"
#include "roots/program_lookup.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

// Every plan entry as "path kind [-> target]", sorted: the whole layout at a glance.
std::vector<std::string> layout(const Closure& closure) {
    std::vector<std::string> out;
    for (const PlanEntry* e : closure.plan.sorted()) {
        std::string line = e->path + " " + to_string(e->kind);
        if (e->kind == EntryKind::Symlink) line += " -> " + e->link_target;
        out.push_back(line);
    }
    return out;
}

ClosureOptions options_for_memory() {
    ClosureOptions options;  // not from the environment: the test's tree is all there is
    options.dpkg_admin_dir = "/var/lib/dpkg";
    return options;
}

Closure closure_of(const MemoryDisk& disk, std::vector<std::string> args,
                   std::vector<std::string> include = {}, const std::string& search = "",
                   std::vector<std::string>* warnings = nullptr) {
    ContainerSpec spec;
    spec.args = std::move(args);
    spec.include = std::move(include);
    Reporter reporter(
        [&](const std::string& m) {
            if (warnings) warnings->push_back(m);
        },
        {});
    return compute_closure(spec, search, reporter, options_for_memory(), disk);
}

// A merged-/usr tree: /bin -> usr/bin, a shell, and a script run by it.
MemoryDisk merged_usr() {
    MemoryDisk disk = testing::merged_usr_with_a_shell();
    disk.add_file("/usr/bin/app", "#!/bin/sh\necho hi\n", 0755);
    return disk;
}

TEST(ClosureInMemory, ScriptBringsItsInterpreterThroughTheSymlinksOnTheWay) {
    const MemoryDisk disk = merged_usr();
    const Closure closure = closure_of(disk, {"/bin/app"});
    // The path the user gave and the #! path stay valid in the container: every symlink met is
    // a symlink entry, each file is at its real place.
    EXPECT_EQ(layout(closure), (std::vector<std::string>{"/bin symlink -> usr/bin",
                                                         "/usr/bin/app file",
                                                         "/usr/bin/dash file",
                                                         "/usr/bin/sh symlink -> dash"}));
}

TEST(ClosureInMemory, BareNameIsLookedUpOnTheSearchPathOfTheDisk) {
    MemoryDisk disk = merged_usr();
    disk.add_file("/opt/tools/app", "not executable", 0644);  // skipped: no x bit
    ContainerSpec spec;
    spec.args = {"app"};
    const Reporter quiet;
    const Roots roots =
        compute_roots(spec, "/opt/tools:/usr/bin", StoreDir("/nix/store"), quiet, disk);
    EXPECT_EQ(roots.program, "/usr/bin/app");
    EXPECT_EQ(roots.path, kDefaultPath);  // /usr/bin is on the container's default PATH
    EXPECT_TRUE(closure_of(disk, {"app"}, {}, "/opt/tools:/usr/bin").plan.contains("/usr/bin/app"));
    EXPECT_ERROR_CONTAINS(closure_of(disk, {"nosuch"}, {}, "/usr/bin"), SpecError,
                          "program nosuch: not found on PATH");
}

TEST(ClosureInMemory, EnvScriptBringsTheProgramFromTheContainersPath) {
    MemoryDisk disk = merged_usr();
    disk.add_file("/usr/bin/env", "env stand-in", 0755);
    disk.add_file("/usr/bin/python3", "python stand-in", 0755);
    disk.add_file("/srv/main.py", "#!/usr/bin/env python3\nprint()\n", 0755);
    const Closure closure = closure_of(disk, {"/srv/main.py"});
    EXPECT_TRUE(closure.plan.contains("/usr/bin/env"));
    EXPECT_TRUE(closure.plan.contains("/usr/bin/python3"));
    disk.add_file("/srv/other.py", "#!/usr/bin/env nosuch\n", 0755);
    EXPECT_ERROR_CONTAINS(closure_of(disk, {"/srv/other.py"}), ClosureError,
                          "nosuch is not found on the container's PATH");
}

TEST(ClosureInMemory, ScriptProblemsNameTheScript) {
    MemoryDisk disk = merged_usr();
    disk.add_file("/srv/noint", "#!/no/such/sh\n", 0755);
    disk.add_file("/srv/plain", "echo no shebang\n", 0755);
    EXPECT_ERROR_CONTAINS(closure_of(disk, {"/srv/noint"}), ClosureError,
                          "script /srv/noint: its #! interpreter /no/such/sh does not exist");
    EXPECT_ERROR_CONTAINS(closure_of(disk, {"/srv/plain"}), ClosureError,
                          "program /srv/plain is neither an ELF executable nor a #! script");
}

TEST(ClosureInMemory, SymlinkLoopIsAnErrorNamingThePath) {
    MemoryDisk disk = merged_usr();
    disk.add_symlink("/loop/a", "b");
    disk.add_symlink("/loop/b", "a");
    EXPECT_ERROR_CONTAINS(closure_of(disk, {"/bin/app"}, {"/loop/a"}), ClosureError,
                          "/loop/a: too many levels of symbolic links");
}

TEST(ClosureInMemory, MissingPathsAreNamedWithTheirCause) {
    MemoryDisk disk = merged_usr();
    EXPECT_ERROR_CONTAINS(closure_of(disk, {"/bin/app"}, {"/opt/missing/file"}), ClosureError,
                          "/opt/missing/file: /opt does not exist");
    EXPECT_ERROR_CONTAINS(closure_of(disk, {"/bin/app"}, {"/usr/bin/nosuch"}), SystemError,
                          "cannot stat /usr/bin/nosuch: No such file or directory");
    disk.add_file("/secret/key", "k");
    disk.fail("/secret", EACCES);
    EXPECT_ERROR_CONTAINS(closure_of(disk, {"/bin/app"}, {"/secret/key"}), SystemError,
                          "cannot stat /secret: Permission denied");
}

TEST(ClosureInMemory, DirectoryIncludeCopiesTheTreeAndKeepsItsSymlinks) {
    MemoryDisk disk = merged_usr();
    disk.add_file("/srv/www/index.html", "<p>");
    disk.add_file("/srv/www/cgi/run", "#!/bin/sh\n", 0755);  // its interpreter comes too
    disk.add_symlink("/srv/www/latest", "/etc/nowhere");       // kept, not followed
    disk.add_directory("/srv/www/empty");
    std::vector<std::string> warnings;
    const Closure closure = closure_of(disk, {"/bin/app"}, {"/srv/www"}, "", &warnings);
    const auto entries = layout(closure);
    for (const char* want : {"/srv/www directory", "/srv/www/cgi directory",
                             "/srv/www/cgi/run file", "/srv/www/empty directory",
                             "/srv/www/index.html file", "/srv/www/latest symlink -> /etc/nowhere"})
        EXPECT_NE(std::find(entries.begin(), entries.end(), want), entries.end()) << want;
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("keeping dangling symlink /srv/www/latest"), std::string::npos);
}

// The runtime mounts /proc, /sys and /dev: a file there is never copied (the host's
// /proc/self/mounts is the builder's, and changes size while read), but a symlink leading there
// (/etc/mtab) is kept, so the container's own file answers at the same path.
TEST(ClosureInMemory, WhatTheRuntimeMountsIsLeftOutAndTheSymlinksOnTheWayKept) {
    MemoryDisk disk = merged_usr();
    testing::add_mtab(disk, "42");
    disk.add_file("/proc/cpuinfo", "");
    disk.add_file("/sys/kernel/mm/page", "4096\n");
    disk.add_symlink("/var/dev", "/dev/fd");
    ContainerSpec spec;
    spec.args = {"/bin/app", "/proc/cpuinfo", "/etc/mtab"};
    spec.include = {"/sys/kernel/mm", "/var/dev"};
    std::vector<std::string> notes;
    const Reporter reporter({}, [&](const std::string& m) { notes.push_back(m); });
    const Closure closure = compute_closure(spec, "", reporter, options_for_memory(), disk);
    EXPECT_EQ(layout(closure),
              (std::vector<std::string>{
                  "/bin symlink -> usr/bin", "/etc/mtab symlink -> ../proc/self/mounts",
                  "/usr/bin/app file", "/usr/bin/dash file", "/usr/bin/sh symlink -> dash",
                  "/var/dev symlink -> /dev/fd"}));
    auto noted = [&](const std::string& text) {
        return std::any_of(notes.begin(), notes.end(),
                           [&](const std::string& n) { return n.find(text) != std::string::npos; });
    };
    EXPECT_TRUE(
        noted("not including /proc/cpuinfo named in the arguments: the runtime mounts "
              "/proc"));
    EXPECT_TRUE(
        noted("not including /proc/self/mounts (the way /etc/mtab leads, kept as "
              "symlinks): the runtime mounts /proc"));
    EXPECT_TRUE(noted("not including /sys/kernel/mm: the runtime mounts /sys"));
    // The program itself cannot be there: nothing would run.
    disk.add_file("/proc/42/prog", "#!/bin/sh\n", 0755);
    disk.add_symlink("/opt/prog", "/proc/self/prog");
    EXPECT_ERROR_CONTAINS(closure_of(disk, {"/opt/prog"}), ClosureError,
                          "program /opt/prog leads to /proc/self/prog, in /proc, which the "
                          "runtime mounts");
}

// glibc's C.UTF-8 locale is libc-bin's, an essential package nothing declares: it comes with a
// glibc, when the host has it.
TEST(ClosureInMemory, AGlibcBringsTheCUtf8LocaleOfTheHost) {
    MemoryDisk disk = merged_usr();
    disk.add_file("/usr/lib/locale/C.utf8/LC_CTYPE", "ctype");
    disk.add_file("/usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES", "messages");
    disk.add_file("/usr/lib/x86_64-linux-gnu/libc.so.6", "a glibc stand-in");
    EXPECT_FALSE(closure_of(disk, {"/bin/app"}).plan.contains("/usr/lib/locale/C.utf8/LC_CTYPE"));
    const Closure closure = closure_of(disk, {"/bin/app"}, {"/usr/lib/x86_64-linux-gnu/libc.so.6"});
    EXPECT_TRUE(closure.plan.contains("/usr/lib/locale/C.utf8/LC_CTYPE"));
    EXPECT_TRUE(closure.plan.contains("/usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES"));
}

// Roots as a traced run gives them: the program, then files and directories it touched.
Closure closure_of_roots(const MemoryDisk& disk, const std::string& program,
                         std::vector<Root> files) {
    Roots roots;
    roots.program = program;
    roots.files = std::move(files);
    return compute_closure(roots, Reporter(), options_for_memory(), disk);
}

TEST(ClosureInMemory, NonRecursiveDirectoryRootBringsTheDirectoryAlone) {
    MemoryDisk disk = merged_usr();
    disk.add_file("/srv/www/index.html", "<p>");
    disk.add_file("/srv/www/cgi/run", "#!/bin/sh\n", 0755);
    const Closure closure = closure_of_roots(
        disk, "/usr/bin/app", {Root{"/srv/www", "traced: stat by /usr/bin/app", false}});
    EXPECT_EQ(layout(closure), (std::vector<std::string>{"/bin symlink -> usr/bin",
                                                         "/srv/www directory",
                                                         "/usr/bin/app file",
                                                         "/usr/bin/dash file",
                                                         "/usr/bin/sh symlink -> dash"}));
}

TEST(ClosureInMemory, NonRecursiveSymlinkToDirectoryBringsTheLinkAndAnEmptyDirectory) {
    MemoryDisk disk = merged_usr();
    disk.add_file("/srv/www/index.html", "<p>");
    disk.add_symlink("/web", "srv/www");
    const Closure closure =
        closure_of_roots(disk, "/usr/bin/app", {Root{"/web", "traced", false}});
    const auto entries = layout(closure);
    EXPECT_NE(std::find(entries.begin(), entries.end(), "/web symlink -> srv/www"), entries.end());
    EXPECT_NE(std::find(entries.begin(), entries.end(), "/srv/www directory"), entries.end());
    EXPECT_FALSE(closure.plan.contains("/srv/www/index.html"));
}

TEST(ClosureInMemory, NonRecursiveFileRootStillBringsItsClosure) {
    MemoryDisk disk = merged_usr();
    disk.add_file("/opt/run", "#!/bin/sh\n", 0755);
    disk.add_symlink("/opt/latest", "run");
    const Closure closure =
        closure_of_roots(disk, "/usr/bin/app", {Root{"/opt/latest", "traced", false}});
    EXPECT_EQ(layout(closure), (std::vector<std::string>{"/bin symlink -> usr/bin",
                                                         "/opt/latest symlink -> run",
                                                         "/opt/run file",
                                                         "/usr/bin/app file",
                                                         "/usr/bin/dash file",
                                                         "/usr/bin/sh symlink -> dash"}));
}

// A dpkg database of three packages: hello depends on libgreet, which is installed; nothing
// needs unrelated. Files are listed the way dpkg lists them (every parent directory too).
MemoryDisk with_packages() {
    MemoryDisk disk = merged_usr();
    disk.add_file("/var/lib/dpkg/status",
                  "Package: hello\nStatus: install ok installed\nArchitecture: amd64\n"
                  "Version: 1\nDepends: libgreet (>= 1)\n\n"
                  "Package: libgreet\nStatus: install ok installed\nArchitecture: amd64\n"
                  "Version: 1\n\n"
                  "Package: unrelated\nStatus: install ok installed\nArchitecture: amd64\n"
                  "Version: 1\n");
    disk.add_file("/var/lib/dpkg/info/hello.list", "/.\n/usr\n/usr/bin\n/usr/bin/hello\n");
    disk.add_file("/var/lib/dpkg/info/libgreet.list",
                  "/.\n/usr\n/usr/lib\n/usr/lib/libgreet.so.1\n/usr/share\n/usr/share/greet\n"
                  "/usr/share/greet/words\n");
    disk.add_file("/var/lib/dpkg/info/unrelated.list", "/.\n/usr\n/usr/bin\n/usr/bin/other\n");
    disk.add_file("/usr/bin/hello", "#!/bin/sh\necho hello\n", 0755);
    disk.add_file("/usr/lib/libgreet.so.1", "not really ELF");
    disk.add_file("/usr/share/greet/words", "hello");
    disk.add_file("/usr/bin/other", "other", 0755);
    return disk;
}

// The closure of /bin/app with the package hello asked for.
Closure app_and_hello(const MemoryDisk& disk, const Reporter& reporter = {}) {
    ContainerSpec spec;
    spec.args = {"/bin/app"};
    spec.packages = {"hello"};
    return compute_closure(spec, "", reporter, options_for_memory(), disk);
}

TEST(ClosureInMemory, PackagesBringTheirDependenciesAndListedFiles) {
    const MemoryDisk disk = with_packages();
    const Closure closure = app_and_hello(disk);
    EXPECT_EQ(closure.packages, (std::vector<std::string>{"hello:amd64", "libgreet:amd64"}));
    EXPECT_TRUE(closure.plan.contains("/usr/bin/hello"));
    EXPECT_TRUE(closure.plan.contains("/usr/lib/libgreet.so.1"));
    EXPECT_TRUE(closure.plan.contains("/usr/share/greet/words"));
    EXPECT_FALSE(closure.plan.contains("/usr/bin/other"));
}

// A script's #! interpreter, and the program `#!/usr/bin/env NAME` runs, bring their packages
// as the program does: /srv/app is no package's, /usr/bin/hello is hello's.
TEST(ClosureInMemory, PackageClosureBringsThePackagesOfScriptInterpreters) {
    MemoryDisk disk = with_packages();
    disk.add_file("/srv/app", "#!/usr/bin/hello\n", 0755);
    disk.add_file("/usr/bin/env", "env stand-in", 0755);
    disk.add_file("/srv/env-app", "#!/usr/bin/env hello\n", 0755);
    ClosureOptions options = options_for_memory();
    options.package_closure = true;
    Reporter quiet;
    for (const char* script : {"/srv/app", "/srv/env-app"}) {
        ContainerSpec spec;
        spec.args = {script};
        const Closure closure = compute_closure(spec, "", quiet, options, disk);
        EXPECT_EQ(closure.packages, (std::vector<std::string>{"hello:amd64", "libgreet:amd64"}))
            << script;
        EXPECT_TRUE(closure.plan.contains("/usr/share/greet/words")) << script;
    }
}

// An in-place upgrade (npm under nodejs) removed files and whole directories that dpkg still
// lists: the build goes on without them, with one warning per package.
TEST(ClosureInMemory, ListedPackageFilesGoneFromDiskAreOneWarningPerPackage) {
    MemoryDisk disk = with_packages();
    disk.add_file("/var/lib/dpkg/info/libgreet.list",
                  "/.\n/usr\n/usr/lib\n/usr/lib/libgreet.so.1\n/usr/share\n/usr/share/greet\n"
                  "/usr/share/greet/words\n/usr/share/greet/gone\n/usr/share/greet/gone/a\n"
                  "/usr/share/greet/gone/b\n/usr/share/greet/z\n");
    std::vector<std::string> warnings;
    const Reporter reporter([&](const std::string& m) { warnings.push_back(m); }, {});
    const Closure closure = app_and_hello(disk, reporter);
    EXPECT_TRUE(closure.plan.contains("/usr/share/greet/words"));
    EXPECT_FALSE(closure.plan.contains("/usr/share/greet/gone"));
    EXPECT_EQ(warnings, (std::vector<std::string>{
                            "package libgreet:amd64: 4 listed path(s) are not on disk (changed "
                            "after install?), left out: /usr/share/greet/gone, "
                            "/usr/share/greet/gone/a, /usr/share/greet/gone/b, ..."}));
}

TEST(ClosureInMemory, PackageClosureFindsTheOwnerThroughTheSymlinksOnTheWay) {
    MemoryDisk disk = with_packages();
    disk.add_symlink("/usr/bin/hi", "hello");  // not listed: its target is hello's
    ContainerSpec spec;
    spec.args = {"/bin/hi"};
    ClosureOptions options = options_for_memory();
    options.package_closure = true;
    Reporter quiet;
    const Closure closure = compute_closure(spec, "", quiet, options, disk);
    EXPECT_EQ(closure.packages, (std::vector<std::string>{"hello:amd64", "libgreet:amd64"}));
}

TEST(ClosureInMemory, MissingStatusIsNamed) {
    EXPECT_ERROR_CONTAINS(app_and_hello(merged_usr()), SystemError,
                          "cannot open /var/lib/dpkg/status: No such file or directory");
}

TEST(ClosureInMemory, EachPathIsAskedOfTheDiskOnce) {
    const MemoryDisk memory = with_packages();
    const testing::CountingDisk counting(memory);
    ContainerSpec spec;
    spec.args = {"/bin/app", "/usr/bin/hello"};  // a file argument: resolved again
    spec.include = {"/usr/bin/app", "/bin/sh"};  // met before, from other paths
    spec.packages = {"hello"};
    ClosureOptions options = options_for_memory();
    options.package_closure = true;
    Reporter quiet;
    (void)compute_closure(spec, "", quiet, options, counting);
    ASSERT_FALSE(counting.lstats.empty());
    for (const auto* calls : {&counting.lstats, &counting.stats, &counting.readlinks})
        for (const auto& [path, n] : *calls) EXPECT_EQ(n, 1) << path;
}

// On the host's real files: ELF programs, their interpreters and libraries.

// The static programs the tests can count on: Debian's busybox-static.
constexpr const char* kBusybox = "/bin/busybox";

TEST(Closure, StaticProgramArgumentFilesAndIncludes) {
    if (access(kBusybox, X_OK) != 0) GTEST_SKIP() << "busybox-static is not installed";
    ScratchDir dir;
    const std::string root = dir.path().string();
    write_text(dir / "app/main.txt", "hello");
    write_text(dir / "inc/conf/c.txt", "c");
    ContainerSpec spec;
    spec.args = {kBusybox, "cat", root + "/app/main.txt", root + "/app", "relative.txt"};
    spec.include = {root + "/inc"};
    std::vector<std::string> notes;
    Reporter reporter({}, [&](const std::string& m) { notes.push_back(m); });
    const Closure closure = compute_closure(spec, "/usr/bin:/bin", reporter);
    EXPECT_TRUE(closure.plan.contains(root + "/app/main.txt"));
    EXPECT_FALSE(closure.plan.contains(root + "/app"));  // directories only on purpose
    EXPECT_TRUE(closure.plan.contains(root + "/inc/conf/c.txt"));
    EXPECT_TRUE(closure.plan.contains(root + "/inc/conf"));
    EXPECT_TRUE(closure.plan.contains(fs::canonical(kBusybox).string()));
    ASSERT_EQ(notes.size(), 2u);
    EXPECT_NE(notes[0].find("including " + root + "/app/main.txt"), std::string::npos);
    EXPECT_NE(notes[1].find("not including directory"), std::string::npos);
}

std::set<std::string> real_paths(const Plan& plan) {
    std::set<std::string> out;
    for (const auto& e : plan.entries())
        if (e.kind == EntryKind::File) out.insert(fs::canonical(e.path).string());
    return out;
}

TEST(Closure, DynamicProgramBringsInterpreterLibrariesAndTheirSymlinks) {
    if (access("/bin/bash", X_OK) != 0) GTEST_SKIP();
    ContainerSpec spec;
    spec.args = {"/bin/bash", "-c", "echo hi"};
    Reporter quiet;
    const Closure closure = compute_closure(spec, "/usr/bin:/bin", quiet);
    const auto files = real_paths(closure.plan);
    EXPECT_TRUE(files.count(fs::canonical("/bin/bash").string()));
    EXPECT_TRUE(files.count(fs::canonical("/lib64/ld-linux-x86-64.so.2").string()) ||
                !fs::exists("/lib64/ld-linux-x86-64.so.2"));
    bool libc = false;
    for (const auto& f : files) libc |= f.find("/libc.so.6") != std::string::npos;
    EXPECT_TRUE(libc);
    // The path the user gave, and the interpreter's path, exist as symlink chains.
    auto kind_of = [&](const std::string& p) {
        const PlanEntry* e = closure.plan.find(p);
        return e ? std::string(to_string(e->kind)) : std::string("absent");
    };
    if (fs::is_symlink("/bin")) {
        EXPECT_EQ(kind_of("/bin"), "symlink");
    }
    if (fs::is_symlink("/lib64")) {
        EXPECT_EQ(kind_of("/lib64"), "symlink");
    }
    // Only bash's closure: a handful of files, and glibc's C.UTF-8 locale.
    EXPECT_LE(std::count_if(
                  files.begin(), files.end(),
                  [](const std::string& f) { return !f.starts_with("/usr/lib/locale/C.utf8/"); }),
              8);
}

TEST(Closure, EnvScriptBringsInterpreterAndTheProgramEnvRuns) {
    if (access("/usr/bin/env", X_OK) != 0 || access("/bin/bash", X_OK) != 0) GTEST_SKIP();
    ScratchDir dir;
    write_text(dir / "script", "#!/usr/bin/env bash\necho hi\n");
    fs::permissions(dir / "script", fs::perms::owner_all);
    ContainerSpec spec;
    spec.args = {(dir / "script").string()};
    Reporter quiet;
    const Closure closure = compute_closure(spec, "", quiet);
    const auto files = real_paths(closure.plan);
    EXPECT_TRUE(files.count(fs::canonical("/usr/bin/env").string()));
    EXPECT_TRUE(files.count(fs::canonical("/usr/bin/bash").string()));
    EXPECT_TRUE(files.count((dir / "script").string()));
}

TEST(Closure, ScriptProblemsAreNamed) {
    ScratchDir dir;
    write_text(dir / "noint", "#!/no/such/interpreter\n");
    write_text(dir / "noenv", "#!/usr/bin/env no-such-program-xyz\n");
    write_text(dir / "plain", "echo no shebang\n");
    for (const char* f : {"noint", "noenv", "plain"})
        fs::permissions(dir / f, fs::perms::owner_all);
    ContainerSpec spec;
    Reporter quiet;
    spec.args = {(dir / "noint").string()};
    EXPECT_ERROR_CONTAINS(compute_closure(spec, "", quiet), ClosureError,
                          "its #! interpreter /no/such/interpreter does not exist");
    spec.args = {(dir / "noenv").string()};
    if (access("/usr/bin/env", X_OK) == 0) {
        EXPECT_ERROR_CONTAINS(compute_closure(spec, "", quiet), ClosureError,
                              "no-such-program-xyz is not found on the container's PATH");
    }
    spec.args = {(dir / "plain").string()};
    EXPECT_ERROR_CONTAINS(compute_closure(spec, "", quiet), ClosureError,
                          "is neither an ELF executable nor a #! script");
}

TEST(Closure, KnownInterpreterGetsAHint) {
    ScratchDir dir;
    fs::create_directories(dir / "bin");
    if (access(kBusybox, X_OK) != 0) GTEST_SKIP() << "busybox-static is not installed";
    fs::copy_file(kBusybox, dir / "bin/python3");
    ContainerSpec spec;
    spec.args = {(dir / "bin/python3").string(), "-c", "pass"};
    std::vector<std::string> notes;
    Reporter reporter({}, [&](const std::string& m) { notes.push_back(m); });
    compute_closure(spec, "", reporter);
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("is an interpreter"), std::string::npos);
}

TEST(Closure, DirectoryRootBringsTheClosuresOfItsElfFiles) {
    if (access("/usr/bin/env", X_OK) != 0) GTEST_SKIP();
    ScratchDir dir;
    fs::create_directories(dir / "tools");
    fs::copy_file("/usr/bin/env", dir / "tools/env");
    write_text(dir / "tools/readme.txt", "not code");
    ContainerSpec spec;
    spec.args = {kBusybox, "true"};
    spec.include = {(dir / "tools").string()};
    Reporter quiet;
    if (access(kBusybox, X_OK) != 0) GTEST_SKIP();
    const auto files = real_paths(compute_closure(spec, "", quiet).plan);
    bool libc = false;
    for (const auto& f : files) libc |= f.find("/libc.so.6") != std::string::npos;
    EXPECT_TRUE(libc);
    EXPECT_TRUE(files.count((dir / "tools/readme.txt").string()));
}

// $ORIGIN is the directory of the object's real path (ld.so takes it from /proc/self/exe), not
// of the symlink the program was named by: /usr/bin/java -> /etc/alternatives/java -> the JDK.
TEST(Closure, OriginIsTheRealDirectoryOfAProgramReachedThroughASymlink) {
    if (!testing::have_compiler()) GTEST_SKIP() << "no C compiler";
    ScratchDir dir;
    const std::string root = dir.path().string();
    write_text(dir / "dep.c", "int dep(void) { return 0; }\n");
    write_text(dir / "main.c", "int dep(void);\nint main(void) { return dep(); }\n");
    fs::create_directories(dir / "app/lib");
    fs::create_directories(dir / "app/bin");
    fs::create_directories(dir / "x/y");
    ASSERT_EQ(std::system(("cc -shared -fPIC -Wl,-soname,libdep.so -o " + root +
                           "/app/lib/libdep.so " + root + "/dep.c")
                              .c_str()),
              0);
    ASSERT_EQ(std::system(("cc -o " + root + "/app/bin/p " + root + "/main.c -L" + root +
                           "/app/lib -ldep -Wl,-rpath,'$ORIGIN/../lib'")
                              .c_str()),
              0);
    fs::create_symlink("../../app/bin/p", dir / "x/y/p");
    ContainerSpec spec;
    spec.args = {root + "/x/y/p"};
    const Reporter quiet;
    const Closure closure = compute_closure(spec, "", quiet);
    EXPECT_TRUE(closure.plan.contains(root + "/app/lib/libdep.so"));
    EXPECT_TRUE(closure.plan.contains(root + "/x/y/p"));  // the name given, as a symlink
}

// Only the program's own closure must be complete. A library in an included tree whose needed
// library is found only at run time, already loaded by another (the JDK's libjava.so needs
// server/libjvm.so), is copied with a warning, as in package mode.
TEST(Closure, AnIncludedLibraryWhoseNeedsAreNotFoundIsAWarningTheProgramsAnError) {
    if (!testing::have_compiler()) GTEST_SKIP() << "no C compiler";
    if (access(kBusybox, X_OK) != 0) GTEST_SKIP() << "busybox-static is not installed";
    ScratchDir dir;
    const std::string root = dir.path().string();
    write_text(dir / "jvm.c", "int jvm(void) { return 0; }\n");
    write_text(dir / "java.c", "int jvm(void);\nint java(void) { return jvm(); }\n");
    write_text(dir / "main.c", "int jvm(void);\nint main(void) { return jvm(); }\n");
    fs::create_directories(dir / "jdk/lib/server");
    const std::string lib = root + "/jdk/lib";
    ASSERT_EQ(std::system(("cc -shared -fPIC -Wl,-soname,libjvm.so -o " + lib +
                           "/server/libjvm.so " + root + "/jvm.c")
                              .c_str()),
              0);
    ASSERT_EQ(std::system(("cc -shared -fPIC -o " + lib + "/libjava.so " + root + "/java.c -L" +
                           lib + "/server -ljvm")
                              .c_str()),
              0);
    ASSERT_EQ(std::system(
                  ("cc -o " + root + "/p " + root + "/main.c -L" + lib + "/server -ljvm").c_str()),
              0);
    std::vector<std::string> warnings;
    const Reporter reporter([&](const std::string& m) { warnings.push_back(m); }, {});
    for (const std::string& include : {root + "/jdk", lib + "/libjava.so"}) {
        warnings.clear();
        ContainerSpec spec;
        spec.args = {kBusybox, "true"};
        spec.include = {include};
        const Closure closure = compute_closure(spec, "", reporter);
        EXPECT_TRUE(closure.plan.contains(lib + "/libjava.so")) << include;
        ASSERT_EQ(warnings.size(), 1u) << include;
        EXPECT_NE(warnings[0].find("1 file(s) of " + include +
                                   " (include) need what cannot be "
                                   "found on this host; copied, not followed (the first: " +
                                   lib + "/libjava.so needs libjvm.so, which is not found"),
                  std::string::npos)
            << warnings[0];
    }
    // The program itself cannot start without it: an error.
    ContainerSpec spec;
    spec.args = {root + "/p"};
    EXPECT_ERROR_CONTAINS(compute_closure(spec, "", reporter), ClosureError,
                          "needs libjvm.so, which is not found");
}

}  // namespace
}  // namespace ocitools
