// The syscalls trace mode records: x86-64 numbers, where each keeps its path and directory
// descriptor, and the seccomp filter that stops the tracer at these and at nothing else.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace ocitools {

struct PathSyscall {
    long number;
    const char* name;
    int dirfd_arg;  // argument holding the directory descriptor, or -1 (relative to the cwd)
    int path_arg;   // argument holding the path
};

// The entry for syscall `number`, or nullptr when it is not recorded.
const PathSyscall* path_syscall(long number);

// A seccomp program returning SECCOMP_RET_TRACE for the recorded syscalls of x86-64 processes
// and SECCOMP_RET_ALLOW for everything else (other syscalls, the x32 and i386 ABIs).
std::vector<sock_filter> trace_filter();

}  // namespace ocitools
