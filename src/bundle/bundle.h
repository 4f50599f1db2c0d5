// Bundle: orchestration only. Resolve the closure (closure/), write the rootfs (rootfs/) and the
// config (oci/) in a temporary sibling of the output (bundle/temp_dir.h), and rename it into place
// at the end, so a failure or a kill never leaves a half-built bundle at the target.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "base/progress.h"
#include "base/reporter.h"
#include "closure/closure.h"
#include "oci/config_for_spec.h"
#include "spec/container_spec.h"

namespace ocitools {

struct BuildOptions {
    std::filesystem::path output;
    bool force = false;            // replace an existing output
    std::string host_search_path;  // the host PATH, to find a bare program name
    HostIds builder = HostIds::current();
    ClosureOptions closure = ClosureOptions::from_environment();  // Nix store, packages
    unsigned jobs = 0;  // copying threads; 0: one per core, at most 8
    // spec.link == hardlink with a writable root is refused unless this is set (the user typed
    // --link hardlink); it is then only warned about.
    bool allow_writable_hardlinks = false;
    Progress* progress = nullptr;  // files and bytes written, when set
};

// The first steps of every build, shared by bundles and images (image/image.h).
// Check the output path before anything is written: SpecError when it is empty or names no
// entry ("."), exists without `force`, or exists as something else than a directory (a regular
// file when `directory` is false); SystemError when its parent is unusable. Whether it exists.
bool check_output(const std::filesystem::path& output, bool force, bool directory);
// The roots of `spec` (with the files a traced run touched, when it asks for one, the output
// never among them) and their closure.
Closure resolve_closure(const ContainerSpec& spec, const BuildOptions& options,
                        const Reporter& reporter, Roots& roots);

// Check the spec, compute the closure, write the bundle. Throws Error; nothing is left at the
// output path (nor in its parent) when it does.
void build_bundle(const ContainerSpec& spec, const BuildOptions& options, const Reporter& reporter);

}  // namespace ocitools
