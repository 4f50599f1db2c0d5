// Enumerations named by words (flags, spec values, dpkg's fields, messages): one table of
// (value, name) pairs per enumeration, read both ways, so that each name is written once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"

namespace ocitools {

template <typename Enum>
using EnumName = std::pair<Enum, std::string_view>;

// The name of `value` in `table` (the names are literals, so NUL-terminated), or "?".
template <typename Enum, std::size_t N>
const char* name_of(const EnumName<Enum> (&table)[N], Enum value) {
    for (const auto& [e, name] : table)
        if (e == value) return name.data();
    return "?";
}

// The value named `word` in `table`, if any.
template <typename Enum, std::size_t N>
std::optional<Enum> value_named(const EnumName<Enum> (&table)[N], std::string_view word) {
    for (const auto& [e, name] : table)
        if (name == word) return e;
    return std::nullopt;
}

// The value named `word` in `table`, for the flag or key `what`; else SpecError
// `WHAT: "WORD" is not a KIND (expected a, b or c)`, the names in the table's order.
template <typename Enum, std::size_t N>
Enum parse_named(const EnumName<Enum> (&table)[N], std::string_view word, std::string_view what,
                 std::string_view kind) {
    if (auto value = value_named(table, word)) return *value;
    std::string names;
    for (std::size_t i = 0; i < N; ++i)
        names.append(i == 0 ? "" : i + 1 == N ? " or " : ", ").append(table[i].second);
    throw SpecError(std::string(what) + ": " + quote(word) + " is not a " + std::string(kind) +
                    " (expected " + names + ")");
}

}  // namespace ocitools
