// The child side of a traced run: the processes between the tracer and the command. Everything
// here runs between fork() and execve() of a multi-threaded process, so it only makes system
// calls on data prepared before the fork (no allocation, no locks).
//
//   tracer (ocitools) ── sandbox: unshares the namespaces, mounts, waits for init
//                           └─ init (pid 1 of the new pid namespace): waits for the command
//                                 └─ command: says who it is, is seized, seccomp, execve
//
// Only the command and its descendants are traced: the sandbox and init never stop the tracer.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

namespace ocitools {

constexpr int kMaxLayers = 8;

// What the sandbox tells the tracer: before it starts init ('r') or when it fails ('e'); then
// init's pid ('p'); then that init has ended ('d').
struct SandboxReport {
    char tag = 0;
    int init = 0;          // 'p': init's pid (the sandbox is in the tracer's pid namespace)
    int error = 0;         // errno of the failed step
    int staging_fd = -1;   // the sandbox's descriptor of the tmpfs holding the upper layers
    unsigned overlay = 0;  // bit i: layer i is an overlay (else an empty tmpfs)
    unsigned present = 0;  // bit i: layer i exists on the host and got a layer
    char step[96] = {};    // what failed
};

struct SandboxPlan {
    char* const* argv = nullptr;
    char* const* envp = nullptr;
    const char* cwd = "/";
    const char* layers[kMaxLayers] = {};  // directories given a throwaway layer
    int layer_count = 0;
    bool network = false;
    sock_fprog filter{};
    int go_fd = -1;      // read end: the tracer's go-aheads
    int command_fd = -1;  // socket: the command sends its credentials, then waits for 'g'

    int report_fd = -1;  // write end: SandboxReport, and 'u' once the namespaces exist
    int stderr_fd = -1;  // write end: the command's stderr
    int null_fd = -1;    // /dev/null, the command's stdin and stdout
};

// The sandbox process: never returns.
[[noreturn]] void run_sandbox(const SandboxPlan& plan) noexcept;

}  // namespace ocitools
