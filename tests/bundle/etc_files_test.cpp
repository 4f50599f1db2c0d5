#include "bundle/etc_files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "base/error.h"
#include "spec/process_user.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

RootfsWriter writer_for(const fs::path& root) {
    fs::create_directories(root);
    return RootfsWriter(UniqueFd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)));
}

TEST(RootfsWriter, ReadFileResolvesInsideTheRootfs) {
    ScratchDir dir;
    const auto root = dir / "rootfs";
    write_text(root / "real/passwd", "inside\n");
    write_text(dir / "passwd", "outside\n");
    fs::create_directories(root / "etc");
    // An absolute symlink means the rootfs's /real, as the container sees it, never the host's.
    fs::create_symlink("/real/passwd", root / "etc/passwd");
    fs::create_symlink("../../passwd", root / "etc/group");
    auto writer = writer_for(root);
    EXPECT_EQ(writer.read_file("/etc/passwd"), "inside\n");
    EXPECT_EQ(writer.read_file("/etc/group"), std::nullopt);  // ".." stops at the rootfs
    EXPECT_EQ(writer.read_file("/etc/hosts"), std::nullopt);
    EXPECT_ERROR_CONTAINS(writer.read_file("/etc"), Error, "is not a regular file");
    EXPECT_ERROR_CONTAINS(writer.read_file("/real/passwd", 3), Error, "larger than 3 bytes");
}

TEST(RootfsWriter, CreateFileNeverWritesThroughOrOverAnything) {
    ScratchDir dir;
    const auto root = dir / "rootfs";
    auto writer = writer_for(root);
    writer.create_file("/etc/new/file", "text", 0644);
    EXPECT_EQ(read_text(root / "etc/new/file"), "text");
    struct stat st {};
    ASSERT_EQ(stat((root / "etc/new/file").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u);
    EXPECT_ERROR_CONTAINS(writer.create_file("/etc/new/file", "again", 0644), SystemError,
                          "File exists");
    EXPECT_EQ(read_text(root / "etc/new/file"), "text");
    // A dangling symlink pointing out of the rootfs is not followed.
    fs::create_symlink(dir / "escaped", root / "etc/link");
    EXPECT_ERROR_CONTAINS(writer.create_file("/etc/link", "x", 0644), SystemError, "File exists");
    EXPECT_FALSE(fs::exists(dir / "escaped"));
    // A symlinked directory resolves inside the rootfs.
    fs::create_symlink("/", root / "up");
    writer.create_file("/up/top", "t", 0600);
    EXPECT_EQ(read_text(root / "top"), "t");
}

TEST(EtcFiles, MinimalFilesHoldRootNobodyAndTheProcessUser) {
    EXPECT_EQ(minimal_passwd(0, 0),
              "root:x:0:0:root:/root:/bin/sh\n"
              "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    const std::string passwd = minimal_passwd(1000, 100);
    EXPECT_NE(passwd.find("\nuser:x:1000:100:"), std::string::npos);
    EXPECT_EQ(minimal_group(0), "root:x:0:\nnobody:x:65534:\n");
    EXPECT_EQ(minimal_group(100), "root:x:0:\nnobody:x:65534:\nuser:x:100:\n");
    // The files resolve the names they hold.
    const auto u =
        resolve_user(UserSpec::parse("user:user", "--user"), passwd, minimal_group(100), "--user");
    EXPECT_EQ(u.uid, 1000u);
    EXPECT_EQ(u.gid, 100u);
    EXPECT_EQ(minimal_hosts(std::nullopt),
              "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    EXPECT_NE(minimal_hosts("box").find("127.0.1.1\tbox\n"), std::string::npos);
}

TEST(EtcFiles, OnlyMissingFilesAreWritten) {
    ScratchDir dir;
    const auto root = dir / "rootfs";
    write_text(root / "etc/passwd", "app:x:7:7::/:/bin/sh\n");
    auto writer = writer_for(root);
    const EtcFiles etc = EtcFiles::read(writer);
    EXPECT_EQ(etc.passwd, "app:x:7:7::/:/bin/sh\n");
    EXPECT_EQ(etc.group, std::nullopt);
    EXPECT_FALSE(etc.has_hosts);
    etc.write_missing(writer, 7, 7, "box");
    EXPECT_EQ(read_text(root / "etc/passwd"), "app:x:7:7::/:/bin/sh\n");
    EXPECT_EQ(read_text(root / "etc/group"), minimal_group(7));
    EXPECT_EQ(read_text(root / "etc/hosts"), minimal_hosts("box"));
}

}  // namespace
}  // namespace ocitools
