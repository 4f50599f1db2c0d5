#include "oci/minimal_etc.h"

namespace ocitools {

namespace {

constexpr std::uint32_t kNobody = 65534;  // the overflow id (/proc/sys/kernel/overflowuid)

}  // namespace

std::string minimal_passwd(std::uint32_t uid, std::uint32_t gid) {
    std::string text =
        "root:x:0:0:root:/root:/bin/sh\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
    if (uid != 0 && uid != kNobody)
        text += "user:x:" + std::to_string(uid) + ":" + std::to_string(gid) + ":user:/:/bin/sh\n";
    return text;
}

std::string minimal_group(std::uint32_t gid) {
    std::string text = "root:x:0:\nnobody:x:65534:\n";
    if (gid != 0 && gid != kNobody) text += "user:x:" + std::to_string(gid) + ":\n";
    return text;
}

std::string minimal_hosts(const std::optional<std::string>& hostname) {
    std::string text =
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n";
    if (hostname && *hostname != "localhost") text += "127.0.1.1\t" + *hostname + "\n";
    return text;
}

}  // namespace ocitools
