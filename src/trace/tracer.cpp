#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <climits>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "base/cancel.h"
#include "base/error.h"
#include "fs/unique_fd.h"
#include "trace/sandbox.h"
#include "trace/stderr_tail.h"
#include "trace/syscalls.h"
#include "trace/trace.h"
#include "trace/watchdog.h"

namespace ocitools {

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

struct Pipe {
    UniqueFd read, write;
};

Pipe make_pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw SystemError("cannot create a pipe", "trace", errno);
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void write_file(const std::string& path, const std::string& text) {
    const UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd || write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        throw TraceError("trace: cannot write " + quote(path) + " (" + strerror(errno) +
                         "): the kernel refuses a user namespace for the traced run");
}

std::string proc_link(pid_t pid, const std::string& what) {
    char buf[PATH_MAX];
    const std::string link = "/proc/" + std::to_string(pid) + "/" + what;
    const ssize_t n = readlink(link.c_str(), buf, sizeof buf);
    return n <= 0 || static_cast<size_t>(n) >= sizeof buf ? std::string()
                                                          : std::string(buf, static_cast<size_t>(n));
}

// The NUL-terminated string at `address` in `pid`, read page by page so that a string ending
// just before an unmapped page is still read whole. Empty when unreadable.
std::string read_string(pid_t pid, unsigned long address) {
    constexpr size_t kPage = 4096;
    std::string out;
    char buf[kPage];
    while (out.size() < PATH_MAX) {
        const size_t chunk = kPage - (address % kPage);
        iovec local{buf, chunk};
        iovec remote{reinterpret_cast<void*>(address), chunk};
        const ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n <= 0) return {};
        const char* end = static_cast<const char*>(memchr(buf, 0, static_cast<size_t>(n)));
        if (end) return out.append(buf, static_cast<size_t>(end - buf));
        out.append(buf, static_cast<size_t>(n));
        address += static_cast<unsigned long>(n);
    }
    return {};
}

unsigned long argument(const user_regs_struct& regs, int index) {
    switch (index) {
        case 0: return regs.rdi;
        case 1: return regs.rsi;
        case 2: return regs.rdx;
        case 3: return regs.r10;
        case 4: return regs.r8;
        default: return regs.r9;
    }
}

class Tracer {
  public:
    explicit Tracer(TraceResult& result) : result_(result) {}

    void on_syscall(pid_t pid) {
        user_regs_struct regs{};
        if (ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0) return;
        const PathSyscall* call = path_syscall(static_cast<long>(regs.orig_rax));
        if (!call) return;
        std::string path = read_string(pid, argument(regs, call->path_arg));
        if (path.empty()) return;  // AT_EMPTY_PATH: a descriptor, not a lookup
        if (path[0] != '/') {
            const int dirfd =
                call->dirfd_arg < 0 ? AT_FDCWD : static_cast<int>(argument(regs, call->dirfd_arg));
            const std::string base = dirfd == AT_FDCWD
                                         ? proc_link(pid, "cwd")
                                         : proc_link(pid, "fd/" + std::to_string(dirfd));
            if (base.empty() || base[0] != '/') return;  // a pipe, a deleted directory
            path = base == "/" ? "/" + path : base + "/" + path;
        }
        if (!seen_.insert(path).second) return;
        result_.accesses.push_back({std::move(path), call->name, exe_of(pid)});
    }

    // `former`: the thread that called execve, which now has the leader's pid.
    void on_exec(pid_t pid, pid_t former) {
        exe_.erase(former);
        exe_.erase(pid);
    }
    void on_exit(pid_t pid) { exe_.erase(pid); }

  private:
    const std::string& exe_of(pid_t pid) {
        auto it = exe_.find(pid);
        if (it == exe_.end()) it = exe_.emplace(pid, proc_link(pid, "exe")).first;
        return it->second;
    }

    TraceResult& result_;
    std::unordered_set<std::string> seen_;
    std::unordered_map<pid_t, std::string> exe_;
};

// What the run wrote in its overlay layers: every non-directory in an upper layer (new files,
// changed files, and whiteouts for removed ones), as the host path it hides.
void list_written(pid_t sandbox, const SandboxReport& report,
                  const std::vector<std::string>& layers, TraceResult& result) {
    namespace fs = std::filesystem;
    for (size_t i = 0; i < layers.size(); ++i) {
        if (!(report.overlay & (1u << i))) continue;
        const fs::path upper = "/proc/" + std::to_string(sandbox) + "/fd/" +
                               std::to_string(report.staging_fd) + "/" + std::to_string(i) + "/u";
        std::error_code ec;
        for (fs::recursive_directory_iterator it(upper, ec), end; !ec && it != end;
             it.increment(ec)) {
            if (it->is_directory(ec) && !it->is_symlink(ec)) continue;
            result.written.push_back(layers[i] + "/" +
                                     it->path().lexically_relative(upper).string());
        }
    }
}

