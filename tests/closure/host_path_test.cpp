#include "closure/host_path.h"
#include "fs/real_disk.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "closure/closure.h"
#include "roots/program_lookup.h"
#include "base/error.h"
#include "test_support.h"

namespace ocitools {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;
using testing::write_text;

std::vector<std::string> paths_of(const Plan& plan) {
    std::vector<std::string> out;
    for (const auto& e : plan.entries()) out.push_back(e.path);
    return out;
}

TEST(JoinPath, CleansLexically) {
    EXPECT_EQ(join_path("/", "a"), "/a");
    EXPECT_EQ(join_path("/a//b/", "./c"), "/a/b/c");
    EXPECT_EQ(join_path("/", "/"), "/");
}

TEST(HostPaths, SymlinksOnTheWayBecomeSymlinkEntries) {
    // A merged-/usr-like layout: bin -> usr/bin, and usr/bin/tool -> tool-1.0.
    ScratchDir dir;
    const std::string root = dir.path().string();
    write_text(dir / "usr/bin/tool-1.0", "#!/bin/true\n");
    fs::create_symlink("usr/bin", dir / "bin");
    fs::create_symlink("tool-1.0", dir / "usr/bin/tool");
    Plan plan;
    Reporter quiet;
    HostPaths paths(host_disk(), plan, quiet);
    const ResolvedPath r = paths.add(root + "/bin/tool");
    EXPECT_EQ(r.real_path, root + "/usr/bin/tool-1.0");
    EXPECT_EQ(paths_of(plan), (std::vector<std::string>{root + "/bin", root + "/usr/bin/tool",
                                                        root + "/usr/bin/tool-1.0"}));
    EXPECT_EQ(plan.find(root + "/bin")->kind, EntryKind::Symlink);
    EXPECT_EQ(plan.find(root + "/bin")->link_target, "usr/bin");
    EXPECT_EQ(plan.find(root + "/usr/bin/tool")->link_target, "tool-1.0");
    EXPECT_EQ(plan.find(root + "/usr/bin/tool-1.0")->kind, EntryKind::File);
}

TEST(HostPaths, AbsoluteSymlinkAndDotDot) {
    ScratchDir dir;
    const std::string root = dir.path().string();
    write_text(dir / "data/file", "x");
    fs::create_directories(dir / "a/b");
    fs::create_symlink(root + "/data", dir / "a/b/abs");  // absolute target
    Plan plan;
    Reporter quiet;
    HostPaths paths(host_disk(), plan, quiet);
    EXPECT_EQ(paths.add(root + "/a/b/abs/../data/./file").real_path, root + "/data/file");
    EXPECT_TRUE(plan.contains(root + "/a/b/abs"));
}

TEST(HostPaths, SymlinkLoopIsAnErrorNotAHang) {
    ScratchDir dir;
    fs::create_symlink("loop2", dir / "loop1");
    fs::create_symlink("loop1", dir / "loop2");
    Plan plan;
    Reporter quiet;
    HostPaths paths(host_disk(), plan, quiet);
    EXPECT_ERROR_CONTAINS(paths.add((dir / "loop1").string()), ClosureError,
                          "too many levels of symbolic links");
}

TEST(HostPaths, MissingPathIsNamed) {
    ScratchDir dir;
    Plan plan;
    Reporter quiet;
    HostPaths paths(host_disk(), plan, quiet);
    EXPECT_ERROR_CONTAINS(paths.add((dir / "nope/x").string()), ClosureError,
                          (dir / "nope").string() + " does not exist");
}

TEST(HostPaths, DirectoryIsCopiedRecursivelyWithoutFollowingSymlinks) {
    ScratchDir dir;
    const std::string root = dir.path().string();
    write_text(dir / "tree/a.txt", "a");
    write_text(dir / "tree/sub/b.txt", "b");
    fs::create_symlink("/", dir / "tree/sub/host-root");
    Plan plan;
    Reporter quiet;
    HostPaths paths(host_disk(), plan, quiet);
    paths.add(root + "/tree");
    EXPECT_EQ(paths_of(plan),
              (std::vector<std::string>{root + "/tree", root + "/tree/a.txt", root + "/tree/sub",
                                        root + "/tree/sub/b.txt", root + "/tree/sub/host-root"}));
    EXPECT_EQ(plan.find(root + "/tree/sub/host-root")->kind, EntryKind::Symlink);
}

TEST(Plan, ConflictingEntriesAreAnError) {
    Plan plan;
    plan.add({"/x", EntryKind::File, "/x", "", 0644, {}});
    plan.add({"/x", EntryKind::File, "/x", "", 0644, {}});  // the same again: fine
    EXPECT_ERROR_CONTAINS(plan.add({"/x", EntryKind::Symlink, "/x", "y", 0777, {}}), ClosureError,
                          "conflicting closure entries for /x");
}

// Nothing beneath a file or a symlink, whichever comes first: the writer would make the path a
// directory or a file depending on its threads (found in review).
TEST(Plan, NothingBeneathAFileOrASymlink) {
    Plan plan;
    plan.add({"/t", EntryKind::Directory, "/t", "", 0755, {}});
    plan.add({"/t/g", EntryKind::File, "/t/g", "", 0644, {}});
    plan.add({"/t/l", EntryKind::Symlink, "/t/l", "g", 0777, {}});
    plan.add({"/t/g-1", EntryKind::File, "/t/g-1", "", 0644, {}});  // a sibling, not beneath
    EXPECT_ERROR_CONTAINS(plan.add({"/t/g/h", EntryKind::File, "/t/g/h", "", 0644, {}}),
                          ClosureError, "/t/g/h (a file) is beneath /t/g, a file");
    EXPECT_ERROR_CONTAINS(plan.add({"/t/l/x/y", EntryKind::Directory, "/t/l/x/y", "", 0755, {}}),
                          ClosureError, "/t/l/x/y (a directory) is beneath /t/l, a symlink");
    Plan other;
    other.add({"/a/b/c", EntryKind::File, "/a/b/c", "", 0644, {}});
    EXPECT_ERROR_CONTAINS(other.add({"/a/b", EntryKind::File, "/a/b", "", 0644, {}}),
                          ClosureError, "/a/b/c (a file) is beneath /a/b, a file");
    EXPECT_ERROR_CONTAINS(other.add({"/a", EntryKind::Symlink, "/a", "x", 0777, {}}),
                          ClosureError, "/a/b/c (a file) is beneath /a, a symlink");
    EXPECT_EQ(plan.size(), 4u);
    EXPECT_EQ(other.size(), 1u);
}

TEST(ProgramLookup, SearchesPathAndChecksExecutability) {
    ScratchDir dir;
    write_text(dir / "bin1/tool", "data");  // not executable
    write_text(dir / "bin2/tool", "#!/bin/sh\n");
    fs::permissions(dir / "bin2/tool", fs::perms::owner_all);
    const std::string search = (dir / "bin1").string() + "::relative:" + (dir / "bin2").string();
    EXPECT_EQ(find_program("tool", search), (dir / "bin2/tool").string());
    EXPECT_ERROR_CONTAINS(find_program("nosuch", search), SpecError,
                          "program nosuch: not found on PATH");
    EXPECT_ERROR_CONTAINS(find_program((dir / "bin1/tool").string(), search), SpecError,
                          "is not executable");
    EXPECT_ERROR_CONTAINS(find_program("bin/tool", search), SpecError, "must be absolute");
    EXPECT_ERROR_CONTAINS(find_program(dir.path().string(), search), SpecError, "is a directory");
}

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
    // Only bash's closure: a handful of files.
    EXPECT_LE(files.size(), 8u);
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
    if (std::system("cc --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no C compiler";
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

}  // namespace
}  // namespace ocitools
