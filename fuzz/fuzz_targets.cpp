#include "fuzz_targets.h"

#include <string>

#include <nlohmann/json.hpp>

#include "closure/elf.h"
#include "closure/ldcache.h"
#include "closure/shebang.h"
#include "error.h"
#include "spec/container_spec.h"
#include "spec/mount_flag.h"

namespace ocitools::fuzz {

namespace {
std::span<const std::byte> bytes(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const std::byte*>(data), size};
}
}  // namespace

void elf(const std::uint8_t* data, std::size_t size) {
    try {
        (void)ElfFile::parse(bytes(data, size), "fuzz-input").is_dynamic();
    } catch (const FormatError&) {
    }
}

void ldcache(const std::uint8_t* data, std::size_t size) {
    try {
        const auto cache = LdCache::parse(bytes(data, size), "fuzz-input");
        const ElfIdentity x86_64{ElfClass::Elf64, ElfData::Little, 62};
        for (const auto& entry : cache.entries())
            for (const auto* found : cache.find(entry.soname)) (void)compatible(*found, x86_64);
    } catch (const FormatError&) {
    }
}

void spec(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const Reporter quiet;
    const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_discarded()) {
        try {
            (void)parse_spec(doc, "fuzz.json", quiet);
        } catch (const SpecError&) {
        }
    }
    try {
        (void)parse_mount_flag(text);
    } catch (const SpecError&) {
    }
    try {
        (void)parse_volume_flag(text);
    } catch (const SpecError&) {
    }
    (void)parse_shebang(text);
    (void)quote(text);
}

}  // namespace ocitools::fuzz
