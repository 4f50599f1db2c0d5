#include "closure/elf/ldcache.h"

#include "closure/elf/elf.h"
#include "base/error.h"
#include "test_support.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <unistd.h>

#include <array>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace ocitools {
namespace {

namespace fs = std::filesystem;
namespace flag = ldcache_flag;

constexpr std::int32_t kX8664 = flag::kElfLibc6 | flag::kX8664Lib64;

// ---------------------------------------------------------------------------------------------
// A writer of synthetic caches laid out as glibc's ldconfig (elf/cache.c, save_cache) lays them.

class Bytes {
  public:
    explicit Bytes(bool big) : big_(big) {}
    std::size_t size() const { return data_.size(); }
    void text(std::string_view s) {
        for (char c : s) data_.push_back(static_cast<std::byte>(c));
    }
    void uint(std::uint64_t value, int size) {
        for (int i = 0; i < size; ++i) {
            const int shift = big_ ? 8 * (size - 1 - i) : 8 * i;
            data_.push_back(static_cast<std::byte>((value >> shift) & 0xff));
        }
    }
    void u32(std::uint32_t value) { uint(value, 4); }
    void pad_to(std::size_t alignment) {
        while (data_.size() % alignment != 0) data_.push_back(std::byte{0});
    }
    void patch_u32(std::size_t offset, std::uint32_t value) {
        for (int i = 0; i < 4; ++i) {
            const int shift = big_ ? 8 * (3 - i) : 8 * i;
            data_.at(offset + i) = static_cast<std::byte>((value >> shift) & 0xff);
        }
    }
    std::vector<std::byte>& data() { return data_; }

