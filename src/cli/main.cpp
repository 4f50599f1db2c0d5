// The ocitools command: parse flags, call the library, turn errors into exit codes.
//   0  success (validate: the bundle is valid)
//   1  an error: bad input, an I/O failure, an invalid bundle (validate)
//   2  a command-line usage error
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bundle/bundle.h"
#include "flags.h"  // this folder's own, not a library's
#include "image/image.h"
#include "base/cancel.h"
#include "closure/closure.h"
#include "trace/traced_roots.h"
#include "base/error.h"
#include "validate/bundle_validator.h"
#include "base/phase_time.h"
#include "spec/capabilities.h"
#include "spec/container_spec.h"
#include "spec/mount_flag.h"

namespace {

using namespace ocitools;
using namespace ocitools::cli;

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

std::string host_path_env() {
    const char* path = std::getenv("PATH");
    return path ? path : "/usr/local/bin:/usr/bin:/bin";
}

// SIGINT, SIGTERM and SIGHUP stop a build at its next safe point; it then unwinds like any
// failure and removes its temporary directory. A second signal exits at once (the next build at
// that path removes what is left). Blocked here, before the build starts any other thread, and
// waited for in a thread of their own. Only builds and traced runs, which leave things to remove,
// pay for that thread; the other commands write nothing before they are done, and a signal ends
// them as it ends any process.
void stop_builds_on_signals() {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop_signals, sig);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::thread([stop_signals] {
        int sig = 0;
        if (sigwait(&stop_signals, &sig) != 0) return;
        request_cancel(sig);
        if (sigwait(&stop_signals, &sig) == 0) _exit(128 + sig);
    }).detach();
}

// Whether `name` is one of the command line's arguments. CLI11 enters a subcommand only at an
// argument that is its name (no aliases, prefixes or case folding are set here), so the options of
// a subcommand not named are never looked at, and main() adds none: CLI11 checks each option's
// names against all the others as it adds them, two thirds of the instructions of
// `ocitools --version` when every subcommand had all of its options.
bool named(int argc, char** argv, std::string_view name) {
    return std::any_of(argv + 1, argv + argc, [&](const char* arg) { return arg == name; });
}

Reporter stderr_reporter() {
    return Reporter([](const std::string& m) { std::cerr << "ocitools: warning: " << m << "\n"; },
                    [](const std::string& m) { std::cerr << "ocitools: " << m << "\n"; });
}

}  // namespace

