#include "roots/roots.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/error.h"
#include "closure/closure.h"
#include "roots/program_lookup.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

constexpr const char* kBusybox = "/bin/busybox";  // Debian's busybox-static

const StoreDir kStore("/nix/store");

void make_executable(const fs::path& path, const std::string& text) {
    write_text(path, text);
    fs::permissions(path, fs::perms::owner_all);
}

// A spec running `bb true`, a bare name, with busybox copied to `path` (a file named bb).
ContainerSpec bare_busybox(const fs::path& path) {
    fs::create_directories(path.parent_path());
    fs::copy_file(kBusybox, path);
    ContainerSpec spec;
    spec.args = {"bb", "true"};
    return spec;
}

TEST(Roots, ArgumentFilesThenIncludesEachWithItsReason) {
    ScratchDir dir;
    write_text(dir / "data.txt", "x");
    fs::create_directories(dir / "somedir");
    ContainerSpec spec;
    spec.args = {"/bin/sh", "-c", (dir / "data.txt").string(), (dir / "somedir").string(),
                 "relative.txt"};
    spec.include = {(dir / "somedir").string()};
    spec.packages = {"libc6"};
    const Reporter quiet;
    const Roots roots = compute_roots(spec, "", kStore, quiet);
    EXPECT_EQ(roots.program, "/bin/sh");
    ASSERT_EQ(roots.files.size(), 2u);
    EXPECT_EQ(roots.files[0].path, (dir / "data.txt").string());
    EXPECT_EQ(roots.files[0].reason, "argument 2");
    EXPECT_EQ(roots.files[1].path, (dir / "somedir").string());
    EXPECT_EQ(roots.files[1].reason, "include");
    EXPECT_EQ(roots.packages, spec.packages);
}

// Only regular files named in arguments are roots: a device (`cat /dev/null`) is not copied.
TEST(Roots, AnArgumentNamingADeviceIsNoRoot) {
    ContainerSpec spec;
    spec.args = {"/bin/sh", "/dev/null"};
    const Reporter quiet;
    EXPECT_TRUE(compute_roots(spec, "", kStore, quiet).files.empty());
}

// /proc/cpuinfo is a regular file of size 0 that the runtime mounts anew: never a root.
TEST(Roots, AnArgumentInProcOrSysIsNoRootButANote) {
    ContainerSpec spec;
    spec.args = {"/bin/sh", "/proc/cpuinfo", "/proc/self/status"};
    std::vector<std::string> notes;
    const Reporter reporter({}, [&](const std::string& m) { notes.push_back(m); });
    EXPECT_TRUE(compute_roots(spec, "", kStore, reporter).files.empty());
    ASSERT_EQ(notes.size(), 2u);
    EXPECT_EQ(notes[0],
              "not including /proc/cpuinfo named in the arguments: the runtime mounts /proc");
}

TEST(Roots, DefaultEnvironmentIsThePathThenTheUsersThenTerm) {
    ContainerSpec spec;
    spec.args = {"/bin/sh"};
    spec.env = {"A=1"};
    spec.terminal = true;
    const Reporter quiet;
    const Roots roots = compute_roots(spec, "", kStore, quiet);
    EXPECT_EQ(roots.path, kDefaultPath);
    EXPECT_EQ(roots.env, (std::vector<std::string>{"PATH=" + std::string(kDefaultPath), "A=1",
                                                   "TERM=xterm"}));
}

TEST(Roots, BareNameIsFoundOnTheHostPathAndItsDirectoryPutFirst) {
    if (access(kBusybox, X_OK) != 0) GTEST_SKIP() << "busybox-static is not installed";
    ScratchDir dir;
    ContainerSpec spec = bare_busybox(dir / "tools/bb");
    const Reporter quiet;
    const Roots roots = compute_roots(spec, (dir / "tools").string(), kStore, quiet);
    EXPECT_EQ(roots.program, (dir / "tools/bb").string());
    // The container's default PATH lacks that directory, so it goes first: a bb in /usr/bin of
    // the rootfs must not win over the one the host found.
    EXPECT_EQ(roots.path, (dir / "tools").string() + ":" + std::string(kDefaultPath));
    EXPECT_EQ(roots.env.front(), "PATH=" + roots.path);
}

// The user's PATH is the container's: a bare program is looked up on it (where runc will look),
// not on the builder's PATH, and nothing is appended to it.
TEST(Roots, AUsersPathIsTheContainersPath) {
    if (access(kBusybox, X_OK) != 0) GTEST_SKIP() << "busybox-static is not installed";
    ScratchDir dir;
    ContainerSpec spec = bare_busybox(dir / "opt/bin/bb");
    const std::string user_path = (dir / "opt/bin").string() + ":/usr/bin:/bin";
    spec.env = {"PATH=" + user_path};
    const Reporter quiet;
    const Roots roots = compute_roots(spec, "/usr/bin:/bin", kStore, quiet);
    EXPECT_EQ(roots.program, (dir / "opt/bin/bb").string());
    EXPECT_EQ(roots.path, user_path);
    EXPECT_EQ(roots.env, std::vector<std::string>{"PATH=" + user_path});
}

// The bug this stage fixes: a script's `#!/usr/bin/env foo` is found on the container's PATH,
// the user's when set, where env(1) will look for it at run time.
TEST(Roots, EnvScriptFindsItsProgramOnTheUsersPath) {
    if (access("/usr/bin/env", X_OK) != 0) GTEST_SKIP();
    ScratchDir dir;
    make_executable(dir / "opt/bin/foo", "#!/bin/sh\necho foo\n");
    make_executable(dir / "app/run", "#!/usr/bin/env foo\n");
    ContainerSpec spec;
    spec.args = {(dir / "app/run").string()};
    spec.env = {"PATH=" + (dir / "opt/bin").string() + ":/usr/bin:/bin"};
    const Reporter quiet;
    const Closure closure = compute_closure(spec, "/usr/bin:/bin", quiet);
    EXPECT_TRUE(closure.plan.contains((dir / "opt/bin/foo").string()));
    // Without the user's PATH, foo is nowhere on the container's PATH: an error naming it.
    spec.env.clear();
    EXPECT_ERROR_CONTAINS(compute_closure(spec, "/usr/bin:/bin", quiet), ClosureError,
                          "foo is not found on the container's PATH");
}

TEST(Roots, AMissingStorePathNamedInAnArgumentIsNamed) {
    ContainerSpec spec;
    spec.args = {"/bin/sh", "--config=/nix/store/00000000000000000000000000000000-x/etc/c"};
    const Reporter quiet;
    EXPECT_ERROR_CONTAINS(compute_roots(spec, "", kStore, quiet), ClosureError,
                          "named in argument 1");
}

TEST(Roots, RelativeIncludeAndEmptyCommandAreRefused) {
    const Reporter quiet;
    ContainerSpec spec;
    EXPECT_ERROR_CONTAINS(compute_roots(spec, "", kStore, quiet), SpecError, "\"args\"");
    spec.args = {"/bin/sh"};
    spec.include = {"etc/passwd"};
    EXPECT_ERROR_CONTAINS(compute_roots(spec, "", kStore, quiet), SpecError,
                          "must be an absolute host path");
}

}  // namespace
}  // namespace ocitools
