// The flags that make a request, shared by the subcommands that take one (build-container,
// build-image, closure): each adds its options to a CLI11 app, and applies what was given over
// the spec file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/reporter.h"
#include "closure/closure.h"
#include "closure/nix/nix_closure.h"
#include "spec/capabilities.h"
#include "spec/container_spec.h"
#include "spec/mount_flag.h"

namespace ocitools::cli {

// Options shared by build-container and closure: what to put in the container.
struct RequestFlags {
    std::string spec_file, spec_json;
    std::vector<std::string> include;
    std::vector<std::string> packages;
    std::string closure_mode = "elf";
    std::vector<std::string> excludes;
    bool no_default_excludes = false;
    std::string store_dir;
    std::string nix_references = "auto";
    std::vector<std::string> command;
    bool no_cache = false;
    bool trace = false, trace_network = false;
    std::optional<double> trace_timeout;

    void add_to(CLI::App& app) {
        app.add_option(
            "--spec", spec_file,
            "JSON spec (keys: args, mounts, readonly, include, packages, env, cwd, user, "
            "hostname, terminal, rootless, capAdd, capDrop, link, trace, traceTimeout, "
            "traceNetwork, os, arch)");
        app.add_option("--spec-json", spec_json,
                       "The spec document itself, instead of a file (as the Nix functions of "
                       "nix/default.nix pass it)")
            ->excludes("--spec");
        app.add_option("--include", include,
                       "Host path to copy into the rootfs (a directory recursively); repeatable")
            ->allow_extra_args(false);
        app.add_option("--package", packages,
                       "Installed Debian package (NAME or NAME:ARCH) to bring, with its "
                       "Pre-Depends and Depends; repeatable")
            ->allow_extra_args(false);
        app.add_option("--closure", closure_mode,
                       "elf: the ELF and script closure of the roots (default); packages: also "
                       "the Debian packages owning each root, with their dependencies")
            ->check(CLI::IsMember({"elf", "packages"}));
        app.add_option("--exclude", excludes,
                       "Drop package files matching this glob (fnmatch); repeatable")
            ->allow_extra_args(false);
        app.add_flag("--no-default-excludes", no_default_excludes,
                     "Keep /usr/share/{doc,man,info,lintian,locale} of packages (by default "
                     "only each package's copyright file is kept there)");
        app.add_option("--store-dir", store_dir,
                       "Nix store directory (default: $NIX_STORE_DIR, else /nix/store)");
        app.add_option("--nix-references", nix_references,
                       "How store path references are found: db (the Nix database), scan "
                       "(Nix's hash scan), auto (db when it knows the roots, else scan)")
            ->check(CLI::IsMember({"auto", "db", "scan"}));
        app.add_flag("--trace", trace,
                     "Run the command once on this machine, isolated and under ptrace, and add "
                     "every file it looks up (opens, execs, stats) to the closure");
        app.add_option("--trace-timeout", trace_timeout,
                       "Seconds the traced run may take before it is killed (default 10); what "
                       "it used until then counts");
        app.add_flag("--trace-network", trace_network,
                     "Let the traced run use the host's network (default: none)");
        // Kept for one release so that scripts written for the closure cache still run.
        app.add_flag("--no-cache", no_cache, "Deprecated, does nothing (there is no cache)");
        app.add_option("command", command, "The command and its arguments, after --");
    }

    ClosureOptions closure_options() const {
        ClosureOptions options = ClosureOptions::from_environment();
        if (!store_dir.empty()) options.store_dir = store_dir;
        options.nix_references = parse_nix_references(nix_references, "--nix-references");
        options.package_closure = closure_mode == "packages";
        options.selection.default_excludes = !no_default_excludes;
        options.selection.excludes = excludes;
        return options;
    }

