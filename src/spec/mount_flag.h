// The command-line forms of a mount, as runc, podman and docker spell them:
//   --mount type=bind,source=S,destination=D[,ro][,OPTION...]
//   -v S:D[:ro]
#pragma once

#include <string>

#include "spec/container_spec.h"

namespace ocitools {

// Throws SpecError quoting the flag value and naming the part that is wrong.
MountSpec parse_mount_flag(const std::string& value);
MountSpec parse_volume_flag(const std::string& value);

}  // namespace ocitools
