// Closure::why (`ocitools closure --why`): the first reason each path entered, for every kind of
// reason the walk gives, on trees held in memory (MemoryDisk), and on the host's ELF programs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "closure/closure.h"
#include "closure/reason.h"
#include "fs/memory_disk.h"
#include "fs/memory_trees.h"

namespace ocitools {
namespace {

ClosureOptions why_options() {
    ClosureOptions options;  // not from the environment: the test's tree is all there is
    options.dpkg_admin_dir = "/var/lib/dpkg";
    options.why = true;
    return options;
}

// The reason of `path`, or "(none)" when it has none.
std::string reason(const Closure& closure, const std::string& path) {
    auto it = closure.why.find(path);
    return it == closure.why.end() ? "(none)" : it->second;
}

// Each path's reason is the one given.
void expect_reasons(const Closure& closure,
                    const std::vector<std::pair<std::string, std::string>>& reasons) {
    for (const auto& [path, why] : reasons) EXPECT_EQ(reason(closure, path), why) << path;
}

// A merged-/usr tree: /bin -> usr/bin, a shell, a script run by it, and a script run through
// env(1), which finds its program on the container's PATH.
MemoryDisk scripts() {
    MemoryDisk disk = testing::merged_usr_with_a_shell();
    disk.add_file("/usr/bin/env", "#!/bin/sh\n", 0755);
    disk.add_file("/usr/bin/app", "#!/bin/sh\necho hi\n", 0755);
    disk.add_file("/opt/app/run", "#!/usr/bin/env tool\n", 0755);
    disk.add_file("/opt/tools/tool", "#!/bin/sh\n", 0755);
    disk.add_file("/srv/www/index.html", "<p>");
    disk.add_file("/srv/www/img/a.png", "png");
    disk.add_file("/etc/app.conf", "x=1");
    return disk;
}

Closure closure_of(const MemoryDisk& disk, std::vector<std::string> args,
                   std::vector<std::string> include = {}, ClosureOptions options = why_options()) {
    ContainerSpec spec;
    spec.args = std::move(args);
    spec.include = std::move(include);
    spec.env = {"PATH=/opt/tools:/usr/bin"};
    return compute_closure(spec, "", Reporter(), options, disk);
}

TEST(ClosureWhy, NothingIsRecordedUnlessAsked) {
    ClosureOptions options = why_options();
    options.why = false;
    EXPECT_TRUE(closure_of(scripts(), {"/bin/app"}, {}, options).why.empty());
}

TEST(ClosureWhy, ProgramScriptInterpreterSymlinksAndParents) {
    const Closure c = closure_of(scripts(), {"/bin/app"});
    expect_reasons(c, {{"/usr/bin/app", "root"},
                       {"/bin", "symlink on the way to /bin/app"},
                       {"/usr/bin/sh", "symlink on the way to /bin/sh"},
                       {"/usr/bin/dash", "#! of /usr/bin/app"},
                       {"/usr", "directory holding /usr/bin/app"},
                       {"/usr/bin", "directory holding /usr/bin/app"}});
    // Every plan entry has a reason, and nothing else but the directories above them.
    for (const PlanEntry* e : c.plan.sorted()) EXPECT_NE(reason(c, e->path), "(none)") << e->path;
    EXPECT_EQ(c.why.size(), c.plan.size() + 2);  // + /usr and /usr/bin
}

TEST(ClosureWhy, EnvFoundProgram) {
    const Closure c = closure_of(scripts(), {"/opt/app/run"});
    EXPECT_EQ(reason(c, "/usr/bin/env"), "#! of /opt/app/run");
    EXPECT_EQ(reason(c, "/opt/tools/tool"), "#!/usr/bin/env tool of /opt/app/run");
}

TEST(ClosureWhy, ArgumentsIncludesAndWhatADirectoryBrings) {
    const Closure c = closure_of(scripts(), {"/bin/app", "/etc/app.conf"}, {"/srv/www"});
    expect_reasons(c, {{"/etc/app.conf", "argument 1"},
                       {"/etc", "directory holding /etc/app.conf"},
                       {"/srv/www", "include"},
                       {"/srv", "directory holding /srv/www"},
                       {"/srv/www/img", "in directory /srv/www"},
                       {"/srv/www/img/a.png", "in directory /srv/www/img"}});
}

TEST(ClosureWhy, TheFirstReasonWins) {
    // dash is the script's interpreter before it is an include; /usr holds the program before
    // it is named itself.
    const Closure c = closure_of(scripts(), {"/bin/app"}, {"/usr/bin/dash", "/usr"});
    EXPECT_EQ(reason(c, "/usr/bin/dash"), "#! of /usr/bin/app");
    EXPECT_EQ(reason(c, "/usr"), "directory holding /usr/bin/app");
}

TEST(ClosureWhy, OtherRootsKeepTheirOwnReason) {
    Roots roots;
    roots.program = "/usr/bin/app";
    roots.files = {Root{"/srv/www", "traced: openat by /usr/bin/python3.11", false}};
    const Closure c = compute_closure(roots, Reporter(), why_options(), scripts());
    EXPECT_EQ(reason(c, "/srv/www"), "traced: openat by /usr/bin/python3.11");
    EXPECT_EQ(reason(c, "/srv/www/index.html"), "(none)");
}

// hello Pre-Depends on prelib and Depends on libgreet; the script /usr/bin/hi is hello's.
MemoryDisk packages() {
    MemoryDisk disk = scripts();
    disk.add_file("/var/lib/dpkg/status",
                  "Package: hello\nStatus: install ok installed\nArchitecture: all\n"
                  "Version: 1\nPre-Depends: prelib\nDepends: libgreet (>= 1)\n\n"
                  "Package: libgreet\nStatus: install ok installed\nArchitecture: all\n"
                  "Version: 1\n\n"
                  "Package: prelib\nStatus: install ok installed\nArchitecture: all\n"
                  "Version: 1\n");
    disk.add_file("/var/lib/dpkg/info/hello.list", "/.\n/usr\n/usr/bin\n/usr/bin/hi\n");
    disk.add_file("/var/lib/dpkg/info/libgreet.list",
                  "/.\n/usr\n/usr/share\n/usr/share/greet\n/usr/share/greet/words\n");
    disk.add_file("/var/lib/dpkg/info/prelib.list", "/.\n/usr\n/usr/share\n/usr/share/pre\n/usr/share/empty\n");
    disk.add_directory("/usr/share/empty");
    disk.add_file("/usr/bin/hi", "#!/bin/sh\necho hello\n", 0755);
    disk.add_file("/usr/share/greet/words", "hello");
    disk.add_file("/usr/share/pre", "pre");
    return disk;
}

TEST(ClosureWhy, PackageFilesNameTheirPackageAndWhyItCame) {
    ContainerSpec spec;
    spec.args = {"/bin/app"};
    spec.packages = {"hello"};
    const Closure c = compute_closure(spec, "", Reporter(), why_options(), packages());
    EXPECT_EQ(reason(c, "/usr/bin/hi"), "file of package hello (named)");
    EXPECT_EQ(reason(c, "/usr/share/greet/words"),
              "file of package libgreet (Depends of hello)");
    EXPECT_EQ(reason(c, "/usr/share/pre"), "file of package prelib (Pre-Depends of hello)");
    EXPECT_EQ(reason(c, "/usr/share/greet"), "directory holding /usr/share/greet/words");
    EXPECT_EQ(reason(c, "/usr/share/empty"), "directory of a package");
    EXPECT_EQ(reason(c, "/usr/bin/app"), "root");  // the ELF closure came first
}

TEST(ClosureWhy, PackageOwningARoot) {
    ClosureOptions options = why_options();
    options.package_closure = true;
    const Closure c = closure_of(packages(), {"/bin/hi"}, {}, options);
    EXPECT_EQ(reason(c, "/usr/share/pre"), "file of package prelib (Pre-Depends of hello)");
    // /usr/bin/hi is the root itself; the package owns it through /bin -> usr/bin.
    EXPECT_EQ(reason(c, "/usr/bin/hi"), "root");
    EXPECT_EQ(c.packages.size(), 3u);
}

TEST(ClosureWhy, ElfInterpreterAndLibraries) {
    if (access("/bin/ls", X_OK) != 0) GTEST_SKIP();
    ContainerSpec spec;
    spec.args = {"/bin/ls"};
    ClosureOptions options = ClosureOptions::from_environment();
    options.why = true;
    const Closure c = compute_closure(spec, "/usr/bin:/bin", Reporter(), options);
    bool libc = false, interpreter = false;
    for (const auto& [path, why] : c.why) {
        if (path.ends_with("/libc.so.6") && why.starts_with("DT_NEEDED of ")) libc = true;
        if (path.find("/ld-linux") != std::string::npos && why.starts_with("ELF interpreter of "))
            interpreter = true;
    }
    EXPECT_TRUE(libc);
    EXPECT_TRUE(interpreter);
}

TEST(Reasons, FirstReasonWinsAndParentsAreRecordedOnce) {
    std::map<std::string, std::string> why;
    const Reasons reasons(&why);
    reasons.record("/a/b/c", {"first ", "x"});
    reasons.record("/a/b/c", {"second", {}});
    reasons.record("/a/d", {"d", {}});
    EXPECT_EQ(why, (std::map<std::string, std::string>{{"/a", "directory holding /a/b/c"},
                                                       {"/a/b", "directory holding /a/b/c"},
                                                       {"/a/b/c", "first x"},
                                                       {"/a/d", "d"}}));
    Reasons().record("/x", {"nothing", {}});  // no map: no effect, no crash
}

}  // namespace
}  // namespace ocitools
