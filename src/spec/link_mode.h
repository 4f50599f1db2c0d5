// LinkMode: how the closure's files reach the rootfs (spec key `link`, flag --link).
//   copy      a private copy of every file (in the kernel, reflinked where the filesystem can)
//   hardlink  hard links to the host's files: no bytes copied, but the container shares the
//             host's inodes, so it is only safe with a read-only root
//   auto      hardlink when the root is read-only and a file is on the output's filesystem,
//             else copy
#pragma once

#include <string>

namespace ocitools {

enum class LinkMode { Copy, Hardlink, Auto };

// "copy", "hardlink" or "auto"; anything else is a SpecError naming `key`.
LinkMode parse_link_mode(const std::string& value, const std::string& key);
const char* to_string(LinkMode mode);

}  // namespace ocitools
