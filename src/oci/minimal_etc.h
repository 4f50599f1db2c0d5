// The minimal /etc/passwd, /etc/group and /etc/hosts ocitools gives a container whose closure
// brings none. Here, beside the config: the process user is resolved in the same text the rootfs
// will then hold (bundle/etc_files.h writes it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ocitools {

// passwd(5): root (0), nobody (65534), and the process user when it is neither, named "user".
std::string minimal_passwd(std::uint32_t uid, std::uint32_t gid);
// group(5): root (0), nobody (65534), and the process user's group when it is neither ("user").
std::string minimal_group(std::uint32_t gid);
// hosts(5): localhost (IPv4 and IPv6), and `hostname` on 127.0.1.1 as Debian does.
std::string minimal_hosts(const std::optional<std::string>& hostname);

}  // namespace ocitools
