#include "trace/mount_api.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ocitools::mount_api {

int detached_tmpfs() noexcept {
    const int fs = static_cast<int>(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC));
    if (fs < 0) return -1;
    int mnt = -1;
    if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0755", 0) == 0 &&
        syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0)
        mnt = static_cast<int>(syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0));
    close(fs);
    return mnt;
}

int make_tree_readonly(const char* path) noexcept {
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    return static_cast<int>(
        syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr));
}

}  // namespace ocitools::mount_api
