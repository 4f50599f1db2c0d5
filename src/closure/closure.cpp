#include "closure/closure.h"

#include <sys/stat.h>

#include <set>

#include "closure/elf.h"
#include "closure/file_tree.h"
#include "closure/host_path.h"
#include "closure/library_search.h"
#include "closure/program_lookup.h"
#include "closure/shebang.h"
#include "error.h"

namespace ocitools {

namespace {

bool on_path(const std::string& dir, const std::string& search_path) {
    for (const auto& d : search_path_dirs(search_path))
        if (d == dir || d == dir + "/") return true;
    return false;
}

// The kernel follows at most this many nested `#!` interpreters (BINPRM's recursion limit is
// 4 in Linux 5.x; we allow a little more and stop loops with the visited set anyway).
constexpr int kMaxScriptDepth = 8;

class ClosureWalk {
  public:
    ClosureWalk(Closure& closure, const Reporter& reporter, std::string container_path)
        : reporter_(reporter),
          paths_(closure.plan, reporter),
          host_("/"),
          libraries_(host_),
          container_path_(std::move(container_path)) {}

    // A root given by the user: the program, an argument file, an --include path.
    void add_root(const std::string& path, bool is_program) {
        std::vector<std::string> files;
        const ResolvedPath resolved = paths_.add(path, &files);
        if (S_ISDIR(resolved.st.st_mode)) {
            for (const auto& f : files) analyse(f, /*scripts=*/false, 0);
            return;
        }
        const Kind kind = analyse(resolved.real_path, /*scripts=*/true, 0);
        if (is_program && kind == Kind::Other)
            throw ClosureError("program " + quote(path) +
                               " is neither an ELF executable nor a #! script");
    }

  private:
    enum class Kind { Elf, Script, Other };

    // Add what the file at `real_path` needs to run. Returns what it is.
    Kind analyse(const std::string& real_path, bool scripts, int depth) {
        const std::string head = host_.read_prefix(real_path, kShebangMax);
        const bool elf = ElfFile::has_magic(
            std::span(reinterpret_cast<const std::byte*>(head.data()), head.size()));
        if (!analysed_.insert(real_path).second) return elf ? Kind::Elf : Kind::Script;
        if (elf) {
            if (!host_.elf(real_path)->is_dynamic()) return Kind::Elf;
            const LoadSet needs = libraries_.load(real_path);
            if (!needs.interpreter.empty()) add_dependency(needs.interpreter);
            for (const auto& lib : needs.libraries) add_dependency(lib);
            return Kind::Elf;
        }
        const auto shebang = parse_shebang(head);
        if (!shebang) return Kind::Other;
        if (!scripts) return Kind::Script;
        if (depth >= kMaxScriptDepth)
            throw ClosureError(quote(real_path) + ": too many nested #! interpreters");
        const std::string& interpreter = shebang->interpreter;
        if (interpreter[0] != '/')
            throw ClosureError("script " + quote(real_path) + ": its #! interpreter " +
                               quote(interpreter) + " is not an absolute path");
        if (!host_.stat(interpreter))
            throw ClosureError("script " + quote(real_path) + ": its #! interpreter " +
                               quote(interpreter) + " does not exist");
        add_program(interpreter, depth);
        if (shebang->env_program) {
            // env(1) looks NAME up on the container's PATH at run time, so that is where we
            // look for it on the host.
            const std::string& name = *shebang->env_program;
            std::string found;
            try {
                found = find_program(name, container_path_);
            } catch (const SpecError&) {
                throw ClosureError("script " + quote(real_path) + ": #!" + interpreter + " " +
                                   shebang->argument + ": " + quote(name) +
                                   " is not found on the container's PATH " + container_path_);
            }
            add_program(found, depth);
        }
        return Kind::Script;
    }

    void add_program(const std::string& path, int depth) {
        hint_if_interpreter(path);
        std::vector<std::string> files;
        const ResolvedPath resolved = paths_.add(path, &files);
        analyse(resolved.real_path, /*scripts=*/true, depth + 1);
    }

    // A library or ELF interpreter found by the search: its own needs are in the same load set.
    void add_dependency(const std::string& path) {
        const ResolvedPath resolved = paths_.add(path);
        analysed_.insert(resolved.real_path);
    }

  public:
    void hint_if_interpreter(const std::string& program) {
        if (hinted_ || !is_known_interpreter(program)) return;
        hinted_ = true;
        reporter_.note("hint: " + quote(program) +
                       " is an interpreter; the modules it loads at run time are not visible to "
                       "the ELF closure: add them with --include");
    }

  private:
    const Reporter& reporter_;
    HostPaths paths_;
    FileTree host_;
    LibrarySearch libraries_;
    std::string container_path_;
    std::set<std::string> analysed_;
    bool hinted_ = false;
};

}  // namespace

Closure compute_closure(const ContainerSpec& spec, const std::string& host_search_path,
                        const Reporter& reporter) {
    if (spec.args.empty()) throw SpecError("key \"args\": the command is empty");
    Closure closure;

    const std::string& program = spec.args[0];
    closure.program = find_program(program, host_search_path);
    if (program.find('/') == std::string::npos) {
        const std::string dir = closure.program.substr(0, closure.program.rfind('/'));
        if (!on_path(dir, kDefaultPath)) closure.extra_path_dir = dir;
    }
    std::string container_path = kDefaultPath;
    if (!closure.extra_path_dir.empty()) container_path += ":" + closure.extra_path_dir;

    ClosureWalk walk(closure, reporter, container_path);
    walk.hint_if_interpreter(program);
    walk.add_root(closure.program, /*is_program=*/true);

    // Arguments naming existing regular files are data the command will open
    // (`python3 /opt/app/main.py`). Directories are not: `ls -d /` must not copy the host.
    for (size_t i = 1; i < spec.args.size(); ++i) {
        const std::string& arg = spec.args[i];
        if (arg.empty() || arg[0] != '/') continue;
        struct stat st {};
        if (stat(arg.c_str(), &st) != 0) continue;
        if (S_ISREG(st.st_mode)) {
            walk.add_root(arg, /*is_program=*/false);
            reporter.note("including " + quote(arg) + " (named in the arguments)");
        } else if (S_ISDIR(st.st_mode)) {
            reporter.note("not including directory " + quote(arg) +
                          " named in the arguments (use --include to copy it)");
        }
    }

    for (const auto& path : spec.include) {
        if (path.empty() || path[0] != '/')
            throw SpecError("include " + quote(path) + ": must be an absolute host path");
        walk.add_root(path, /*is_program=*/false);
    }
    return closure;
}

}  // namespace ocitools
