#include "closure/nix/nix_reference_scanner.h"

#include <array>
#include <cstdint>
#include <cstring>

#include "closure/nix/nix_store_path.h"

namespace ocitools {

namespace {

constexpr std::array<bool, 256> make_base32_table() {
    std::array<bool, 256> table{};
    for (char c : kNixBase32Alphabet) table[static_cast<unsigned char>(c)] = true;
    return table;
}
constexpr auto kBase32 = make_base32_table();

constexpr std::array<std::uint8_t, 256> make_digit_table() {
    std::array<std::uint8_t, 256> table{};
    for (size_t i = 0; i < kNixBase32Alphabet.size(); ++i)
        table[static_cast<unsigned char>(kNixBase32Alphabet[i])] = static_cast<std::uint8_t>(i);
    return table;
}
constexpr auto kDigit = make_digit_table();
constexpr size_t kPrefixBits = 20;  // 4 characters of 5 bits

inline bool base32(char c) {
    return kBase32[static_cast<unsigned char>(c)];
}

}  // namespace

size_t ReferenceCandidates::Hash::operator()(std::string_view s) const noexcept {
    // Hash parts are uniformly random: their first 8 bytes are as good a hash as any.
    std::uint64_t h = 0;
    std::memcpy(&h, s.data(), std::min(sizeof h, s.size()));
    return static_cast<size_t>(h ^ (h >> 29));
}

ReferenceCandidates::ReferenceCandidates() : prefixes_((size_t{1} << kPrefixBits) / 64) {}

std::uint32_t ReferenceCandidates::prefix(const char* w) {
    auto d = [w](int i) { return std::uint32_t{kDigit[static_cast<unsigned char>(w[i])]}; };
    return d(0) << 15 | d(1) << 10 | d(2) << 5 | d(3);
}

void ReferenceCandidates::add(std::string_view hash_part) {
    if (set_.count(hash_part)) return;
    storage_.emplace_back(hash_part);
    set_.insert(storage_.back());
    const std::uint32_t p = prefix(hash_part.data());
    prefixes_[p / 64] |= std::uint64_t{1} << (p % 64);
}

bool ReferenceCandidates::contains(const char* window) const {
    const std::uint32_t p = prefix(window);
    if (!(prefixes_[p / 64] >> (p % 64) & 1)) return false;
    return set_.count(std::string_view(window, kStoreHashLength)) != 0;
}

void ReferenceScanner::search(std::string_view s) {
    constexpr size_t n = kStoreHashLength;
    const char* p = s.data();
    const size_t size = s.size();
    size_t i = 0;
    while (i + n <= size) {
        // Check the window from its end (as Nix does): a byte outside the alphabet at offset j
        // rules out every window that holds it, so the next one to try starts after it. On
        // binary data this looks at about one byte in 32.
        size_t j = n;
        while (j > 0 && base32(p[i + j - 1])) --j;
        if (j > 0) {
            i += j;
            continue;
        }
        // A run of base32 characters: slide along it, one new byte per window.
        for (;;) {
            if (candidates_.contains(p + i)) found_.emplace(p + i, n);
            if (i + n >= size || !base32(p[i + n])) {
                i += n + 1;
                break;
            }
            ++i;
        }
    }
}

void ReferenceScanner::feed(std::string_view bytes) {
    if (bytes.empty()) return;
    constexpr size_t keep = kStoreHashLength - 1;
    if (!carry_.empty()) {
        // Windows that start in the carry-over and end in this chunk.
        std::string join = carry_;
        join.append(bytes.substr(0, std::min(keep, bytes.size())));
        search(join);
    }
    search(bytes);
    // Carry the trailing run of base32 characters (at most 31): only such bytes can begin a
    // window that ends in the next chunk.
    size_t run = 0;
    while (run < bytes.size() && run < keep && base32(bytes[bytes.size() - 1 - run])) ++run;
    if (run == bytes.size()) {
        carry_.append(bytes);
        if (carry_.size() > keep) carry_.erase(0, carry_.size() - keep);
    } else {
        carry_.assign(bytes.substr(bytes.size() - run));
    }
}

}  // namespace ocitools
