#include "bundle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "closure/program_lookup.h"
#include "error.h"
#include "rootfs/rootfs_writer.h"
#include "unique_fd.h"

namespace ocitools {

namespace fs = std::filesystem;

oci::RuntimeConfig runtime_config_for(const ContainerSpec& spec, const Closure& closure) {
    oci::RuntimeConfig config = oci::default_config();
    config.process.args = spec.args;
    std::string path = kDefaultPath;
    if (!closure.extra_path_dir.empty()) path += ":" + closure.extra_path_dir;
    config.process.env = {"PATH=" + path};
    config.root.readonly = spec.readonly;
    // A user mount at a system mount's destination replaces it; user mounts follow the system
    // mounts (runtime-spec: mounts are made in order).
    std::erase_if(config.mounts, [&](const oci::Mount& sys) {
        return std::any_of(spec.mounts.begin(), spec.mounts.end(),
                           [&](const MountSpec& m) { return m.destination == sys.destination; });
    });
    for (const auto& m : spec.mounts)
        config.mounts.push_back({m.destination, m.type, m.source, m.options});
    return config;
}

namespace {

// The temporary sibling: removed on every failure path.
class TempDir {
  public:
    explicit TempDir(const fs::path& output) {
        const fs::path parent = output.parent_path().empty() ? "." : output.parent_path();
        std::string pattern =
            (parent / ("." + output.filename().string() + ".ocitools-tmp-XXXXXX"));
        if (!mkdtemp(pattern.data()))
            throw SystemError("cannot create a temporary directory in", parent, errno);
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        if (path_.empty()) return;
        std::error_code ec;  // best effort: we are already failing
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    void release() { path_.clear(); }

  private:
    fs::path path_;
};

void write_file_at(int dirfd, const char* name, const std::string& text, const fs::path& shown) {
    UniqueFd fd(openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd) throw SystemError("cannot create", shown, errno);
    for (size_t done = 0; done < text.size();) {
        const ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0) throw SystemError("cannot write", shown, errno);
        done += static_cast<size_t>(n);
    }
    if (fsync(fd.get()) != 0) throw SystemError("cannot sync", shown, errno);
}

bool source_is_file(const MountSpec& m) {
    struct stat st {};
    return m.is_bind() && stat(m.source.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
}

}  // namespace

void build_bundle(const ContainerSpec& spec, const BuildOptions& options,
                  const Reporter& reporter) {
    check_spec(spec);
    const fs::path& output = options.output;
    if (output.empty()) throw SpecError("no output directory given (-o DIR)");
    if (output.filename().empty() || output.filename() == "." || output.filename() == "..")
        throw SpecError("output " + quote(output.string()) + ": must name a directory to create");

    // Everything that can be checked before writing is checked first.
    struct stat st {};
    const bool exists = lstat(output.c_str(), &st) == 0;
    if (exists && !options.force)
        throw SpecError("output " + quote(output.string()) +
                        " already exists (use --force to replace it)");
    if (exists && !S_ISDIR(st.st_mode))
        throw SpecError("output " + quote(output.string()) +
                        " exists and is not a directory; not replacing it");
    const fs::path parent = output.parent_path().empty() ? "." : output.parent_path();
    if (stat(parent.c_str(), &st) != 0)
        throw SystemError("output directory's parent is unusable:", parent, errno);

    const Closure closure = compute_closure(spec, options.host_search_path, reporter);
    const oci::RuntimeConfig config = runtime_config_for(spec, closure);

    TempDir temp(output);
    UniqueFd bundle(open(temp.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!bundle) throw SystemError("cannot open", temp.path(), errno);
    if (mkdirat(bundle.get(), "rootfs", 0755) != 0)
        throw SystemError("cannot create", temp.path() / "rootfs", errno);
    UniqueFd rootfs(openat(bundle.get(), "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!rootfs) throw SystemError("cannot open", temp.path() / "rootfs", errno);

    RootfsWriter writer(std::move(rootfs));
    writer.write(closure.plan);
    // Mount points of the system mounts (the seed's `mkdir -p rootfs/{dev,proc,sys}`).
    for (const char* dir : {"/dev", "/proc", "/sys"}) writer.make_directory(dir);
    for (const auto& m : spec.mounts) writer.make_mount_point(m.destination, source_is_file(m));
    write_file_at(bundle.get(), "config.json", oci::serialize(config), output / "config.json");

    // Publish atomically. RENAME_NOREPLACE: a bundle that appeared meanwhile is never clobbered;
    // RENAME_EXCHANGE swaps a --force'd old bundle out in one step, then it is removed.
    const int flags = exists ? RENAME_EXCHANGE : RENAME_NOREPLACE;
    if (renameat2(AT_FDCWD, temp.path().c_str(), AT_FDCWD, output.c_str(),
                  static_cast<unsigned>(flags)) != 0) {
        if (errno == EEXIST)
            throw SpecError("output " + quote(output.string()) +
                            " appeared while building (use --force to replace it)");
        throw SystemError("cannot move the bundle into place at", output, errno);
    }
    if (!exists) temp.release();  // else the TempDir now holds the old bundle and removes it
}

}  // namespace ocitools
