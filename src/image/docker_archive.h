// A docker archive: the image layout's files and a manifest.json in one tar, as `docker save`
// of Docker 25 writes it; `docker load` (from 1.10 on, which reads only manifest.json) and
// `podman load` take it. Streamed: each blob is read from the layout as it is written out.
#pragma once

#include <string>
#include <vector>

namespace ocitools {

// Write the tar of the layout in the directory `layout` (an open fd, named `shown`) to `out`:
// `files` (paths relative to the layout: "oci-layout", "blobs/sha256/<hex>", ...) in the order
// given, each with the directories above it first, mode 0644 (directories 0755), uid and gid 0,
// mtime `mtime`. `out_shown` names the output in errors.
void write_docker_archive(int layout, const std::string& shown, const std::vector<std::string>& files,
                          long long mtime, int out, const std::string& out_shown);

}  // namespace ocitools
