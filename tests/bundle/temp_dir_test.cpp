// TempDir's clean-up of dead builds' temporaries: only a temporary whose process is gone and
// whose lock is free is removed.
#include "bundle/temp_dir.h"

#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

// A pid that is no process's now: a child that has exited and been reaped.
pid_t dead_pid() {
    const pid_t pid = fork();
    if (pid == 0) _exit(0);
    waitpid(pid, nullptr, 0);
    return pid;
}

TEST(TempDir, RemovesOnlyTheTemporariesOfBuildsThatAreGone) {
    ScratchDir dir;
    const std::string prefix = ".out.ocitools-tmp-";
    // A dead build's temporary: removed.
    const fs::path dead = dir / (prefix + std::to_string(dead_pid()) + "-aaaaaa");
    // A live process's temporary, not locked yet (between its mkdtemp and its flock): kept.
    // pid 1 is always alive.
    const fs::path unlocked = dir / (prefix + "1-bbbbbb");
    // A temporary whose pid is gone but whose lock is held (a build in another pid
    // namespace): kept.
    const fs::path locked = dir / (prefix + std::to_string(dead_pid()) + "-cccccc");
    for (const auto& p : {dead, unlocked, locked}) fs::create_directories(p / "rootfs");
    const int lock = open(locked.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_EQ(flock(lock, LOCK_EX | LOCK_NB), 0);
    {
        // flock belongs to the open file description: another open of the same directory
        // competes for it, as another build's would.
        TempDir temp(dir / "out");
        EXPECT_FALSE(fs::exists(dead));
        EXPECT_TRUE(fs::exists(unlocked / "rootfs"));
        EXPECT_TRUE(fs::exists(locked / "rootfs"));
        EXPECT_TRUE(fs::exists(temp.path()));
    }
    close(lock);
}

}  // namespace
}  // namespace ocitools
