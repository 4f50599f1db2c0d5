// The rootfs writer's pipeline: the same tree whatever the number of threads, hard links where
// asked and possible, copies where not, and errors from any thread reported, never hung on.
#include "rootfs/rootfs_writer.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "base/error.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

PlanEntry entry_for(const fs::path& host) {
    struct stat st {};
    EXPECT_EQ(lstat(host.c_str(), &st), 0) << host;
    PlanEntry e{.path = host.string(),
                .kind = EntryKind::File,
                .source = host.string(),
                .link_target = {},
                .mode = st.st_mode & 07777,
                .mtime = st.st_mtim,
                .dev = st.st_dev,
                .ino = st.st_ino};
    if (S_ISDIR(st.st_mode)) e.kind = EntryKind::Directory;
    return e;
}

// A plan of `dirs` directories of `files` files each under `src`, and the directories above.
Plan tree_plan(const fs::path& src, int dirs, int files) {
    Plan plan;
    for (int d = 0; d < dirs; ++d)
        for (int f = 0; f < files; ++f)
            write_text(src / ("d" + std::to_string(d)) / ("f" + std::to_string(f)),
                       std::string(static_cast<size_t>(f * 100 + d), 'x'));
    fs::permissions(src / "d0/f1", fs::perms(0750));
    for (fs::path p = src; p != p.parent_path(); p = p.parent_path())
        if (p != "/") plan.add(entry_for(p));
    for (const auto& e : fs::recursive_directory_iterator(src)) plan.add(entry_for(e.path()));
    return plan;
}

// Every path under `root`: type, mode, size, mtime and content.
std::map<std::string, std::string> listing(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        struct stat st {};
        lstat(e.path().c_str(), &st);
        std::string line = std::to_string(st.st_mode) + " " + std::to_string(st.st_size) + " " +
                           std::to_string(st.st_mtim.tv_sec) + "." +
                           std::to_string(st.st_mtim.tv_nsec);
        if (S_ISREG(st.st_mode)) line += " " + read_text(e.path());
        out[fs::relative(e.path(), root).string()] = line;
    }
    return out;
}

WriteStats write_plan(const Plan& plan, const fs::path& root, const WriteOptions& options) {
    fs::create_directories(root);
    RootfsWriter writer(UniqueFd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)));
    return writer.write(plan, options);
}

ino_t inode(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return st.st_ino;
}

fs::path in_root(const fs::path& root, const fs::path& host) {
    return root / host.relative_path();
}

TEST(RootfsWriter, AnyNumberOfThreadsWritesTheSameTree) {
    ScratchDir dir;
    const Plan plan = tree_plan(dir / "src", 7, 9);
    Progress progress(-1, false);
    const WriteStats one = write_plan(plan, dir / "one", {.jobs = 1});
    const WriteStats four = write_plan(plan, dir / "four", {.jobs = 4, .progress = &progress});
    EXPECT_EQ(one.files, 63u);
    EXPECT_EQ(four.files, 63u);
    EXPECT_EQ(one.bytes_copied, four.bytes_copied);
    EXPECT_EQ(progress.files_done(), 63u);
    EXPECT_EQ(progress.bytes_done(), four.bytes_copied);
    const auto expected = listing(dir / "one");
    EXPECT_EQ(listing(dir / "four"), expected);
    // The copies are the sources, with their modes and times.
    const fs::path f1 = dir / "src/d0/f1";
    EXPECT_EQ(expected.at(fs::relative(in_root(dir / "one", f1), dir / "one").string()),
              listing(dir / "src").at("d0/f1"));
    EXPECT_NE(inode(in_root(dir / "one", f1)), inode(f1));  // copies, not links
}

TEST(RootfsWriter, HardLinksShareTheHostInode) {
    ScratchDir dir;
    const Plan plan = tree_plan(dir / "src", 3, 4);
    const WriteStats stats = write_plan(plan, dir / "root", {.hardlink = true, .jobs = 2});
    EXPECT_EQ(stats.files, 12u);
    EXPECT_EQ(stats.linked, 12u);
    EXPECT_EQ(stats.not_linked, 0u);
    EXPECT_EQ(stats.bytes_copied, 0u);
    const fs::path f = dir / "src/d2/f3";
    EXPECT_EQ(inode(in_root(dir / "root", f)), inode(f));
    EXPECT_EQ(fs::hard_link_count(f), 2u);
}

