#include "closure/elf/ldcache_writer.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <map>

#include "base/error.h"
#include "closure/elf/ldcache_layout.h"

namespace ocitools {

using namespace ldcache_layout;

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// The legacy hwcap bits ldconfig sorts by: none for a glibc-hwcaps entry, whose field holds the
// extension bit and the subdirectory's index instead.
std::uint64_t legacy_hwcap(const LdCacheEntry& e) {
    return e.hwcaps_subdir ? 0 : e.hwcap;
}

// elf/cache.c's compare(e1, e2) < 0: `a` comes before `b`.
bool before(const LdCacheEntry& a, const LdCacheEntry& b) {
    if (const int names = ld_cache_name_compare(a.soname, b.soname); names != 0) return names > 0;
    if (a.flags != b.flags) return a.flags > b.flags;
    if (a.hwcaps_subdir.has_value() != b.hwcaps_subdir.has_value())
        return a.hwcaps_subdir.has_value();
    if (a.hwcaps_subdir && *a.hwcaps_subdir != *b.hwcaps_subdir)
        return *a.hwcaps_subdir < *b.hwcaps_subdir;  // strcmp: unsigned bytes, as std::string
    const int a_bits = std::popcount(legacy_hwcap(a)), b_bits = std::popcount(legacy_hwcap(b));
    if (a_bits != b_bits) return a_bits > b_bits;
    if (legacy_hwcap(a) != legacy_hwcap(b)) return legacy_hwcap(a) > legacy_hwcap(b);
    return a.osversion > b.osversion;
}

// Bytes in this machine's order: the rootfs's ld.so is the host's, so its machine is this one's.
class Output {
  public:
    template <typename T>
    void put(T value) {
        char bytes[sizeof(T)];
        std::memcpy(bytes, &value, sizeof(T));
        data_.append(bytes, sizeof(T));
    }
    void text(std::string_view s) { data_ += s; }
    void pad_to(std::size_t alignment) {
        data_.resize((data_.size() + alignment - 1) / alignment * alignment, '\0');
    }
    std::size_t size() const { return data_.size(); }
    std::string take() { return std::move(data_); }

  private:
    std::string data_;
};

[[noreturn]] void fail(const std::string& why) {
    throw FormatError("cannot write ld.so.cache: " + why);
}

std::uint32_t offset32(std::uint64_t offset) {
    if (offset > std::numeric_limits<std::uint32_t>::max()) fail("it would exceed 4 GiB");
    return static_cast<std::uint32_t>(offset);
}

}  // namespace

int ld_cache_name_compare(std::string_view a, std::string_view b) {
    std::size_t i = 0, j = 0;
    while (i < a.size()) {
        if (is_digit(a[i])) {
            if (j == b.size() || !is_digit(b[j])) return 1;
            // Both numbers: compare by value, leading zeros ignored.
            auto number = [](std::string_view s, std::size_t& at) {
                while (at < s.size() && s[at] == '0') ++at;
                const std::size_t start = at;
                while (at < s.size() && is_digit(s[at])) ++at;
                return s.substr(start, at - start);
            };
            const std::string_view x = number(a, i), y = number(b, j);
            if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
            if (const int c = x.compare(y); c != 0) return c;
        } else if (j < b.size() && is_digit(b[j])) {
            return -1;
        } else if (j == b.size() || a[i] != b[j]) {
            // glibc subtracts `char`s: signed or not as on this machine; the end of a name is 0.
            return (j == b.size() ? a[i] : a[i] - b[j]) < 0 ? -1 : 1;
        } else {
            ++i, ++j;
        }
    }
    if (j == b.size()) return 0;
    return -b[j] < 0 ? -1 : 1;
}

void sort_like_ldconfig(std::vector<LdCacheEntry>& entries) {
    std::stable_sort(entries.begin(), entries.end(), before);
}

