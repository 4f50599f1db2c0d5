#include "closure/elf/ldcache.h"

#include "closure/elf/elf_bytes.h"
#include "closure/elf/ldcache_layout.h"
#include "base/error.h"

#include <elf.h>

#include <algorithm>
#include <cstring>

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

namespace ocitools {

namespace {

using namespace ldcache_layout;

bool has_prefix(std::span<const std::byte> bytes, std::uint64_t offset, std::string_view text) {
    return checked_end(offset, text.size(), bytes.size()) &&
           std::memcmp(bytes.data() + offset, text.data(), text.size()) == 0;
}

// The byte order in which `count` entries of `entry_size` after a header of `header_size` at
// `base` fit in the file; nullopt when they fit in neither. Used when the file does not say.
std::optional<std::endian> guess_order(std::span<const std::byte> bytes, std::uint64_t base,
                                       std::uint64_t count_offset, std::uint64_t header_size,
                                       std::uint64_t entry_size) {
    const std::endian other =
        std::endian::native == std::endian::little ? std::endian::big : std::endian::little;
    for (std::endian order : {std::endian::native, other}) {
        const ByteView v(bytes, order, "");
        if (!v.contains(base, header_size)) return std::nullopt;
        const std::uint64_t count = v.u32(base + count_offset);
        if (v.contains(base + header_size, count * entry_size)) return order;
    }
    return std::nullopt;
}

class CacheParser {
  public:
    CacheParser(std::span<const std::byte> bytes, const std::string& name)
        : bytes_(bytes), name_(name) {}

    void parse_new(std::uint64_t base, std::vector<LdCacheEntry>& entries,
                   std::optional<std::string>& generator) const {
        const ByteView probe(bytes_, std::endian::native, name_);
        if (!probe.contains(base, kNewHeaderSize)) {
            probe.fail("truncated ld.so.cache: header past end of file");
        }
        if (!has_prefix(bytes_, base + kNewMagic.size(), kNewVersion)) {
            probe.fail("unsupported ld.so.cache version " +
                       quote(probe.chars(base + kNewMagic.size(), kNewVersion.size())));
        }
        std::optional<std::endian> order;
        switch (probe.u8(base + kNewFlags) & kEndianMask) {
            case kEndianUnset:
                order = guess_order(bytes_, base, kNewNlibs, kNewHeaderSize, kNewEntrySize);
                if (!order) probe.fail("truncated ld.so.cache: entries past end of file");
                break;
            case kEndianInvalid:
                probe.fail("ld.so.cache is marked invalid by ldconfig");
            case kEndianLittle:
                order = std::endian::little;
                break;
            default:
                order = std::endian::big;
                break;
        }
        const ByteView v(bytes_, *order, name_);
        const std::uint64_t nlibs = v.u32(base + kNewNlibs);
        const std::uint64_t first = base + kNewHeaderSize;
        if (!v.contains(first, nlibs * kNewEntrySize)) {
            v.fail("truncated ld.so.cache: " + std::to_string(nlibs) + " entries past end of file");
        }

        // The extension directory's offset is from the start of the file (glibc's
        // cache_extension_load is given the file's base).
        std::optional<std::pair<std::uint64_t, std::uint64_t>> hwcaps;  // offset, count
        if (const std::uint64_t ext = v.u32(base + kNewExtensionOffset); ext != 0) {
            if (ext % 4 != 0 || !v.contains(ext, kExtensionHeaderSize)) {
                v.fail("malformed ld.so.cache: extension directory offset " + std::to_string(ext) +
                       " is misaligned or past end of file");
            }
            if (v.u32(ext) != kExtensionMagic) {
                v.fail("malformed ld.so.cache: bad extension directory magic");
            }
            const std::uint64_t count = v.u32(ext + 4);
            const std::uint64_t sections = ext + kExtensionHeaderSize;
            if (!v.contains(sections, count * kExtensionSectionSize)) {
                v.fail("truncated ld.so.cache: extension directory past end of file");
            }
            for (std::uint64_t i = 0; i < count; ++i) {
                const std::uint64_t s = sections + i * kExtensionSectionSize;
                const std::uint32_t tag = v.u32(s);
                const std::uint64_t offset = v.u32(s + 8), size = v.u32(s + 12);
                if (!v.contains(offset, size)) {
                    v.fail("truncated ld.so.cache: extension section " + std::to_string(i) +
                           " past end of file");
                }
                if (tag == kTagGenerator) {
                    generator.emplace(v.chars(offset, size));
                } else if (tag == kTagGlibcHwcaps) {
                    // glibc's cache_extension_verify drops a section that is empty or misaligned.
                    if (size != 0 && offset % 4 == 0 && size % 4 == 0) {
                        hwcaps.emplace(offset, size / 4);
                    } else {
                        hwcaps.reset();
                    }
                }
            }
        }

        entries.reserve(nlibs);
        for (std::uint64_t i = 0; i < nlibs; ++i) {
            const std::uint64_t e = first + i * kNewEntrySize;
            LdCacheEntry entry = read_entry(v, e, base, i);
            entry.osversion = v.u32(e + kEntryOsversion);
            entry.hwcap = v.u64(e + kEntryHwcap);
            if (is_hwcap_extension(entry.hwcap)) {
                entry.isa_level =
                    static_cast<std::uint32_t>((entry.hwcap >> 32) & kHwcapIsaLevelMask);
                const std::uint64_t index = entry.hwcap & 0xffffffffu;
                if (!hwcaps || index >= hwcaps->second) {
                    v.fail("malformed ld.so.cache: entry " + std::to_string(i) +
                           " names glibc-hwcaps subdirectory " + std::to_string(index) +
                           ", which the cache does not have");
                }
                // ldconfig writes these indices relative to the new-format header, like every
                // other string index (elf/cache.c, write_extensions).
                const std::uint64_t string = v.u32(hwcaps->first + 4 * index);
                entry.hwcaps_subdir = string_at(v, base, string, "glibc-hwcaps name", i);
            }
            entries.push_back(std::move(entry));
        }
    }

