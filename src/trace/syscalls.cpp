#include "trace/syscalls.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <cstddef>
#include <iterator>

namespace ocitools {

namespace {

constexpr PathSyscall kRecorded[] = {
    {SYS_open, "open", -1, 0},
    {SYS_openat, "openat", 0, 1},
    {SYS_openat2, "openat2", 0, 1},
    {SYS_execve, "execve", -1, 0},
    {SYS_execveat, "execveat", 0, 1},
    {SYS_stat, "stat", -1, 0},
    {SYS_lstat, "lstat", -1, 0},
    {SYS_newfstatat, "newfstatat", 0, 1},
    {SYS_statx, "statx", 0, 1},
    {SYS_access, "access", -1, 0},
    {SYS_faccessat, "faccessat", 0, 1},
    {SYS_faccessat2, "faccessat2", 0, 1},
    {SYS_readlink, "readlink", -1, 0},
    {SYS_readlinkat, "readlinkat", 0, 1},
    {SYS_chdir, "chdir", -1, 0},
};

// x32 syscalls carry this bit in their number.
constexpr unsigned kX32SyscallBit = 0x40000000;

}  // namespace

const PathSyscall* path_syscall(long number) {
    for (const auto& s : kRecorded)
        if (s.number == number) return &s;
    return nullptr;
}

std::vector<sock_filter> trace_filter() {
    const auto n = static_cast<unsigned char>(std::size(kRecorded));
    std::vector<sock_filter> prog;
    // Not x86-64: allow (the i386 ABI numbers its syscalls differently).
    prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    // x32: allow.
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kX32SyscallBit, n, 0));
    // The i-th comparison jumps, on a match, over the n - 1 - i comparisons left and the allow.
    for (unsigned char i = 0; i < n; ++i)
        prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                static_cast<unsigned>(kRecorded[i].number),
                                static_cast<unsigned char>(n - i), 0));
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
    return prog;
}

}  // namespace ocitools
