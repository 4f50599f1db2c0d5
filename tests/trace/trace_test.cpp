// The traced run on the real kernel: what it records, how it follows processes and threads, and
// that it leaves the host as it was.
#include "trace/trace.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "fs/memory_disk.h"
#include "fs/memory_trees.h"
#include "test_support.h"
#include "trace/syscalls.h"
#include "trace/traced_roots.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

const char* const kEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

TraceResult trace(std::vector<std::string> argv, const std::string& cwd = "/",
                  double timeout = 20) {
    TraceRequest request;
    request.argv = std::move(argv);
    request.env = {kEnv};
    request.cwd = cwd;
    request.timeout_seconds = timeout;
    return trace_run(request, Reporter());
}

const TracedAccess* find(const TraceResult& r, const std::string& path) {
    for (const auto& a : r.accesses)
        if (a.path == path) return &a;
    return nullptr;
}

std::string python() { return "/usr/bin/python3"; }

TEST(Trace, RecordsAnOpenWithItsCallAndProgram) {
    const auto r = trace({"/usr/bin/cat", "/etc/passwd"});
    EXPECT_EQ(r.exit_code, 0);
    const TracedAccess* a = find(r, "/etc/passwd");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->call, "openat");
    EXPECT_EQ(a->exe, "/usr/bin/cat");
    // The loader's own lookups are seen too: the program's libc.
    EXPECT_TRUE(std::any_of(r.accesses.begin(), r.accesses.end(), [](const TracedAccess& x) {
        return x.path.find("libc.so.6") != std::string::npos;
    }));
}

TEST(Trace, MakesRelativePathsAbsoluteWithTheCwdAndDirectoryDescriptors) {
    ScratchDir dir;
    write_text(dir / "sub/by-cwd", "x");
    write_text(dir / "sub/by-dirfd", "x");
    const auto r = trace({python(), "-c",
                          "import os\n"
                          "open('sub/by-cwd').close()\n"
                          "fd = os.open('sub', os.O_RDONLY)\n"
                          "os.close(os.open('by-dirfd', os.O_RDONLY, dir_fd=fd))\n"},
                         dir.path().string());
    EXPECT_EQ(r.exit_code, 0) << r.stderr_tail;
    EXPECT_NE(find(r, (dir / "sub/by-cwd").string()), nullptr);
    EXPECT_NE(find(r, (dir / "sub/by-dirfd").string()), nullptr);
}

TEST(Trace, RecordsStatAccessAndReadlinkLookups) {
    ScratchDir dir;
    write_text(dir / "stated", "x");
    write_text(dir / "accessed", "x");
    std::filesystem::create_symlink("stated", dir / "link");
    const auto r = trace({python(), "-c",
                          "import os, sys\n"
                          "os.stat(sys.argv[1] + '/stated')\n"
                          "os.access(sys.argv[1] + '/accessed', os.R_OK)\n"
                          "os.readlink(sys.argv[1] + '/link')\n",
                          dir.path().string()});
    ASSERT_EQ(r.exit_code, 0) << r.stderr_tail;
    const TracedAccess* stated = find(r, (dir / "stated").string());
    ASSERT_NE(stated, nullptr);
    EXPECT_TRUE(stated->call == "newfstatat" || stated->call == "statx") << stated->call;
    const TracedAccess* accessed = find(r, (dir / "accessed").string());
    ASSERT_NE(accessed, nullptr);
    EXPECT_TRUE(accessed->call.find("access") != std::string::npos) << accessed->call;
    const TracedAccess* link = find(r, (dir / "link").string());
    ASSERT_NE(link, nullptr);
    EXPECT_TRUE(link->call.starts_with("readlink")) << link->call;
}

TEST(Trace, FollowsChildrenThreadsAndExecFromAThread) {
    ScratchDir dir;
    for (const char* f : {"forked", "threaded", "spawned"}) write_text(dir / f, "x");
    const auto r = trace({python(), "-c",
                          "import os, sys, threading, subprocess\n"
                          "d = sys.argv[1]\n"
                          "if os.fork() == 0:\n"
                          "    open(d + '/forked').close(); os._exit(0)\n"
                          "os.wait()\n"
                          "t = threading.Thread(target=lambda: open(d + '/threaded').close())\n"
                          "t.start(); t.join()\n"
                          "subprocess.run(['/usr/bin/cat', d + '/spawned'], check=True)\n"
                          "def ex(): os.execv('/usr/bin/true', ['true'])\n"
                          "threading.Thread(target=ex).start()\n"
                          "import time; time.sleep(5)\n",
                          dir.path().string()});
    EXPECT_EQ(r.exit_code, 0) << r.stderr_tail;
    for (const char* f : {"forked", "threaded", "spawned"})
        EXPECT_NE(find(r, (dir / f).string()), nullptr) << f;
    const TracedAccess* cat = find(r, (dir / "spawned").string());
    ASSERT_NE(cat, nullptr);
    EXPECT_EQ(cat->exe, "/usr/bin/cat");
    EXPECT_NE(find(r, "/usr/bin/true"), nullptr);
    EXPECT_FALSE(r.timed_out);  // exec from the thread replaced the sleeping process
}

