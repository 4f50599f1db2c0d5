#include "rootfs/file_copy.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan/plan.h"
#include "base/error.h"
#include "rootfs/file_job.h"
#include "rootfs/rootfs_writer.h"
#include "test_support.h"
#include "fs/unique_fd.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

UniqueFd open_in(const std::filesystem::path& p) {
    return UniqueFd(open(p.c_str(), O_RDONLY));
}
UniqueFd open_out(const std::filesystem::path& p) {
    return UniqueFd(open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
}
// As the writer calls it, with the source's blocks from fstat and `size` as the test says.
void copy_file_data(int in, int out, off_t size, const std::string& source,
                    const std::string& dest) {
    struct stat st {};
    ASSERT_EQ(fstat(in, &st), 0);
    ocitools::copy_file_data(in, out, size, st.st_blocks, source, dest);
}

TEST(FileCopy, KeepsHolesAndData) {
    ScratchDir dir;
    const auto src = dir / "sparse";
    {
        UniqueFd fd(open(src.c_str(), O_WRONLY | O_CREAT, 0600));
        ASSERT_TRUE(fd);
        ASSERT_EQ(pwrite(fd.get(), "head", 4, 0), 4);
        ASSERT_EQ(pwrite(fd.get(), "middle", 6, off_t{1} << 30), 6);
        ASSERT_EQ(ftruncate(fd.get(), off_t{2} << 30), 0);  // 2 GiB, mostly holes
    }
    UniqueFd in = open_in(src), out = open_out(dir / "copy");
    copy_file_data(in.get(), out.get(), off_t{2} << 30, src, dir / "copy");
    struct stat st {};
    ASSERT_EQ(stat((dir / "copy").c_str(), &st), 0);
    EXPECT_EQ(st.st_size, off_t{2} << 30);
    EXPECT_LT(st.st_blocks * 512, off_t{64} << 20);  // the holes stayed holes
    char buf[6];
    UniqueFd check = open_in(dir / "copy");
    ASSERT_EQ(pread(check.get(), buf, 4, 0), 4);
    EXPECT_EQ(std::string(buf, 4), "head");
    ASSERT_EQ(pread(check.get(), buf, 6, off_t{1} << 30), 6);
    EXPECT_EQ(std::string(buf, 6), "middle");
}

TEST(FileCopy, ASourceThatGrewOrShrankIsAnError) {
    ScratchDir dir;
    testing::write_text(dir / "ten", "0123456789");
    {
        UniqueFd in = open_in(dir / "ten"), out = open_out(dir / "a");
        // Opened when it had 5 bytes: it grew since.
        EXPECT_ERROR_CONTAINS(copy_file_data(in.get(), out.get(), 5, dir / "ten", dir / "a"),
                              ClosureError, "changed size while being copied");
    }
    {
        UniqueFd in = open_in(dir / "ten"), out = open_out(dir / "b");
        // Opened when it had 20 bytes: it shrank since.
        EXPECT_ERROR_CONTAINS(copy_file_data(in.get(), out.get(), 20, dir / "ten", dir / "b"),
                              ClosureError, (dir / "ten").string() + " changed size");
    }
    UniqueFd in = open_in(dir / "ten"), out = open_out(dir / "c");
    copy_file_data(in.get(), out.get(), 10, dir / "ten", dir / "c");
    EXPECT_EQ(testing::read_text(dir / "c"), "0123456789");
}

// Rewritten in place at the same size between the open and the end of the copy: the copy would
// mix old and new blocks, and the times tell.
TEST(FileCopy, ASourceRewrittenInPlaceWhileCopiedIsAnError) {
    ScratchDir dir;
    testing::write_text(dir / "src", "old content");
    UniqueFd out_dir(open(dir.path().c_str(), O_PATH | O_DIRECTORY));
    const std::string source = (dir / "src").string(), dest = "/copy";
    FileJob job{&source, &dest, nullptr, 0644, {}, 0};
    struct stat st {};
    UniqueFd in = open_source(source, st);
    // The writer's copy begins; meanwhile someone writes the same number of bytes in place,
    // a little later than the open (so the times differ even on a coarse clock).
    struct timespec later = st.st_mtim;
    later.tv_sec += 1;
    {
        UniqueFd w(open(source.c_str(), O_WRONLY));
        ASSERT_EQ(pwrite(w.get(), "new content", 11, 0), 11);
        const struct timespec times[2] = {later, later};
        ASSERT_EQ(futimens(w.get(), times), 0);
    }
    EXPECT_ERROR_CONTAINS(copy_file_job(out_dir.get(), "copy", in.get(), st, job), ClosureError,
                          source + " was changed while it was copied");
    // Unchanged since the open: copied.
    UniqueFd again = open_source(source, st);
    EXPECT_EQ(copy_file_job(out_dir.get(), "copy2", again.get(), st, job), 11u);
    EXPECT_EQ(testing::read_text(dir / "copy2"), "new content");
}

TEST(FileCopy, ProcFilesWithNoSizeAreRefusedNotTruncated) {
    // /proc files claim 0 bytes and hold more: a copy would silently be empty.
    UniqueFd in(open("/proc/self/status", O_RDONLY));
    ScratchDir dir;
    UniqueFd out = open_out(dir / "status");
    EXPECT_ERROR_CONTAINS(
        copy_file_data(in.get(), out.get(), 0, "/proc/self/status", dir / "status"), ClosureError,
        "changed size");
}

TEST(RootfsWriter, ASourceThatDisappearedIsNamed) {
    ScratchDir dir;
    testing::write_text(dir / "src/file", "x");
    std::filesystem::create_directories(dir / "root");
    const std::string source = (dir / "src/file").string();
    Plan plan;
    plan.add(PlanEntry{.path = source,
                       .kind = EntryKind::File,
                       .source = source,
                       .link_target = {},
                       .mode = 0644,
                       .mtime = {}});
    std::filesystem::remove(source);  // gone between the closure and the copy
    RootfsWriter writer(UniqueFd(open((dir / "root").c_str(), O_PATH | O_DIRECTORY)));
    EXPECT_ERROR_CONTAINS(writer.write(plan), SystemError,
                          "cannot open " + source + ": No such file or directory");
}

}  // namespace
}  // namespace ocitools
