#include "image/image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <exception>

#include "base/cancel.h"
#include "base/error.h"
#include "base/parallel.h"
#include "base/phase_time.h"
#include "bundle/ld_cache_file.h"
#include "bundle/temp_dir.h"
#include "fs/file_bytes.h"
#include "fs/path.h"
#include "fs/unique_fd.h"
#include "fs/write_all.h"
#include "image/docker_archive.h"
#include "image/image_json.h"
#include "image/layer_writer.h"
#include "image/layers.h"
#include "oci/config_for_spec.h"
#include "oci/minimal_etc.h"

namespace ocitools {

namespace fs = std::filesystem;

ImageFormat parse_image_format(const std::string& value, const std::string& what) {
    if (value == "oci") return ImageFormat::Oci;
    if (value == "docker-archive") return ImageFormat::DockerArchive;
    throw SpecError(what + ": " + quote(value) + " is not an image format (oci or docker-archive)");
}

std::string parse_port(const std::string& value, const std::string& what) {
    const size_t slash = value.find('/');
    const std::string number = value.substr(0, slash);
    const std::string protocol = slash == std::string::npos ? "tcp" : value.substr(slash + 1);
    const bool digits = !number.empty() && number.size() <= 5 &&
                        std::all_of(number.begin(), number.end(), ::isdigit);
    if (!digits || std::stoul(number) == 0 || std::stoul(number) > 65535)
        throw SpecError(what + ": " + quote(value) + ": the port must be a number from 1 to 65535");
    if (protocol != "tcp" && protocol != "udp" && protocol != "sctp")
        throw SpecError(what + ": " + quote(value) + ": the protocol must be tcp, udp or sctp");
    return std::to_string(std::stoul(number)) + "/" + protocol;
}

std::pair<std::string, std::string> parse_label(const std::string& value, const std::string& what) {
    const size_t equals = value.find('=');
    if (equals == 0 || equals == std::string::npos)
        throw SpecError(what + ": " + quote(value) + " is not KEY=VALUE");
    return {value.substr(0, equals), value.substr(equals + 1)};
}

void check_tag(const std::string& value, const std::string& what) {
    // docker's reference grammar, loosely: the name's components are lower case; the tag (after
    // a colon behind the last slash) is [A-Za-z0-9_.-], at most 128 characters.
    const size_t slash = value.rfind('/');
    const size_t colon = value.find(':', slash == std::string::npos ? 0 : slash);
    const std::string name = value.substr(0, colon);
    const std::string tag = colon == std::string::npos ? "latest" : value.substr(colon + 1);
    auto bad = [&](const std::string& why) {
        throw SpecError(what + ": " + quote(value) + ": " + why);
    };
    if (name.empty()) bad("no image name");
    for (const char c : name)
        if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
              c == '.' || c == '_' || c == '-' || c == '/' || c == ':'))
            bad("an image name holds only lower-case letters, digits and . _ - / (and a registry's :port)");
    if (tag.empty() || tag.size() > 128) bad("a tag has 1 to 128 characters");
    for (const char c : tag)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
            bad("a tag holds only letters, digits and . _ -");
}

std::optional<std::int64_t> source_date_epoch_from_environment() {
    const char* value = std::getenv("SOURCE_DATE_EPOCH");
    if (!value || !*value) return std::nullopt;
    const std::string text = value;
    if (text.size() > 18 || !std::all_of(text.begin(), text.end(), ::isdigit))
        throw SpecError("SOURCE_DATE_EPOCH=" + quote(text) +
                        ": not a number of seconds since 1970-01-01 00:00:00 UTC");
    return std::stoll(text);
}