TEST(RootfsWriter, FilesOnAnotherFilesystemAreCopiedWhenLinksAreAsked) {
    ScratchDir dir;
    // /dev/shm is a tmpfs on Linux; the scratch directory is not (it is TMPDIR or /tmp).
    std::string shm_pattern = "/dev/shm/ocitools-test-XXXXXX";
    if (!mkdtemp(shm_pattern.data())) GTEST_SKIP() << "no /dev/shm";
    const fs::path shm = shm_pattern;
    struct stat a {}, b {};
    stat(shm.c_str(), &a);
    stat(dir.path().c_str(), &b);
    if (a.st_dev == b.st_dev) {
        fs::remove_all(shm);
        GTEST_SKIP() << "/dev/shm is on the scratch directory's filesystem";
    }
    write_text(shm / "other", "from tmpfs");
    Plan plan = tree_plan(dir / "src", 1, 2);
    for (fs::path p = shm; p != "/"; p = p.parent_path()) plan.add(entry_for(p));
    plan.add(entry_for(shm / "other"));
    const WriteStats stats = write_plan(plan, dir / "root", {.hardlink = true});
    fs::remove_all(shm);
    EXPECT_EQ(stats.files, 3u);
    EXPECT_EQ(stats.linked, 2u);
    EXPECT_EQ(stats.not_linked, 1u);
    EXPECT_NE(stats.not_linked_example.find("/other is on another filesystem"),
              std::string::npos)
        << stats.not_linked_example;
    EXPECT_EQ(read_text(in_root(dir / "root", shm / "other")), "from tmpfs");
}

TEST(RootfsWriter, AFailingFileIsNamedFromAnyThread) {
    ScratchDir dir;
    const Plan plan = tree_plan(dir / "src", 6, 20);
    fs::remove(dir / "src/d3/f7");  // gone between the closure and the copy
    for (const bool hardlink : {false, true}) {
        const fs::path root = dir / (hardlink ? "linked" : "copied");
        EXPECT_ERROR_CONTAINS(write_plan(plan, root, {.hardlink = hardlink, .jobs = 4}),
                              SystemError,
                              "cannot open " + (dir / "src/d3/f7").string() +
                                  ": No such file or directory");
    }
}

TEST(RootfsWriter, TheErrorIsTheFirstInPlanOrderWhateverTheThreads) {
    // d0 holds 2 files, d1 20: the larger group is written first, but d0/f0 comes first in
    // the plan, and its error is the one reported, with one thread or four, every time.
    ScratchDir dir;
    Plan plan = tree_plan(dir / "src", 1, 2);
    for (int f = 0; f < 20; ++f) {
        write_text(dir / "src/d1" / ("f" + std::to_string(f)), "x");
        plan.add(entry_for(dir / "src/d1" / ("f" + std::to_string(f))));
    }
    plan.add(entry_for(dir / "src/d1"));
    fs::remove(dir / "src/d0/f0");
    fs::remove(dir / "src/d1/f5");
    for (int round = 0; round < 10; ++round)
        for (const unsigned jobs : {1u, 4u})
            EXPECT_ERROR_CONTAINS(
                write_plan(plan, dir / ("r" + std::to_string(round) + "j" + std::to_string(jobs)),
                           {.jobs = jobs}),
                SystemError, "cannot open " + (dir / "src/d0/f0").string() + ":");
}

TEST(RootfsWriter, ASourceSwappedForASymlinkIsNeverWrittenAsOne) {
    ScratchDir dir;
    const Plan plan = tree_plan(dir / "src", 1, 3);
    write_text(dir / "secret", "host secret");
    fs::remove(dir / "src/d0/f2");
    fs::create_symlink(dir / "secret", dir / "src/d0/f2");  // after the closure saw a file
    EXPECT_ERROR_CONTAINS(write_plan(plan, dir / "copied", {}), SystemError,
                          (dir / "src/d0/f2").string());
    EXPECT_ERROR_CONTAINS(write_plan(plan, dir / "linked", {.hardlink = true}), ClosureError,
                          "is no longer a regular file");
    EXPECT_FALSE(fs::exists(fs::symlink_status(in_root(dir / "linked", dir / "src/d0/f2"))));
}

