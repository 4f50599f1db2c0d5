// ElfFile: the facts the closure needs from an ELF object, read by our own bounds-checked parser
// (32 and 64 bit, little and big endian). Addresses in PT_DYNAMIC are mapped to file offsets
// through the PT_LOAD segments, as the loader does. The parser never executes anything.
// Reference: the System V gABI, elf(5), glibc's elf/elf.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ocitools {

enum class ElfClass : std::uint8_t { Elf32 = 1, Elf64 = 2 };
enum class ElfData : std::uint8_t { Little = 1, Big = 2 };

// What makes two objects loadable into the same process (ld.so rejects a mismatch).
struct ElfIdentity {
    ElfClass elf_class;
    ElfData data;
    std::uint16_t machine;  // e_machine, e.g. EM_X86_64 = 62
    bool operator==(const ElfIdentity&) const = default;
};

class ElfFile {
  public:
    // True when the bytes start with the ELF magic "\x7fELF".
    static bool has_magic(std::span<const std::byte> bytes);
    // Parse an image held in memory; `name` is used in error messages. Throws FormatError.
    static ElfFile parse(std::span<const std::byte> bytes, const std::string& name);
    // Map `path` read-only and parse it. Throws SystemError or FormatError naming the path.
    static ElfFile load(const std::filesystem::path& path);

    const ElfIdentity& identity() const { return identity_; }
    std::uint16_t type() const { return type_; }  // e_type: ET_EXEC = 2, ET_DYN = 3
    const std::optional<std::string>& interpreter() const { return interpreter_; }  // PT_INTERP
    const std::vector<std::string>& needed() const { return needed_; }              // DT_NEEDED
    // Filtees: DT_FILTER (ld.so fails without them), DT_AUXILIARY (loaded when found).
    const std::vector<std::string>& filters() const { return filters_; }
    const std::vector<std::string>& auxiliaries() const { return auxiliaries_; }
    const std::optional<std::string>& rpath() const { return rpath_; }              // DT_RPATH
    const std::optional<std::string>& runpath() const { return runpath_; }          // DT_RUNPATH
    const std::optional<std::string>& soname() const { return soname_; }            // DT_SONAME
    // DF_1_NODEFLIB in DT_FLAGS_1: ld.so finds this object's dependencies neither in the
    // default directories nor through ld.so.cache entries in them.
    bool nodeflib() const;

    // Needs the dynamic loader: has an interpreter or shared-library dependencies.
    bool is_dynamic() const {
        return interpreter_.has_value() || !needed_.empty() || !filters_.empty() ||
               !auxiliaries_.empty();
    }

  private:
    ElfIdentity identity_{};
    std::uint16_t type_ = 0;
    std::optional<std::string> interpreter_;
    std::vector<std::string> needed_;
    std::vector<std::string> filters_;
    std::vector<std::string> auxiliaries_;
    std::uint64_t flags_1_ = 0;
    std::optional<std::string> rpath_;
    std::optional<std::string> runpath_;
    std::optional<std::string> soname_;
};

}  // namespace ocitools