namespace {

// What an image cannot say, each named: a runtime's settings rather than the image's.
void warn_what_images_cannot_carry(const ContainerSpec& spec, const Reporter& reporter) {
    auto warn = [&](const std::string& what) {
        reporter.warn(what + ": an image cannot carry it; left out (give it to podman run)");
    };
    for (const auto& m : spec.mounts)
        warn("mount of " + (m.source.empty() ? m.type : quote(m.source)) + " on " +
             quote(m.destination));
    if (spec.readonly) warn("a read-only root (--readonly)");
    for (const auto& cap : spec.cap_add) warn("capability " + cap + " added (--cap-add)");
    for (const auto& cap : spec.cap_drop) warn("capability " + cap + " dropped (--cap-drop)");
    if (spec.hostname) warn("hostname " + quote(*spec.hostname));
    if (spec.terminal) warn("a terminal (--terminal)");
}

// The content of a host file that the plan holds at `path`, when it is a regular file there.
std::optional<std::string> planned_file(const Plan& plan, const std::string& path) {
    const PlanEntry* entry = plan.find(path);
    if (!entry || entry->kind != EntryKind::File || entry->source.empty()) return std::nullopt;
    return read_regular_file(entry->source, 16 << 20, "/etc/passwd and /etc/group");
}

// The image's files: the closure's, with what a bundle also gets (bundle/bundle.cpp): the
// directories above them, mount points of the runtime's system mounts, /tmp and /var/tmp with
// the sticky bit, the working directory, a minimal /etc/passwd, /etc/group and /etc/hosts where
// the closure has none, and the /etc/ld.so.cache of its libraries (bundle/ld_cache_file.h).
struct ImageFiles {
    Plan plan;
    std::map<std::string, std::string> generated;  // content of the files ocitools makes
};

ImageFiles image_files(const Plan& closure, const ContainerSpec& spec, std::int64_t made_at) {
    ImageFiles out;
    const struct timespec mtime{static_cast<time_t>(made_at), 0};
    for (PlanEntry entry : closure.entries()) {
        if (entry.kind == EntryKind::Directory && (entry.path == "/tmp" || entry.path == "/var/tmp"))
            entry.mode = 01777;
        out.plan.add(std::move(entry));
    }
    auto directory = [&](const std::string& path, mode_t mode) {
        // Its missing parents first, plain directories.
        for (size_t slash = path.find('/', 1); slash != std::string::npos;
             slash = path.find('/', slash + 1))
            if (!out.plan.contains(path.substr(0, slash)))
                out.plan.add({path.substr(0, slash), EntryKind::Directory, {}, {}, 0755, mtime});
        if (!out.plan.contains(path)) out.plan.add({path, EntryKind::Directory, {}, {}, mode, mtime});
    };
    // The directories above the closure's paths that it does not list (it lists the ones with
    // something to copy: a mode, a symlink), as the rootfs writer makes them.
    for (const PlanEntry& entry : closure.entries()) {
        const size_t slash = entry.path.rfind('/');
        if (slash > 0) directory(entry.path.substr(0, slash), 0755);
    }
    for (const char* dir : {"/dev", "/proc", "/sys"}) directory(dir, 0755);
    for (const char* dir : {"/tmp", "/var/tmp"}) directory(dir, 01777);
    if (spec.cwd && *spec.cwd != "/") directory(*spec.cwd, 0755);

    const auto passwd = planned_file(closure, "/etc/passwd");
    const auto group = planned_file(closure, "/etc/group");
    const ResolvedUser user = resolve_process_user(spec, passwd, group);
    auto generate = [&](const std::string& path, std::string content) {
        if (closure.find(path)) return;
        directory("/etc", 0755);
        out.plan.add({path, EntryKind::File, {}, {}, 0644, mtime});
        out.generated.emplace(path, std::move(content));
    };
    generate("/etc/passwd", minimal_passwd(user.uid, user.gid));
    generate("/etc/group", minimal_group(user.gid));
    generate("/etc/hosts", minimal_hosts(std::nullopt));
    if (auto cache = rootfs_ld_cache(closure)) generate("/etc/ld.so.cache", std::move(*cache));
    return out;
}

// Write every layer, `jobs` at a time, the largest (by entries) first; the first error (in
// layer order) is thrown once every thread has stopped.
std::vector<LayerBlob> write_layers(const std::vector<Layer>& layers, int blobs,
                                    const std::string& shown, const LayerSettings& settings,
                                    unsigned jobs) {
    std::vector<size_t> order(layers.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return layers[a].entries.size() > layers[b].entries.size();
    });
    std::vector<LayerBlob> out(layers.size());
    std::vector<std::exception_ptr> errors(layers.size());
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    run_on_threads(std::min<size_t>(worker_threads(jobs), layers.size()), [&]() noexcept {
        for (size_t n; !failed && (n = next++) < order.size();) {
            const size_t i = order[n];
            try {
                out[i] = write_layer(layers[i], blobs, shown, settings);
            } catch (...) {
                errors[i] = std::current_exception();
                failed = true;
            }
        }
    });
    for (const auto& error : errors)
        if (error) std::rethrow_exception(error);
    return out;
}

// A JSON document as a blob; its descriptor.
Descriptor write_json_blob(int blobs, const std::string& shown, const std::string& media_type,
                           const std::string& text) {
    const std::string digest = Sha256::of(text);
    const std::string hex = digest.substr(digest.find(':') + 1);
    create_file_at(blobs, hex, text, shown + "/" + hex);
    return {media_type, digest, text.size()};
}

}  // namespace