  private:
    bool big_;
    std::vector<std::byte> data_;
};

struct SpecEntry {
    std::string soname;
    std::string path;
    std::int32_t flags = kX8664;
    std::optional<std::string> hwcaps;  // glibc-hwcaps subdirectory
    std::uint32_t isa_level = 0;
};

enum class Layout { New, Compat, Old };

struct CacheSpec {
    Layout layout = Layout::New;
    bool big = false;
    std::uint8_t endian_flag = 2;  // 0 unset, 1 invalid, 2 little, 3 big
    std::vector<SpecEntry> entries;
    std::optional<std::string> generator = "ldconfig (test) release version 0";
};

// Offsets inside the built image that tests corrupt.
struct CacheImage {
    std::vector<std::byte> bytes;
    std::size_t new_header = 0;  // offset of the new-format header
    std::size_t first_entry = 0;
    std::size_t extension = 0;
    std::size_t hwcaps_array = 0;
};

CacheImage build_cache(const CacheSpec& spec) {
    // String table: sonames, paths, hwcaps names (each once), offsets relative to its start.
    std::string strings;
    auto add = [&](const std::string& s) {
        const auto at = static_cast<std::uint32_t>(strings.size());
        strings += s;
        strings += '\0';
        return at;
    };
    std::vector<std::string> hwcaps_names;
    for (const auto& e : spec.entries) {
        if (e.hwcaps &&
            std::find(hwcaps_names.begin(), hwcaps_names.end(), *e.hwcaps) == hwcaps_names.end()) {
            hwcaps_names.push_back(*e.hwcaps);
        }
    }
    std::sort(hwcaps_names.begin(), hwcaps_names.end());
    std::vector<std::pair<std::uint32_t, std::uint32_t>> keys;
    for (const auto& e : spec.entries) {
        const std::uint32_t soname = add(e.soname);  // the soname first, then the path
        keys.emplace_back(soname, add(e.path));
    }
    std::vector<std::uint32_t> hwcaps_strings;
    for (const auto& n : hwcaps_names) hwcaps_strings.push_back(add(n));

    const std::size_t n = spec.entries.size();
    CacheImage img;
    Bytes out(spec.big);
    if (spec.layout == Layout::Old) {
        out.text("ld.so-1.7.0");
        out.pad_to(4);
        out.u32(static_cast<std::uint32_t>(n));
        for (std::size_t i = 0; i < n; ++i) {
            out.u32(static_cast<std::uint32_t>(spec.entries[i].flags));
            out.u32(keys[i].first);
            out.u32(keys[i].second);
        }
        out.text(strings);
        img.bytes = std::move(out.data());
        return img;
    }

    const std::uint32_t new_size = static_cast<std::uint32_t>(48 + 24 * n);
    if (spec.layout == Layout::Compat) {
        // ldconfig duplicates the last old entry to get an even count (so the new header is
        // 8-aligned), and offsets old strings by the new header's size.
        const std::size_t old_n = n == 0 ? 0 : (n + 1) & ~std::size_t{1};
        out.text("ld.so-1.7.0");
        out.pad_to(4);
        out.u32(static_cast<std::uint32_t>(old_n));
        for (std::size_t i = 0; i < old_n; ++i) {
            const std::size_t j = i < n ? i : n - 1;
            out.u32(static_cast<std::uint32_t>(spec.entries[j].flags));
            out.u32(new_size + keys[j].first);
            out.u32(new_size + keys[j].second);
        }
        out.pad_to(8);
    }
    img.new_header = out.size();
    out.text("glibc-ld.so.cache");
    out.text("1.1");
    out.u32(static_cast<std::uint32_t>(n));
    out.u32(static_cast<std::uint32_t>(strings.size()));
    out.uint(spec.endian_flag, 1);
    out.uint(0, 3);
    const std::size_t extension_field = out.size();
    out.u32(0);                              // extension_offset, patched below
    for (int i = 0; i < 3; ++i) out.u32(0);  // unused[3]
    img.first_entry = out.size();
    for (std::size_t i = 0; i < n; ++i) {
        const SpecEntry& e = spec.entries[i];
        out.u32(static_cast<std::uint32_t>(e.flags));
        out.u32(new_size + keys[i].first);
        out.u32(new_size + keys[i].second);
        out.u32(0);  // osversion
        std::uint64_t hwcap = 0;
        if (e.hwcaps) {
            const auto index = std::find(hwcaps_names.begin(), hwcaps_names.end(), *e.hwcaps) -
                               hwcaps_names.begin();
            hwcap = (std::uint64_t{1} << 62) | (std::uint64_t{e.isa_level} << 32) |
                    static_cast<std::uint64_t>(index);
        }
        out.uint(hwcap, 8);
    }
    out.text(strings);
    if (spec.generator || !hwcaps_names.empty()) {
        out.pad_to(4);
        img.extension = out.size();
        out.patch_u32(extension_field, static_cast<std::uint32_t>(img.extension));
        const std::uint32_t count = (spec.generator ? 1 : 0) + (hwcaps_names.empty() ? 0 : 1);
        out.u32(0xeaa42174);
        out.u32(count);
        const std::size_t data = out.size() + 16 * count;
        const std::uint32_t hwcaps_size = static_cast<std::uint32_t>(4 * hwcaps_names.size());
        if (!hwcaps_names.empty()) {
            out.u32(1);
            out.u32(0);
            out.u32(static_cast<std::uint32_t>(data));
            out.u32(hwcaps_size);
        }
        if (spec.generator) {
            out.u32(0);
            out.u32(0);
            out.u32(static_cast<std::uint32_t>(data + hwcaps_size));
            out.u32(static_cast<std::uint32_t>(spec.generator->size()));
        }
        img.hwcaps_array = out.size();
        for (std::uint32_t s : hwcaps_strings) out.u32(new_size + s);
        if (spec.generator) out.text(*spec.generator);
    }
    img.bytes = std::move(out.data());
    return img;
}

CacheSpec sample_spec() {
    CacheSpec spec;
    spec.entries = {
        {"libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1", kX8664, {}, 0},
        {"libfoo.so.2", "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v4/libfoo.so.2", kX8664,
         "x86-64-v4", 4},
        {"libfoo.so.2", "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libfoo.so.2", kX8664,
         "x86-64-v3", 3},
        {"libfoo.so.2", "/usr/lib/x86_64-linux-gnu/libfoo.so.2", kX8664, {}, 0},
        {"libfoo.so.2", "/usr/lib/i386-linux-gnu/libfoo.so.2", flag::kElfLibc6, {}, 0},
        {"ld-linux.so.2", "/lib/ld-linux.so.2", flag::kElf, {}, 0},
    };
    return spec;
}

void expect_sample(const LdCache& cache, bool with_hwcaps) {
    const CacheSpec spec = sample_spec();
    ASSERT_EQ(cache.entries().size(), spec.entries.size());
    for (std::size_t i = 0; i < spec.entries.size(); ++i) {
        const LdCacheEntry& e = cache.entries()[i];
        EXPECT_EQ(e.soname, spec.entries[i].soname);
        EXPECT_EQ(e.path, spec.entries[i].path);
        EXPECT_EQ(e.flags, spec.entries[i].flags);
        if (with_hwcaps) {
            EXPECT_EQ(e.hwcaps_subdir, spec.entries[i].hwcaps);
            EXPECT_EQ(e.isa_level, spec.entries[i].isa_level);
        }
    }
}

template <typename F>
void expect_format_error(F&& f, const std::string& cause) {
    try {
        f();
        ADD_FAILURE() << "expected FormatError containing \"" << cause << "\"";
    } catch (const FormatError& e) {
        EXPECT_NE(std::string(e.what()).find(cause), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).rfind("/etc/test.cache: ", 0), 0u) << e.what();
    }
}

