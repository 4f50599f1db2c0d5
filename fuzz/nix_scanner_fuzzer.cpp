// libFuzzer entry point for fuzz::nix_scanner (fuzz_targets.cpp); built and run by fuzz/run.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ocitools::fuzz::nix_scanner(data, size);
    return 0;
}
