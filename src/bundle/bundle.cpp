#include "bundle/bundle.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "base/cancel.h"
#include "base/error.h"
#include "base/phase_time.h"
#include "rootfs/etc_files.h"
#include "rootfs/rootfs_writer.h"
#include "spec/capabilities.h"
#include "fs/unique_fd.h"

namespace ocitools {

namespace fs = std::filesystem;

HostIds HostIds::current() {
    return {geteuid(), getegid()};
}

bool is_rootless(const ContainerSpec& spec, const HostIds& builder) {
    return spec.rootless.value_or(builder.uid != 0);
}

ResolvedUser resolve_process_user(const ContainerSpec& spec,
                                  const std::optional<std::string>& passwd,
                                  const std::optional<std::string>& group) {
    if (!spec.user) return {};
    try {
        return resolve_user(*spec.user, passwd.value_or(minimal_passwd(0, 0)),
                            group.value_or(minimal_group(0)), "--user");
    } catch (const SpecError& e) {
        const std::string why = e.what();
        const bool ours = (!passwd && why.find("/etc/passwd") != std::string::npos) ||
                          (!group && why.find("/etc/group") != std::string::npos);
        if (!ours) throw;
        throw SpecError(why +
                        " (the closure brings none; ocitools writes one with only root and "
                        "nobody: give numeric ids, or --include the file)");
    }
}

namespace {

// A destination for comparisons: "/a/./b/" and "/a/b" are the same mount point.
std::string clean_destination(const std::string& d) {
    std::string out = fs::path(d).lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
}

bool is_under(const std::string& path, const std::string& parent) {
    if (parent == "/") return path != "/";
    return path.size() > parent.size() && path.starts_with(parent) && path[parent.size()] == '/';
}

// Merge the user's mounts (sorted, so parents first) into the system mounts. A user mount at a
// system mount's destination replaces it in place; any other goes before the first mount
// beneath it, else at the end. Every mount thus comes after the mounts above it (runtime-spec
// config.md: mounts are made in order, and a later mount on /a would hide one on /a/b).
void merge_mounts(std::vector<oci::Mount>& mounts, const std::vector<MountSpec>& user) {
    for (const auto& m : user) {
        oci::Mount mount{m.destination, m.type, m.source, m.options};
        const std::string dest = clean_destination(m.destination);
        auto same = std::find_if(mounts.begin(), mounts.end(), [&](const oci::Mount& x) {
            return clean_destination(x.destination) == dest;
        });
        if (same != mounts.end()) {
            *same = std::move(mount);
            continue;
        }
        auto child = std::find_if(mounts.begin(), mounts.end(), [&](const oci::Mount& x) {
            return is_under(clean_destination(x.destination), dest);
        });
        mounts.insert(child, std::move(mount));
    }
}

}  // namespace

oci::RuntimeConfig runtime_config_for(const ContainerSpec& spec,
                                      const std::vector<std::string>& env,
                                      const ConfigInputs& inputs) {
    oci::RuntimeConfig config = oci::default_config();
    const bool rootless = is_rootless(spec, inputs.builder);
    if (rootless) oci::make_rootless(config, inputs.builder.uid, inputs.builder.gid);

    auto& process = config.process;
    process.args = spec.args;
    process.terminal = spec.terminal;
    process.env = env;
    process.cwd = spec.cwd.value_or("/");

    const ResolvedUser user =
        inputs.user ? *inputs.user : resolve_process_user(spec, std::nullopt, std::nullopt);
    if (rootless && (user.uid != 0 || user.gid != 0))
        throw SpecError("--user " + quote(spec.user ? spec.user->to_string() : "") + " (uid " +
                        std::to_string(user.uid) + ", gid " + std::to_string(user.gid) +
                        "): a rootless bundle maps only container root (0:0) to the invoking "
                        "user; build with --rootless=false for a runtime run as root");
    process.user = {user.uid, user.gid};

    const CapabilitySets caps =
        capability_sets(default_capabilities(), spec.cap_add, spec.cap_drop, user.uid == 0);
    process.capabilities = oci::Capabilities{caps.bounding, caps.effective, caps.inheritable,
                                             caps.permitted, caps.ambient};

    config.hostname = spec.hostname;
    config.root.readonly = spec.readonly;
    for (const auto& m : spec.mounts)
        for (const auto& option : m.options)
            if (oci::has_unmapped_id_option(config, option))
                throw SpecError("mount " + quote(m.destination) + ": option " + option +
                                " names an id a rootless bundle does not map (only 0 is)");
    merge_mounts(config.mounts, spec.mounts);
    return config;
}

namespace {

// The temporary sibling: removed on every failure path.
class TempDir {
  public:
    // The temporary sibling is ".<name>.ocitools-tmp-<pid>-XXXXXX", locked (flock) for as long
    // as this build lives. A temporary whose process is gone and whose lock can be taken belongs
    // to a build that died (SIGKILL, a crash): it is removed first, so dead builds never pile up.
    explicit TempDir(const fs::path& output) {
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
    static void remove_stale(const fs::path& parent, const std::string& prefix) {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(parent, ec)) {
            // ".<name>.ocitools-tmp-<pid>-XXXXXX". Between its mkdtemp and its flock a live
            // build's directory is not locked yet, so its process must be gone too.
            const std::string name = entry.path().filename().string();
            if (!name.starts_with(prefix)) continue;
            const size_t dash = name.find('-', prefix.size());
            if (dash == std::string::npos || dash == prefix.size() || name.size() != dash + 7)
                continue;
            const std::string digits = name.substr(prefix.size(), dash - prefix.size());
            if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos)
                continue;
            const auto pid = static_cast<pid_t>(std::stol(digits));
            if (pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive, or unsure
            UniqueFd fd(
                open(entry.path().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!fd || flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // alive, or not ours
            fs::remove_all(entry.path(), ec);
        }
    }

    fs::path path_;
    UniqueFd lock_;
};

void write_file_at(int dirfd, const char* name, const std::string& text, const fs::path& shown) {
    UniqueFd fd(openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd) throw SystemError("cannot create", shown, errno);
    for (size_t done = 0; done < text.size();) {
        const ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0) throw SystemError("cannot write", shown, errno);
        done += static_cast<size_t>(n);
    }
    // No fsync: like cp and tar, the bundle is as durable as the page cache makes it (syncing
    // config.json alone would not make the rootfs's files survive a power cut either), and the
    // rename already makes it appear whole to every process.
}

bool source_is_file(const MountSpec& m) {
    struct stat st {};
    return m.is_bind() && stat(m.source.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
}

}  // namespace

namespace {

// Whether the container cannot write its root: read-only, and without CAP_SYS_ADMIN, with which
// `mount -o remount,rw /` undoes that (link_test.sh shows it).
bool root_stays_read_only(const ContainerSpec& spec) {
    if (!spec.readonly) return false;
    const CapabilitySets caps =
        capability_sets(default_capabilities(), spec.cap_add, spec.cap_drop, true);
    return std::find(caps.bounding.begin(), caps.bounding.end(), "CAP_SYS_ADMIN") ==
           caps.bounding.end();
}

// Whether files are hard-linked. A container that can write its root must never reach host
// files through a hard link unless the user asked for exactly that on the command line.
bool use_hardlinks(const ContainerSpec& spec, const BuildOptions& options,
                   const Reporter& reporter) {
    const bool read_only = root_stays_read_only(spec);
    switch (spec.link.value_or(LinkMode::Copy)) {
        case LinkMode::Copy:
            return false;
        case LinkMode::Auto:
            return read_only;
        case LinkMode::Hardlink:
            if (read_only) return true;
            if (spec.readonly && !options.allow_writable_hardlinks)
                throw SpecError(
                    "link \"hardlink\" with CAP_SYS_ADMIN: the container can remount its "
                    "read-only root writable and change host files through the hard links; "
                    "drop the capability, use link \"auto\", or pass --link hardlink on the "
                    "command line to accept it");
            if (!options.allow_writable_hardlinks)
                throw SpecError(
                    "link \"hardlink\" with a writable root: the container could change host "
                    "files through the hard links; make the root read-only (--readonly), use "
                    "link \"auto\", or pass --link hardlink on the command line to accept it");
            reporter.warn(spec.readonly
                              ? "--link hardlink with CAP_SYS_ADMIN: the container can remount "
                                "its root writable and change host files through the hard links"
                              : "--link hardlink with a writable root: the container can change "
                                "host files through the hard links (--readonly prevents it)");
            return true;
    }
    return false;
}

}  // namespace

namespace {

// Write the bundle for `closure` in a temporary sibling of the output and rename it into place.
void write_bundle(const ContainerSpec& spec, const BuildOptions& options,
                  const Reporter& reporter, bool hardlink, bool exists, const Roots& roots,
                  const Closure& closure) {
    const fs::path& output = options.output;
    // Check the config before writing anything. A user name can only be looked up once the
    // rootfs is written, so it stands in as root here; the config is made again after that.
    const bool user_by_name = spec.user && (!parse_id(spec.user->user) ||
                                            (spec.user->group && !parse_id(*spec.user->group)));
    ConfigInputs inputs{options.builder, std::nullopt};
    if (user_by_name) inputs.user = ResolvedUser{};
    (void)runtime_config_for(spec, roots.env, inputs);

    throw_if_cancelled();
    TempDir temp(output);
    UniqueFd bundle(open(temp.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!bundle) throw SystemError("cannot open", temp.path(), errno);
    if (mkdirat(bundle.get(), "rootfs", 0755) != 0)
        throw SystemError("cannot create", temp.path() / "rootfs", errno);
    UniqueFd rootfs(openat(bundle.get(), "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!rootfs) throw SystemError("cannot open", temp.path() / "rootfs", errno);

    phase_done("temporary directory");
    RootfsWriter writer(std::move(rootfs));
    if (options.progress) options.progress->start("ocitools: writing rootfs");
    // Erased on every way out too, so that what comes next (an error) has a line of its own.
    struct EraseProgress {
        Progress* progress;
        ~EraseProgress() {
            if (progress) progress->finish();
        }
    } erase_progress{options.progress};
    WriteOptions write_options{.hardlink = hardlink, .jobs = options.jobs,
                               .progress = options.progress};
    const WriteStats written = writer.write(closure.plan, write_options);
    if (options.progress) options.progress->finish();
    if (written.not_linked != 0 && spec.link == LinkMode::Hardlink)
        reporter.warn(std::to_string(written.not_linked) + " of " +
                      std::to_string(written.files) +
                      " files were copied, not hard-linked (the first: " +
                      written.not_linked_example + ")");
    // The process user is looked up in the rootfs's /etc/passwd and /etc/group, as the runtime
    // and `id` inside will see them; the minimal files are written where the closure has none.
    const EtcFiles etc = EtcFiles::read(writer);
    inputs.user = resolve_process_user(spec, etc.passwd, etc.group);
    const oci::RuntimeConfig config = runtime_config_for(spec, roots.env, inputs);
    etc.write_missing(writer, inputs.user->uid, inputs.user->gid, spec.hostname);
    // Mount points of the system mounts (the seed's `mkdir -p rootfs/{dev,proc,sys}`).
    for (const char* dir : {"/dev", "/proc", "/sys"}) writer.make_directory(dir);
    for (const auto& m : spec.mounts) writer.make_mount_point(m.destination, source_is_file(m));
    // The working directory must exist (runc does not create it, and cannot in a read-only
    // root); it resolves inside the rootfs like a mount destination.
    if (config.process.cwd != "/") writer.make_mount_point(config.process.cwd, false);
    write_file_at(bundle.get(), "config.json", oci::serialize(config), output / "config.json");

    phase_done("config and /etc");
    throw_if_cancelled();  // the last point where an interrupt still leaves nothing
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
    phase_done("publish");
    if (!exists) temp.release();  // else the TempDir now holds the old bundle and removes it
}

}  // namespace

void build_bundle(const ContainerSpec& spec, const BuildOptions& options,
                  const Reporter& reporter) {
    check_spec(spec);
    const bool hardlink = use_hardlinks(spec, options, reporter);
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

    const Roots roots = compute_roots(spec, options.host_search_path,
                                      StoreDir(options.closure.store_dir), reporter);
    const Closure closure = compute_closure(roots, reporter, options.closure);
    phase_done("closure");
    write_bundle(spec, options, reporter, hardlink, exists, roots, closure);
}

}  // namespace ocitools
