#include "image/layer_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/error.h"
#include "fs/unique_fd.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;
using Strings = std::vector<std::string>;

// One tar entry as libarchive's reader gives it back.
struct TarEntry {
    std::string name;
    mode_t type = 0;
    mode_t perm = 0;
    la_int64_t uid = -1, gid = -1;
    std::string uname, gname;  // empty: none
    time_t mtime = 0;
    long mtime_nsec = -1;
    bool atime = false, ctime = false;
    std::string hardlink, symlink;
    la_int64_t size = 0;
    std::string content;
};

std::vector<TarEntry> read_tar(const fs::path& blob) {
    std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_filename(a.get(), blob.c_str(), 10240) != ARCHIVE_OK)
        throw std::runtime_error(archive_error_string(a.get()));
    std::vector<TarEntry> out;
    archive_entry* entry;
    int rc;
    while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
        auto text = [](const char* s) { return std::string(s ? s : ""); };
        TarEntry e;
        e.name = archive_entry_pathname(entry);
        e.type = archive_entry_filetype(entry), e.perm = archive_entry_perm(entry);
        e.uid = archive_entry_uid(entry), e.gid = archive_entry_gid(entry);
        e.uname = text(archive_entry_uname(entry)), e.gname = text(archive_entry_gname(entry));
        e.mtime = archive_entry_mtime(entry), e.mtime_nsec = archive_entry_mtime_nsec(entry);
        e.atime = archive_entry_atime_is_set(entry), e.ctime = archive_entry_ctime_is_set(entry);
        e.hardlink = text(archive_entry_hardlink(entry));
        e.symlink = text(archive_entry_symlink(entry));
        e.size = archive_entry_size(entry);
        char buffer[4096];
        for (la_ssize_t n; (n = archive_read_data(a.get(), buffer, sizeof buffer)) > 0;)
            e.content.append(buffer, static_cast<size_t>(n));
        out.push_back(std::move(e));
    }
    if (rc != ARCHIVE_EOF) throw std::runtime_error(archive_error_string(a.get()));
    return out;
}

Strings names(const std::vector<TarEntry>& entries) {
    Strings out;
    for (const auto& e : entries) out.push_back(e.name);
    return out;
}

const TarEntry& named(const std::vector<TarEntry>& entries, const std::string& name) {
    for (const auto& e : entries)
        if (e.name == name) return e;
    throw std::runtime_error("no tar entry " + name);
}

// Names of the files in `dir` that look like a blob (64 hex digits).
Strings digest_named(const fs::path& dir) {
    Strings out;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string::npos)
            out.push_back(name);
    }
    return out;
}

