// From a traced run to roots: which of the paths the run looked up the rootfs receives, each
// as a root that is never walked when it is a directory (a stat'ed directory becomes an empty
// directory; the files the run used inside it are roots of their own).
#pragma once

#include <string>
#include <vector>

#include "base/reporter.h"
#include "fs/real_disk.h"
#include "roots/roots.h"
#include "spec/container_spec.h"
#include "trace/trace.h"

namespace ocitools {

// The roots for the paths of `result`, with the reason "traced: CALL by EXE", in the order the
// run first looked them up. Left out: /proc, /sys and /dev (the runtime mounts them), paths at
// or beneath `excluded` (the output and its temporary sibling), what the run wrote itself in its
// throwaway layers (and all of a layer that did not show the host's files), and paths that are
// not on the host now, or that are neither files nor directories once symlinks are followed
// (sockets, FIFOs, devices, dangling links).
std::vector<Root> traced_roots(const TraceResult& result, const std::vector<std::string>& excluded,
                               const Disk& disk = host_disk());

// Run the request's command traced (as the container would run it: roots.program with the
// spec's arguments, roots.env plus the caller's HOME, the spec's cwd) and append its roots to
// roots.files. Reports a run that timed out or failed as a warning, and a summary as a note.
void add_traced_roots(Roots& roots, const ContainerSpec& spec,
                      const std::vector<std::string>& excluded, const Reporter& reporter,
                      const Disk& disk = host_disk());

}  // namespace ocitools