TEST(Trace, LeavesTheHostAsItWas) {
    ScratchDir dir;
    write_text(dir / "keep/file", "kept");
    const std::string marker = "/etc/ocitools-trace-probe-" + std::to_string(getpid());
    const std::string made = (dir / "made").string();
    const auto r = trace({"/bin/sh", "-c",
                          "echo x > " + marker + "; rm -rf " + (dir / "keep").string() +
                              "; touch " + made + "; echo y > " + made + "; cat " + made});
    struct stat st {};
    EXPECT_NE(lstat(marker.c_str(), &st), 0) << marker << " was created on the host";
    EXPECT_EQ(testing::read_text(dir / "keep/file"), "kept");
    EXPECT_NE(lstat(made.c_str(), &st), 0) << made << " was created on the host";
    // What the run wrote in its throwaway /tmp is known, and never a root.
    EXPECT_NE(std::find(r.written.begin(), r.written.end(), made), r.written.end());
    EXPECT_TRUE(r.hidden.empty());
}

TEST(Trace, TheCommandCannotMakeTheHostWritableAgain) {
    const std::string marker = "/etc/ocitools-trace-remount-" + std::to_string(getpid());
    const auto r = trace({"/bin/sh", "-c",
                          "mount -o remount,bind,rw / 2>/dev/null; mount -o remount,bind,rw /etc "
                          "2>/dev/null; unshare -Urm sh -c 'mount -o remount,bind,rw /' 2>/dev/null; "
                          "echo x > " + marker});
    EXPECT_NE(r.exit_code, 0);
    struct stat st {};
    EXPECT_NE(lstat(marker.c_str(), &st), 0) << marker << " was created on the host";
    unlink(marker.c_str());
}

TEST(Trace, TheRunHasADevOfItsOwn) {
    const auto r = trace({"/bin/sh", "-c",
                          "echo $(ls /dev) >&2; echo x > /dev/null && head -c1 /dev/urandom >/dev/null && "
                          "echo x > /dev/shm/s && cat /dev/shm/s >/dev/null"});
    EXPECT_EQ(r.exit_code, 0) << r.stderr_tail;
    EXPECT_EQ(r.stderr_tail, "fd full null pts random shm stderr stdin stdout tty urandom zero\n");
}

