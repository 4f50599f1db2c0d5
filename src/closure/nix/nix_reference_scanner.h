// ReferenceScanner: Nix's rule for which store paths a store path refers to (after Nix's
// src/libstore/references.cc). Every window of 32 characters of the Nix base32 alphabet in the
// scanned bytes is looked up among the candidates' hash parts; a hit is a reference. The scanner
// is streaming: bytes come in chunks of any size, and the tail of one chunk is carried over so a
// hash split across two chunks is still found. Memory is bounded by the candidate set: nothing
// of the stream is kept but the carry-over (at most 31 bytes).
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace ocitools {

// The hash parts a scan looks for.
class ReferenceCandidates {
  public:
    ReferenceCandidates();
    // `hash_part` must be 32 characters of the Nix base32 alphabet (a StorePath's hash_part()).
    void add(std::string_view hash_part);
    // Whether the 32 bytes at `window` (all of the alphabet) are a candidate.
    bool contains(const char* window) const;
    size_t size() const { return set_.size(); }

  private:
    struct Hash {
        size_t operator()(std::string_view s) const noexcept;
    };
    static std::uint32_t prefix(const char* window);
    // One bit per possible 4-character prefix (32^4): a long run of alphabet characters (hex
    // digests, identifiers) costs a bit test per window, not a hash-table lookup.
    std::vector<std::uint64_t> prefixes_;
    std::deque<std::string> storage_;  // stable addresses for the views in set_
    std::unordered_set<std::string_view, Hash> set_;
};

class ReferenceScanner {
  public:
    explicit ReferenceScanner(const ReferenceCandidates& candidates) : candidates_(candidates) {}

    // The next bytes of the current stream (a file's contents).
    void feed(std::string_view bytes);
    // End the current stream: the next feed starts a new one. A hash never spans two streams
    // (Nix scans the NAR serialisation, where length fields separate names, targets and files).
    void end_stream() { carry_.clear(); }
    // A whole stream at once: a file name, a symlink target.
    void scan(std::string_view whole) {
        end_stream();
        feed(whole);
        end_stream();
    }

    // The candidate hash parts found so far, sorted.
    const std::set<std::string>& found() const { return found_; }

  private:
    void search(std::string_view s);

    const ReferenceCandidates& candidates_;
    std::string carry_;  // the trailing base32 run of the stream so far, at most 31 bytes
    std::set<std::string> found_;
};

}  // namespace ocitools
