// Replays the fuzzers' seed corpus and every regression input (fuzz/corpus/<target>/,
// fuzz/regressions/<target>/) through the fuzz target bodies, so a crash the fuzzer once found
// stays fixed in every build, not only in the sanitizer build of fuzz/run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "../fuzz/fuzz_targets.h"

namespace {

namespace fs = std::filesystem;
const fs::path kFuzzDir = fs::path(OCITOOLS_TEST_DATA) / ".." / "fuzz";

size_t replay(const std::string& target,
              const std::function<void(const std::uint8_t*, std::size_t)>& body) {
    size_t inputs = 0;
    for (const char* kind : {"corpus", "regressions"}) {
        const fs::path dir = kFuzzDir / kind / target;
        if (!fs::is_directory(dir)) continue;
        for (const auto& entry : fs::directory_iterator(dir)) {
            std::ifstream in(entry.path(), std::ios::binary);
            const std::string data((std::istreambuf_iterator<char>(in)), {});
            SCOPED_TRACE(entry.path().string());
            EXPECT_NO_THROW(body(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
            ++inputs;
        }
    }
    return inputs;
}

TEST(FuzzReplay, Elf) {
    EXPECT_GT(replay("elf", ocitools::fuzz::elf), 0u);
}
TEST(FuzzReplay, LdCache) {
    EXPECT_GT(replay("ldcache", ocitools::fuzz::ldcache), 0u);
}
TEST(FuzzReplay, Spec) {
    EXPECT_GT(replay("spec", ocitools::fuzz::spec), 0u);
}
TEST(FuzzReplay, NixScanner) {
    EXPECT_GT(replay("nix_scanner", ocitools::fuzz::nix_scanner), 0u);
}

}  // namespace