    ContainerSpec spec(const Reporter& reporter) const {
        if (no_cache)
            reporter.warn("--no-cache is deprecated and does nothing: closures are always "
                          "computed afresh");
        ContainerSpec spec;
        if (!spec_file.empty()) spec = load_spec_file(spec_file, reporter);
        if (!spec_json.empty()) spec = parse_spec_text(spec_json, "--spec-json", reporter);
        if (!command.empty()) spec.args = command;
        spec.include.insert(spec.include.end(), include.begin(), include.end());
        spec.packages.insert(spec.packages.end(), packages.begin(), packages.end());
        if (trace) spec.trace = true;
        if (trace_network) spec.trace_network = true;
        if (trace_timeout)
            spec.trace_timeout = check_trace_timeout(*trace_timeout, "--trace-timeout");
        return spec;
    }
};

// Options of build-container that set the container's process (the spec keys of the same
// names, in camelCase for capAdd / capDrop); each overrides or extends the spec file.
struct ProcessFlags {
    std::vector<std::string> env, cap_add, cap_drop;
    std::string cwd, user, hostname;
    bool terminal = false;
    bool rootless = false;

    void add_to(CLI::App& app) {
        app.add_option("-e,--env", env, "Set an environment variable: KEY=VALUE; repeatable")
            ->allow_extra_args(false);
        app.add_option("--cwd", cwd, "Working directory of the process (absolute; default /)");
        app.add_option("-u,--user", user,
                       "Run as UID[:GID], or NAME[:GROUP] looked up in the rootfs's /etc/passwd "
                       "and /etc/group (default 0:0)");
        app.add_option("--hostname", hostname, "Container hostname (in its uts namespace)");
        app.add_flag("-t,--terminal", terminal, "Give the process a terminal (sets TERM=xterm)");
        app.add_flag("--rootless", rootless,
                     "Add a user namespace mapping container root to the invoking user, and "
                     "what an unprivileged runtime needs (default when not run as root; "
                     "--rootless=false to turn it off)");
        app.add_option("--cap-add", cap_add,
                       "Add a capability (CAP_NET_RAW, net_raw, or ALL) to the defaults "
                       "CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE; repeatable")
            ->allow_extra_args(false);
        app.add_option("--cap-drop", cap_drop, "Drop a capability (or ALL); repeatable")
            ->allow_extra_args(false);
    }

    void apply(const CLI::App& app, ContainerSpec& spec) const {
        for (const auto& e : env) set_env(spec.env, e, "--env");
        if (app.count("--cwd")) spec.cwd = cwd;
        if (app.count("--user")) spec.user = UserSpec::parse(user, "--user");
        if (app.count("--hostname")) spec.hostname = hostname;
        if (terminal) spec.terminal = true;
        if (app.count("--rootless")) spec.rootless = rootless;
        for (const auto& c : parse_capabilities(cap_add, "--cap-add")) spec.cap_add.push_back(c);
        for (const auto& c : parse_capabilities(cap_drop, "--cap-drop")) spec.cap_drop.push_back(c);
    }
};

// Options of the container's root and mounts, shared by build-container and build-image (which
// names each as something an image cannot carry).
struct RootFlags {
    bool readonly = false;
    std::vector<std::string> mounts, volumes;

    void add_to(CLI::App& app) {
        app.add_flag("--readonly", readonly, "Make the root filesystem read-only");
        app.add_option("--mount", mounts,
                       "Add a mount: type=T,source=S,destination=D[,ro][,OPTION...] (type "
                       "defaults to bind); repeatable")
            ->allow_extra_args(false);
        app.add_option("-v,--volume", volumes, "Add a bind mount: SOURCE:DEST[:ro]; repeatable")
            ->allow_extra_args(false);
    }

    void apply(ContainerSpec& spec) const {
        if (readonly) spec.readonly = true;
        for (const auto& m : mounts) add_mount(spec.mounts, parse_mount_flag(m));
        for (const auto& v : volumes) add_mount(spec.mounts, parse_volume_flag(v));
    }
};

}  // namespace ocitools::cli
