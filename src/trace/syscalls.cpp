#include "trace/syscalls.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <fcntl.h>
#include <sys/syscall.h>

#include <cstddef>
#include <cstdint>
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
    // fstat(2) is newfstatat(fd, "", AT_EMPTY_PATH), and Rust's is statx with AT_EMPTY_PATH:
    // those name a descriptor, not a path, and are about half of all the calls; they run
    // without a stop. The other recorded syscalls always stop.
    std::vector<long> always;
    for (const auto& s : kRecorded)
        if (s.number != SYS_newfstatat && s.number != SYS_statx) always.push_back(s.number);
    const size_t m = always.size();
    const size_t kAllow = 7 + m, kTrace = 8 + m, kNewfstatat = 9 + m, kStatx = 13 + m;
    std::vector<sock_filter> prog;
    // A jump from the instruction about to be added to instruction `to`.
    auto to = [&](size_t target) { return static_cast<unsigned char>(target - prog.size() - 1); };
    // Not x86-64: allow (the i386 ABI numbers its syscalls differently).
    prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kX32SyscallBit, to(kAllow), 0));  // x32
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_newfstatat, to(kNewfstatat), 0));
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_statx, to(kStatx), 0));
    for (long number : always)
        prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(number),
                                to(kTrace), 0));
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
    // The flags are the fourth argument of newfstatat, the third of statx (low words). BPF
    // jumps only forwards: each test has its own returns.
    for (const unsigned flags_arg : {3u, 2u}) {
        prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                static_cast<unsigned>(offsetof(seccomp_data, args)) +
                                    flags_arg * static_cast<unsigned>(sizeof(std::uint64_t))));
        prog.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, 0, 1));
        prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
        prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
    }
    return prog;
}

}  // namespace ocitools
