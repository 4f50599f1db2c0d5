// The minimal /etc/passwd, /etc/group and /etc/hosts a container needs for `id`, `whoami` and
// name lookups of localhost and its own hostname, written only where the closure brings none:
// files the user included are never replaced.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rootfs/rootfs_writer.h"

namespace ocitools {

// passwd(5): root (0), nobody (65534), and the process user when it is neither, named "user".
std::string minimal_passwd(std::uint32_t uid, std::uint32_t gid);
// group(5): root (0), nobody (65534), and the process user's group when it is neither ("user").
std::string minimal_group(std::uint32_t gid);
// hosts(5): localhost (IPv4 and IPv6), and `hostname` on 127.0.1.1 as Debian does.
std::string minimal_hosts(const std::optional<std::string>& hostname);

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