int main(int argc, char** argv) {
    phase_start();
    CLI::App app{
        "ocitools: turn a command into a self-contained OCI runtime bundle "
        "(config.json + rootfs/) that runc, crun or youki can run, or an OCI image."};
    app.set_version_flag("--version", std::string("ocitools ") + OCITOOLS_VERSION);
    app.require_subcommand(1);

    // build-container
    auto* build = app.add_subcommand(
        "build-container",
        "Build a bundle for a command: ocitools build-container -o DIR [options] -- ARG...");
    RequestFlags build_flags;
    std::string output;
    bool force = false;
    RootFlags root_flags;
    std::string link;
    unsigned jobs = 0;
    ProcessFlags process_flags;
    if (named(argc, argv, build->get_name())) {
        build->add_option("-o,--output", output, "Bundle directory to create")->required();
        build_flags.add_to(*build);
        root_flags.add_to(*build);
        build->add_flag("--force", force, "Replace DIR if it exists");
        build
            ->add_option("--link", link,
                         "How files reach the rootfs: copy (default; in-kernel, reflinked where "
                         "the filesystem can), hardlink (no copy; the container shares the host's "
                         "files, so it needs --readonly, or this flag given here, with a "
                         "warning), auto (hardlink when --readonly and on the same filesystem, "
                         "else copy)")
            ->check(CLI::IsMember({"copy", "hardlink", "auto"}));
        build->add_option("-j,--jobs", jobs,
                          "Copying threads (default: one per core, at most 8)");
        process_flags.add_to(*build);
    }

    // build-image
    auto* image = app.add_subcommand(
        "build-image",
        "Build an OCI image for a command: ocitools build-image -o PATH [options] -- ARG...");
    RequestFlags image_flags;
    RootFlags image_root_flags;
    ProcessFlags image_process_flags;
    std::string image_output, image_format = "oci", compression = "gzip";
    bool image_force = false, entrypoint = false;
    std::vector<std::string> tags, labels, ports;
    unsigned max_layers = 32, image_jobs = 0;
    std::optional<int> compression_level;
    if (named(argc, argv, image->get_name())) {
        image
            ->add_option("-o,--output", image_output,
                         "Image to create: a directory (oci), or a file or - for standard output "
                         "(docker-archive)")
            ->required();
        image->add_option("--format", image_format,
                          "oci: an OCI image layout directory (default); docker-archive: one tar "
                          "for docker load and podman load")
            ->check(CLI::IsMember({"oci", "docker-archive"}));
        image->add_option("--tag", tags,
                          "Name the image NAME[:TAG] (the layout's ref name as typed; the "
                          "archive's RepoTags with :latest when no tag); repeatable")
            ->allow_extra_args(false);
        image->add_option("--max-layers", max_layers,
                          "At most N layers (default 32; 1: a single layer): one per Debian "
                          "package or Nix store path, the most needed first, the rest with the "
                          "loose files in the last")
            ->check(CLI::Range(1u, 1000u));
        image->add_option("--compression", compression,
                          "Layer compression: gzip (default), zstd, none")
            ->check(CLI::IsMember({"gzip", "zstd", "none"}));
        image->add_option("--compression-level", compression_level,
                          "Compression level: gzip 1 to 12 (default 6; 10 to 12 search "
                          "hardest), zstd 1 to 19 (default 3). Layers are shared between "
                          "images built at the same level");
        image->add_flag("--entrypoint", entrypoint,
                        "Make the command the image's Entrypoint (arguments given to podman run "
                        "are appended) instead of its Cmd (which they replace)");
        image->add_option("--label", labels, "Add an image label KEY=VALUE; repeatable")
            ->allow_extra_args(false);
        image->add_option("--port", ports, "Expose a port: N[/tcp|/udp|/sctp]; repeatable")
            ->allow_extra_args(false);
        image->add_flag("--force", image_force, "Replace PATH if it exists");
        image->add_option("-j,--jobs", image_jobs,
                          "Layers written at once (default: one per core, at most 8)");
        image_flags.add_to(*image);
        image_root_flags.add_to(*image);
        image_process_flags.add_to(*image);
    }

    // closure
    auto* closure_cmd = app.add_subcommand(
        "closure", "Print every host path the rootfs would receive, one per line, sorted");
    RequestFlags closure_flags;
    bool list_packages = false, why = false;
    std::vector<std::string> closure_env;
    if (named(argc, argv, closure_cmd->get_name())) {
        closure_flags.add_to(*closure_cmd);
        closure_cmd->add_flag(
            "--list-packages", list_packages,
            "Print the Debian package set (name:architecture) instead of the paths");
        closure_cmd
            ->add_option("-e,--env", closure_env,
                         "The container's environment variable KEY=VALUE, as build-container "
                         "takes it (PATH finds the program, LD_LIBRARY_PATH its libraries); "
                         "repeatable")
            ->allow_extra_args(false);
        closure_cmd->add_flag("--why", why,
                              "Print each path with the first reason it entered, as "
                              "PATH<TAB>REASON (the directories above the paths included)");
    }

    // validate
    auto* validate = app.add_subcommand(
        "validate", "Check a bundle (config.json and rootfs); exit 0 when valid, 1 when not");
    std::string bundle_dir;
    if (named(argc, argv, validate->get_name()))
        validate->add_option("DIR", bundle_dir, "The bundle directory")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; every usage error exits 2, whatever CLI11's own code.
        return app.exit(e) == 0 ? 0 : kExitUsage;
    }

    const Reporter reporter = stderr_reporter();
    try {
        if (*build) {
            stop_builds_on_signals();
            ContainerSpec spec = build_flags.spec(reporter);
            root_flags.apply(spec);
            process_flags.apply(*build, spec);
            BuildOptions options{output, force, host_path_env()};
            options.closure = build_flags.closure_options();
            if (build->count("--link")) {
                spec.link = parse_link_mode(link, "--link");
                options.allow_writable_hardlinks = spec.link == LinkMode::Hardlink;
            }
            options.jobs = jobs;
            // A progress line only on a terminal; nothing otherwise.
            Progress progress(STDERR_FILENO, isatty(STDERR_FILENO) == 1);
            options.progress = &progress;
            phase_done("arguments");
            build_bundle(spec, options, reporter);
        } else if (*image) {
            stop_builds_on_signals();
            ContainerSpec spec = image_flags.spec(reporter);
            image_root_flags.apply(spec);
            image_process_flags.apply(*image, spec);
            ImageOptions options;
            options.build = BuildOptions{image_output, image_force, host_path_env()};
            options.build.closure = image_flags.closure_options();
            options.build.jobs = image_jobs;
            options.format = parse_image_format(image_format, "--format");
            options.tags = tags;
            options.max_layers = max_layers;
            options.compression = parse_compression(compression, "--compression");
            options.compression_level = compression_level;
            options.entrypoint = entrypoint;
            for (const auto& label : labels) options.labels.insert(parse_label(label, "--label"));
            for (const auto& port : ports) options.ports.push_back(parse_port(port, "--port"));
            std::sort(options.ports.begin(), options.ports.end());
            options.ports.erase(std::unique(options.ports.begin(), options.ports.end()),
                                options.ports.end());
            options.source_date_epoch = source_date_epoch_from_environment();
            phase_done("arguments");
            build_image(spec, options, reporter);
        } else if (*closure_cmd) {
            ContainerSpec spec = closure_flags.spec(reporter);
            for (const auto& e : closure_env) set_env(spec.env, e, "--env");
            if (spec.trace) stop_builds_on_signals();
            check_spec(spec);
            phase_done("arguments");
            ClosureOptions options = closure_flags.closure_options();
            options.why = why;
            Roots roots =
                compute_roots(spec, host_path_env(), StoreDir(options.store_dir), reporter);
            if (spec.trace) add_traced_roots(roots, spec, {}, reporter);
            const Closure closure = compute_closure(roots, reporter, options);
            if (list_packages) {
                for (const auto& p : closure.packages) std::cout << p << "\n";
                return 0;
            }
            if (why) {
                for (const auto& [path, reason] : closure.why)
                    std::cout << quote(path) << "\t" << reason << "\n";
                return 0;
            }
            for (const PlanEntry* entry : closure.plan.sorted())
                std::cout << quote(entry->path) << "\n";
        } else if (*validate) {
            const auto problems = validate_bundle(bundle_dir);
            for (const auto& p : problems) std::cout << bundle_dir << ": " << p << "\n";
            return problems.empty() ? 0 : kExitError;
        }
    } catch (const Cancelled& e) {
        std::cerr << "ocitools: " << e.what() << "\n";
        return 128 + e.signal();
    } catch (const Error& e) {
        std::cerr << "ocitools: error: " << e.what() << "\n";
        return kExitError;
    } catch (const std::exception& e) {
        std::cerr << "ocitools: internal error: " << e.what() << "\n";
        return kExitError;
    }
    return 0;
}
