// The Disk contract, run against every implementation on the same tree: the host (HostDisk, in
// a scratch directory), a rootfs (RootfsDisk rooted there) and memory (MemoryDisk). MemoryDisk
// stands in for the kernel in the closure's unit tests, so it must answer as the kernel does.
#include "fs/disk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>

#include "base/error.h"
#include "fs/caching_disk.h"
#include "fs/memory_disk.h"
#include "fs/real_disk.h"
#include "fs/counting_disk.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

enum class Kind { Host, Rootfs, Memory };

// The same small tree on each kind of disk; p() gives a path of it on that disk.
//   /usr/bin/tool (0755, "#!/bin/sh\n..."), /bin -> usr/bin, /usr/bin/abs -> <p>/usr/bin/tool,
//   /loop/a -> b, /loop/b -> a, /dangling -> nowhere, /empty/
class DiskContract : public ::testing::TestWithParam<Kind> {
  protected:
    void SetUp() override {
        switch (GetParam()) {
            case Kind::Host:
                prefix_ = scratch_.path().string();
                build_on_host();
                disk_ = std::make_unique<HostDisk>();
                break;
            case Kind::Rootfs:
                build_on_host();
                disk_ = std::make_unique<RootfsDisk>(scratch_.path());
                break;
            case Kind::Memory: {
                auto memory = std::make_unique<MemoryDisk>();
                memory->add_file("/usr/bin/tool", kTool, 0755);
                memory->add_symlink("/bin", "usr/bin");
                memory->add_symlink("/usr/bin/abs", "/usr/bin/tool");
                memory->add_symlink("/loop/a", "b");
                memory->add_symlink("/loop/b", "a");
                memory->add_symlink("/dangling", "nowhere");
                memory->add_directory("/empty");
                for (int n : {40, 41}) {
                    const std::string dir = "/chain" + std::to_string(n) + "/";
                    memory->add_file(dir + "file", "x");
                    for (int i = 0; i < n; ++i)
                        memory->add_symlink(dir + "l" + std::to_string(i),
                                            i + 1 < n ? "l" + std::to_string(i + 1) : "file");
                }
                disk_ = std::move(memory);
                break;
            }
        }
    }

    void build_on_host() {
        const fs::path root = scratch_.path();
        write_text(root / "usr/bin/tool", kTool);
        fs::permissions(root / "usr/bin/tool", fs::perms(0755));
        fs::create_symlink("usr/bin", root / "bin");
        fs::create_symlink(p("/usr/bin/tool"), root / "usr/bin/abs");
        fs::create_directories(root / "loop");
        fs::create_symlink("b", root / "loop/a");
        fs::create_symlink("a", root / "loop/b");
        fs::create_symlink("nowhere", root / "dangling");
        fs::create_directories(root / "empty");
        // /chainN/l0 reaches /chainN/file through N symlinks: the kernel follows 40, no more.
        for (int n : {40, 41}) {
            const fs::path dir = root / ("chain" + std::to_string(n));
            write_text(dir / "file", "x");
            for (int i = 0; i < n; ++i)
                fs::create_symlink(i + 1 < n ? "l" + std::to_string(i + 1) : "file",
                                   dir / ("l" + std::to_string(i)));
        }
    }

    std::string p(const std::string& path) const { return prefix_ + path; }

    static constexpr const char* kTool = "#!/bin/sh\necho tool\n";
    ScratchDir scratch_;
    std::string prefix_;  // where the tree is on the disk: the scratch directory for the host
    std::unique_ptr<Disk> disk_;
};