void build_image(const ContainerSpec& spec, const ImageOptions& options, const Reporter& reporter) {
    check_spec(spec);
    for (const auto& tag : options.tags) check_tag(tag, "--tag");
    if (options.max_layers < 1) throw SpecError("--max-layers: must be at least 1");
    compression_level(options.compression, options.compression_level, "--compression-level");
    const fs::path& output = options.build.output;
    const bool to_stdout = options.format == ImageFormat::DockerArchive && output == "-";
    if (output == "-" && !to_stdout)
        throw SpecError("output '-' (standard output) is for --format docker-archive only");
    if (to_stdout && isatty(STDOUT_FILENO))
        throw SpecError("not writing a docker archive to a terminal (redirect standard output)");
    const bool exists = !to_stdout && check_output(output, options.build.force,
                                                   options.format == ImageFormat::Oci);
    warn_what_images_cannot_carry(spec, reporter);

    BuildOptions build = options.build;
    build.closure.groups = true;
    Roots roots;
    const Closure closure = resolve_closure(spec, build, reporter, roots);
    const std::int64_t made_at = options.source_date_epoch.value_or(0);
    const ImageFiles files = image_files(closure.plan, spec, made_at);
    const std::vector<Layer> layers = plan_layers(files.plan, closure.groups, options.max_layers);
    phase_done("layers planned");

    throw_if_cancelled();
    TempDir temp(to_stdout ? fs::temp_directory_path() / "ocitools-image" : output);
    const std::string layout = temp.path().string();
    if (mkdir((layout + "/blobs").c_str(), 0755) != 0 ||
        mkdir((layout + "/blobs/sha256").c_str(), 0755) != 0)
        throw SystemError("cannot create", layout + "/blobs/sha256", errno);
    UniqueFd layout_fd(open(layout.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!layout_fd) throw SystemError("cannot open", layout, errno);
    const std::string blobs_shown = layout + "/blobs/sha256";
    UniqueFd blobs(open(blobs_shown.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!blobs) throw SystemError("cannot open", blobs_shown, errno);

    const LayerSettings settings{options.compression, options.compression_level,
                                 worker_threads(options.build.jobs), options.source_date_epoch,
                                 &files.generated};
    const std::vector<LayerBlob> written =
        write_layers(layers, blobs.get(), blobs_shown, settings, options.build.jobs);
    phase_done("layers");

    ImageConfig config;
    host_platform(config);
    config.created = made_at;
    (options.entrypoint ? config.entrypoint : config.cmd) = spec.args;
    config.env = roots.env;
    config.working_dir = spec.cwd;
    if (spec.user) config.user = spec.user->to_string();
    config.labels = options.labels;
    config.exposed_ports = options.ports;
    std::vector<Descriptor> layer_descriptors;
    for (size_t i = 0; i < layers.size(); ++i) {
        config.diff_ids.push_back(written[i].diff_id);
        config.history.push_back("ocitools build-image: " + layers[i].description());
        layer_descriptors.push_back(
            {layer_media_type(options.compression), written[i].digest, written[i].size});
    }
    const Descriptor config_blob =
        write_json_blob(blobs.get(), blobs_shown, "application/vnd.oci.image.config.v1+json",
                        image_config_json(config));
    const Descriptor manifest =
        write_json_blob(blobs.get(), blobs_shown, "application/vnd.oci.image.manifest.v1+json",
                        manifest_json(config_blob, layer_descriptors));
    create_file_at(layout_fd.get(), "index.json", index_json(manifest, config, options.tags),
                  layout + "/index.json");
    create_file_at(layout_fd.get(), "oci-layout", oci_layout_json(), layout + "/oci-layout");
    phase_done("image");

    if (options.format == ImageFormat::Oci) {
        throw_if_cancelled();  // the last point where an interrupt still leaves nothing
        temp.publish(output, exists);
        phase_done("publish");
        return;
    }
    create_file_at(layout_fd.get(), "manifest.json",
                  docker_manifest_json(config_blob, layer_descriptors, options.tags),
                  layout + "/manifest.json");
    std::vector<std::string> archived{blob_path(config_blob.digest)};
    for (const auto& layer : layer_descriptors) archived.push_back(blob_path(layer.digest));
    archived.push_back(blob_path(manifest.digest));
    for (const char* name : {"index.json", "manifest.json", "oci-layout"}) archived.push_back(name);
    // The same blob twice (two layers with equal content) is archived once.
    std::vector<std::string> unique;
    for (const auto& name : archived)
        if (std::find(unique.begin(), unique.end(), name) == unique.end()) unique.push_back(name);
    if (to_stdout) {
        write_docker_archive(layout_fd.get(), layout, unique, made_at, STDOUT_FILENO,
                             "standard output");
        return;
    }
    const std::string archive = layout + "/.archive.tar";
    UniqueFd out(open(archive.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!out) throw SystemError("cannot create", archive, errno);
    write_docker_archive(layout_fd.get(), layout, unique, made_at, out.get(), archive);
    throw_if_cancelled();
    // RENAME_NOREPLACE: an output that appeared meanwhile is never clobbered.
    const unsigned flags = exists ? 0 : RENAME_NOREPLACE;
    if (renameat2(AT_FDCWD, archive.c_str(), AT_FDCWD, output.c_str(), flags) != 0) {
        if (errno == EEXIST)
            throw SpecError("output " + quote(output.string()) +
                            " was created by something else while this build ran (another "
                            "build?); not replacing it");
        throw SystemError("cannot rename " + quote(archive) + " to", output, errno);
    }
    phase_done("publish");
}

}  // namespace ocitools
