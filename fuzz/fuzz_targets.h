// The bodies of the libFuzzer targets, shared with the test suite, which replays the seed
// corpus and every regression input through them (tests/fuzz_replay_test.cpp). Each must turn
// bad input into the parser's own error, never a crash, a hang or another exception.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ocitools::fuzz {

void elf(const std::uint8_t* data, std::size_t size);      // ElfFile::parse
void ldcache(const std::uint8_t* data, std::size_t size);  // LdCache::parse, lookups, write back
// A spec as read from a file (duplicate keys, numbers, the checks a build makes), mount flags,
// mount destinations, #! lines.
void spec(const std::uint8_t* data, std::size_t size);
// The Nix reference scanner: fed in chunks of a size the input picks, it must find exactly what
// one whole-buffer scan finds (the carry-over across reads); aborts when it does not.
void nix_scanner(const std::uint8_t* data, std::size_t size);

}  // namespace ocitools::fuzz