// Another user who can write a directory on a source's path swaps it for a symlink to a
// directory of root's between the closure and the writer: nothing of root's is read or linked,
// and the build fails naming the directory.
TEST(RootfsWriter, ADirectorySwappedForASymlinkOnTheWayIsNeverFollowed) {
    ScratchDir dir;
    const Plan plan = tree_plan(dir / "src", 2, 3);
    write_text(dir / "private/f1", "root's own");
    fs::rename(dir / "src/d1", dir / "src/d1-was");
    fs::create_directory_symlink(dir / "private", dir / "src/d1");
    for (const bool hardlink : {false, true}) {
        const fs::path root = dir / (hardlink ? "linked" : "copied");
        EXPECT_ERROR_CONTAINS(write_plan(plan, root, {.hardlink = hardlink, .jobs = 2}),
                              ClosureError,
                              (dir / "src/d1").string() + ": a symlink is on its path now");
        EXPECT_FALSE(fs::exists(in_root(root, dir / "src/d1/f1"))) << hardlink;
    }
}

// A source renamed over by another file (or a directory swapped for another real one) since
// the closure saw it is not what the closure saw: refused in both modes, and no link to it
// stays.
TEST(RootfsWriter, ASourceReplacedByAnotherFileIsRefused) {
    ScratchDir dir;
    const Plan plan = tree_plan(dir / "src", 1, 3);
    write_text(dir / "other", "someone else's");
    fs::rename(dir / "other", dir / "src/d0/f2");
    for (const bool hardlink : {false, true}) {
        const fs::path root = dir / (hardlink ? "linked" : "copied");
        EXPECT_ERROR_CONTAINS(write_plan(plan, root, {.hardlink = hardlink}), ClosureError,
                              (dir / "src/d0/f2").string() + " is not the file the closure saw");
        EXPECT_FALSE(fs::exists(in_root(root, dir / "src/d0/f2"))) << hardlink;
    }
    // Its mode changed: refused too (the plan's mode is what the closure saw).
    const Plan again = tree_plan(dir / "src2", 1, 2);
    fs::permissions(dir / "src2/d0/f0", fs::perms(0600));
    EXPECT_ERROR_CONTAINS(write_plan(again, dir / "mode", {}), ClosureError,
                          (dir / "src2/d0/f0").string() + " changed mode");
}

// The workers write files while this thread still lays out the rest of the plan: an error in
// the layout, with files being written, stops and joins them, and is the error thrown.
TEST(RootfsWriter, AnErrorInTheLayoutStopsTheWorkers) {
    ScratchDir dir;
    Plan plan = tree_plan(dir / "src", 8, 40);  // 320 files: batches handed over early
    // Then, last in plan order, a symlink whose name is taken in the rootfs already.
    fs::create_directories(dir / "src/z");
    fs::create_symlink("elsewhere", dir / "src/z/link");
    plan.add(entry_for(dir / "src/z"));
    plan.add(PlanEntry{.path = (dir / "src/z/link").string(),
                       .kind = EntryKind::Symlink,
                       .source = (dir / "src/z/link").string(),
                       .link_target = "elsewhere",
                       .mode = 0777,
                       .mtime = {}});
    for (const bool hardlink : {false, true})
        for (const unsigned jobs : {2u, 4u}) {
            const fs::path root =
                dir / ((hardlink ? "linked" : "copied") + std::to_string(jobs));
            write_text(in_root(root, dir / "src/z/link"), "in the way");
            EXPECT_ERROR_CONTAINS(write_plan(plan, root, {.hardlink = hardlink, .jobs = jobs}),
                                  SystemError,
                                  "cannot create symlink " + (dir / "src/z/link").string());
            EXPECT_EQ(read_text(in_root(root, dir / "src/z/link")), "in the way");
        }
}

// A source swapped for a FIFO after the closure saw a file: refused, at once (an open without
// O_NONBLOCK waited for a writer forever, found in review), copied or hard-linked.
TEST(RootfsWriter, ASourceSwappedForAFifoIsRefusedWithoutWaiting) {
    ScratchDir dir;
    const Plan plan = tree_plan(dir / "src", 1, 3);
    const fs::path swapped = dir / "src/d0/f1";
    fs::remove(swapped);
    ASSERT_EQ(mkfifo(swapped.c_str(), 0644), 0);
    EXPECT_ERROR_CONTAINS(write_plan(plan, dir / "copied", {}), ClosureError,
                          "is no longer a regular file");
    EXPECT_ERROR_CONTAINS(write_plan(plan, dir / "linked", {.hardlink = true}), ClosureError,
                          "is no longer a regular file");
}

