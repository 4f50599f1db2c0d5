#include "closure/elf/ldcache_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "closure/elf/ldcache.h"
#include "test_support.h"

namespace ocitools {
namespace {

namespace flag = ldcache_flag;
using namespace ocitools::testing;

constexpr std::int32_t kX8664 = flag::kElfLibc6 | flag::kX8664Lib64;

LdCache parse(const std::string& bytes) {
    return LdCache::parse(std::as_bytes(std::span(bytes.data(), bytes.size())), "written");
}

LdCacheEntry entry(std::string soname, std::string path, std::int32_t flags = kX8664) {
    LdCacheEntry e;
    e.soname = std::move(soname);
    e.path = std::move(path);
    e.flags = flags;
    return e;
}

LdCacheEntry hwcaps_entry(std::string soname, std::string path, std::string subdir,
                          std::uint32_t isa_level) {
    LdCacheEntry e = entry(std::move(soname), std::move(path));
    e.hwcaps_subdir = std::move(subdir);
    e.isa_level = isa_level;
    return e;
}

// In the order ldconfig would write them (checked against ldconfig below).
std::vector<LdCacheEntry> sorted_sample() {
    std::vector<LdCacheEntry> out = {
        entry("libz.so.1", "/usr/lib/libz.so.1"),
        hwcaps_entry("libfoo.so.10", "/l/glibc-hwcaps/x86-64-v3/libfoo.so.10", "x86-64-v3", 3),
        hwcaps_entry("libfoo.so.10", "/l/glibc-hwcaps/x86-64-v4/libfoo.so.10", "x86-64-v4", 4),
        entry("libfoo.so.10", "/l/tls/x86_64/libfoo.so.10"),
        entry("libfoo.so.10", "/l/tls/libfoo.so.10"),
        entry("libfoo.so.10", "/l/libfoo.so.10"),
        entry("libfoo.so.10", "/usr/local/lib/libfoo.so.10"),
        entry("libfoo.so.10", "/lib32/libfoo.so.10", flag::kElfLibc6),
        entry("libfoo.so.9", "/l/libfoo.so.9"),
        entry("libfoo.so", "/l/libfoo.so"),
        entry("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"),
        entry("ld-linux.so.2", "/lib/ld-linux.so.2", flag::kElf),
    };
    out[3].hwcap = (std::uint64_t{1} << 63) | 2;  // legacy tls + platform bits: most specific
    out[4].hwcap = std::uint64_t{1} << 63;
    out[5].osversion = 0x030200;  // Linux 3.2.0: before the same entry without one
    return out;
}

// What parsing gives back for written entries: a glibc-hwcaps entry's raw field holds the index
// of its subdirectory in the written cache.
std::vector<LdCacheEntry> as_written(std::vector<LdCacheEntry> entries) {
    std::vector<std::string> subdirs;
    for (const auto& e : entries)
        if (e.hwcaps_subdir) subdirs.push_back(*e.hwcaps_subdir);
    std::sort(subdirs.begin(), subdirs.end());
    subdirs.erase(std::unique(subdirs.begin(), subdirs.end()), subdirs.end());
    for (auto& e : entries)
        if (e.hwcaps_subdir)
            e.hwcap =
                (std::uint64_t{1} << 62) | (std::uint64_t{e.isa_level} << 32) |
                static_cast<std::uint64_t>(
                    std::find(subdirs.begin(), subdirs.end(), *e.hwcaps_subdir) - subdirs.begin());
    return entries;
}

TEST(LdCacheWriter, NameCompareIsGlibcs) {
    EXPECT_GT(ld_cache_name_compare("libfoo.so.10", "libfoo.so.9"), 0);  // numbers by value
    EXPECT_LT(ld_cache_name_compare("libfoo.so.9", "libfoo.so.10"), 0);
    EXPECT_GT(ld_cache_name_compare("libz3.so", "libzstd.so"), 0);  // digits after letters
    EXPECT_LT(ld_cache_name_compare("libzstd.so", "libz3.so"), 0);
    EXPECT_LT(ld_cache_name_compare("libc.so", "libc.so.6"), 0);  // a prefix first
    EXPECT_GT(ld_cache_name_compare("libc.so.6", "libc.so"), 0);
    EXPECT_GT(ld_cache_name_compare("lib1", "lib"), 0);
    EXPECT_LT(ld_cache_name_compare("lib", "lib1"), 0);
    EXPECT_EQ(ld_cache_name_compare("libx.so.01", "libx.so.1"), 0);  // leading zeros: same value
    EXPECT_EQ(ld_cache_name_compare("libx.so", "libx.so"), 0);
    EXPECT_LT(ld_cache_name_compare("liba.so", "libb.so"), 0);
    EXPECT_GT(ld_cache_name_compare("lib99999999999999999999", "lib9999999999"), 0);
}

TEST(LdCacheWriter, RoundTripSortsAsLdconfig) {
    const std::vector<LdCacheEntry> sorted = sorted_sample();
    std::vector<LdCacheEntry> shuffled = sorted;
    std::mt19937 random(7);
    for (int round = 0; round < 20; ++round) {
        std::shuffle(shuffled.begin(), shuffled.end(), random);
        const std::string bytes = serialize_ld_cache(shuffled, "ocitools test");
        const LdCache cache = parse(bytes);
        EXPECT_EQ(cache.generator(), "ocitools test");
        EXPECT_EQ(cache.entries(), as_written(sorted));
        // Writing what was read gives the same bytes.
        EXPECT_EQ(serialize_ld_cache(cache.entries(), "ocitools test"), bytes);
    }
}

// Entries ldconfig cannot tell apart (one soname in two directories) keep their order: ldconfig
// keeps its directories' order, and ld.so takes the first.
TEST(LdCacheWriter, TiesKeepTheirOrder) {
    const LdCacheEntry a = entry("libx.so.1", "/usr/local/lib/libx.so.1");
    const LdCacheEntry b = entry("libx.so.1", "/usr/lib/libx.so.1");
    EXPECT_EQ(parse(serialize_ld_cache({a, b}, "g")).entries(), (std::vector{a, b}));
    EXPECT_EQ(parse(serialize_ld_cache({b, a}, "g")).entries(), (std::vector{b, a}));
}

TEST(LdCacheWriter, SameEntriesSameBytes) {
    const std::string a = serialize_ld_cache(sorted_sample(), "g");
    const std::string b = serialize_ld_cache(sorted_sample(), "g");
    EXPECT_EQ(a, b);
    EXPECT_NE(serialize_ld_cache({}, "g"), a);
    EXPECT_TRUE(parse(serialize_ld_cache({}, "g")).entries().empty());
}

TEST(LdCacheWriter, RefusesWhatCannotBeWritten) {
    std::vector<LdCacheEntry> bad = {entry(std::string("lib\0x.so", 8), "/l/x")};
    EXPECT_ERROR_CONTAINS((void)serialize_ld_cache(bad, "g"), FormatError, "a NUL byte");
    bad = {hwcaps_entry("libx.so", "/l/x", "x86-64-v3", 1024)};
    EXPECT_ERROR_CONTAINS((void)serialize_ld_cache(bad, "g"), FormatError, "ISA level 1024");
    bad = {entry("libx.so", "/l/x")};
    bad[0].hwcap = std::uint64_t{1} << 62;
    EXPECT_ERROR_CONTAINS((void)serialize_ld_cache(bad, "g"), FormatError,
                          "glibc-hwcaps hwcap field but no subdirectory");
}

// ---------------------------------------------------------------------------------------------
// Against glibc's own ldconfig: a cache it writes (with glibc-hwcaps, legacy hwcap and tied
// entries), written again by us, lists the same; a subset lists exactly that subset.

class LdCacheWriterLdconfig : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::access("/sbin/ldconfig", X_OK) != 0) GTEST_SKIP() << "no /sbin/ldconfig";
        const fs::path libz = "/lib/x86_64-linux-gnu/libz.so.1";
        if (!fs::exists(libz)) GTEST_SKIP() << "no " << libz;
        dir_ = fs::temp_directory_path() / ("ldcache-writer-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        for (const char* sub :
             {"lib", "lib/glibc-hwcaps/x86-64-v3", "lib/tls", "lib/x86_64", "lib2"}) {
            fs::create_directories(dir_ / sub);
            fs::copy_file(fs::canonical(libz), dir_ / sub / "libz.so.1");
        }
        write_text(dir_ / "conf", (dir_ / "lib").string() + "\n" + (dir_ / "lib2").string() + "\n");
        run_output("/sbin/ldconfig -i -X -C " + (dir_ / "theirs").string() + " -f " +
                   (dir_ / "conf").string());
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    // `ldconfig -p`'s entry lines.
    static std::vector<std::string> listed(const fs::path& cache) {
        std::istringstream out(run_output("LC_ALL=C /sbin/ldconfig -p -C " + cache.string()));
        std::vector<std::string> lines;
        for (std::string line; std::getline(out, line);)
            if (line.starts_with('\t')) lines.push_back(line);
        return lines;
    }
    void write(const fs::path& path, const std::string& bytes) { write_text(path, bytes); }