TEST_P(DiskContract, LstatSeesTheSymlinkStatFollowsIt) {
    struct stat st {};
    ASSERT_EQ(disk_->lstat(p("/bin"), st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    ASSERT_EQ(disk_->stat(p("/bin"), st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    // A symlink in the middle is followed by both; the one at the end only by stat.
    ASSERT_EQ(disk_->lstat(p("/bin/abs"), st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    ASSERT_EQ(disk_->stat(p("/bin/abs"), st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_EQ(static_cast<size_t>(st.st_size), std::string(kTool).size());
}

TEST_P(DiskContract, FailuresAreTheKernelsErrnos) {
    struct stat st {};
    EXPECT_EQ(disk_->lstat(p("/no/such"), st), ENOENT);
    EXPECT_EQ(disk_->stat(p("/dangling"), st), ENOENT);
    EXPECT_EQ(disk_->lstat(p("/dangling"), st), 0);
    EXPECT_EQ(disk_->lstat(p("/usr/bin/tool/x"), st), ENOTDIR);
    EXPECT_EQ(disk_->stat(p("/loop/a"), st), ELOOP);
    EXPECT_EQ(disk_->lstat(p("/loop/a/x"), st), ELOOP);
    std::string target;
    EXPECT_EQ(disk_->readlink(p("/usr/bin/tool"), target), EINVAL);
    EXPECT_EQ(disk_->readlink(p("/no/such"), target), ENOENT);
    int error = 0;
    EXPECT_EQ(disk_->open(p("/no/such"), error), nullptr);
    EXPECT_EQ(error, ENOENT);
}

TEST_P(DiskContract, FortySymlinksResolveAndFortyOneAreALoop) {
    struct stat st {};
    EXPECT_EQ(disk_->stat(p("/chain40/l0"), st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(disk_->stat(p("/chain41/l0"), st), ELOOP);
}

TEST_P(DiskContract, ReadlinkGivesTheTargetAsWritten) {
    EXPECT_EQ(disk_->read_link(p("/bin")), "usr/bin");
    EXPECT_EQ(disk_->read_link(p("/bin/abs")), p("/usr/bin/tool"));
    EXPECT_ERROR_CONTAINS(disk_->read_link(p("/usr/bin/tool")), SystemError,
                          "cannot read symlink");
}

TEST_P(DiskContract, ReadsFollowSymlinks) {
    EXPECT_EQ(disk_->read_start(p("/bin/abs"), 9), "#!/bin/sh");
    EXPECT_EQ(disk_->read_start(p("/bin/tool"), 1000), kTool);  // fewer: the file is shorter
    EXPECT_EQ(*disk_->read_file(p("/usr/bin/tool"), 1000), kTool);
    const FileBytes bytes = disk_->open_file(p("/bin/tool"))->bytes(nullptr);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes.bytes().data()),
                          bytes.bytes().size()),
              kTool);
}

TEST_P(DiskContract, ReadErrorsNameThePathAndTheCause) {
    EXPECT_FALSE(disk_->read_file(p("/no/such"), 1000, /*missing_ok=*/true).has_value());
    EXPECT_ERROR_CONTAINS(disk_->read_file(p("/no/such"), 1000), SystemError,
                          "cannot open " + disk_->shown(p("/no/such")) +
                              ": No such file or directory");
    EXPECT_ERROR_CONTAINS(disk_->read_file(p("/usr/bin/tool"), 4), SystemError,
                          "File too large");
    // A directory opens (open(2) O_RDONLY) but is no file to parse or read.
    EXPECT_THROW(disk_->open_file(p("/empty"))->bytes(nullptr), FormatError);
    EXPECT_ERROR_CONTAINS(disk_->read_start(p("/empty"), 4), SystemError, "Is a directory");
}

TEST_P(DiskContract, ListDirectoryGivesEntriesWithTheirLstat) {
    auto names = [&](const std::string& dir) {
        std::vector<std::string> out;
        for (const DirEntry& e : disk_->list_directory(dir)) {
            out.push_back(e.name);
            if (e.name == "abs") {
                EXPECT_TRUE(S_ISLNK(e.st.st_mode));
            }
            if (e.name == "tool") {
                EXPECT_TRUE(S_ISREG(e.st.st_mode));
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    EXPECT_EQ(names(p("/usr/bin")), (std::vector<std::string>{"abs", "tool"}));
    EXPECT_EQ(names(p("/empty")), std::vector<std::string>{});
    // Not through a symlink at the end (O_NOFOLLOW): the closure lists real directories only.
    EXPECT_THROW(disk_->list_directory(p("/bin")), SystemError);
    EXPECT_ERROR_CONTAINS(disk_->list_directory(p("/no/such")), SystemError,
                          disk_->shown(p("/no/such")));
}

TEST_P(DiskContract, RealPathResolvesEverySymlinkOnTheWay) {
    EXPECT_EQ(disk_->real_path(p("/bin/abs")), p("/usr/bin/tool"));
    EXPECT_EQ(disk_->real_path(p("/bin/./tool")), p("/usr/bin/tool"));
    EXPECT_EQ(disk_->real_path(p("/bin/../bin")), p("/usr/bin"));  // ".." of the real directory
    EXPECT_EQ(disk_->real_path(p("/empty")), p("/empty"));
    EXPECT_ERROR_CONTAINS(disk_->real_path(p("/loop/a")), SystemError,
                          "Too many levels of symbolic links");
    EXPECT_ERROR_CONTAINS(disk_->real_path(p("/dangling")), SystemError,
                          "cannot stat " + disk_->shown(p("/nowhere")));
}

INSTANTIATE_TEST_SUITE_P(Disks, DiskContract,
                         ::testing::Values(Kind::Host, Kind::Rootfs, Kind::Memory),
                         [](const auto& info) {
                             switch (info.param) {
                                 case Kind::Host: return std::string("Host");
                                 case Kind::Rootfs: return std::string("Rootfs");
                                 case Kind::Memory: return std::string("Memory");
                             }
                             return std::string();
                         });

TEST(RootfsDisk, SymlinksAndDotDotStayInsideTheRoot) {
    ScratchDir dir;
    write_text(dir / "etc/os-release", "inside");
    fs::create_symlink("/etc/os-release", dir / "abs");    // absolute: from the root
    fs::create_symlink("../../../etc", dir / "up");        // ".." stops at the root
    const RootfsDisk rootfs(dir.path());
    EXPECT_EQ(*rootfs.read_file("/abs", 100), "inside");
    EXPECT_EQ(*rootfs.read_file("/up/os-release", 100), "inside");
    EXPECT_EQ(rootfs.shown("/abs"), (dir / "abs").string());
}

TEST(MemoryDisk, InjectedErrorsAreReturnedWhereverThePathIsMet) {
    MemoryDisk disk;
    disk.add_file("/secret/file", "x");
    disk.fail("/secret", EACCES);
    struct stat st {};
    EXPECT_EQ(disk.lstat("/secret", st), EACCES);
    EXPECT_EQ(disk.stat("/secret/file", st), EACCES);
    EXPECT_ERROR_CONTAINS(disk.read_start("/secret/file", 1), SystemError,
                          "cannot open /secret/file: Permission denied");
}

TEST(CachingDisk, AsksEachPathOnceFailuresToo) {
    MemoryDisk memory;
    memory.add_file("/usr/bin/tool", "x");
    memory.add_symlink("/bin", "usr/bin");
    const testing::CountingDisk counting(memory);
    const CachingDisk cached(counting);
    for (int i = 0; i < 3; ++i) {
        struct stat st {};
        std::string target;
        EXPECT_EQ(cached.lstat("/bin", st), 0);
        EXPECT_TRUE(S_ISLNK(st.st_mode));
        EXPECT_EQ(cached.stat("/bin", st), 0);
        EXPECT_TRUE(S_ISDIR(st.st_mode));  // not the lstat answer
        EXPECT_EQ(cached.lstat("/missing", st), ENOENT);
        EXPECT_EQ(cached.readlink("/bin", target), 0);
        EXPECT_EQ(target, "usr/bin");
    }
    EXPECT_EQ(counting.lstats, (std::map<std::string, int>{{"/bin", 1}, {"/missing", 1}}));
    EXPECT_EQ(counting.stats, (std::map<std::string, int>{{"/bin", 1}}));
    EXPECT_EQ(counting.readlinks, (std::map<std::string, int>{{"/bin", 1}}));
}

}  // namespace
}  // namespace ocitools