TEST(Trace, ReportsTheExitStatusAndTheEndOfStderr) {
    const auto r = trace({"/bin/sh", "-c", "for i in $(seq 1 30); do echo line$i >&2; done; exit 3"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_FALSE(r.timed_out);
    EXPECT_TRUE(r.stderr_tail.ends_with("line30\n")) << r.stderr_tail;
    EXPECT_EQ(r.stderr_tail.find("line20\n"), std::string::npos) << r.stderr_tail;
}

TEST(Trace, KillsTheWholeTreeWhenTimeIsUp) {
    const std::string marker = "ocitools-trace-sleeper-" + std::to_string(getpid());
    const auto start = std::chrono::steady_clock::now();
    // A background grandchild that outlives its shell, and a foreground sleep.
    const auto r = trace({"/bin/bash", "-c",
                          "(exec -a " + marker + " sleep 300) & exec -a " + marker + " sleep 300"},
                         "/", 0.5);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_TRUE(r.timed_out);
    EXPECT_LT(took, 10);
    // "[o]" keeps pgrep's own shell, whose command line holds the pattern, from matching.
    EXPECT_EQ(testing::run_output("pgrep -f '[o]" + marker.substr(1) + "' || true"), "");
}

TEST(Trace, EndsWhenTheCommandEndsAndKillsWhatItLeftRunning) {
    const std::string marker = "ocitools-trace-daemon-" + std::to_string(getpid());
    const auto start = std::chrono::steady_clock::now();
    const auto r = trace({"/bin/bash", "-c", "(exec -a " + marker + " sleep 300) & exit 4"});
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 4);
    EXPECT_LT(took, 10);
    EXPECT_EQ(testing::run_output("pgrep -f '[o]" + marker.substr(1) + "' || true"), "");
}

TEST(Trace, HasNoNetworkUnlessAsked) {
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
    listen(s, 4);
    const std::string connect =
        "import socket; socket.create_connection(('127.0.0.1', " +
        std::to_string(ntohs(addr.sin_port)) + "), timeout=2)";
    EXPECT_NE(trace({python(), "-c", connect}).exit_code, 0);
    TraceRequest request;
    request.argv = {python(), "-c", connect};
    request.env = {kEnv};
    request.network = true;
    EXPECT_EQ(trace_run(request, Reporter()).exit_code, 0);
    close(s);
}

TEST(Trace, FilterStopsOnlyAtPathLookups) {
    const auto filter = trace_filter();
    EXPECT_NE(path_syscall(257), nullptr);  // openat
    EXPECT_EQ(path_syscall(0), nullptr);    // read
    EXPECT_GT(filter.size(), 5u);
}

TEST(TracedRoots, AFailedRunIsAWarningWithItsStatusAndStderr) {
    ContainerSpec spec;
    spec.args = {"/bin/sh", "-c", "cat /etc/hostname >/dev/null; echo first >&2; echo boom >&2; exit 3"};
    spec.trace = true;
    Roots roots;
    roots.program = "/bin/sh";
    roots.env = {kEnv};
    std::vector<std::string> warnings, notes;
    const Reporter reporter([&](const std::string& m) { warnings.push_back(m); },
                            [&](const std::string& m) { notes.push_back(m); });
    add_traced_roots(roots, spec, {}, reporter);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("ended with status 3; the bundle is still built"), std::string::npos)
        << warnings[0];
    EXPECT_TRUE(warnings[0].ends_with("first\nboom")) << warnings[0];
    EXPECT_TRUE(roots.traced);
    EXPECT_TRUE(std::any_of(roots.files.begin(), roots.files.end(), [](const Root& r) {
        return r.path == "/etc/hostname" && r.reason == "traced: openat by /usr/bin/cat" &&
               !r.recursive;
    }));
}

TEST(TracedRoots, KeepsHostFilesAndDirectoriesOnly) {
    MemoryDisk disk;
    disk.add_file("/usr/lib/x.so", "x");
    disk.add_file("/tmp/old", "x");
    disk.add_file("/tmp/new", "x");
    disk.add_file("/out/config.json", "x");
    disk.add_directory("/usr/share/zoneinfo");
    disk.add_file("/proc/cpuinfo", "x");
    TraceResult r;
    for (const char* p : {"/usr/lib/x.so", "/usr/share/zoneinfo", "/proc/cpuinfo", "/tmp/old",
                          "/tmp/new", "/out/config.json", "/nowhere"})
        r.accesses.push_back({p, "openat", "/usr/bin/python3.11"});
    r.written = {"/tmp/new"};
    r.layers = {"/tmp"};
    const auto roots = traced_roots(r, {"/out"}, disk);
    std::vector<std::string> paths;
    for (const auto& root : roots) {
        paths.push_back(root.path);
        EXPECT_FALSE(root.recursive);
        EXPECT_EQ(root.reason, "traced: openat by /usr/bin/python3.11");
    }
    EXPECT_EQ(paths, (std::vector<std::string>{"/usr/lib/x.so", "/usr/share/zoneinfo", "/tmp/old"}));
    // A layer that hid the host's files: nothing in it is the host's; another layer's refused
    // overlay changes nothing here.
    r.hidden = {"/var/tmp"};
    EXPECT_EQ(traced_roots(r, {"/out"}, disk).size(), 3u);
    r.hidden = {"/tmp"};
    EXPECT_EQ(traced_roots(r, {"/out"}, disk).size(), 2u);
}

// /etc/mtab -> ../proc/self/mounts: a symlink whose chain ends in /proc, /sys or /dev names a
// kernel file that changes while it is copied (the build then failed on python3 -m venv).
TEST(TracedRoots, DropsSymlinksIntoKernelFilesystems) {
    MemoryDisk disk;
    testing::add_mtab(disk, "1");
    disk.add_file("/sys/kernel/x", "x");
    disk.add_symlink("/etc/sysx", "/sys/kernel/x");
    disk.add_file("/usr/share/zoneinfo/UTC", "x");
    disk.add_symlink("/etc/localtime", "/usr/share/zoneinfo/UTC");
    TraceResult r;
    for (const char* p : {"/etc/mtab", "/etc/sysx", "/etc/localtime"})
        r.accesses.push_back({p, "newfstatat", "/usr/bin/python3.11"});
    const auto roots = traced_roots(r, {}, disk);
    ASSERT_EQ(roots.size(), 1u);
    EXPECT_EQ(roots[0].path, "/etc/localtime");
}

}  // namespace
}  // namespace ocitools
