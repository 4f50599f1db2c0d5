// Trace mode: run the command once on this machine, under ptrace, and record every path it
// looks up, so that what no static analysis sees (modules an interpreter imports, libraries
// opened with dlopen, data files) reaches the closure.
//
// The run cannot change the host. It happens in fresh user, mount, pid, ipc and (unless asked
// otherwise) network namespaces. Every mount is read-only there, except the places programs
// expect to write (/tmp, /var/tmp, /run, /dev/shm and the home directory), which get a
// throwaway layer: an overlay of the host's directory with an upper layer on a tmpfs that no
// host path shows, or an empty tmpfs where the kernel refuses the overlay. When the run ends,
// every process of its pid namespace is killed and its mounts go with its namespace.
//
// A seccomp filter stops the tracer only at path lookups (open, openat, openat2, execve,
// execveat, the stat family, access, faccessat, faccessat2, readlink, readlinkat, chdir) of
// 64-bit x86 processes; every other syscall, and fstat done as newfstatat or statx with
// AT_EMPTY_PATH, runs untouched. Paths are read with
// process_vm_readv and made absolute with the tracee's cwd or directory descriptor.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/reporter.h"

namespace ocitools {

// The traced run could not be set up (no user namespaces, a mount refused, ptrace denied).
class TraceError : public Error {
  public:
    using Error::Error;
};

struct TraceRequest {
    std::vector<std::string> argv;  // argv[0]: the program's absolute host path
    std::vector<std::string> env;   // the whole environment of the run
    std::string cwd = "/";
    double timeout_seconds = 10;  // then the whole process tree is killed
    bool network = false;         // share the host's network namespace
    std::string home;             // a directory given a throwaway layer too; may be empty
};

// One path the run looked up: the first syscall that named it, and the program that made it.
struct TracedAccess {
    std::string path;  // absolute, as the process named it (symlinks not resolved)
    std::string call;  // "openat", "execve", "newfstatat", ...
    std::string exe;   // /proc/PID/exe of the caller when it made the call
};

struct TraceResult {
    std::vector<TracedAccess> accesses;  // each path once, in the order first seen
    // Paths the run created, changed or removed in its throwaway layers (empty when they are
    // empty tmpfs mounts: then `layers` says where nothing of the host was seen).
    std::vector<std::string> written;
    std::vector<std::string> layers;  // the throwaway layers' mount points
    // The layers that were empty tmpfs mounts (the kernel refused their overlay, as it does for
    // a directory with a mount beneath it): nothing the run found in them was the host's. Empty
    // when every layer showed the host's content.
    std::vector<std::string> hidden;
    int exit_code = 0;                // of the command: its status, or 128 + signal
    bool timed_out = false;
    std::string stderr_tail;  // the last lines the command wrote to stderr
};

// Run `request` traced. Its stdin and stdout are /dev/null, its stderr is kept (the tail) for
// the caller to show. Throws TraceError when the sandbox cannot be set up (the message says
// which step and why), Cancelled when a cancel was requested (the run is killed first). A
// command that fails or runs out of time is not an error: the result says so.
TraceResult trace_run(const TraceRequest& request, const Reporter& reporter);

}  // namespace ocitools
