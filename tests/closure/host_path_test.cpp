#include "closure/host_path.h"
#include "fs/real_disk.h"

#include <gtest/gtest.h>
#include <unistd.h>


#include "base/error.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

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
    const ResolvedPath r = paths.add(root + "/bin/tool", {"include", {}});
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
    EXPECT_EQ(paths.add(root + "/a/b/abs/../data/./file", {"include", {}}).real_path,
              root + "/data/file");
    EXPECT_TRUE(plan.contains(root + "/a/b/abs"));
}

TEST(HostPaths, SymlinkLoopIsAnErrorNotAHang) {
    ScratchDir dir;
    fs::create_symlink("loop2", dir / "loop1");
    fs::create_symlink("loop1", dir / "loop2");
    Plan plan;
    Reporter quiet;
    HostPaths paths(host_disk(), plan, quiet);
    EXPECT_ERROR_CONTAINS(paths.add((dir / "loop1").string(), {"include", {}}), ClosureError,
                          "too many levels of symbolic links");
}

TEST(HostPaths, FortySymlinksResolveAsTheKernelDoesAndFortyOneDoNot) {
    ScratchDir dir;
    for (int n : {40, 41}) {
        const fs::path chain = dir / ("chain" + std::to_string(n));
        fs::create_directories(chain);
        testing::write_text(chain / "file", "x");
        for (int i = 0; i < n; ++i)
            fs::create_symlink(i + 1 < n ? "l" + std::to_string(i + 1) : "file",
                               chain / ("l" + std::to_string(i)));
    }
    struct stat st {};
    ASSERT_EQ(::stat((dir / "chain40/l0").c_str(), &st), 0);  // the kernel's answers
    ASSERT_NE(::stat((dir / "chain41/l0").c_str(), &st), 0);
    Plan plan;
    Reporter quiet;
    HostPaths paths(host_disk(), plan, quiet);
    EXPECT_EQ(paths.resolve((dir / "chain40/l0").string()).real_path,
              (dir / "chain40/file").string());
    EXPECT_ERROR_CONTAINS(paths.resolve((dir / "chain41/l0").string()), ClosureError,
                          "too many levels of symbolic links");
}

TEST(HostPaths, MissingPathIsNamed) {
    ScratchDir dir;
    Plan plan;
    Reporter quiet;
    HostPaths paths(host_disk(), plan, quiet);
    EXPECT_ERROR_CONTAINS(paths.add((dir / "nope/x").string(), {"include", {}}), ClosureError,
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
    paths.add(root + "/tree", {"include", {}});
    EXPECT_EQ(paths_of(plan),
              (std::vector<std::string>{root + "/tree", root + "/tree/a.txt", root + "/tree/sub",
                                        root + "/tree/sub/b.txt", root + "/tree/sub/host-root"}));
    EXPECT_EQ(plan.find(root + "/tree/sub/host-root")->kind, EntryKind::Symlink);
}


}  // namespace
}  // namespace ocitools
