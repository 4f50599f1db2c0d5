#include "bundle/bundle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/cancel.h"
#include "base/error.h"
#include "base/phase_time.h"
#include "bundle/etc_files.h"
#include "bundle/ld_cache_file.h"
#include "bundle/link_policy.h"
#include "bundle/temp_dir.h"
#include "fs/path.h"
#include "fs/unique_fd.h"
#include "fs/write_all.h"
#include "rootfs/rootfs_writer.h"
#include "trace/traced_roots.h"

namespace ocitools {

namespace fs = std::filesystem;

namespace {

bool source_is_file(const MountSpec& m) {
    struct stat st {};
    return m.is_bind() && stat(m.source.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
}

// A mount at `dir` or above it (a tmpfs on /tmp, a volume on /var) provides it.
bool covered_by_mount(const char* dir, const std::vector<MountSpec>& mounts) {
    const CanonPath path(dir);
    return std::any_of(mounts.begin(), mounts.end(), [&](const MountSpec& m) {
        const CanonPath destination(m.destination);
        return destination == path || path.is_beneath(destination);
    });
}

// Write the bundle for `closure` in a temporary sibling of the output and rename it into place.
void write_bundle(const ContainerSpec& spec, const BuildOptions& options, const Reporter& reporter,
                  bool hardlink, bool exists, const Roots& roots, const Closure& closure) {
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
    WriteOptions write_options{
        .hardlink = hardlink, .jobs = options.jobs, .progress = options.progress};
    const WriteStats written = writer.write(closure.plan, write_options);
    if (options.progress) options.progress->finish();
    if (written.not_linked != 0 && spec.link == LinkMode::Hardlink)
        reporter.warn(
            std::to_string(written.not_linked) + " of " + std::to_string(written.files) +
            " files were copied, not hard-linked (the first: " + written.not_linked_example + ")");
    // The process user is looked up in the rootfs's /etc/passwd and /etc/group, as the runtime
    // and `id` inside will see them; the minimal files are written where the closure has none.
    const EtcFiles etc = EtcFiles::read(writer);
    inputs.user = resolve_process_user(spec, etc.passwd, etc.group);
    const oci::RuntimeConfig config = runtime_config_for(spec, roots.env, inputs);
    etc.write_missing(writer, inputs.user->uid, inputs.user->gid, spec.hostname);
    if (const auto cache = rootfs_ld_cache(closure.plan))
        writer.create_file("/etc/ld.so.cache", *cache, 0644);
    // Mount points of the system mounts (the seed's `mkdir -p rootfs/{dev,proc,sys}`).
    for (const char* dir : {"/dev", "/proc", "/sys"}) writer.make_directory(dir);
    // /tmp and /var/tmp, world-writable with the sticky bit (FHS 3.0 3.18 and 5.15): mktemp,
    // shells' here-documents and python's tempfile need them. A mount covering one provides it.
    for (const char* dir : {"/tmp", "/var/tmp"})
        if (!covered_by_mount(dir, spec.mounts)) writer.make_directory_with_mode(dir, 01777);
    for (const auto& m : spec.mounts) {
        try {
            writer.make_mount_point(m.destination, source_is_file(m));
        } catch (const ClosureError& e) {
            throw SpecError("mount \"" + m.destination + "\" (a " +
                            (source_is_file(m) ? "file" : "directory") + "): " + e.what());
        }
    }
    // The working directory must exist (runc does not create it, and cannot in a read-only
    // root); it resolves inside the rootfs like a mount destination.
    try {
        if (config.process.cwd != "/") writer.make_mount_point(config.process.cwd, false);
    } catch (const ClosureError& e) {
        throw SpecError("key \"cwd\" (--cwd): " + std::string(e.what()));
    }
    create_file_at(bundle.get(), "config.json", oci::serialize(config), output / "config.json");

    phase_done("config and /etc");
    throw_if_cancelled();  // the last point where an interrupt still leaves nothing
    temp.publish(output, exists);
    phase_done("publish");
}

}  // namespace

bool check_output(const fs::path& output, bool force, bool directory) {
    const char* what = directory ? "directory" : "file";
    if (output.empty())
        throw SpecError(std::string("no output ") + what + " given (-o " +
                        (directory ? "DIR" : "FILE") + ")");
    if (output.filename().empty() || output.filename() == "." || output.filename() == "..")
        throw SpecError("output " + quote(output.string()) + ": must name a " + what +
                        " to create");
    struct stat st {};
    const bool exists = lstat(output.c_str(), &st) == 0;
    if (exists && !force)
        throw SpecError("output " + quote(output.string()) +
                        " already exists (use --force to replace it)");
    if (exists && (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
        throw SpecError("output " + quote(output.string()) + " exists and is not a " + what +
                        "; not replacing it");
    const fs::path parent = output.parent_path().empty() ? "." : output.parent_path();
    if (stat(parent.c_str(), &st) != 0)
        throw SystemError(std::string("output ") + what + "'s parent is unusable:", parent,
                          errno);
    return exists;
}

Closure resolve_closure(const ContainerSpec& spec, const BuildOptions& options,
                        const Reporter& reporter, Roots& roots) {
    roots = compute_roots(spec, options.host_search_path, StoreDir(options.closure.store_dir),
                          reporter);
    // The traced run never sees the output: the bundle of a previous build is not a file the
    // command uses.
    if (spec.trace)
        add_traced_roots(roots, spec,
                         {fs::absolute(options.output).lexically_normal().string()}, reporter);
    Closure closure = compute_closure(roots, reporter, options.closure);
    phase_done("closure");
    return closure;
}

void build_bundle(const ContainerSpec& spec, const BuildOptions& options,
                  const Reporter& reporter) {
    check_spec(spec);
    const bool hardlink = use_hardlinks(spec, options.allow_writable_hardlinks, reporter);
    // Everything that can be checked before writing is checked first.
    const bool exists = check_output(options.output, options.force, true);
    Roots roots;
    const Closure closure = resolve_closure(spec, options, reporter, roots);
    write_bundle(spec, options, reporter, hardlink, exists, roots, closure);
}

}  // namespace ocitools
