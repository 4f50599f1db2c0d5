// Bytes of binary files we parse (ELF objects, ld.so.cache): a bounds-checked view that reads integers of an explicit byte order from unaligned offsets.
// Modelled on mold's lib/integers.h, but as reads at offsets rather than overlaid structs, so that
// no pointer is ever formed past the end of the input. Every read is checked; a failed check
// throws FormatError naming the file, so a parser that forgets a check still cannot read out of
// bounds (these parsers are fuzzed).
#pragma once

#include "base/error.h"
#include "fs/file_bytes.h"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ocitools {

// `offset + length`, or nullopt when it overflows or ends past `size`.
inline std::optional<std::uint64_t> checked_end(std::uint64_t offset, std::uint64_t length,
                                                std::uint64_t size) {
    if (offset > size || length > size - offset) return std::nullopt;
    return offset + length;
}

// Load an unsigned integer stored in `order` at an arbitrary (possibly unaligned) address.
template <typename T>
T load_unaligned(const std::byte* p, std::endian order) {
    static_assert(std::is_unsigned_v<T>);
    T value = 0;
    if (order == std::endian::little) {
        for (std::size_t i = sizeof(T); i-- > 0;) value = static_cast<T>((value << 8) | T(p[i]));
    } else {
        for (std::size_t i = 0; i < sizeof(T); ++i) value = static_cast<T>((value << 8) | T(p[i]));
    }
    return value;
}

class ByteView {
  public:
    // `name` names the file in error messages; it must outlive the view.
    ByteView(std::span<const std::byte> bytes, std::endian order, std::string_view name)
        : bytes_(bytes), order_(order), name_(name) {}

    std::uint64_t size() const { return bytes_.size(); }
    std::endian order() const { return order_; }
    std::string_view name() const { return name_; }
    bool contains(std::uint64_t offset, std::uint64_t length) const {
        return checked_end(offset, length, size()).has_value();
    }

    std::uint8_t u8(std::uint64_t offset) const { return read<std::uint8_t>(offset); }
    std::uint16_t u16(std::uint64_t offset) const { return read<std::uint16_t>(offset); }
    std::uint32_t u32(std::uint64_t offset) const { return read<std::uint32_t>(offset); }
    std::uint64_t u64(std::uint64_t offset) const { return read<std::uint64_t>(offset); }

    // The bytes [offset, offset + length) as characters; throws when out of range.
    std::string_view chars(std::uint64_t offset, std::uint64_t length) const {
        check(offset, length);
        return {reinterpret_cast<const char*>(bytes_.data() + offset),
                static_cast<std::size_t>(length)};
    }

    // The NUL-terminated string starting at `offset`, looking no further than `limit` (clamped to
    // the end of the view). nullopt when `offset` is out of range or no NUL comes before `limit`.
    std::optional<std::string_view> c_string(std::uint64_t offset, std::uint64_t limit) const {
        if (limit > size()) limit = size();
        if (offset >= limit) return std::nullopt;
        const auto* begin = reinterpret_cast<const char*>(bytes_.data() + offset);
        const auto length = static_cast<std::size_t>(limit - offset);
        const void* nul = std::memchr(begin, '\0', length);
        if (nul == nullptr) return std::nullopt;
        return std::string_view(begin, static_cast<const char*>(nul) - begin);
    }

    // Throws FormatError("<name>: <message>").
    [[noreturn]] void fail(const std::string& message) const {
        throw FormatError(quote(name_) + ": " + message);
    }

  private:
    template <typename T>
    T read(std::uint64_t offset) const {
        check(offset, sizeof(T));
        return load_unaligned<T>(bytes_.data() + offset, order_);
    }
    void check(std::uint64_t offset, std::uint64_t length) const {
        if (!contains(offset, length)) {
            fail("truncated: " + std::to_string(length) + " bytes at offset " +
                 std::to_string(offset) + " are past the end of the file (" +
                 std::to_string(size()) + " bytes)");
        }
    }

    std::span<const std::byte> bytes_;
    std::endian order_;
    std::string_view name_;
};

}  // namespace ocitools
