#include "roots/program_lookup.h"

#include <sys/stat.h>

#include <cstring>

#include "base/error.h"
#include "fs/path.h"

namespace ocitools {

namespace {

// Why `path` cannot be executed, or empty when it can.
std::string not_executable_reason(const Disk& disk, const std::string& path) {
    struct stat st {};
    if (const int error = disk.stat(path, st); error != 0) return std::strerror(error);
    if (S_ISDIR(st.st_mode)) return "is a directory";
    if (!S_ISREG(st.st_mode)) return "is not a regular file";
    if ((st.st_mode & 0111) == 0) return "is not executable (no x permission bit)";
    return {};
}

}  // namespace

std::vector<std::string> search_path_dirs(const std::string& search_path) {
    std::vector<std::string> dirs = split_path_list(search_path);
    // An empty or relative PATH entry means the current directory, which has no meaning for a
    // container; skip it rather than copy whatever happens to be here.
    std::erase_if(dirs, [](const std::string& dir) { return dir.empty() || dir[0] != '/'; });
    return dirs;
}

std::string find_program(const std::string& program, const std::string& search_path,
                         const Disk& disk) {
    if (program.find('/') != std::string::npos) {
        if (program[0] != '/')
            throw SpecError("program " + quote(program) +
                            ": a path must be absolute (the container starts in \"/\"), or give a "
                            "bare name to look up on PATH");
        if (const auto why = not_executable_reason(disk, program); !why.empty())
            throw SpecError("program " + quote(program) + ": " + why);
        return program;
    }
    std::string first_problem;
    for (const auto& dir : search_path_dirs(search_path)) {
        const std::string candidate = dir.back() == '/' ? dir + program : dir + "/" + program;
        struct stat st {};
        if (disk.stat(candidate, st) != 0) continue;  // access(F_OK): what execvp(3) skips
        const auto why = not_executable_reason(disk, candidate);
        if (why.empty()) return candidate;
        if (first_problem.empty()) first_problem = " (" + candidate + " " + why + ")";
    }
    throw SpecError("program " + quote(program) + ": not found on PATH " + quote(search_path) +
                    first_problem);
}

}  // namespace ocitools
