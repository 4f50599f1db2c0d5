#include "closure/closure.h"

#include <sys/stat.h>

#include "closure/elf.h"
#include "closure/host_path.h"
#include "closure/program_lookup.h"
#include "error.h"

namespace ocitools {

namespace {

bool on_path(const std::string& dir, const std::string& search_path) {
    const std::string padded = ":" + search_path + ":";
    return padded.find(":" + dir + ":") != std::string::npos ||
           padded.find(":" + dir + "/:") != std::string::npos;
}

// Until the ELF resolver lands, a program must carry everything it needs.
void require_static(const std::string& program, const std::string& real_path) {
    const ElfFile elf = [&] {
        try {
            return ElfFile::load(real_path);
        } catch (const FormatError&) {
            throw ClosureError("program " + quote(program) +
                               ": not an ELF executable (scripts need the ELF closure, not yet "
                               "supported: give the interpreter as the program)");
        }
    }();
    if (elf.is_dynamic())
        throw ClosureError("program " + quote(program) + " is dynamically linked (interpreter " +
                           quote(elf.interpreter().value_or("none")) +
                           "); only statically linked programs are supported so far");
}

}  // namespace

Closure compute_closure(const ContainerSpec& spec, const std::string& host_search_path,
                        const Reporter& reporter) {
    if (spec.args.empty()) throw SpecError("key \"args\": the command is empty");
    Closure closure;
    HostPaths paths(closure.plan, reporter);

    const std::string& program = spec.args[0];
    closure.program = find_program(program, host_search_path);
    if (program.find('/') == std::string::npos) {
        const std::string dir = closure.program.substr(0, closure.program.rfind('/'));
        if (!on_path(dir, kDefaultPath)) closure.extra_path_dir = dir;
    }
    const ResolvedPath resolved = paths.add(closure.program);
    require_static(program, resolved.real_path);

    // Arguments naming existing regular files are data the command will open
    // (`python3 /opt/app/main.py`). Directories are not: `ls -d /` must not copy the host.
    for (size_t i = 1; i < spec.args.size(); ++i) {
        const std::string& arg = spec.args[i];
        if (arg.empty() || arg[0] != '/') continue;
        struct stat st {};
        if (stat(arg.c_str(), &st) != 0) continue;
        if (S_ISREG(st.st_mode)) {
            paths.add(arg);
            reporter.note("including " + quote(arg) + " (named in the arguments)");
        } else if (S_ISDIR(st.st_mode)) {
            reporter.note("not including directory " + quote(arg) +
                          " named in the arguments (use --include to copy it)");
        }
    }

    for (const auto& path : spec.include) {
        if (path.empty() || path[0] != '/')
            throw SpecError("include " + quote(path) + ": must be an absolute host path");
        paths.add(path);
    }
    return closure;
}

}  // namespace ocitools