// A source gone since the closure saw it is named, whether copied or linked.
TEST(RootfsWriter, ASourceGoneIsNamed) {
    ScratchDir dir;
    const Plan plan = tree_plan(dir / "src", 1, 3);
    const std::string gone = (dir / "src/d0/f1").string();
    fs::remove(gone);
    for (const bool hardlink : {false, true})
        EXPECT_ERROR_CONTAINS(write_plan(plan, dir / (hardlink ? "linked" : "copied"),
                                         {.hardlink = hardlink, .jobs = 2}),
                              SystemError, gone);
}

// A symlink found in the rootfs on the way to a plan entry, even a relative one that stays
// inside the rootfs (which RESOLVE_BENEATH alone would follow), is never written through:
// neither where the plan has a directory, nor on a parent the writer creates itself.
TEST(RootfsWriter, ARelativeSymlinkInsideTheRootfsIsNeverWrittenThrough) {
    ScratchDir dir;
    const Plan plan = tree_plan(dir / "src", 1, 2);
    Plan file_only;  // no directory entries: the writer makes the parents
    file_only.add(entry_for(dir / "src/d0/f0"));
    for (const bool hardlink : {false, true})
        for (const Plan* p : std::initializer_list<const Plan*>{&plan, &file_only}) {
            const fs::path root =
                dir / ((hardlink ? "linked" : "copied") + std::to_string(p == &plan));
            fs::create_directories(in_root(root, dir / "src/elsewhere"));
            fs::create_symlink("elsewhere", in_root(root, dir / "src/d0"));
            EXPECT_THROW(write_plan(*p, root, {.hardlink = hardlink, .jobs = 2}), Error);
            EXPECT_TRUE(fs::is_empty(in_root(root, dir / "src/elsewhere")));
            EXPECT_TRUE(fs::is_symlink(in_root(root, dir / "src/d0")));
        }
}

// Modes are kept whole: setuid, setgid and sticky bits too (a su-like program, /tmp-like
// directories), copied or not.
TEST(RootfsWriter, SpecialModeBitsAreKept) {
    ScratchDir dir;
    write_text(dir / "src/bin/tool", "#!/bin/sh\n");
    fs::create_directories(dir / "src/tmp");
    ASSERT_EQ(chmod((dir / "src/bin/tool").c_str(), 04755), 0);
    ASSERT_EQ(chmod((dir / "src/tmp").c_str(), 01777), 0);
    Plan plan;
    for (fs::path p = dir / "src"; p != p.parent_path(); p = p.parent_path())
        if (p != "/") plan.add(entry_for(p));
    for (const auto* name : {"bin", "bin/tool", "tmp"}) plan.add(entry_for(dir / "src" / name));
    write_plan(plan, dir / "root", {});
    struct stat st {};
    ASSERT_EQ(lstat(in_root(dir / "root", dir / "src/bin/tool").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 04755u);
    ASSERT_EQ(lstat(in_root(dir / "root", dir / "src/tmp").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 01777u);
}

// Whatever is found at a file's name in the rootfs (a file planted there, or a symlink pointing
// out of it) is never written through or replaced: files are created O_EXCL | O_NOFOLLOW.
TEST(RootfsWriter, AnythingAtAFilesNameIsNeverOverwrittenOrFollowed) {
    ScratchDir dir;
    const Plan plan = tree_plan(dir / "src", 1, 2);
    write_text(dir / "victim", "precious");
    for (const bool symlink : {false, true}) {
        const fs::path root = dir / (symlink ? "symlinked" : "planted");
        const fs::path at = in_root(root, dir / "src/d0/f0");
        fs::create_directories(at.parent_path());
        if (symlink)
            fs::create_symlink(dir / "victim", at);
        else
            write_text(at, "planted");
        EXPECT_THROW(write_plan(plan, root, {.jobs = 2}), Error);
        EXPECT_EQ(read_text(dir / "victim"), "precious");
        if (!symlink) {
            EXPECT_EQ(read_text(at), "planted");
        }
    }
}

}  // namespace
}  // namespace ocitools
