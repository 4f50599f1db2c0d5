#include "fuzz_targets.h"

#include <cstdlib>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "closure/elf/elf.h"
#include "closure/elf/ldcache.h"
#include "closure/elf/ldcache_writer.h"
#include "closure/nix/nix_reference_scanner.h"
#include "closure/script/shebang.h"
#include "base/error.h"
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
    std::optional<LdCache> cache;
    try {
        cache = LdCache::parse(bytes(data, size), "fuzz-input");
        const ElfIdentity x86_64{ElfClass::Elf64, ElfData::Little, 62};
        for (const auto& entry : cache->entries())
            for (const auto* found : cache->find(entry.soname)) (void)compatible(*found, x86_64);
    } catch (const FormatError&) {
        return;
    }
    // What was parsed can be written (it throws nothing), reads back as the same entries in
    // ldconfig's order (a glibc-hwcaps entry's raw field numbers the written subdirectories),
    // and written again gives the same bytes.
    std::vector<LdCacheEntry> sorted = cache->entries();
    sort_like_ldconfig(sorted);
    const std::string written = serialize_ld_cache(cache->entries(), "fuzz");
    const LdCache again =
        LdCache::parse(std::as_bytes(std::span(written.data(), written.size())), "written");
    if (again.entries().size() != sorted.size() || again.generator() != "fuzz") std::abort();
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        LdCacheEntry expected = sorted[i];
        if (expected.hwcaps_subdir) expected.hwcap = again.entries()[i].hwcap;
        if (again.entries()[i] != expected) std::abort();
    }
    if (serialize_ld_cache(again.entries(), "fuzz") != written) std::abort();
}

void spec(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const Reporter quiet;
    // As a spec file is read: duplicate keys and unrepresentable numbers refused, then the
    // checks a build makes (runc's refusals: mounts on / or /proc, NUL bytes, ...).
    try {
        const ContainerSpec parsed = parse_spec_text(text, "fuzz.json", quiet);
        check_spec(parsed);
    } catch (const SpecError&) {
    }
    const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_discarded()) {
        try {
            (void)parse_spec(doc, "fuzz.json", quiet);
        } catch (const SpecError&) {
        }
    }
    (void)mount_destination_problem(text);
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

void nix_scanner(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return;
    const size_t chunk = 1 + data[0] % 64;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    // Candidates: two fixed hash parts, and every 32-byte run of the alphabet at the start of the
    // input, so the fuzzer can plant matches and near-matches.
    static const std::string alphabet = "0123456789abcdfghijklmnpqrsvwxyz";
    ReferenceCandidates candidates;
    candidates.add("00000000000000000000000000000000");
    candidates.add("vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv");
    for (size_t i = 0; i + 32 <= std::min<size_t>(text.size(), 96); i += 32) {
        const std::string_view window = text.substr(i, 32);
        if (window.find_first_not_of(alphabet) == std::string_view::npos) candidates.add(window);
    }
    ReferenceScanner whole(candidates);
    whole.scan(text);
    ReferenceScanner chunked(candidates);
    for (size_t i = 0; i < text.size(); i += chunk) chunked.feed(text.substr(i, chunk));
    chunked.end_stream();
    if (whole.found() != chunked.found()) std::abort();
}

}  // namespace ocitools::fuzz