    void parse_old(std::endian order, std::vector<LdCacheEntry>& entries) const {
        const ByteView v(bytes_, order, name_);
        const std::uint64_t nlibs = v.u32(kOldNlibs);
        // Strings are relative to the end of the entries: "string[0] for the old format".
        const std::uint64_t strings = kOldHeaderSize + nlibs * kOldEntrySize;
        entries.reserve(nlibs);
        for (std::uint64_t i = 0; i < nlibs; ++i) {
            entries.push_back(read_entry(v, kOldHeaderSize + i * kOldEntrySize, strings, i));
        }
    }

  private:
    // The fields shared by both entry layouts; string indices are relative to `strings`.
    LdCacheEntry read_entry(const ByteView& v, std::uint64_t e, std::uint64_t strings,
                            std::uint64_t i) const {
        LdCacheEntry entry;
        entry.flags = static_cast<std::int32_t>(v.u32(e + kEntryFlags));
        entry.soname = string_at(v, strings, v.u32(e + kEntryKey), "soname", i);
        entry.path = string_at(v, strings, v.u32(e + kEntryValue), "path", i);
        return entry;
    }

    std::string string_at(const ByteView& v, std::uint64_t strings, std::uint64_t index,
                          const char* what, std::uint64_t entry) const {
        auto s = v.c_string(strings + index, v.size());
        if (!s) {
            v.fail("malformed ld.so.cache: " + std::string(what) + " of entry " +
                   std::to_string(entry) + " at string offset " + std::to_string(index) +
                   " is out of range or not NUL-terminated");
        }
        return std::string(*s);
    }

