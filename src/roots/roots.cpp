#include "roots/roots.h"

#include <sys/stat.h>

#include <algorithm>

#include "base/error.h"
#include "fs/path.h"
#include "roots/program_lookup.h"

namespace ocitools {

namespace {

bool on_path(const std::string& dir, const std::string& search_path) {
    for (const auto& d : search_path_dirs(search_path))
        if (d == dir || d == dir + "/") return true;
    return false;
}

// The value of `name` in an environment list, or nullptr.
const std::string* env_value(const std::vector<std::string>& env, const std::string& name) {
    auto it = std::find_if(env.begin(), env.end(),
                           [&](const std::string& e) { return e.starts_with(name + "="); });
    return it == env.end() ? nullptr : &*it;
}

}  // namespace

std::vector<std::string> container_environment(const ContainerSpec& spec,
                                               const std::string& program_dir) {
    // The program's directory comes first: the host found the program there before any other
    // directory, so the container must too (a pyenv shim, not a /usr/bin/python3 of the rootfs).
    std::vector<std::string> env{"PATH=" + (program_dir.empty() ? "" : program_dir + ":") +
                                 std::string(kDefaultPath)};
    for (const auto& entry : spec.env) set_env(env, entry, "--env");
    // A terminal needs TERM for anything curses-like; runc spec and podman set xterm.
    if (spec.terminal && !env_value(env, "TERM")) env.push_back("TERM=xterm");
    return env;
}

Roots compute_roots(const ContainerSpec& spec, const std::string& host_search_path,
                    const StoreDir& store_dir, const Reporter& reporter, const Disk& disk) {
    if (spec.args.empty()) throw SpecError("key \"args\": the command is empty");
    Roots roots;

    // runc looks a bare args[0] up on the process's PATH, inside the container. A PATH the user
    // set is that PATH, so the program is looked up there; without one, the host's PATH finds
    // it and the default PATH is extended to reach it.
    const std::string& program = spec.args[0];
    std::string program_dir;
    if (const std::string* user_path = env_value(spec.env, "PATH")) {
        roots.program = find_program(program, user_path->substr(5), disk);
    } else {
        roots.program = find_program(program, host_search_path, disk);
        if (program.find('/') == std::string::npos) {
            const std::string dir = roots.program.substr(0, roots.program.rfind('/'));
            if (!on_path(dir, kDefaultPath)) program_dir = dir;
        }
    }
    roots.env = container_environment(spec, program_dir);
    roots.path = env_value(roots.env, "PATH")->substr(5);
    if (const std::string* value = env_value(roots.env, "LD_LIBRARY_PATH"))
        roots.library_path = value->substr(16);

    for (size_t i = 0; i < spec.args.size(); ++i)
        for (auto& store_path : store_dir.find_in(spec.args[i])) {
            struct stat st {};
            if (const int error = disk.lstat(store_path.path(), st); error != 0) {
                if (error == ENOENT)
                    throw ClosureError("store path " + quote(store_path.path()) +
                                       ", named in argument " + std::to_string(i) + " (" +
                                       quote(spec.args[i]) + "), does not exist");
                throw SystemError("cannot stat store path", disk.shown(store_path.path()), error);
            }
            roots.store_paths.push_back({std::move(store_path),
                                         "named in argument " + std::to_string(i)});
        }

    // Arguments naming existing regular files are data the command will open
    // (`python3 /opt/app/main.py`). Directories are not: `ls -d /` must not copy the host.
    for (size_t i = 1; i < spec.args.size(); ++i) {
        const std::string& arg = spec.args[i];
        if (arg.empty() || arg[0] != '/') continue;
        struct stat st {};
        if (disk.stat(arg, st) != 0) continue;
        if (S_ISREG(st.st_mode) && !runtime_mounted_dir(arg).empty()) {
            // /proc/cpuinfo: the runtime mounts the container's own (a symlink leading there,
            // /etc/mtab, is a root: the closure keeps the link and leaves the target out).
            const std::string mount(runtime_mounted_dir(arg));
            reporter.note("not including " + quote(arg) +
                          " named in the arguments: the runtime mounts " + mount);
        } else if (S_ISREG(st.st_mode)) {
            roots.files.push_back({arg, "argument " + std::to_string(i)});
            reporter.note("including " + quote(arg) + " (named in the arguments)");
        } else if (S_ISDIR(st.st_mode)) {
            reporter.note("not including directory " + quote(arg) +
                          " named in the arguments (use --include to copy it)");
        }
    }

    for (const auto& include : spec.include) {
        if (include.empty() || include[0] != '/')
            throw SpecError("include " + quote(include) + ": must be an absolute host path");
        roots.files.push_back({include, "include"});
    }
    roots.packages = spec.packages;
    return roots;
}

}  // namespace ocitools