std::string serialize_ld_cache(std::vector<LdCacheEntry> entries, std::string_view generator) {
    sort_like_ldconfig(entries);

    // The glibc-hwcaps subdirectories, numbered in name order.
    std::map<std::string, std::uint32_t> subdirs;
    for (const LdCacheEntry& e : entries)
        if (e.hwcaps_subdir) subdirs.emplace(*e.hwcaps_subdir, 0);
    std::uint32_t index = 0;
    for (auto& [name, number] : subdirs) number = index++;

    // The string table, each string once, in order of first use; offsets are from the start of
    // the file, where the new-format header is.
    const std::uint64_t strings_start = kNewHeaderSize + entries.size() * kNewEntrySize;
    std::string strings;
    std::map<std::string, std::uint32_t, std::less<>> string_offsets;
    auto intern = [&](const std::string& s) {
        if (s.find('\0') != std::string::npos) fail("a NUL byte in " + quote(s));
        auto [it, added] = string_offsets.try_emplace(s, 0);
        if (added) {
            it->second = offset32(strings_start + strings.size());
            strings += s;
            strings += '\0';
        }
        return it->second;
    };

    Output out;
    out.text(kNewMagic);
    out.text(kNewVersion);
    out.put(offset32(entries.size()));
    const std::size_t len_strings_at = out.size();
    out.put(std::uint32_t{0});  // len_strings, known once the entries are written
    out.put(std::endian::native == std::endian::little ? kEndianLittle : kEndianBig);
    out.pad_to(4);
    const std::size_t extension_offset_at = out.size();
    out.put(std::uint32_t{0});   // extension_offset, likewise
    out.pad_to(kNewHeaderSize);  // unused[3]

    for (const LdCacheEntry& e : entries) {
        std::uint64_t hwcap = e.hwcap;
        if (e.hwcaps_subdir) {
            if (e.isa_level > kHwcapIsaLevelMask)
                fail(quote(e.path) + " has ISA level " + std::to_string(e.isa_level) +
                     ", more than " + std::to_string(kHwcapIsaLevelMask));
            hwcap =
                kHwcapExtension | (std::uint64_t{e.isa_level} << 32) | subdirs.at(*e.hwcaps_subdir);
        } else if (is_hwcap_extension(hwcap)) {
            fail(quote(e.path) + " has a glibc-hwcaps hwcap field but no subdirectory");
        }
        out.put(e.flags);
        out.put(intern(e.soname));
        out.put(intern(e.path));
        out.put(e.osversion);
        out.put(hwcap);
    }
    std::vector<std::uint32_t> subdir_strings;
    for (const auto& [name, number] : subdirs) subdir_strings.push_back(intern(name));
    out.text(strings);

    // The extension directory, as ldconfig lays it out: the generator's section, then the
    // glibc-hwcaps section when there is one; their data in the opposite order.
    out.pad_to(4);
    const std::uint64_t extension = out.size();
    const std::uint32_t sections = subdirs.empty() ? 1 : 2;
    const std::uint64_t hwcaps_at =
        extension + kExtensionHeaderSize + sections * kExtensionSectionSize;
    const std::uint64_t hwcaps_size = 4 * subdir_strings.size();
    out.put(kExtensionMagic);
    out.put(sections);
    for (const std::uint32_t word :
         {kTagGenerator, 0u, offset32(hwcaps_at + hwcaps_size), offset32(generator.size())})
        out.put(word);
    if (!subdirs.empty())
        for (const std::uint32_t word :
             {kTagGlibcHwcaps, 0u, offset32(hwcaps_at), offset32(hwcaps_size)})
            out.put(word);
    for (const std::uint32_t s : subdir_strings) out.put(s);
    out.text(generator);

    std::string bytes = out.take();
    const std::uint32_t len_strings = offset32(strings.size()), ext = offset32(extension);
    std::memcpy(bytes.data() + len_strings_at, &len_strings, 4);
    std::memcpy(bytes.data() + extension_offset_at, &ext, 4);
    return bytes;
}

}  // namespace ocitools