    std::span<const std::byte> bytes_;
    const std::string& name_;
};

}  // namespace

LdCache LdCache::parse(std::span<const std::byte> bytes, const std::string& name) {
    LdCache cache;
    const CacheParser parser(bytes, name);
    const ByteView probe(bytes, std::endian::native, name);
    if (has_prefix(bytes, 0, kNewMagic)) {
        parser.parse_new(0, cache.entries_, cache.generator_);
    } else if (has_prefix(bytes, 0, kOldMagic)) {
        const auto order = guess_order(bytes, 0, kOldNlibs, kOldHeaderSize, kOldEntrySize);
        if (!order) probe.fail("truncated ld.so.cache: old-format entries past end of file");
        const ByteView v(bytes, *order, name);
        // The new format follows the old entries, aligned to alignof(struct cache_file_new):
        // 8 on most 64-bit targets, 4 on some 32-bit ones (ldconfig pads the old table to an
        // even count so both agree, but accept either).
        const std::uint64_t end = kOldHeaderSize + v.u32(kOldNlibs) * kOldEntrySize;
        const std::uint64_t aligned8 = (end + 7) & ~std::uint64_t{7};
        if (has_prefix(bytes, aligned8, kNewMagic)) {
            parser.parse_new(aligned8, cache.entries_, cache.generator_);
        } else if (has_prefix(bytes, end, kNewMagic)) {
            parser.parse_new(end, cache.entries_, cache.generator_);
        } else {
            parser.parse_old(*order, cache.entries_);
        }
    } else {
        probe.fail("not an ld.so.cache file (bad magic)");
    }

    cache.by_soname_.resize(cache.entries_.size());
    for (std::uint32_t i = 0; i < cache.by_soname_.size(); ++i) cache.by_soname_[i] = i;
    std::stable_sort(cache.by_soname_.begin(), cache.by_soname_.end(),
                     [&](std::uint32_t a, std::uint32_t b) {
                         return cache.entries_[a].soname < cache.entries_[b].soname;
                     });
    return cache;
}

LdCache LdCache::load(const std::filesystem::path& path) {
    const FileBytes file(path);
    return parse(file.bytes(), path.native());
}

std::vector<const LdCacheEntry*> LdCache::find(std::string_view soname) const {
    struct Less {
        const std::vector<LdCacheEntry>* entries;
        bool operator()(std::uint32_t i, std::string_view s) const {
            return std::string_view((*entries)[i].soname) < s;
        }
        bool operator()(std::string_view s, std::uint32_t i) const {
            return s < std::string_view((*entries)[i].soname);
        }
    };
    const auto [begin, end] =
        std::equal_range(by_soname_.begin(), by_soname_.end(), soname, Less{&entries_});
    std::vector<const LdCacheEntry*> out;
    out.reserve(static_cast<std::size_t>(end - begin));
    for (auto it = begin; it != end; ++it) out.push_back(&entries_[*it]);
    return out;
}

bool compatible(const LdCacheEntry& entry, const ElfIdentity& identity) {
    namespace f = ldcache_flag;
    // glibc's _dl_cache_check_flags: FLAG_ELF, or exactly the target's _DL_CACHE_DEFAULT_ID
    // (sysdeps/unix/sysv/linux/*/dl-cache.h).
    if (entry.flags == f::kElf) return true;
    if ((entry.flags & ~(f::kTypeMask | f::kRequiredMask)) != 0) return false;
    if ((entry.flags & f::kTypeMask) != f::kElfLibc6) return false;
    const std::int32_t abi = entry.flags & f::kRequiredMask;
    const bool is64 = identity.elf_class == ElfClass::Elf64;
    switch (identity.machine) {
        case EM_X86_64:
            return abi == (is64 ? f::kX8664Lib64 : f::kX8664LibX32);
        case EM_AARCH64:
            return is64 && abi == f::kAarch64Lib64;
        case EM_ARM:
            return abi == 0 || abi == f::kArmLibHf || abi == f::kArmLibSf;
        case EM_PPC64:
            return abi == f::kPowerpcLib64;
        case EM_S390:
            return abi == (is64 ? f::kS390Lib64 : 0);
        case EM_SPARCV9:
            return abi == f::kSparcLib64;
        case EM_IA_64:
            return abi == f::kIa64Lib64;
        case EM_MIPS:
            if (is64) return abi == f::kMips64LibN64 || abi == f::kMips64LibN64Nan2008;
            return abi == 0 || abi == f::kMipsLib32Nan2008 || abi == f::kMips64LibN32 ||
                   abi == f::kMips64LibN32Nan2008;
        case EM_RISCV:
            return abi == f::kRiscvFloatAbiSoft || abi == f::kRiscvFloatAbiDouble;
        case EM_LOONGARCH:
            return abi == f::kLarchFloatAbiSoft || abi == f::kLarchFloatAbiDouble;
        default:
            return abi == 0;  // i386, 32-bit PowerPC/SPARC, Alpha, m68k, SH, ...
    }
}

}  // namespace ocitools
