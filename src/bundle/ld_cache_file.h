// The rootfs's /etc/ld.so.cache. The closure finds libraries through the host's cache, some in
// directories ld.so does not search by default (/usr/local/lib, what /etc/ld.so.conf.d adds):
// without a cache of its own, the container's ld.so would not find them. So the rootfs gets the
// host cache's entries for the libraries it holds, and nothing else, for the bundle
// (bundle.cpp) and the image (image/image.cpp) alike.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "plan/plan.h"

namespace ocitools {

// The bytes of the rootfs's /etc/ld.so.cache (closure/elf/ldcache_writer.h): the entries of the
// cache at `host_cache` whose path resolves, through the plan's symlinks, to a file of the plan,
// with their flags, hwcaps and order. nullopt when the plan brings a /etc/ld.so.cache of its own
// (kept, as a user's /etc/passwd is), when the host has no cache, or when no entry's library is
// in the plan (a Nix closure, whose glibc does not read /etc/ld.so.cache; a static program).
// Throws SystemError or FormatError naming the host cache when it cannot be read.
std::optional<std::string> rootfs_ld_cache(
    const Plan& plan, const std::filesystem::path& host_cache = "/etc/ld.so.cache");

}  // namespace ocitools