void expect_error(const std::vector<std::byte>& bytes, const std::string& cause) {
    expect_format_error([&] { (void)LdCache::parse(bytes, "/etc/test.cache"); }, cause);
}

void expect_every_prefix_safe(const std::vector<std::byte>& bytes) {
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
        // Each prefix in a buffer of its own, so ASan sees any read past it.
        const std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + n);
        try {
            (void)LdCache::parse(prefix, "prefix");
        } catch (const FormatError&) {
        } catch (const std::exception& e) {
            ADD_FAILURE() << "length " << n << ": unexpected exception " << e.what();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Synthetic caches

TEST(LdCacheSynthetic, NewFormatWithHwcaps) {
    const CacheImage img = build_cache(sample_spec());
    const LdCache cache = LdCache::parse(img.bytes, "test");
    expect_sample(cache, true);
    EXPECT_EQ(cache.generator(), "ldconfig (test) release version 0");
    const LdCacheEntry& v4 = cache.entries()[1];
    EXPECT_EQ(v4.hwcap, (std::uint64_t{1} << 62) | (std::uint64_t{4} << 32) | 1u);

    const auto foo = cache.find("libfoo.so.2");
    ASSERT_EQ(foo.size(), 4u);  // in cache order: hwcaps entries before the base entry
    EXPECT_EQ(foo[0]->hwcaps_subdir, "x86-64-v4");
    EXPECT_EQ(foo[1]->hwcaps_subdir, "x86-64-v3");
    EXPECT_EQ(foo[2]->path, "/usr/lib/x86_64-linux-gnu/libfoo.so.2");
    EXPECT_FALSE(foo[2]->hwcaps_subdir);
    EXPECT_EQ(cache.find("libz.so.1").size(), 1u);
    EXPECT_TRUE(cache.find("libz.so").empty());
    EXPECT_TRUE(cache.find("").empty());
}

TEST(LdCacheSynthetic, NewFormatBigEndianAndUnsetEndianness) {
    CacheSpec spec = sample_spec();
    spec.big = true;
    spec.endian_flag = 3;
    expect_sample(LdCache::parse(build_cache(spec).bytes, "big"), true);
    spec.endian_flag = 0;  // written by an ldconfig older than glibc 2.33: guessed
    expect_sample(LdCache::parse(build_cache(spec).bytes, "big-unset"), true);
    spec.big = false;
    expect_sample(LdCache::parse(build_cache(spec).bytes, "little-unset"), true);
}

TEST(LdCacheSynthetic, OldFormatWithNewAppended) {
    CacheSpec spec = sample_spec();
    spec.layout = Layout::Compat;
    const CacheImage img = build_cache(spec);
    ASSERT_EQ(img.new_header % 8, 0u);
    // The new-format part is the one read: it has the hwcaps entries.
    expect_sample(LdCache::parse(img.bytes, "compat"), true);

    // An odd old count and a 4-aligned new header, as some 32-bit ldconfig would write it.
    spec.entries.pop_back();
    CacheImage odd = build_cache(spec);
    // Rebuild by hand: drop the duplicated last old entry (12 bytes) and fix nlibs and offsets.
    std::vector<std::byte> bytes(odd.bytes.begin(), odd.bytes.begin() + 16);
    const std::size_t n = spec.entries.size();  // odd: 5
    ASSERT_EQ(n % 2, 1u);
    bytes.insert(bytes.end(), odd.bytes.begin() + 16, odd.bytes.begin() + 16 + 12 * n);
    bytes.insert(bytes.end(), odd.bytes.begin() + odd.new_header, odd.bytes.end());
    const std::size_t shift = odd.new_header - (16 + 12 * n);
    ASSERT_EQ(shift, 12u);  // the dropped entry; the new header is now only 4-aligned
    Bytes fix(false);
    fix.data() = std::move(bytes);
    fix.patch_u32(12, static_cast<std::uint32_t>(n));
    // Extension offsets are from the start of the file: move them all back by `shift`.
    const std::size_t ext = odd.extension - shift;
    fix.patch_u32(16 + 12 * n + 32, static_cast<std::uint32_t>(ext));
    for (std::size_t section = 0; section < 2; ++section) {
        const std::size_t field = ext + 8 + 16 * section + 8;
        const auto offset = std::to_integer<std::uint32_t>(fix.data()[field]) |
                            std::to_integer<std::uint32_t>(fix.data()[field + 1]) << 8;
        fix.patch_u32(field, static_cast<std::uint32_t>(offset - shift));
    }
    const LdCache cache = LdCache::parse(fix.data(), "compat-odd");
    ASSERT_EQ(cache.entries().size(), n);
    EXPECT_EQ(cache.entries()[1].hwcaps_subdir, "x86-64-v4");
    EXPECT_EQ(cache.entries()[4].path, "/usr/lib/i386-linux-gnu/libfoo.so.2");
}

TEST(LdCacheSynthetic, OldFormatOnly) {
    CacheSpec spec = sample_spec();
    spec.layout = Layout::Old;
    for (auto& e : spec.entries) e.hwcaps.reset();
    const LdCache cache = LdCache::parse(build_cache(spec).bytes, "old");
    expect_sample(cache, false);
    EXPECT_FALSE(cache.generator());
    for (const auto& e : cache.entries()) EXPECT_EQ(e.hwcap, 0u);
    spec.big = true;
    expect_sample(LdCache::parse(build_cache(spec).bytes, "old-big"), false);
}

TEST(LdCacheSynthetic, EmptyCaches) {
    CacheSpec spec;
    spec.generator.reset();
    EXPECT_TRUE(LdCache::parse(build_cache(spec).bytes, "e").entries().empty());
    spec.layout = Layout::Compat;
    EXPECT_TRUE(LdCache::parse(build_cache(spec).bytes, "e").entries().empty());
    spec.layout = Layout::Old;
    EXPECT_TRUE(LdCache::parse(build_cache(spec).bytes, "e").entries().empty());
}

TEST(LdCacheSynthetic, EveryPrefixIsAnErrorOrAParse) {
    for (Layout layout : {Layout::New, Layout::Compat, Layout::Old}) {
        for (bool big : {false, true}) {
            CacheSpec spec = sample_spec();
            spec.layout = layout;
            spec.big = big;
            spec.endian_flag = big ? 3 : 2;
            if (layout == Layout::Old) {
                for (auto& e : spec.entries) e.hwcaps.reset();
            }
            expect_every_prefix_safe(build_cache(spec).bytes);
        }
    }
}

TEST(LdCacheSynthetic, TruncatedNewFormatIsAnError) {
    const CacheImage img = build_cache(sample_spec());
    // Every strict prefix cuts the extension data or the strings: never silently accepted.
    for (std::size_t n = 0; n < img.bytes.size(); ++n) {
        const std::vector<std::byte> prefix(img.bytes.begin(), img.bytes.begin() + n);
        EXPECT_THROW((void)LdCache::parse(prefix, "prefix"), FormatError) << "length " << n;
    }
}

TEST(LdCacheSynthetic, SingleByteCorruptionsNeverCrash) {
    for (Layout layout : {Layout::New, Layout::Compat}) {
        CacheSpec spec = sample_spec();
        spec.layout = layout;
        const CacheImage img = build_cache(spec);
        const LdCache original = LdCache::parse(img.bytes, "original");
        size_t refused = 0;
        for (std::size_t i = 0; i < img.bytes.size(); ++i) {
            for (std::byte value :
                 {std::byte{0x00}, std::byte{0x03}, std::byte{0x80}, std::byte{0xff}}) {
                std::vector<std::byte> copy = img.bytes;
                copy[i] = value;
                try {
                    const LdCache cache = LdCache::parse(copy, "mutant");
                    // What parses is a consistent cache: no more entries than the bytes hold,
                    // strings from inside the image, and every entry found by its soname.
                    EXPECT_LE(cache.entries().size(), copy.size() / 12) << "byte " << i;
                    for (const auto& entry : cache.entries()) {
                        EXPECT_LT(entry.soname.size() + entry.path.size(), copy.size());
                        const auto found = cache.find(entry.soname);
                        EXPECT_TRUE(std::any_of(found.begin(), found.end(), [&](const auto* e) {
                            return *e == entry;
                        })) << "byte " << i << ": " << entry.soname;
                    }
                    if (copy == img.bytes) {
                        EXPECT_EQ(cache.entries(), original.entries());
                    }
                } catch (const FormatError& e) {
                    ++refused;
                    EXPECT_NE(std::string(e.what()).find("mutant"), std::string::npos) << e.what();
                }
            }
        }
        EXPECT_GT(refused, 0u);  // the parser does refuse corruptions
    }
}

TEST(LdCacheSynthetic, RejectsCorruption) {
    const CacheImage img = build_cache(sample_spec());
    auto patched = [&](std::size_t offset, std::uint32_t value) {
        Bytes b(false);
        b.data() = img.bytes;
        b.patch_u32(offset, value);
        return b.data();
    };
    // Bad magic and versions.
    std::vector<std::byte> copy = img.bytes;
    copy[0] = std::byte{'X'};
    expect_error(copy, "not an ld.so.cache file (bad magic)");
    copy = img.bytes;
    copy[19] = std::byte{'0'};
    expect_error(copy, "unsupported ld.so.cache version 1.0");
    expect_error({}, "bad magic");

    // Entry count past the end of the file.
    expect_error(patched(20, 0x10000000), "entries past end of file");
    // String offsets out of range: soname (key) and path (value) of entry 2.
    expect_error(patched(img.first_entry + 2 * 24 + 4, 0xfffffff0), "soname of entry 2");
    expect_error(
        patched(img.first_entry + 2 * 24 + 8, static_cast<std::uint32_t>(img.bytes.size())),
        "path of entry 2");
    // The endian flag says "invalid".
    copy = img.bytes;
    copy[28] = std::byte{1};
    expect_error(copy, "marked invalid");
    // Extension directory: misaligned, past the end, bad magic, section past the end.
    const std::uint32_t ext = static_cast<std::uint32_t>(img.extension);
    expect_error(patched(32, ext + 2), "misaligned or past end of file");
    expect_error(patched(32, 0xfffffff0), "misaligned or past end of file");
    expect_error(patched(ext, 0x12345678), "bad extension directory magic");
    expect_error(patched(ext + 4, 0x0fffffff), "extension directory past end of file");
    expect_error(patched(ext + 8 + 8, 0xfffffff0), "extension section 0 past end of file");
    // hwcaps: an index the section does not have, and a name offset out of range.
    expect_error(patched(img.first_entry + 1 * 24 + 16, 7), "names glibc-hwcaps subdirectory 7");
    expect_error(patched(img.hwcaps_array, 0xfffffff0), "glibc-hwcaps name of entry 2");
}

TEST(LdCacheSynthetic, UnterminatedStringAtEndOfFile) {
    CacheSpec spec;
    spec.generator.reset();
    spec.entries = {{"libz.so.1", "/lib/libz.so.1", kX8664, {}, 0}};
    std::vector<std::byte> bytes = build_cache(spec).bytes;
    bytes.back() = std::byte{'1'};  // the path's NUL
    expect_error(bytes, "path of entry 0 at string offset");
}

// ---------------------------------------------------------------------------------------------
// compatible()

TEST(LdCacheCompatible, Flags) {
    const ElfIdentity x86_64{ElfClass::Elf64, ElfData::Little, EM_X86_64};
    const ElfIdentity x32{ElfClass::Elf32, ElfData::Little, EM_X86_64};
    const ElfIdentity i386{ElfClass::Elf32, ElfData::Little, EM_386};
    const ElfIdentity aarch64{ElfClass::Elf64, ElfData::Little, EM_AARCH64};
    const ElfIdentity armhf{ElfClass::Elf32, ElfData::Little, EM_ARM};
    const ElfIdentity riscv64{ElfClass::Elf64, ElfData::Little, EM_RISCV};
    const ElfIdentity ppc64{ElfClass::Elf64, ElfData::Big, EM_PPC64};
    const ElfIdentity s390x{ElfClass::Elf64, ElfData::Big, EM_S390};
    auto entry = [](std::int32_t flags) {
        LdCacheEntry e;
        e.flags = flags;
        return e;
    };
    EXPECT_TRUE(compatible(entry(kX8664), x86_64));
    EXPECT_FALSE(compatible(entry(kX8664), i386));
    EXPECT_FALSE(compatible(entry(kX8664), x32));
    EXPECT_FALSE(compatible(entry(kX8664), aarch64));
    EXPECT_TRUE(compatible(entry(flag::kElfLibc6 | flag::kX8664LibX32), x32));
    EXPECT_TRUE(compatible(entry(flag::kElfLibc6), i386));
    EXPECT_FALSE(compatible(entry(flag::kElfLibc6), x86_64));
    EXPECT_TRUE(compatible(entry(flag::kElfLibc6 | flag::kAarch64Lib64), aarch64));
    EXPECT_TRUE(compatible(entry(flag::kElfLibc6 | flag::kArmLibHf), armhf));
    EXPECT_FALSE(compatible(entry(flag::kElfLibc6 | flag::kArmLibHf), aarch64));
    EXPECT_TRUE(compatible(entry(flag::kElfLibc6 | flag::kRiscvFloatAbiDouble), riscv64));
    EXPECT_TRUE(compatible(entry(flag::kElfLibc6 | flag::kPowerpcLib64), ppc64));
    EXPECT_TRUE(compatible(entry(flag::kElfLibc6 | flag::kS390Lib64), s390x));
    // FLAG_ELF is accepted by every ld.so (glibc's _dl_cache_check_flags).
    EXPECT_TRUE(compatible(entry(flag::kElf), x86_64));
    EXPECT_TRUE(compatible(entry(flag::kElf), i386));
    // libc5 and unknown bits are not.
    EXPECT_FALSE(compatible(entry(0x0002), i386));
    EXPECT_FALSE(compatible(entry(kX8664 | 0x10000), x86_64));
}

// ---------------------------------------------------------------------------------------------
// This machine's cache against `ldconfig -p`


// What glibc's print_entry (elf/cache.c) writes between the parentheses.
std::string describe(const LdCacheEntry& e) {
    std::string out = (e.flags & flag::kTypeMask) == flag::kElfLibc6 ? "libc6"
                      : (e.flags & flag::kTypeMask) == flag::kElf    ? "ELF"
                                                                  : "unknown or unsupported flag";
    switch (e.flags & flag::kRequiredMask) {
        case 0:
            break;
        case flag::kX8664Lib64:
            out += ",x86-64";
            break;
        case flag::kX8664LibX32:
            out += ",x32";
            break;
        case flag::kAarch64Lib64:
            out += ",AArch64";
            break;
        case flag::kArmLibHf:
            out += ",hard-float";
            break;
        case flag::kArmLibSf:
        case flag::kRiscvFloatAbiSoft:
        case flag::kLarchFloatAbiSoft:
            out += ",soft-float";
            break;
        case flag::kRiscvFloatAbiDouble:
        case flag::kLarchFloatAbiDouble:
            out += ",double-float";
            break;
        case flag::kIa64Lib64:
            out += ",IA-64";
            break;
        case flag::kSparcLib64:
        case flag::kS390Lib64:
        case flag::kPowerpcLib64:
        case flag::kMips64LibN64:
            out += ",64bit";
            break;
        default:
            out += "," + std::to_string(e.flags & flag::kRequiredMask);
            break;
    }
    if (e.hwcaps_subdir) {
        out += ", hwcap: \"" + *e.hwcaps_subdir + "\"";
    } else if (e.hwcap != 0) {
        char buffer[40];
        std::snprintf(buffer, sizeof buffer, ", hwcap: %#.16" PRIx64, e.hwcap);
        out += buffer;
    }
    return out;
}

TEST(LdCacheSystem, AgreesWithLdconfig) {
    const fs::path path = "/etc/ld.so.cache";
    if (!fs::exists(path) || ::access("/sbin/ldconfig", X_OK) != 0) {
        GTEST_SKIP() << "no /etc/ld.so.cache or /sbin/ldconfig";
    }
    const LdCache cache = LdCache::load(path);
    const std::string out = ocitools::testing::run_output("LC_ALL=C /sbin/ldconfig -p -C " + path.string());
    std::istringstream lines(out);
    std::size_t i = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("Cache generated by: ", 0) == 0) {
            EXPECT_EQ(cache.generator(), line.substr(20));
            continue;
        }
        if (line.empty() || line[0] != '\t') continue;
        const auto open = line.find(" (");
        const auto arrow = line.rfind(") => ");
        ASSERT_NE(open, std::string::npos) << line;
        ASSERT_NE(arrow, std::string::npos) << line;
        ASSERT_LT(i, cache.entries().size()) << "ldconfig lists more entries: " << line;
        const LdCacheEntry& e = cache.entries()[i++];
        EXPECT_EQ(e.soname, line.substr(1, open - 1));
        EXPECT_EQ(describe(e), line.substr(open + 2, arrow - open - 2)) << line;
        EXPECT_EQ(e.path, line.substr(arrow + 5));
    }
    EXPECT_EQ(i, cache.entries().size());
    EXPECT_GT(i, 0u);
}