class LayerWriterTest : public ::testing::Test {
  protected:
    LayerWriterTest() {
        fs::create_directories(dir / "blobs");
        blobs.reset(open((dir / "blobs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!blobs) std::abort();
    }

    // A regular file in the scratch directory, as a source.
    std::string source(const std::string& name, const std::string& text) {
        write_text(dir / "src" / name, text);
        return (dir / "src" / name).string();
    }

    // Write the layer of every entry of `plan`, in plan order.
    LayerBlob write(const Plan& plan, const LayerSettings& settings = {}) {
        Layer layer;
        layer.entries = plan.sorted();
        return write_layer(layer, blobs.get(), (dir / "blobs").string(), settings);
    }

    fs::path blob_file(const LayerBlob& blob) const {
        return dir / "blobs" / blob.digest.substr(7);
    }

    ScratchDir dir;
    UniqueFd blobs;
};

TEST_F(LayerWriterTest, BlobIsNamedByItsDigest) {
    Plan plan;
    plan.add({"/a", EntryKind::File, source("a", "hello\n"), "", 0644, {}});
    for (Compression c : {Compression::Gzip, Compression::None}) {
        LayerSettings settings;
        settings.compression = c;
        const LayerBlob blob = write(plan, settings);
        ASSERT_EQ(blob.digest.substr(0, 7), "sha256:");
        const fs::path file = blob_file(blob);
        ASSERT_TRUE(fs::is_regular_file(file)) << file;
        const std::string bytes = read_text(file);
        EXPECT_EQ(Sha256::of(bytes), blob.digest);
        EXPECT_EQ(blob.size, bytes.size());
        EXPECT_EQ(read_tar(file).at(0).content, "hello\n");
        if (c == Compression::None) {
            EXPECT_EQ(blob.diff_id, blob.digest);
            EXPECT_EQ(bytes.size() % 512, 0u);  // a tar: whole records
        } else {
            EXPECT_NE(blob.diff_id, blob.digest);
        }
    }
    // Nothing else is left beside the two blobs: no temporary file.
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir / "blobs")) {
        ++files;
        EXPECT_EQ(e.path().filename().string().size(), 64u) << e.path();
    }
    EXPECT_EQ(files, 2u);
}

TEST_F(LayerWriterTest, SameLayerSameBytes) {
    Plan plan;
    plan.add({"/etc", EntryKind::Directory, "/etc", "", 0755, {100, 0}});
    plan.add({"/etc/a", EntryKind::File, source("a", "x"), "", 0644, {200, 5}});
    const LayerBlob first = write(plan);
    const std::string bytes = read_text(blob_file(first));
    ::utimensat(AT_FDCWD, (dir / "src/a").c_str(), nullptr, 0);  // the source's own time: unused
    const LayerBlob second = write(plan);
    EXPECT_EQ(first.digest, second.digest);
    EXPECT_EQ(first.diff_id, second.diff_id);
    EXPECT_TRUE(read_text(blob_file(second)) == bytes);
}

// Names relative to "/", in plan order ("/usr/bin-x" between "/usr/bin" and "/usr/bin/sh"); owner
// 0:0 without names; the plan's modes; whole seconds no later than max_mtime (and not before the
// epoch); no atime or ctime.
TEST_F(LayerWriterTest, HeadersDependOnlyOnThePlan) {
    Plan plan;
    plan.add({"/", EntryKind::Directory, "/", "", 0755, {50, 0}});
    plan.add({"/usr", EntryKind::Directory, "/usr", "", 0755, {5000, 123}});
    plan.add({"/usr/bin", EntryKind::Directory, "/usr/bin", "", 0750, {-20, 0}});
    plan.add({"/usr/bin/su", EntryKind::File, source("su", "setuid\n"), "", 04755, {3000, 999}});
    plan.add({"/usr/bin/sh", EntryKind::Symlink, "/usr/bin/sh", "dash", 0777, {9000, 1}});
    plan.add({"/tmp", EntryKind::Directory, "/tmp", "", 01777, {0, 0}});
    plan.add({"/usr/bin-x", EntryKind::File, source("bin-x", ""), "", 0600, {4000, 0}});
    // Sources owned by someone else (when the test can arrange it): the tar still says 0:0.
    if (geteuid() == 0) {
        ASSERT_EQ(::chown((dir / "src/su").c_str(), 1234, 4321), 0);
    }
    LayerSettings settings;
    settings.max_mtime = 4000;
    settings.compression = Compression::None;
    const LayerBlob blob = write(plan, settings);
    const auto entries = read_tar(blob_file(blob));
    EXPECT_EQ(names(entries),
              (Strings{"tmp/", "usr/", "usr/bin/", "usr/bin-x", "usr/bin/sh", "usr/bin/su"}));
    for (const auto& e : entries) {
        EXPECT_EQ(e.uid, 0) << e.name;
        EXPECT_EQ(e.gid, 0) << e.name;
        EXPECT_EQ(e.uname, "") << e.name;
        EXPECT_EQ(e.gname, "") << e.name;
        EXPECT_EQ(e.mtime_nsec, 0) << e.name;
        EXPECT_FALSE(e.atime) << e.name;
        EXPECT_FALSE(e.ctime) << e.name;
        EXPECT_LE(e.mtime, 4000) << e.name;
    }
    EXPECT_EQ(named(entries, "usr/").mtime, 4000);   // 5000 clamped
    EXPECT_EQ(named(entries, "usr/bin/").mtime, 0);  // before the epoch: the epoch
    EXPECT_EQ(named(entries, "usr/bin/su").mtime, 3000);
    EXPECT_EQ(named(entries, "usr/bin/sh").mtime, 4000);
    EXPECT_EQ(named(entries, "usr/bin-x").mtime, 4000);
    EXPECT_EQ(named(entries, "usr/bin/").perm, 0750u);
    EXPECT_EQ(named(entries, "tmp/").perm, 01777u);
    EXPECT_EQ(named(entries, "usr/bin/su").perm, 04755u);
    EXPECT_EQ(named(entries, "usr/bin/su").type, AE_IFREG);
    EXPECT_EQ(named(entries, "usr/bin/su").content, "setuid\n");
    EXPECT_EQ(named(entries, "usr/bin/sh").type, AE_IFLNK);
    EXPECT_EQ(named(entries, "usr/bin/sh").symlink, "dash");
    EXPECT_EQ(named(entries, "usr/bin-x").perm, 0600u);
    EXPECT_EQ(named(entries, "usr/bin-x").size, 0);
    // Plain ustar headers: nothing here needs a pax record.
    EXPECT_EQ(read_text(blob_file(blob)).find("PaxHeader"), std::string::npos);

    // Without max_mtime, the plan's own seconds.
    const auto unclamped = read_tar(blob_file(write(plan)));
    EXPECT_EQ(named(unclamped, "usr/").mtime, 5000);
    EXPECT_EQ(named(unclamped, "usr/bin/sh").mtime, 9000);
    EXPECT_EQ(named(unclamped, "usr/bin/su").mtime_nsec, 0);
}

// Two names of one file in a layer: the file once, then a hard link to its first name.
TEST_F(LayerWriterTest, HardLinksWithinTheLayer) {
    const std::string one = source("one", "linked content");
    const std::string two = (dir / "src/two").string();
    ASSERT_EQ(::link(one.c_str(), two.c_str()), 0);
    const std::string other = source("other", "linked content");  // equal, not linked
    Plan plan;
    plan.add({"/x", EntryKind::Directory, "/x", "", 0755, {}});
    plan.add({"/x/a", EntryKind::File, one, "", 0755, {}});
    plan.add({"/x/b", EntryKind::File, two, "", 0755, {}});
    plan.add({"/x/c", EntryKind::File, other, "", 0755, {}});
    plan.add({"/x/d", EntryKind::File, one, "", 0755, {}});
    const auto entries = read_tar(blob_file(write(plan)));
    ASSERT_EQ(names(entries), (Strings{"x/", "x/a", "x/b", "x/c", "x/d"}));
    EXPECT_EQ(entries[1].hardlink, "");
    EXPECT_EQ(entries[1].content, "linked content");
    EXPECT_EQ(entries[2].hardlink, "x/a");
    EXPECT_EQ(entries[2].content, "");
    EXPECT_EQ(entries[3].hardlink, "");
    EXPECT_EQ(entries[3].content, "linked content");
    EXPECT_EQ(entries[4].hardlink, "x/a");
}

TEST_F(LayerWriterTest, GeneratedFiles) {
    Plan plan;
    plan.add({"/etc", EntryKind::Directory, "/etc", "", 0755, {}});
    plan.add({"/etc/passwd", EntryKind::File, "", "", 0644, {7, 0}});
    const std::map<std::string, std::string> generated = {
        {"/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"}, {"/etc/other", "unused"}};
    LayerSettings settings;
    settings.generated = &generated;
    const auto entries = read_tar(blob_file(write(plan, settings)));
    ASSERT_EQ(names(entries), (Strings{"etc/", "etc/passwd"}));
    EXPECT_EQ(entries[1].content, "root:x:0:0:root:/root:/bin/sh\n");
    EXPECT_EQ(entries[1].size, 30);
    EXPECT_EQ(entries[1].perm, 0644u);
    EXPECT_EQ(entries[1].mtime, 7);

    // A generated file without content is the caller's mistake.
    Plan missing;
    missing.add({"/etc/group", EntryKind::File, "", "", 0644, {}});
    EXPECT_THROW(write(missing, settings), std::logic_error);
    EXPECT_THROW(write(missing), std::logic_error);
}

// A store path is written whole from the disk: depth first, names sorted, its own modes and
// times (clamped), symlinks as they are, hard links as tar hard links; a FIFO in it is skipped.
TEST_F(LayerWriterTest, StorePathTreeWholeAndSorted) {
    const fs::path tree = dir / "store/0c7gp6q4c5mbxmxfqkjdi6jx0y2c8cqz-pkg";
    // Created out of order: readdir's order must not matter.
    write_text(tree / "zz", "z");
    write_text(tree / "b", "b");
    write_text(tree / "a-b", "a-b");
    write_text(tree / "a/x", "x");
    fs::create_symlink("../b", tree / "a/y");
    ASSERT_EQ(::mkfifo((tree / "fifo").c_str(), 0644), 0);
    fs::permissions(tree / "a/x", fs::perms(0555));
    fs::create_hard_link(tree / "b", tree / "zz-hard");
    const std::string single = source("0c7gp6q4c5mbxmxfqkjdi6jx0y2c8cqz-single", "one file");
    Plan plan;
    const std::string store = "/nix/store/";
    plan.add({"/nix", EntryKind::Directory, "/nix", "", 0755, {}});
    plan.add({"/nix/store", EntryKind::Directory, "/nix/store", "", 01775, {}});
    plan.add({store + tree.filename().string(), EntryKind::StorePath, tree.string(), "", 0, {}});
    plan.add(
        {store + fs::path(single).filename().string(), EntryKind::StorePath, single, "", 0, {}});
    LayerSettings settings;
    settings.max_mtime = 100;
    const auto entries = read_tar(blob_file(write(plan, settings)));
    const std::string p = "nix/store/" + tree.filename().string();
    EXPECT_EQ(names(entries), (Strings{"nix/", "nix/store/", p + "/", p + "/a/", p + "/a/x",
                                       p + "/a/y", p + "/a-b", p + "/b", p + "/zz", p + "/zz-hard",
                                       "nix/store/0c7gp6q4c5mbxmxfqkjdi6jx0y2c8cqz-single"}));
    for (const auto& e : entries) {
        // The store path's own times (now) clamped; the plan's directories keep theirs (0).
        EXPECT_EQ(e.mtime, e.name.starts_with("nix/store/0") ? 100 : 0) << e.name;
        EXPECT_EQ(e.uid, 0) << e.name;
    }
    EXPECT_EQ(named(entries, p + "/a/x").perm, 0555u);
    EXPECT_EQ(named(entries, p + "/a/x").content, "x");
    EXPECT_EQ(named(entries, p + "/a/y").symlink, "../b");
    EXPECT_EQ(named(entries, p + "/zz").content, "z");
    EXPECT_EQ(named(entries, p + "/zz-hard").hardlink, p + "/b");  // linked inside the store path
    EXPECT_EQ(named(entries, "nix/store/0c7gp6q4c5mbxmxfqkjdi6jx0y2c8cqz-single").content,
              "one file");
    EXPECT_EQ(named(entries, "nix/store/").perm, 01775u);
}

// A source that is no longer a regular file when the layer is written: an error naming it,
// and no blob named by a digest.
TEST_F(LayerWriterTest, SourceThatIsNoLongerARegularFile) {
    for (const std::string kind : {"directory", "fifo"}) {
        const std::string path = source("swapped-" + kind, "was a file");
        Plan plan;
        plan.add({"/a", EntryKind::File, source("a", "fine"), "", 0644, {}});
        plan.add({"/b", EntryKind::File, path, "", 0644, {}});
        fs::remove(path);
        if (kind == "directory")
            fs::create_directories(path);
        else
            ASSERT_EQ(::mkfifo(path.c_str(), 0644), 0);
        EXPECT_ERROR_CONTAINS(write(plan), ClosureError, path + " is no longer a regular file");
        EXPECT_TRUE(digest_named(dir / "blobs").empty()) << kind;
    }
    // A symlink in its place is not followed.
    const std::string link = source("swapped-link", "was a file");
    Plan plan;
    plan.add({"/c", EntryKind::File, link, "", 0644, {}});
    fs::remove(link);
    fs::create_symlink("/etc/passwd", link);
    EXPECT_ERROR_CONTAINS(write(plan), SystemError, "cannot open " + link);
    // A source that is gone.
    Plan gone;
    gone.add({"/d", EntryKind::File, (dir / "src/never").string(), "", 0644, {}});
    EXPECT_ERROR_CONTAINS(write(gone), SystemError, (dir / "src/never").string());
    EXPECT_TRUE(digest_named(dir / "blobs").empty());
}

// A source replaced since the closure saw it (another file renamed over it, or a directory on
// its path swapped for a symlink) is refused, not written into the layer.
TEST_F(LayerWriterTest, SourceThatIsNotTheFileTheClosureSaw) {
    auto seen = [](const std::string& path, const std::string& in_image) {
        struct stat st {};
        EXPECT_EQ(lstat(path.c_str(), &st), 0);
        return PlanEntry{.path = in_image, .kind = EntryKind::File, .source = path,
                         .link_target = {}, .mode = st.st_mode & 07777, .mtime = st.st_mtim,
                         .dev = st.st_dev, .ino = st.st_ino};
    };
    Plan plan;
    plan.add(seen(source("a", "the closure's"), "/a"));
    fs::rename(source("other", "someone else's"), dir / "src/a");
    EXPECT_ERROR_CONTAINS(write(plan), ClosureError,
                          (dir / "src/a").string() + " is not the file the closure saw");

    Plan nested;
    nested.add(seen(source("d/b", "the closure's"), "/b"));
    write_text(dir / "private/b", "root's own");
    fs::rename(dir / "src/d", dir / "src/d-was");
    fs::create_directory_symlink(dir / "private", dir / "src/d");
    EXPECT_ERROR_CONTAINS(write(nested), ClosureError,
                          (dir / "src/d").string() + ": a symlink is on its path now");
    EXPECT_TRUE(digest_named(dir / "blobs").empty());
}

}  // namespace
}  // namespace ocitools
