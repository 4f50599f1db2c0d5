#include "bundle/link_policy.h"

#include <algorithm>

#include "base/error.h"
#include "spec/capabilities.h"

namespace ocitools {

bool root_stays_read_only(const ContainerSpec& spec) {
    if (!spec.readonly) return false;
    const CapabilitySets caps =
        capability_sets(default_capabilities(), spec.cap_add, spec.cap_drop, true);
    return std::find(caps.bounding.begin(), caps.bounding.end(), "CAP_SYS_ADMIN") ==
           caps.bounding.end();
}

bool use_hardlinks(const ContainerSpec& spec, bool allow_writable, const Reporter& reporter) {
    const bool read_only = root_stays_read_only(spec);
    switch (spec.link.value_or(LinkMode::Copy)) {
        case LinkMode::Copy:
            return false;
        case LinkMode::Auto:
            return read_only;
        case LinkMode::Hardlink:
            if (read_only) return true;
            if (spec.readonly && !allow_writable)
                throw SpecError(
                    "link \"hardlink\" with CAP_SYS_ADMIN: the container can remount its "
                    "read-only root writable and change host files through the hard links; "
                    "drop the capability, use link \"auto\", or pass --link hardlink on the "
                    "command line to accept it");
            if (!allow_writable)
                throw SpecError(
                    "link \"hardlink\" with a writable root: the container could change host "
                    "files through the hard links; make the root read-only (--readonly), use "
                    "link \"auto\", or pass --link hardlink on the command line to accept it");
            reporter.warn(spec.readonly
                              ? "--link hardlink with CAP_SYS_ADMIN: the container can remount "
                                "its root writable and change host files through the hard links"
                              : "--link hardlink with a writable root: the container can change "
                                "host files through the hard links (--readonly prevents it)");
            return true;
    }
    return false;
}

}  // namespace ocitools
