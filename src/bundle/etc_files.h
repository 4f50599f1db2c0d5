// The rootfs's /etc/passwd, /etc/group and /etc/hosts, read as the container will see them. A
// container needs them for `id`, `whoami` and name lookups of localhost and its own hostname: the
// minimal ones (oci/minimal_etc.h) are written only where the closure brings none, so files the
// user included are never replaced.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "oci/minimal_etc.h"
#include "rootfs/rootfs_writer.h"

namespace ocitools {

struct EtcFiles {
    std::optional<std::string> passwd;  // the rootfs's, or nullopt when the closure brings none
    std::optional<std::string> group;
    bool has_hosts = false;

    // Read what the rootfs holds (symlinks resolved inside it).
    static EtcFiles read(RootfsWriter& writer);
    // Write the minimal files the rootfs lacks, for the resolved process user.
    void write_missing(RootfsWriter& writer, std::uint32_t uid, std::uint32_t gid,
                       const std::optional<std::string>& hostname) const;
};

}  // namespace ocitools
