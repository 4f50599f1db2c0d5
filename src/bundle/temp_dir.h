// TempDir: the temporary sibling a bundle is built in, then renamed into place, so a failure or
// a kill never leaves a half-built bundle at the output. Removed on every failure path.
#pragma once

#include <filesystem>
#include <string>

#include "fs/unique_fd.h"

namespace ocitools {

class TempDir {
  public:
    // Create ".<name>.ocitools-tmp-<pid>-XXXXXX" beside `output`, locked (flock) for as long as
    // this build lives. A temporary whose process is gone and whose lock can be taken belongs to
    // a build that died (SIGKILL, a crash): it is removed first, so dead builds never pile up.
    explicit TempDir(const std::filesystem::path& output);
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();  // removes what is still there, best effort

    const std::filesystem::path& path() const { return path_; }

    // Rename the directory to `output` atomically. RENAME_NOREPLACE: an output that appeared
    // meanwhile is never clobbered (SpecError); with `replace`, RENAME_EXCHANGE swaps the old
    // output out in one step, and this TempDir then removes it.
    void publish(const std::filesystem::path& output, bool replace);

  private:
    static void remove_stale(const std::filesystem::path& parent, const std::string& prefix);

    std::filesystem::path path_;
    UniqueFd lock_;
};

}  // namespace ocitools