// Every entry that compatible() accepts for this process's own identity is, when it exists, a
// loadable object of that identity; and libc.so.6 is found.
TEST(LdCacheSystem, CompatibleEntriesMatchTheirFiles) {
    if (!fs::exists("/etc/ld.so.cache") || !fs::exists("/proc/self/exe")) GTEST_SKIP();
    const LdCache cache = LdCache::load("/etc/ld.so.cache");
    const ElfIdentity self = ElfFile::load("/proc/self/exe").identity();
    bool found_libc = false;
    for (const LdCacheEntry* e : cache.find("libc.so.6")) {
        if (compatible(*e, self) && fs::exists(e->path)) found_libc = true;
    }
    EXPECT_TRUE(found_libc);
    for (const LdCacheEntry& e : cache.entries()) {
        if (e.flags == flag::kElf || !fs::exists(e.path)) continue;
        const ElfFile elf = ElfFile::load(e.path);
        EXPECT_EQ(compatible(e, self), elf.identity() == self) << e.path;
        EXPECT_TRUE(compatible(e, elf.identity())) << e.path;
    }
}

TEST(LdCacheLoad, Errors) {
    EXPECT_THROW((void)LdCache::load("/nonexistent/ld.so.cache"), SystemError);
    EXPECT_THROW((void)LdCache::load("/"), FormatError);
}

}  // namespace
}  // namespace ocitools
