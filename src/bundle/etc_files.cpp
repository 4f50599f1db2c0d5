#include "bundle/etc_files.h"

namespace ocitools {

EtcFiles EtcFiles::read(RootfsWriter& writer) {
    EtcFiles files;
    files.passwd = writer.read_file("/etc/passwd");
    files.group = writer.read_file("/etc/group");
    files.has_hosts = writer.read_file("/etc/hosts").has_value();
    return files;
}

void EtcFiles::write_missing(RootfsWriter& writer, std::uint32_t uid, std::uint32_t gid,
                             const std::optional<std::string>& hostname) const {
    if (!passwd) writer.create_file("/etc/passwd", minimal_passwd(uid, gid), 0644);
    if (!group) writer.create_file("/etc/group", minimal_group(gid), 0644);
    if (!has_hosts) writer.create_file("/etc/hosts", minimal_hosts(hostname), 0644);
}

}  // namespace ocitools