// The pid, in our pid namespace, of the process that sent its credentials on `fd`; 0 when the
// socket was closed first (the run was killed before the command started).
pid_t credentials_pid(int fd) {
    char byte;
    iovec iov{&byte, 1};
    char control[CMSG_SPACE(sizeof(ucred))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    while ((n = recvmsg(fd, &msg, 0)) < 0 && errno == EINTR) {
    }
    if (n != 1) return 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            ucred cred;
            std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
            return cred.pid;
        }
    return 0;
}

constexpr long kTraceOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK |
                               PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |
                               PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;

}  // namespace

TraceResult trace_run(const TraceRequest& request, const Reporter& reporter) {
    (void)reporter;
    if (request.argv.empty() || request.argv[0].empty() || request.argv[0][0] != '/')
        throw TraceError("trace: the program must be an absolute path");
    TraceResult result;

    // Everything the children need, prepared before fork.
    std::vector<std::string> layers;
    for (const char* dir : {"/tmp", "/var/tmp", "/run"}) layers.push_back(dir);
    if (!request.home.empty() && request.home != "/" && request.home[0] == '/')
        layers.push_back(request.home);
    std::vector<char*> argv = c_strings(request.argv);
    std::vector<char*> envp = c_strings(request.env);
    std::vector<sock_filter> filter = trace_filter();
    // The go-aheads travel on a socket, sent with MSG_NOSIGNAL: a sandbox that was killed
    // must not take ocitools with it through SIGPIPE.
    int go_fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go_fds) != 0)
        throw SystemError("cannot create a socket pair", "trace", errno);
    Pipe go{UniqueFd(go_fds[0]), UniqueFd(go_fds[1])};
    Pipe report_pipe = make_pipe(), err = make_pipe();
    // The command's credentials come on a socket of their own, read with SO_PASSCRED.
    int command_fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, command_fds) != 0)
        throw SystemError("cannot create a socket pair", "trace", errno);
    Pipe command_socket{UniqueFd(command_fds[0]), UniqueFd(command_fds[1])};
    const int on = 1;
    setsockopt(command_socket.read.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    const UniqueFd null_fd(open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null_fd) throw SystemError("cannot open", "/dev/null", errno);

    SandboxPlan plan;
    plan.argv = argv.data();
    plan.envp = envp.data();
    plan.cwd = request.cwd.c_str();
    for (const auto& layer : layers) plan.layers[plan.layer_count++] = layer.c_str();
    plan.network = request.network;
    plan.filter = {static_cast<unsigned short>(filter.size()), filter.data()};
    plan.go_fd = go.read.get();
    plan.command_fd = command_socket.write.get();
    plan.report_fd = report_pipe.write.get();
    plan.stderr_fd = err.write.get();
    plan.null_fd = null_fd.get();

    const uid_t uid = geteuid();
    const gid_t gid = getegid();
    const pid_t sandbox = fork();
    if (sandbox < 0) throw SystemError("cannot fork", "trace", errno);
    if (sandbox == 0) run_sandbox(plan);
    go.read.reset();
    report_pipe.write.reset();
    err.write.reset();
    command_socket.write.reset();
    StderrTail tail(std::move(err.read));

    auto send = [](const UniqueFd& fd, char c) { (void)!::send(fd.get(), &c, 1, MSG_NOSIGNAL); };
    auto read_report = [&](SandboxReport& report) {
        return read(report_pipe.read.get(), &report, sizeof report) ==
               static_cast<ssize_t>(sizeof report);
    };
    auto abandon = [&](const std::string& message) -> TraceError {
        kill(sandbox, SIGKILL);
        int status;
        while (waitpid(sandbox, &status, __WALL) < 0 && errno == EINTR) {
        }
        return TraceError(message);
    };
    auto setup_failed = [&](const SandboxReport& failed) -> TraceError {
        return abandon(std::string("trace: cannot set up the sandbox: ") + failed.step + ": " +
                       strerror(failed.error) +
                       (failed.error == EPERM || failed.error == ENOSPC
                            ? " (unprivileged user namespaces may be disabled: "
                              "sysctl kernel.unprivileged_userns_clone, user.max_user_namespaces)"
                            : ""));
    };

    // The namespaces exist: map our own ids into the user namespace (all of them as root, so
    // that files keep their owners).
    char created = 0;
    if (read(report_pipe.read.get(), &created, 1) != 1 || created != 'u') {
        if (created != 'e') throw abandon("trace: the sandbox ended before creating its namespaces");
        SandboxReport failed;  // the tag byte was read; the rest of the report follows
        failed.tag = 'e';
        (void)!read(report_pipe.read.get(), reinterpret_cast<char*>(&failed) + 1,
                    sizeof failed - 1);
        throw setup_failed(failed);
    }
    const std::string proc = "/proc/" + std::to_string(sandbox);
    try {
        if (uid == 0) {
            write_file(proc + "/uid_map", "0 0 4294967295\n");
            write_file(proc + "/gid_map", "0 0 4294967295\n");
        } else {
            write_file(proc + "/setgroups", "deny");
            write_file(proc + "/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1\n");
            write_file(proc + "/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1\n");
        }
    } catch (const TraceError& e) {
        throw abandon(e.what());
    }
    send(go.write, 'm');

    SandboxReport report, started;
    if (!read_report(report)) throw abandon("trace: the sandbox ended while setting up");
    if (report.tag == 'e') throw setup_failed(report);
    if (!read_report(started) || started.tag != 'p')
        throw abandon("trace: the sandbox ended before starting the command");

    Tracer tracer(result);
    pid_t command = 0;
    bool command_exited = false;
    {
        Watchdog watchdog(request.timeout_seconds, sandbox);
        watchdog.set_init(started.init);
        // The command says who it is; it runs on once it is seized. Its children are seized
        // by the kernel (fork, vfork and clone events).
        command = credentials_pid(command_socket.read.get());
        std::unordered_set<pid_t> traced;
        if (command > 0) {
            if (ptrace(PTRACE_SEIZE, command, nullptr, kTraceOptions) != 0) {
                const int error = errno;
                kill(started.init, SIGKILL);
                throw abandon(std::string("trace: cannot ptrace the command: ") +
                              strerror(error));
            }
            traced.insert(command);
            send(command_socket.read, 'g');
        }
        while (!traced.empty()) {
            int status = 0;
            const pid_t pid = waitpid(-1, &status, __WALL);
            if (pid < 0) {
                if (errno == EINTR) continue;
                break;
            }
            if (pid == sandbox) continue;  // it died early: the kernel kills the rest
            if (WIFEXITED(status) || WIFSIGNALED(status)) {
                traced.erase(pid);
                tracer.on_exit(pid);
                if (pid == command) {
                    command_exited = true;
                    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
                                                         : 128 + WTERMSIG(status);
                }
                continue;
            }
            if (!WIFSTOPPED(status)) continue;
            traced.insert(pid);  // an auto-attached child may stop before its parent's event
            const int sig = WSTOPSIG(status);
            int deliver = 0;
            switch (status >> 16) {
                case PTRACE_EVENT_SECCOMP:
                    tracer.on_syscall(pid);
                    break;
                case PTRACE_EVENT_FORK:
                case PTRACE_EVENT_VFORK:
                case PTRACE_EVENT_CLONE: {
                    unsigned long child = 0;
                    if (ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &child) == 0)
                        traced.insert(static_cast<pid_t>(child));
                    break;
                }
                case PTRACE_EVENT_EXEC: {
                    unsigned long former = 0;
                    if (ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &former) == 0 &&
                        static_cast<pid_t>(former) != pid)
                        traced.erase(static_cast<pid_t>(former));  // exec from a thread
                    tracer.on_exec(pid, static_cast<pid_t>(former));
                    break;
                }
                case PTRACE_EVENT_STOP:
                    if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
                        ptrace(PTRACE_LISTEN, pid, nullptr, nullptr);  // a group-stop
                        continue;
                    }
                    break;
                case 0:
                    if (sig != (SIGTRAP | 0x80)) deliver = sig;  // a signal for the tracee
                    break;
                default:
                    break;
            }
            ptrace(PTRACE_CONT, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(deliver)));
        }
        // Init ends with the command and takes the rest; then the sandbox says so and waits for
        // us: its layers are still there to read.
        SandboxReport ended;
        if (read_report(ended) && ended.tag == 'd')
            list_written(sandbox, report, layers, result);
        send(go.write, 'x');
        int status;
        while (waitpid(sandbox, &status, __WALL) < 0 && errno == EINTR) {
        }
        result.timed_out = watchdog.timed_out();
    }
    result.stderr_tail = tail.finish();
    if (const int signal = cancel_signal(); signal != 0 && !result.timed_out)
        throw Cancelled(signal);
    if (!command_exited && !result.timed_out)
        throw TraceError("trace: the sandbox ended before the command started");
    std::vector<std::string> present;
    for (size_t i = 0; i < layers.size(); ++i)
        if (report.present & (1u << i)) present.push_back(layers[i]);
    result.layers = present;
    for (size_t i = 0; i < layers.size(); ++i)
        if ((report.present & (1u << i)) && !(report.overlay & (1u << i)))
            result.hidden.push_back(layers[i]);
    return result;
}

}  // namespace ocitools
