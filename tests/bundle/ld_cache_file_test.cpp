#include "bundle/ld_cache_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "closure/elf/ldcache.h"
#include "closure/elf/ldcache_writer.h"
#include "test_support.h"

namespace ocitools {
namespace {

namespace fs = std::filesystem;

LdCacheEntry entry(std::string soname, std::string path,
                   std::optional<std::string> subdir = std::nullopt) {
    LdCacheEntry e;
    e.soname = std::move(soname);
    e.path = std::move(path);
    e.flags = ldcache_flag::kElfLibc6 | ldcache_flag::kX8664Lib64;
    e.hwcaps_subdir = std::move(subdir);
    return e;
}

void file(Plan& plan, const std::string& path) {
    plan.add({path, EntryKind::File, path, "", 0644, {}});
}
void symlink(Plan& plan, const std::string& path, const std::string& target) {
    plan.add({path, EntryKind::Symlink, path, target, 0777, {}});
}

class RootfsLdCache : public ::testing::Test {
  protected:
    void SetUp() override {
        host_ = fs::temp_directory_path() / ("host-ld.so.cache-" + std::to_string(::getpid()));
        host_entries_ = {
            entry("libz.so.1", "/lib/x/libz.so.1"),
            entry("libv.so.1", "/usr/local/lib/glibc-hwcaps/x86-64-v3/libv.so.1", "x86-64-v3"),
            entry("libv.so.1", "/usr/local/lib/libv.so.1"),
            entry("libp.so", "/opt/p/libp.so"),
            entry("libc.so.6", "/lib/x/libc.so.6"),
        };
        testing::write_text(host_, serialize_ld_cache(host_entries_, "host"));
    }
    void TearDown() override { fs::remove(host_); }

    std::vector<LdCacheEntry> written(const Plan& plan) {
        const auto bytes = rootfs_ld_cache(plan, host_);
        if (!bytes) return {};
        return LdCache::parse(std::as_bytes(std::span(bytes->data(), bytes->size())), "rootfs")
            .entries();
    }

    fs::path host_;
    std::vector<LdCacheEntry> host_entries_;
};

TEST_F(RootfsLdCache, ListsTheHostEntriesOfTheLibrariesHeld) {
    Plan plan;
    symlink(plan, "/lib", "usr/lib");  // merged /usr: the cache names /lib/x/...
    symlink(plan, "/usr/lib/x/libz.so.1", "libz.so.1.2.13");
    file(plan, "/usr/lib/x/libz.so.1.2.13");
    file(plan, "/usr/local/lib/glibc-hwcaps/x86-64-v3/libv.so.1");
    file(plan, "/usr/local/lib/libv.so.1");
    file(plan, "/usr/lib/x/libc.so.6");
    // /opt/p/libp.so is not held.
    const auto entries = written(plan);
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(entries[0].path, "/lib/x/libz.so.1");
    EXPECT_EQ(entries[1].hwcaps_subdir, "x86-64-v3");
    EXPECT_EQ(entries[1].path, host_entries_[1].path);
    EXPECT_EQ(entries[2].path, "/usr/local/lib/libv.so.1");
    EXPECT_EQ(entries[3].path, "/lib/x/libc.so.6");
    for (const auto& e : entries) EXPECT_EQ(e.flags, host_entries_[0].flags);
}

TEST_F(RootfsLdCache, NoneWhenNothingHeldOrTheClosureBringsOne) {
    Plan empty;
    EXPECT_EQ(rootfs_ld_cache(empty, host_), std::nullopt);
    Plan nix;  // a Nix closure: store paths only
    nix.add({"/nix/store/h-glibc", EntryKind::StorePath, "/nix/store/h-glibc", "", 0555, {}});
    EXPECT_EQ(rootfs_ld_cache(nix, host_), std::nullopt);
    Plan dangling;  // a symlink to a library the plan lacks holds nothing
    symlink(dangling, "/opt/p/libp.so", "libp.so.1");
    EXPECT_EQ(rootfs_ld_cache(dangling, host_), std::nullopt);

    Plan own;
    file(own, "/opt/p/libp.so");
    ASSERT_NE(rootfs_ld_cache(own, host_), std::nullopt);
    file(own, "/etc/ld.so.cache");
    EXPECT_EQ(rootfs_ld_cache(own, host_), std::nullopt);
    Plan own_link;  // even through a symlink
    file(own_link, "/opt/p/libp.so");
    symlink(own_link, "/etc", "private/etc");
    file(own_link, "/private/etc/ld.so.cache");
    EXPECT_EQ(rootfs_ld_cache(own_link, host_), std::nullopt);

    EXPECT_EQ(rootfs_ld_cache(own, host_.string() + ".missing"), std::nullopt);
}

TEST_F(RootfsLdCache, SameClosureSameBytes) {
    Plan plan;
    file(plan, "/opt/p/libp.so");
    file(plan, "/usr/local/lib/libv.so.1");
    EXPECT_EQ(rootfs_ld_cache(plan, host_), rootfs_ld_cache(plan, host_));
    EXPECT_EQ(written(plan).size(), 2u);
}

}  // namespace
}  // namespace ocitools
