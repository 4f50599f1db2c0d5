// LdCache: /etc/ld.so.cache as written by ldconfig(8), read by our own bounds-checked parser.
// Formats (glibc sysdeps/generic/dl-cache.h, elf/cache.c):
//   - new: "glibc-ld.so.cache1.1" header, 24-byte entries, string offsets relative to that header,
//     optionally an extension directory (generator string, glibc-hwcaps subdirectory names);
//   - old: "ld.so-1.7.0" header, 12-byte entries; since glibc 2.2 usually with a new-format cache
//     appended (aligned) after the old entries, which is then the one that counts, as in ld.so.
// Either byte order is accepted (the header's endian flag, or a plausibility guess when unset).
#pragma once

#include "closure/elf/elf.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ocitools {

// Entry flags (glibc sysdeps/generic/ldconfig.h): low byte the library kind, next byte the ABI.
namespace ldcache_flag {
inline constexpr std::int32_t kTypeMask = 0x00ff;
inline constexpr std::int32_t kElf = 0x0001;       // FLAG_ELF: any ELF; ld.so accepts it everywhere
inline constexpr std::int32_t kElfLibc6 = 0x0003;  // FLAG_ELF_LIBC6
inline constexpr std::int32_t kRequiredMask = 0xff00;
inline constexpr std::int32_t kSparcLib64 = 0x0100;
inline constexpr std::int32_t kIa64Lib64 = 0x0200;
inline constexpr std::int32_t kX8664Lib64 = 0x0300;
inline constexpr std::int32_t kS390Lib64 = 0x0400;
inline constexpr std::int32_t kPowerpcLib64 = 0x0500;
inline constexpr std::int32_t kMips64LibN32 = 0x0600;
inline constexpr std::int32_t kMips64LibN64 = 0x0700;
inline constexpr std::int32_t kX8664LibX32 = 0x0800;
inline constexpr std::int32_t kArmLibHf = 0x0900;
inline constexpr std::int32_t kAarch64Lib64 = 0x0a00;
inline constexpr std::int32_t kArmLibSf = 0x0b00;
inline constexpr std::int32_t kMipsLib32Nan2008 = 0x0c00;
inline constexpr std::int32_t kMips64LibN32Nan2008 = 0x0d00;
inline constexpr std::int32_t kMips64LibN64Nan2008 = 0x0e00;
inline constexpr std::int32_t kRiscvFloatAbiSoft = 0x0f00;
inline constexpr std::int32_t kRiscvFloatAbiDouble = 0x1000;
inline constexpr std::int32_t kLarchFloatAbiSoft = 0x1100;
inline constexpr std::int32_t kLarchFloatAbiDouble = 0x1200;
}  // namespace ldcache_flag

struct LdCacheEntry {
    std::string soname;  // the key ld.so looks up: a DT_NEEDED name
    std::string path;    // absolute path of the library
    std::int32_t flags = 0;
    std::uint64_t hwcap = 0;  // raw hwcap field (always 0 in the old format)
    // The kernel version the library's ABI note requires; 0 for none, as glibc 2.36 writes it.
    std::uint32_t osversion = 0;
    // Set for glibc-hwcaps entries (e.g. "x86-64-v3" for .../glibc-hwcaps/x86-64-v3/libfoo.so.1):
    // ld.so prefers them over the base entry when the CPU supports that subdirectory.
    std::optional<std::string> hwcaps_subdir;
    std::uint32_t isa_level = 0;  // ISA level bits of a glibc-hwcaps entry, else 0

    bool operator==(const LdCacheEntry&) const = default;
};

class LdCache {
  public:
    // Parse a cache image held in memory; `name` is used in error messages. Throws FormatError.
    static LdCache parse(std::span<const std::byte> bytes, const std::string& name);
    // Map `path` read-only and parse it. Throws SystemError or FormatError naming the path.
    static LdCache load(const std::filesystem::path& path);

    // All entries, in cache order (ldconfig sorts them; `ldconfig -p` prints this order).
    const std::vector<LdCacheEntry>& entries() const { return entries_; }
    // All entries whose soname is exactly `soname`, in cache order: for one soname, ldconfig puts
    // glibc-hwcaps entries before the base entry. Empty when there is none.
    std::vector<const LdCacheEntry*> find(std::string_view soname) const;
    // The extension's generator string, e.g. "ldconfig (Debian GLIBC 2.36-9) stable release ...".
    const std::optional<std::string>& generator() const { return generator_; }

  private:
    std::vector<LdCacheEntry> entries_;
    std::vector<std::uint32_t> by_soname_;  // indices into entries_, sorted by (soname, index)
    std::optional<std::string> generator_;
};

// True when ld.so for an object of `identity` would accept `entry` (glibc's
// _dl_cache_check_flags: FLAG_ELF, or the architecture's own flags). Best effort where the ABI
// variant is in e_flags, which ElfIdentity does not carry (ARM hard/soft float, MIPS NaN and n32,
// RISC-V/LoongArch float ABI): all variants of the machine are accepted. FLAG_ELF entries are
// accepted for every identity, as ld.so does, so callers must still check the file's identity.
bool compatible(const LdCacheEntry& entry, const ElfIdentity& identity);

}  // namespace ocitools