    fs::path dir_;
};

TEST_F(LdCacheWriterLdconfig, WrittenAgainListsTheSame) {
    const LdCache theirs = LdCache::load(dir_ / "theirs");
    const auto hwcaps = std::count_if(theirs.entries().begin(), theirs.entries().end(),
                                      [](const auto& e) { return e.hwcaps_subdir.has_value(); });
    const auto legacy =
        std::count_if(theirs.entries().begin(), theirs.entries().end(),
                      [](const auto& e) { return e.hwcap != 0 && !e.hwcaps_subdir; });
    ASSERT_EQ(hwcaps, 1);
    ASSERT_EQ(legacy, 2);
    // Shuffled first: the order is ours, not theirs kept.
    std::vector<LdCacheEntry> entries = theirs.entries();
    std::reverse(entries.begin(), entries.end());
    write(dir_ / "ours", serialize_ld_cache(entries, "ocitools"));
    const auto ours_lines = listed(dir_ / "ours"), their_lines = listed(dir_ / "theirs");
    // Entries with equal keys (libz.so.1 in lib, lib2 and the system's) are reversed: compare
    // those as sets, all else in order.
    ASSERT_EQ(ours_lines.size(), their_lines.size());
    for (std::size_t i = 0; i < ours_lines.size(); ++i) {
        if (ours_lines[i] == their_lines[i]) continue;
        EXPECT_NE(std::find(their_lines.begin(), their_lines.end(), ours_lines[i]),
                  their_lines.end());
        EXPECT_NE(ours_lines[i].find("libz.so.1 (libc6,x86-64) => "), std::string::npos)
            << ours_lines[i] << " vs " << their_lines[i];
    }
    // Unshuffled, the very same list.
    write(dir_ / "ours2", serialize_ld_cache(theirs.entries(), "ocitools"));
    EXPECT_EQ(listed(dir_ / "ours2"), their_lines);
    EXPECT_NE(run_output("LC_ALL=C /sbin/ldconfig -p -C " + (dir_ / "ours2").string())
                  .find("Cache generated by: ocitools\n"),
              std::string::npos);
}

TEST_F(LdCacheWriterLdconfig, ASubsetListsExactlyThat) {
    const LdCache theirs = LdCache::load(dir_ / "theirs");
    const auto their_lines = listed(dir_ / "theirs");
    std::vector<LdCacheEntry> subset;
    std::vector<std::string> expected;
    for (std::size_t i = 0; i < theirs.entries().size(); ++i) {
        const LdCacheEntry& e = theirs.entries()[i];
        if (i % 3 == 0 || e.path.starts_with(dir_.string())) {
            subset.push_back(e);
            expected.push_back(their_lines.at(i));
        }
    }
    write(dir_ / "ours", serialize_ld_cache(subset, "ocitools"));
    EXPECT_EQ(listed(dir_ / "ours"), expected);
}

}  // namespace
}  // namespace ocitools
