// Bundle: orchestration only. Resolve the closure, then build the bundle (config.json + rootfs/)
// in a temporary sibling of the output and rename it into place at the end, so a failure or a
// kill never leaves a half-built bundle at the target.
#pragma once

#include <filesystem>
#include <string>

#include "closure/closure.h"
#include "oci/runtime_config.h"
#include "reporter.h"
#include "spec/container_spec.h"

namespace ocitools {

struct BuildOptions {
    std::filesystem::path output;
    bool force = false;            // replace an existing output
    std::string host_search_path;  // the host PATH, to find a bare program name
};

// The runtime config for a checked spec and its closure.
oci::RuntimeConfig runtime_config_for(const ContainerSpec& spec, const Closure& closure);

// Check the spec, compute the closure, write the bundle. Throws Error; nothing is left at the
// output path (nor in its parent) when it does.
void build_bundle(const ContainerSpec& spec, const BuildOptions& options, const Reporter& reporter);

}  // namespace ocitools
