#include "bundle/temp_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "base/error.h"

namespace ocitools {

namespace fs = std::filesystem;

TempDir::TempDir(const fs::path& output) {
    const fs::path parent = output.parent_path().empty() ? "." : output.parent_path();
    const std::string prefix = "." + output.filename().string() + ".ocitools-tmp-";
    remove_stale(parent, prefix);
    std::string pattern = (parent / (prefix + std::to_string(getpid()) + "-XXXXXX"));
    if (!mkdtemp(pattern.data()))
        throw SystemError("cannot create a temporary directory in", parent, errno);
    path_ = pattern;
    lock_ = UniqueFd(open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!lock_ || flock(lock_.get(), LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        std::error_code ec;
        fs::remove(path_, ec);
        path_.clear();
        throw SystemError("cannot lock the temporary directory", pattern, err);
    }
}

TempDir::~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;  // best effort: we are already failing
    fs::remove_all(path_, ec);
}

void TempDir::publish(const fs::path& output, bool replace) {
    const int flags = replace ? RENAME_EXCHANGE : RENAME_NOREPLACE;
    if (renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, output.c_str(),
                  static_cast<unsigned>(flags)) != 0) {
        if (errno == EEXIST)
            throw SpecError("output " + quote(output.string()) +
                            " was created by something else while this build ran (another "
                            "build?); not replacing it");
        throw SystemError("cannot move the bundle into place at", output, errno);
    }
    if (!replace) path_.clear();  // else path_ now holds the old output, removed with this
}

void TempDir::remove_stale(const fs::path& parent, const std::string& prefix) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(parent, ec)) {
        // ".<name>.ocitools-tmp-<pid>-XXXXXX". Between its mkdtemp and its flock a live build's
        // directory is not locked yet, so its process must be gone too.
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(prefix)) continue;
        const size_t dash = name.find('-', prefix.size());
        if (dash == std::string::npos || dash == prefix.size() || name.size() != dash + 7) continue;
        const std::string digits = name.substr(prefix.size(), dash - prefix.size());
        if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos)
            continue;
        const auto pid = static_cast<pid_t>(std::stol(digits));
        if (pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive, or unsure
        UniqueFd fd(open(entry.path().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd || flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // alive, or not ours
        fs::remove_all(entry.path(), ec);
    }
}

}  // namespace ocitools
