#include "trace/sandbox.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iterator>

#include "trace/mount_api.h"

namespace ocitools {

namespace {

// A fixed buffer to build mount options in, without allocating.
class Text {
  public:
    Text& add(const char* s) {
        while (*s && len_ + 1 < sizeof buf_) buf_[len_++] = *s++;
        buf_[len_] = 0;
        return *this;
    }
    Text& add(unsigned long v, unsigned base = 10) {
        char digits[24];
        int n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % base);
            v /= base;
        } while (v != 0);
        while (n > 0 && len_ + 1 < sizeof buf_) buf_[len_++] = digits[--n];
        buf_[len_] = 0;
        return *this;
    }
    const char* c_str() const { return buf_; }

  private:
    char buf_[512] = {};
    size_t len_ = 0;
};

void write_report(int fd, const SandboxReport& report) {
    while (write(fd, &report, sizeof report) < 0 && errno == EINTR) {
    }
}

[[noreturn]] void fail(const SandboxPlan& plan, const char* step, int error) {
    SandboxReport report;
    report.tag = 'e';
    report.error = error;
    strncpy(report.step, step, sizeof report.step - 1);
    write_report(plan.report_fd, report);
    _exit(1);
}

char read_byte(int fd) {
    char c = 0;
    ssize_t n;
    while ((n = read(fd, &c, 1)) < 0 && errno == EINTR) {
    }
    return n == 1 ? c : 0;
}

// The loopback interface of a new network namespace starts down.
void loopback_up() {
    const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return;
    ifreq ifr{};
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
        ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
}

// A /dev of its own, as a container has: a tmpfs with the harmless character devices bound in
// from the host's, the usual links, and an empty /dev/shm. The host's /dev would let a command
// running as root write to its disks (a read-only mount does not stop writes to devices).
void fresh_dev(const SandboxPlan& plan) {
    static const char* const kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};
    int device[std::size(kDevices)];
    for (size_t i = 0; i < std::size(kDevices); ++i) {
        Text path;
        path.add("/dev/").add(kDevices[i]);
        device[i] = open(path.c_str(), O_PATH | O_CLOEXEC);
    }
    if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755") != 0)
        fail(plan, "mounting a tmpfs on /dev", errno);
    for (size_t i = 0; i < std::size(kDevices); ++i) {
        if (device[i] < 0) continue;
        Text path, source;
        path.add("/dev/").add(kDevices[i]);
        source.add("/proc/self/fd/").add(static_cast<unsigned long>(device[i]));
        const int made = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
        if (made < 0 || mount(source.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0)
            fail(plan, "binding a device into the fresh /dev", errno);
        close(made);
        close(device[i]);
    }
    static const char* const kLinks[][2] = {{"/proc/self/fd", "/dev/fd"},
                                            {"/proc/self/fd/0", "/dev/stdin"},
                                            {"/proc/self/fd/1", "/dev/stdout"},
                                            {"/proc/self/fd/2", "/dev/stderr"}};
    for (const auto& link : kLinks) (void)!symlink(link[0], link[1]);
    if (mkdir("/dev/shm", 01777) != 0 || chmod("/dev/shm", 01777) != 0 ||
        mkdir("/dev/pts", 0755) != 0)
        fail(plan, "creating /dev/shm", errno);
}

// Said on the command's stderr, which the tracer shows.
[[noreturn]] void die(const char* what, const char* path, int error) {
    Text t;
    t.add("ocitools trace: ").add(what).add(" ").add(path).add(": ").add(strerror(error));
    t.add("\n");
    (void)!write(STDERR_FILENO, t.c_str(), strlen(t.c_str()));
    _exit(127);
}

// The command: stdio, cwd, the seccomp filter, then the program.
[[noreturn]] void run_command(const SandboxPlan& plan) {
    dup2(plan.null_fd, STDIN_FILENO);
    dup2(plan.null_fd, STDOUT_FILENO);
    dup2(plan.stderr_fd, STDERR_FILENO);
    if (chdir(plan.cwd) != 0) die("cannot change to directory", plan.cwd, errno);
    // Root in the user namespace could otherwise remount the host's mounts read-write (their
    // read-only flag is ours, not locked): no command of the run may hold CAP_SYS_ADMIN.
    if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) != 0)
        die("cannot drop CAP_SYS_ADMIN for", plan.argv[0], errno);
    // Tell the tracer who we are (the kernel gives it our pid in its own pid namespace), and
    // wait until it has seized us.
    ucred cred{getpid(), getuid(), getgid()};
    char control[CMSG_SPACE(sizeof cred)] = {};
    char byte = 'c';
    iovec iov{&byte, 1};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_CREDENTIALS;
    cmsg->cmsg_len = CMSG_LEN(sizeof cred);
    memcpy(CMSG_DATA(cmsg), &cred, sizeof cred);
    if (sendmsg(plan.command_fd, &msg, MSG_NOSIGNAL) != 1 || read_byte(plan.command_fd) != 'g')
        _exit(127);  // the tracer is gone
    close(plan.command_fd);
    // The sandbox holds CAP_SYS_ADMIN in its user namespace, so no_new_privs is not needed; it
    // is set anyway when the kernel asks for it.
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &plan.filter) != 0) {
        if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &plan.filter) != 0)
            die("cannot install the seccomp filter for", plan.argv[0], errno);
    }
    execve(plan.argv[0], plan.argv, plan.envp);
    die("cannot run", plan.argv[0], errno);
}

