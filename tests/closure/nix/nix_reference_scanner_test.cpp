#include "closure/nix/nix_reference_scanner.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "closure/nix/nix_store_path.h"
#include "nix_test_support.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

class NixReferenceScannerTest : public ::testing::Test {
  protected:
    NixReferenceScannerTest() {
        for (int i = 0; i < 100; ++i) candidates_.add(fake_hash(i));
    }
    // Scan `bytes` as one stream fed in chunks of `chunk` bytes.
    std::set<std::string> scan_in_chunks(const std::string& bytes, size_t chunk) {
        ReferenceScanner scanner(candidates_);
        for (size_t i = 0; i < bytes.size(); i += chunk)
            scanner.feed(std::string_view(bytes).substr(i, chunk));
        return scanner.found();
    }
    ReferenceCandidates candidates_;
};

TEST_F(NixReferenceScannerTest, FindsAHashSplitAtEveryChunkBoundary) {
    const std::string text = "#!/nix/store/" + fake_hash(7) + "-bash/bin/bash\nexec x\n";
    const std::set<std::string> expected{fake_hash(7)};
    // Two chunks, split at every offset (inside the hash, before it, after it).
    for (size_t split = 0; split <= text.size(); ++split) {
        ReferenceScanner scanner(candidates_);
        scanner.feed(text.substr(0, split));
        scanner.feed(text.substr(split));
        EXPECT_EQ(scanner.found(), expected) << "split at " << split;
    }
    // Every chunk size, so a hash spans up to 32 chunks.
    for (size_t chunk = 1; chunk <= text.size(); ++chunk)
        EXPECT_EQ(scan_in_chunks(text, chunk), expected) << "chunks of " << chunk;
}

TEST_F(NixReferenceScannerTest, HashAtTheVeryStartAndEnd) {
    EXPECT_EQ(scan_in_chunks(fake_hash(1), 5), std::set<std::string>{fake_hash(1)});
    EXPECT_EQ(scan_in_chunks(fake_hash(1) + fake_hash(2), 7),
              (std::set<std::string>{fake_hash(1), fake_hash(2)}));
}

TEST_F(NixReferenceScannerTest, HashLikeStringsThatNameNoStoreEntry) {
    // 32 characters of the alphabet that are no candidate's hash part.
    const std::string unknown = fake_hash(1000);
    EXPECT_TRUE(scan_in_chunks("/nix/store/" + unknown + "-x", 3).empty());
    // A candidate's hash with one character changed, or cut short.
    std::string changed = fake_hash(3);
    changed[10] = changed[10] == '0' ? '1' : '0';
    EXPECT_TRUE(scan_in_chunks(changed, 1000).empty());
    EXPECT_TRUE(scan_in_chunks(fake_hash(3).substr(0, 31), 1000).empty());
    EXPECT_TRUE(scan_in_chunks(fake_hash(3).substr(1), 1000).empty());
}

TEST_F(NixReferenceScannerTest, NonAlphabetCharactersNextToHashes) {
    const std::string h = fake_hash(4);
    const std::set<std::string> expected{h};
    // Characters outside the alphabet around a hash: letters e, o, u, t, upper case, bytes.
    const std::vector<std::string> befores{
        "e", "o", "u", "t", "E", "-", "/", "\n", std::string(1, '\0'), "\xff", ""};
    const std::vector<std::string> afters{"e", "T", "-", "\"", std::string(1, '\0'), ""};
    for (const auto& before : befores) {
        for (const auto& after : afters)
            EXPECT_EQ(scan_in_chunks(before + h + after, 4), expected)
                << "[" << before << "] hash [" << after << "]";
    }
    // Nix matches any window of 32 alphabet characters, even inside a longer run.
    EXPECT_EQ(scan_in_chunks("abc" + h + "xyz", 1000), expected);
    EXPECT_EQ(scan_in_chunks("a" + h, 1), expected);
    // A non-alphabet character inside breaks the hash.
    std::string broken = h;
    broken[16] = 'e';
    EXPECT_TRUE(scan_in_chunks(broken, 1000).empty());
    broken[16] = 'A';
    EXPECT_TRUE(scan_in_chunks(broken, 1000).empty());
}

TEST_F(NixReferenceScannerTest, BinaryData) {
    // Random bytes (a few base32 runs by chance) with hashes at random places, in random
    // chunk sizes.
    std::mt19937_64 rng(42);
    std::string bytes(1 << 20, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    std::set<std::string> expected;
    for (int i = 0; i < 20; ++i) {
        const std::string h = fake_hash(i * 3);
        bytes.replace(rng() % (bytes.size() - 32), 32, h);
        expected.insert(h);
    }
    // (Later hashes may overwrite earlier ones: recompute what is really there.)
    std::set<std::string> present;
    for (int i = 0; i < 100; ++i)
        if (bytes.find(fake_hash(i)) != std::string::npos) present.insert(fake_hash(i));
    ASSERT_GE(present.size(), 15u);
    ReferenceScanner scanner(candidates_);
    for (size_t i = 0; i < bytes.size();) {
        const size_t n = std::min<size_t>(1 + rng() % 70000, bytes.size() - i);
        scanner.feed(std::string_view(bytes).substr(i, n));
        i += n;
    }
    EXPECT_EQ(scanner.found(), present);
}

TEST_F(NixReferenceScannerTest, StreamsDoNotJoin) {
    // The end of one stream and the start of the next never form a hash.
    const std::string h = fake_hash(5);
    ReferenceScanner scanner(candidates_);
    scanner.feed(h.substr(0, 16));
    scanner.end_stream();
    scanner.feed(h.substr(16));
    EXPECT_TRUE(scanner.found().empty());
    scanner.scan(h.substr(0, 20));
    scanner.scan(h.substr(20));
    EXPECT_TRUE(scanner.found().empty());
    scanner.scan("x" + h);
    EXPECT_EQ(scanner.found(), std::set<std::string>{h});
}

TEST_F(NixReferenceScannerTest, LongRunsOfAlphabetCharacters) {
    // A long base32 run is checked window by window without rescanning: a hash anywhere in it
    // is found.
    std::string run(100000, 'a');
    run.replace(77777, 32, fake_hash(9));
    EXPECT_EQ(scan_in_chunks(run, 4096), std::set<std::string>{fake_hash(9)});
}

}  // namespace
}  // namespace ocitools
