#include "closure/nix/nix_store_path.h"

#include <array>

#include "base/error.h"

namespace ocitools {

namespace {

constexpr std::array<bool, 256> make_table(std::string_view chars) {
    std::array<bool, 256> table{};
    for (char c : chars) table[static_cast<unsigned char>(c)] = true;
    return table;
}

constexpr auto kBase32 = make_table(kNixBase32Alphabet);
// Nix's checkName (libstore/path.cc): letters, digits and "+-._?=".
constexpr auto kNameChars =
    make_table("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-._?=");

}  // namespace

bool is_nix_base32(char c) {
    return kBase32[static_cast<unsigned char>(c)];
}

bool is_store_name_char(char c) {
    return kNameChars[static_cast<unsigned char>(c)];
}

StoreDir::StoreDir(std::string_view dir) {
    if (dir.empty() || dir[0] != '/')
        throw SpecError("store directory " + quote(dir) + ": must be an absolute path");
    size_t i = 0;
    while (i < dir.size()) {
        size_t j = dir.find('/', i);
        if (j == std::string_view::npos) j = dir.size();
        const std::string_view part = dir.substr(i, j - i);
        i = j + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..")
            throw SpecError("store directory " + quote(dir) + ": must not contain \"..\"");
        dir_ += '/';
        dir_ += part;
    }
    if (dir_.empty()) throw SpecError("store directory " + quote(dir) + ": cannot be \"/\"");
}

bool StoreDir::is_valid_base_name(std::string_view base) {
    if (base.size() < kStoreHashLength + 2 ||
        base.size() > kStoreHashLength + 1 + kStoreNameMaxLength)
        return false;
    for (size_t i = 0; i < kStoreHashLength; ++i)
        if (!is_nix_base32(base[i])) return false;
    if (base[kStoreHashLength] != '-') return false;
    const std::string_view name = base.substr(kStoreHashLength + 1);
    if (name[0] == '.') return false;
    for (char c : name)
        if (!is_store_name_char(c)) return false;
    return true;
}

std::optional<StorePath> StoreDir::from_base_name(std::string_view base) const {
    if (!is_valid_base_name(base)) return std::nullopt;
    return StorePath(dir_ + "/" + std::string(base), dir_.size() + 1);
}

std::optional<StorePath> StoreDir::store_path_of(std::string_view path) const {
    if (path.size() <= dir_.size() + 1 || !path.starts_with(dir_) || path[dir_.size()] != '/')
        return std::nullopt;
    std::string_view rest = path.substr(dir_.size() + 1);
    rest = rest.substr(0, rest.find('/'));
    return from_base_name(rest);
}

std::vector<StorePath> StoreDir::find_in(std::string_view text) const {
    std::vector<StorePath> found;
    const std::string prefix = dir_ + "/";
    size_t at = 0;
    while ((at = text.find(prefix, at)) != std::string_view::npos) {
        const size_t base = at + prefix.size();
        at = base;
        size_t end = base;
        while (end < text.size() && end - base < kStoreHashLength && is_nix_base32(text[end]))
            ++end;
        if (end - base != kStoreHashLength || end >= text.size() || text[end] != '-') continue;
        ++end;
        while (end < text.size() && end - base < kStoreHashLength + 1 + kStoreNameMaxLength &&
               is_store_name_char(text[end]))
            ++end;
        if (auto path = from_base_name(text.substr(base, end - base))) {
            found.push_back(std::move(*path));
            at = end;
        }
    }
    return found;
}

}  // namespace ocitools
