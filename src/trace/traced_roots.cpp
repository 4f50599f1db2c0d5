#include "trace/traced_roots.h"

#include <sys/stat.h>

#include <cstdlib>
#include <set>

#include "base/phase_time.h"
#include "fs/path.h"

namespace ocitools {

namespace {

// `path` is `dir` or beneath it.
bool within(const std::string& path, const std::string& dir) {
    if (dir == "/") return true;
    return path.starts_with(dir) && (path.size() == dir.size() || path[dir.size()] == '/');
}

// Where `path` really is, its symlinks followed ("" when that cannot be said): /etc/mtab is a
// symlink to ../proc/self/mounts, so the path a program names is not where it lies.
std::string real_location(const std::string& path, const Disk& disk) {
    try {
        return disk.real_path(path);
    } catch (const Error&) {
        return {};
    }
}

bool in_kernel_filesystem(const std::string& path) {
    return within(path, "/proc") || within(path, "/sys") || within(path, "/dev");
}

std::string shown_status(int code) {
    return code > 128 ? "signal " + std::to_string(code - 128) : "status " + std::to_string(code);
}

}  // namespace

std::vector<Root> traced_roots(const TraceResult& result, const std::vector<std::string>& excluded,
                               const Disk& disk) {
    const std::set<std::string> written(result.written.begin(), result.written.end());
    std::vector<Root> roots;
    for (const auto& access : result.accesses) {
        const std::string& path = access.path;
        if (in_kernel_filesystem(path)) continue;
        bool skip = written.count(path) != 0;
        for (const auto& dir : excluded) skip = skip || within(path, dir);
        // Only the layers that hid the host's files: another's refused overlay says nothing of
        // what the run found in this one.
        for (const auto& layer : result.hidden) skip = skip || within(path, layer);
        if (skip) continue;
        struct stat st {};
        if (disk.stat(path, st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) continue;
        // A symlink into them (/etc/mtab -> ../proc/self/mounts) is no file to copy either.
        if (in_kernel_filesystem(real_location(path, disk))) continue;
        roots.push_back({path, "traced: " + access.call + " by " + access.exe,
                         /*recursive=*/false});
    }
    return roots;
}

void add_traced_roots(Roots& roots, const ContainerSpec& spec,
                      const std::vector<std::string>& excluded, const Reporter& reporter,
                      const Disk& disk) {
    TraceRequest request;
    request.argv = spec.args;
    request.argv[0] = roots.program;
    request.env = roots.env;
    const char* home = std::getenv("HOME");
    if (home && *home) {
        request.home = home;
        bool has_home = false;
        for (const auto& e : request.env) has_home = has_home || e.starts_with("HOME=");
        if (!has_home) request.env.push_back("HOME=" + std::string(home));
    }
    request.cwd = spec.cwd.value_or("/");
    request.timeout_seconds = spec.trace_timeout;
    request.network = spec.trace_network;
    const TraceResult result = trace_run(request, reporter);
    phase_done("traced run");

    const std::string program = quote(spec.args[0]);
    if (result.timed_out)
        reporter.warn("traced run of " + program + " did not end within " +
                      std::to_string(static_cast<long>(spec.trace_timeout)) +
                      " s (--trace-timeout) and was killed; the files it used until then count");
    else if (result.exit_code != 0) {
        std::string message = "traced run of " + program + " ended with " +
                               shown_status(result.exit_code) + "; the bundle is still built";
        if (!result.stderr_tail.empty()) {
            std::string tail = result.stderr_tail;
            if (tail.ends_with('\n')) tail.pop_back();
            message += "; the end of its stderr:\n" + tail;
        }
        reporter.warn(message);
    }
    if (!result.hidden.empty()) {
        std::string hidden;
        for (const auto& layer : result.hidden) hidden += (hidden.empty() ? "" : ", ") + layer;
        reporter.warn("the kernel refused an overlay for the traced run: " + hidden +
                      " were empty tmpfs mounts during it (a mount beneath a directory makes "
                      "the kernel refuse it), and nothing the run found there is added");
    }
    std::vector<Root> traced = traced_roots(result, excluded, disk);
    reporter.note("traced run: " + std::to_string(result.accesses.size()) +
                  " path(s) looked up, " + std::to_string(traced.size()) + " of them on the host");
    for (auto& root : traced) roots.files.push_back(std::move(root));
    roots.traced = true;
}

}  // namespace ocitools
