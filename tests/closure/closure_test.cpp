// compute_closure on trees held in memory (MemoryDisk): the walk, HostPaths' symlink-preserving
// layout, scripts and their interpreters, and dpkg packages, without touching the real disk.
// None of these paths exists on the host, so a read that bypassed the disk seam would fail.
// (ELF objects are covered against the system's real ones in host_path_test and elf/.)
#include "closure/closure.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "fs/counting_disk.h"
#include "fs/memory_disk.h"
#include "roots/program_lookup.h"
#include "test_support.h"

namespace ocitools {
namespace {

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
    MemoryDisk disk;
    disk.add_symlink("/bin", "usr/bin");
    disk.add_file("/usr/bin/dash", "not ELF: a stand-in for the shell", 0755);
    disk.add_symlink("/usr/bin/sh", "dash");
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

TEST(ClosureInMemory, PackagesBringTheirDependenciesAndListedFiles) {
    const MemoryDisk disk = with_packages();
    ContainerSpec spec;
    spec.args = {"/bin/app"};
    spec.packages = {"hello"};
    Reporter quiet;
    const Closure closure = compute_closure(spec, "", quiet, options_for_memory(), disk);
    EXPECT_EQ(closure.packages, (std::vector<std::string>{"hello:amd64", "libgreet:amd64"}));
    EXPECT_TRUE(closure.plan.contains("/usr/bin/hello"));
    EXPECT_TRUE(closure.plan.contains("/usr/lib/libgreet.so.1"));
    EXPECT_TRUE(closure.plan.contains("/usr/share/greet/words"));
    EXPECT_FALSE(closure.plan.contains("/usr/bin/other"));
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
    const MemoryDisk disk = merged_usr();
    ContainerSpec spec;
    spec.args = {"/bin/app"};
    spec.packages = {"hello"};
    Reporter quiet;
    EXPECT_ERROR_CONTAINS(compute_closure(spec, "", quiet, options_for_memory(), disk),
                          SystemError,
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

}  // namespace
}  // namespace ocitools
