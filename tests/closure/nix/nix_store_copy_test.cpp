// Store paths in the plan and in the rootfs: a StorePath entry owns everything beneath it, and
// the writer copies it whole, with modes, Nix's fixed mtimes, symlinks and hard links.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "plan/plan.h"
#include "base/error.h"
#include "nix_test_support.h"
#include "rootfs/rootfs_writer.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

PlanEntry store_entry(const std::string& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) std::abort();
    return PlanEntry{path, EntryKind::StorePath, path, "", st.st_mode & 07777, st.st_mtim};
}

struct stat lstat_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
    return st;
}

// Nix's canonical metadata (canonicalisePathMetaData): mtime 1, modes 0444 / 0555.
void canonicalise(const fs::path& root) {
    std::vector<fs::path> all{root};
    if (fs::is_directory(fs::symlink_status(root)))
        for (const auto& e : fs::recursive_directory_iterator(root)) all.push_back(e.path());
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        const auto st = fs::symlink_status(*it);
        if (fs::is_regular_file(st))
            chmod(it->c_str(),
                  (st.permissions() & fs::perms::owner_exec) != fs::perms::none ? 0555 : 0444);
        else if (fs::is_directory(st))
            chmod(it->c_str(), 0555);
        const struct timespec one[2] = {{1, 0}, {1, 0}};
        utimensat(AT_FDCWD, it->c_str(), one, AT_SYMLINK_NOFOLLOW);
    }
}

TEST(NixPlanStorePaths, NothingMayBePlannedInsideAStorePath) {
    const std::string sp = "/nix/store/" + testing::fake_hash(1) + "-x";
    Plan plan;
    plan.add({sp, EntryKind::StorePath, sp, "", 0555, {}});
    plan.add({sp, EntryKind::StorePath, sp, "", 0555, {}});  // the same again: fine
    EXPECT_ERROR_CONTAINS(plan.add({sp + "/bin/sh", EntryKind::File, sp + "/bin/sh", "", 0555, {}}),
                          ClosureError, "is inside store path " + sp);
    Plan other;
    other.add({sp + "/bin", EntryKind::Symlink, sp + "/bin", "x", 0777, {}});
    EXPECT_ERROR_CONTAINS(other.add({sp, EntryKind::StorePath, sp, "", 0555, {}}), ClosureError,
                          "is inside store path " + sp);
    // A sibling whose name extends the store path's is not inside it.
    plan.add({sp + "-2", EntryKind::File, sp + "-2", "", 0444, {}});
    EXPECT_STREQ(to_string(EntryKind::StorePath), "store path");
}

TEST(NixRootfsWriter, CopiesWholeWithModesTimesSymlinksAndHardLinks) {
    FakeStore store;
    const std::string a = store.path(1, "a");
    const std::string b = store.path(2, "b");
    const std::string file = store.path(3, "file");
    const std::string link = store.path(4, "link");
    write_text(a + "/bin/prog", "#!/bin/sh\necho a\n");
    fs::permissions(a + "/bin/prog", fs::perms(0755));
    write_text(a + "/share/doc/README", "read me\n");
    fs::create_directories(a + "/empty");
    fs::create_symlink("prog", a + "/bin/alias");                 // relative, inside
    fs::create_symlink(b + "/lib/data", a + "/share/b-data");     // absolute, to another path
    fs::create_hard_link(a + "/bin/prog", a + "/bin/prog-hard");  // a hard link within a
    write_text(b + "/lib/data", "shared bytes\n");
    fs::create_hard_link(b + "/lib/data", a + "/share/optimised");  // across store paths
    write_text(file, "a single-file store path\n");
    fs::create_symlink(file, link);
    for (const auto& p : {a, b, file, link}) canonicalise(p);

    Plan plan;
    for (const auto& p : {a, b, file, link}) plan.add(store_entry(p));
    ScratchDir out;
    RootfsWriter writer(UniqueFd(open(out.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)));
    writer.write(plan);

    const fs::path root = out.path();
    auto in_rootfs = [&](const std::string& host) { return root / fs::path(host).relative_path(); };
    // Every node, with its type, mode, content and time.
    for (const auto& p : {a, b, file, link}) {
        std::vector<fs::path> nodes{p};
        if (fs::is_directory(fs::symlink_status(p)))
            for (const auto& e : fs::recursive_directory_iterator(p)) nodes.push_back(e.path());
        for (const auto& n : nodes) {
            const struct stat host = lstat_of(n);
            const struct stat copy = lstat_of(in_rootfs(n.string()));
            EXPECT_EQ(host.st_mode & S_IFMT, copy.st_mode & S_IFMT) << n;
            if (!S_ISLNK(host.st_mode)) {
                EXPECT_EQ(host.st_mode & 07777, copy.st_mode & 07777) << n;
            } else {
                EXPECT_EQ(fs::read_symlink(n), fs::read_symlink(in_rootfs(n.string()))) << n;
            }
            EXPECT_EQ(copy.st_mtim.tv_sec, 1) << n;
            if (S_ISREG(host.st_mode)) {
                EXPECT_EQ(read_text(n), read_text(in_rootfs(n.string())));
            }
        }
    }
    // Hard links stay hard links, within a store path and across two.
    EXPECT_EQ(lstat_of(in_rootfs(a + "/bin/prog")).st_ino,
              lstat_of(in_rootfs(a + "/bin/prog-hard")).st_ino);
    EXPECT_EQ(lstat_of(in_rootfs(b + "/lib/data")).st_ino,
              lstat_of(in_rootfs(a + "/share/optimised")).st_ino);
    EXPECT_NE(lstat_of(in_rootfs(a + "/bin/prog")).st_ino,
              lstat_of(in_rootfs(a + "/share/doc/README")).st_ino);
    EXPECT_TRUE(fs::is_directory(in_rootfs(a + "/empty")));
    EXPECT_EQ(read_text(in_rootfs(link)), "a single-file store path\n");
}

TEST(NixRootfsWriter, RefusesASymlinkPlantedOnTheWay) {
    // The store directory in the rootfs must be a real directory: a symlink there (planted by
    // an earlier plan entry or an attacker) is refused, never written through.
    FakeStore store;
    const std::string a = store.path(1, "a");
    write_text(a + "/x", "x");
    ScratchDir out, elsewhere;
    const fs::path store_in_rootfs = out.path() / fs::path(store.store_dir()).relative_path();
    fs::create_directories(store_in_rootfs.parent_path());
    fs::create_directory_symlink(elsewhere.path(), store_in_rootfs);
    Plan plan;
    plan.add(store_entry(a));
    RootfsWriter writer(UniqueFd(open(out.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)));
    EXPECT_THROW(writer.write(plan), SystemError);
    EXPECT_TRUE(fs::is_empty(elsewhere.path()));
}

}  // namespace
}  // namespace ocitools
