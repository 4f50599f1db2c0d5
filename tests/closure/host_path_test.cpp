#include "closure/host_path.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "closure/closure.h"
#include "closure/program_lookup.h"
#include "error.h"
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
    HostPaths paths(plan, quiet);
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
    HostPaths paths(plan, quiet);
    EXPECT_EQ(paths.add(root + "/a/b/abs/../data/./file").real_path, root + "/data/file");
    EXPECT_TRUE(plan.contains(root + "/a/b/abs"));
}

TEST(HostPaths, SymlinkLoopIsAnErrorNotAHang) {
    ScratchDir dir;
    fs::create_symlink("loop2", dir / "loop1");
    fs::create_symlink("loop1", dir / "loop2");
    Plan plan;
    Reporter quiet;
    HostPaths paths(plan, quiet);
    EXPECT_ERROR_CONTAINS(paths.add((dir / "loop1").string()), ClosureError,
                          "too many levels of symbolic links");
}

TEST(HostPaths, MissingPathIsNamed) {
    ScratchDir dir;
    Plan plan;
    Reporter quiet;
    HostPaths paths(plan, quiet);
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
    HostPaths paths(plan, quiet);
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
    EXPECT_EQ(closure.program, kBusybox);
    ASSERT_EQ(notes.size(), 2u);
    EXPECT_NE(notes[0].find("including " + root + "/app/main.txt"), std::string::npos);
    EXPECT_NE(notes[1].find("not including directory"), std::string::npos);
}

TEST(Closure, BareNameIsFoundOnTheHostPath) {
    if (access(kBusybox, X_OK) != 0) GTEST_SKIP() << "busybox-static is not installed";
    ScratchDir dir;
    fs::create_directories(dir / "tools");
    fs::copy_file(kBusybox, dir / "tools/bb");
    ContainerSpec spec;
    spec.args = {"bb", "true"};
    Reporter quiet;
    const Closure closure = compute_closure(spec, (dir / "tools").string(), quiet);
    EXPECT_EQ(closure.program, (dir / "tools/bb").string());
    // The container's default PATH lacks that directory, so it is appended there.
    EXPECT_EQ(closure.extra_path_dir, (dir / "tools").string());
}

TEST(Closure, DynamicAndNonElfProgramsAreRefusedForNow) {
    ScratchDir dir;
    write_text(dir / "script", "#!/bin/sh\necho hi\n");
    fs::permissions(dir / "script", fs::perms::owner_all);
    ContainerSpec spec;
    Reporter quiet;
    spec.args = {(dir / "script").string()};
    EXPECT_ERROR_CONTAINS(compute_closure(spec, "", quiet), ClosureError, "not an ELF executable");
    if (access("/usr/bin/env", X_OK) == 0) {
        spec.args = {"/usr/bin/env"};
        EXPECT_ERROR_CONTAINS(compute_closure(spec, "", quiet), ClosureError, "dynamically linked");
    }
}

}  // namespace
}  // namespace ocitools
