// libFuzzer entry point for fuzz::closure_cache (fuzz_targets.cpp); built and run by fuzz/run.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ocitools::fuzz::closure_cache(data, size);
    return 0;
}
