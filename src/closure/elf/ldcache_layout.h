// The on-disk layout of /etc/ld.so.cache, shared by its parser (ldcache.cpp) and its writer
// (ldcache_writer.cpp). From glibc sysdeps/generic/dl-cache.h and elf/cache.c.
#pragma once

#include <cstdint>
#include <string_view>

namespace ocitools::ldcache_layout {

constexpr std::string_view kOldMagic = "ld.so-1.7.0";
constexpr std::uint64_t kOldHeaderSize = 16;  // char magic[11]; uint32_t nlibs (at offset 12)
constexpr std::uint64_t kOldNlibs = 12;
constexpr std::uint64_t kOldEntrySize = 12;  // int32 flags; uint32 key, value

constexpr std::string_view kNewMagic = "glibc-ld.so.cache";
constexpr std::string_view kNewVersion = "1.1";
constexpr std::uint64_t kNewHeaderSize = 48;
constexpr std::uint64_t kNewNlibs = 20, kNewFlags = 28, kNewExtensionOffset = 32;
constexpr std::uint64_t kNewEntrySize = 24;  // int32 flags; uint32 key, value, osversion; u64 hwcap
constexpr std::uint64_t kEntryFlags = 0, kEntryKey = 4, kEntryValue = 8, kEntryOsversion = 12,
                        kEntryHwcap = 16;

// cache_file_new.flags & 3.
constexpr std::uint8_t kEndianMask = 3, kEndianUnset = 0, kEndianInvalid = 1, kEndianLittle = 2,
                       kEndianBig = 3;

// struct cache_extension and cache_extension_section.
constexpr std::uint32_t kExtensionMagic = 0xeaa42174;  // (uint32_t) -358342284
constexpr std::uint64_t kExtensionHeaderSize = 8, kExtensionSectionSize = 16;
constexpr std::uint32_t kTagGenerator = 0, kTagGlibcHwcaps = 1;

// DL_CACHE_HWCAP_EXTENSION: bit 62 marks an entry whose low 32 bits index the glibc-hwcaps
// section; bits 32..41 hold the required ISA level.
constexpr std::uint64_t kHwcapExtension = std::uint64_t{1} << 62;
constexpr std::uint64_t kHwcapIsaLevelMask = (1u << 10) - 1;

inline bool is_hwcap_extension(std::uint64_t hwcap) {
    return ((hwcap >> 32) & ~kHwcapIsaLevelMask) == (kHwcapExtension >> 32);
}

}  // namespace ocitools::ldcache_layout
