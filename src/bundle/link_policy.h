// Whether a bundle's files are hard links to the host's: only where the container cannot write
// through them, unless the user asked for exactly that on the command line.
#pragma once

#include "base/reporter.h"
#include "spec/container_spec.h"

namespace ocitools {

// Whether the container cannot write its root: read-only, and without CAP_SYS_ADMIN, with which
// `mount -o remount,rw /` undoes that (link_test.sh shows it).
bool root_stays_read_only(const ContainerSpec& spec);

// Whether files are hard-linked, for spec.link (copy when unset). "hardlink" with a root the
// container can write throws SpecError unless `allow_writable` (the user typed --link hardlink),
// and is then warned about through `reporter`.
bool use_hardlinks(const ContainerSpec& spec, bool allow_writable, const Reporter& reporter);

}  // namespace ocitools
