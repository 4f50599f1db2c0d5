// Linux capability names (capabilities(7), <linux/capability.h>) and the capability sets of the
// container's process: runc's defaults changed by --cap-add / --cap-drop.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ocitools {

// Every capability Linux defines, CAP_CHOWN (0) to CAP_CHECKPOINT_RESTORE (40), in number order.
const std::vector<std::string>& all_capabilities();

// The canonical name ("CAP_NET_RAW") of a capability given with or without the CAP_ prefix, in
// any case, as podman accepts them ("net_raw", "CAP_net_raw"); nullopt if Linux has no such one.
std::optional<std::string> canonical_capability(std::string_view name);

// Canonical names of `names` for the spec key or flag `key`; "ALL" stays "ALL". Throws SpecError
// naming the key and the unknown capability.
std::vector<std::string> parse_capabilities(const std::vector<std::string>& names,
                                            const std::string& key);

// The sets of process.capabilities (runtime-spec config.md, "Linux Process"), names sorted.
struct CapabilitySets {
    std::vector<std::string> bounding;
    std::vector<std::string> effective;
    std::vector<std::string> inheritable;
    std::vector<std::string> permitted;
    std::vector<std::string> ambient;
    bool operator==(const CapabilitySets&) const = default;
};

// What `runc spec` grants: CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE.
std::vector<std::string> default_capabilities();

// The sets for a process: `defaults`, minus everything when cap_drop holds ALL, plus cap_add (all
// of them for ALL), minus the named cap_drop. Bounding, effective and permitted get the result.
// A non-root process loses its permitted set at execve(2) unless the capabilities are ambient,
// so for one (`root_user` false) the capabilities it was explicitly given are also inheritable
// and ambient, as podman does. Ambient is never anything but inheritable and permitted
// (capabilities(7); runtime-tools checks it). A name both added and dropped is a SpecError.
CapabilitySets capability_sets(const std::vector<std::string>& defaults,
                               const std::vector<std::string>& cap_add,
                               const std::vector<std::string>& cap_drop, bool root_user);

}  // namespace ocitools
