// StoreDir and StorePath: Nix store paths as values that can only hold valid ones (after Nix's
// src/libstore/path.hh). A store path is `<store-dir>/<hash>-<name>`: the hash part is 32
// characters of Nix's base32 alphabet (0-9 and a-z without e, o, u, t), the name is 1 to 211
// characters of [A-Za-z0-9+-._?=] not starting with '.'. A path beneath it belongs to it.
#pragma once

#include <compare>
#include <optional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ocitools {

inline constexpr size_t kStoreHashLength = 32;
inline constexpr size_t kStoreNameMaxLength = 211;
inline constexpr std::string_view kNixBase32Alphabet = "0123456789abcdfghijklmnpqrsvwxyz";

// Whether `c` is a character of Nix's base32 alphabet.
bool is_nix_base32(char c);
// Whether `c` may appear in the name part of a store path.
bool is_store_name_char(char c);

class StorePath {
  public:
    const std::string& path() const { return path_; }  // "/nix/store/<hash>-<name>"
    std::string_view base_name() const { return std::string_view(path_).substr(base_); }
    std::string_view hash_part() const { return base_name().substr(0, kStoreHashLength); }
    std::string_view name() const { return base_name().substr(kStoreHashLength + 1); }

    auto operator<=>(const StorePath& other) const { return path_ <=> other.path_; }
    bool operator==(const StorePath& other) const { return path_ == other.path_; }

  private:
    friend class StoreDir;
    StorePath(std::string path, size_t base) : path_(std::move(path)), base_(base) {}
    std::string path_;
    size_t base_;
};

class StoreDir {
  public:
    // `dir` must be an absolute path other than "/"; it is cleaned lexically ("//", "." and a
    // trailing '/' dropped). Throws SpecError naming it otherwise ("..", relative).
    explicit StoreDir(std::string_view dir);

    const std::string& path() const { return dir_; }

    // Whether `base_name` is a valid `<hash>-<name>`.
    static bool is_valid_base_name(std::string_view base_name);

    // The store path `path` is or lies beneath (lexically: "/nix/store/<hash>-x/bin/sh" gives
    // "/nix/store/<hash>-x"); nullopt when `path` is not inside a store path of this store.
    std::optional<StorePath> store_path_of(std::string_view path) const;

    // The store path of this store named `<store-dir>/<base_name>`; nullopt when invalid.
    std::optional<StorePath> from_base_name(std::string_view base_name) const;

    // Every store path mentioned anywhere inside `text` (an argument such as
    // "--config=/nix/store/<hash>-x/etc/c"), in order of appearance: the store directory, '/',
    // a hash part, '-', and the longest name that follows.
    std::vector<StorePath> find_in(std::string_view text) const;

  private:
    std::string dir_;
};

// A closure's reference graph: each store path with the store paths it refers to, itself
// excluded, sorted.
using StoreGraph = std::map<StorePath, std::vector<StorePath>>;

}  // namespace ocitools