// Pid 1 of the new pid namespace: reaps orphans until the command ends. When it exits, the
// kernel kills whatever the command left running.
[[noreturn]] void run_init(const SandboxPlan& plan) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const pid_t command = fork();
    if (command < 0) _exit(127);
    if (command == 0) run_command(plan);
    close(plan.stderr_fd);
    close(plan.command_fd);
    for (;;) {
        int status = 0;
        const pid_t pid = waitpid(-1, &status, 0);
        if (pid == command)
            _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        if (pid < 0 && errno != EINTR) _exit(127);
    }
}

}  // namespace

void run_sandbox(const SandboxPlan& plan) noexcept {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC;
    if (!plan.network) flags |= CLONE_NEWNET;
    if (unshare(flags) != 0) fail(plan, "creating the namespaces (unshare)", errno);
    const char created = 'u';
    (void)!write(plan.report_fd, &created, 1);
    if (read_byte(plan.go_fd) != 'm') _exit(1);  // the tracer has written the id maps

    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        fail(plan, "making the mounts private", errno);
    SandboxReport report;
    report.tag = 'r';
    int lower[kMaxLayers];
    for (int i = 0; i < plan.layer_count; ++i)
        lower[i] = open(plan.layers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
    const int staging = mount_api::detached_tmpfs();
    if (staging < 0) fail(plan, "creating a tmpfs for the writable layers", errno);
    report.staging_fd = staging;
    if (mount_api::make_tree_readonly("/") != 0)
        fail(plan, "making every mount read-only (mount_setattr)", errno);
    for (int i = 0; i < plan.layer_count; ++i) {
        if (lower[i] < 0) continue;
        report.present |= 1u << i;
        Text dir, upper, work;
        dir.add(static_cast<unsigned long>(i));
        upper.add(dir.c_str()).add("/u");
        work.add(dir.c_str()).add("/w");
        if (mkdirat(staging, dir.c_str(), 0755) != 0 || mkdirat(staging, upper.c_str(), 0755) != 0 ||
            mkdirat(staging, work.c_str(), 0755) != 0)
            fail(plan, "creating a writable layer", errno);
        struct stat st {};
        fstat(lower[i], &st);
        // The upper layer takes the mode of the host's directory (/tmp's sticky bit).
        Text self;
        self.add("/proc/self/fd/").add(static_cast<unsigned long>(staging)).add("/");
        self.add(upper.c_str());
        chmod(self.c_str(), st.st_mode & 07777);
        Text options;
        options.add("lowerdir=/proc/self/fd/").add(static_cast<unsigned long>(lower[i]));
        options.add(",upperdir=/proc/self/fd/").add(static_cast<unsigned long>(staging));
        options.add("/").add(upper.c_str());
        options.add(",workdir=/proc/self/fd/").add(static_cast<unsigned long>(staging));
        options.add("/").add(work.c_str());
        Text with_userxattr;
        with_userxattr.add(options.c_str()).add(",userxattr");
        if (mount("overlay", plan.layers[i], "overlay", 0, with_userxattr.c_str()) == 0 ||
            mount("overlay", plan.layers[i], "overlay", 0, options.c_str()) == 0) {
            report.overlay |= 1u << i;
            continue;
        }
        Text tmpfs;
        tmpfs.add("mode=").add(st.st_mode & 07777, 8);
        if (mount("tmpfs", plan.layers[i], "tmpfs", 0, tmpfs.c_str()) != 0)
            fail(plan, "mounting a writable layer", errno);
    }
    fresh_dev(plan);
    if (!plan.network) loopback_up();

    write_report(plan.report_fd, report);
    const pid_t init = fork();
    if (init < 0) _exit(1);  // the tracer sees no init: "the sandbox ended before the command"
    if (init == 0) run_init(plan);
    close(plan.stderr_fd);
    close(plan.command_fd);
    SandboxReport started;
    started.tag = 'p';
    started.init = init;
    write_report(plan.report_fd, started);
    int status = 0;
    while (waitpid(init, &status, 0) < 0 && errno == EINTR) {
    }
    SandboxReport ended;
    ended.tag = 'd';
    write_report(plan.report_fd, ended);
    // The tracer reads the upper layers through our descriptor before letting us go.
    read_byte(plan.go_fd);
    _exit(0);
}

}  // namespace ocitools
