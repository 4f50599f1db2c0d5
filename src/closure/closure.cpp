#include "closure/closure.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <set>
#include <unordered_map>

#include "base/cancel.h"
#include "closure/elf/elf.h"
#include "closure/elf/file_tree.h"
#include "closure/host_path.h"
#include "closure/elf/library_search.h"
#include "closure/nix/nix_store_path.h"
#include "roots/program_lookup.h"
#include "closure/script/shebang.h"
#include "base/error.h"
#include "base/parallel.h"
#include "base/phase_time.h"

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

// `path`, then each symlink target it leads to, for finding the packages that own the way to a
// file (/usr/bin/python3 is python3-minimal's, its target python3.11 python3.11-minimal's).
std::vector<std::string> symlink_chain(std::string path) {
    std::vector<std::string> chain;
    for (int i = 0; i < 40; ++i) {
        chain.push_back(path);
        struct stat st {};
        if (lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) break;
        std::error_code ec;
        const auto target = std::filesystem::read_symlink(path, ec);
        if (ec) break;
        path = (target.is_absolute() ? target : std::filesystem::path(path).parent_path() / target)
                   .lexically_normal()
                   .string();
    }
    return chain;
}

class ClosureWalk {
  public:
    ClosureWalk(Closure& closure, const Reporter& reporter, std::string container_path,
                const ClosureOptions& options)
        : closure_(closure),
          reporter_(reporter),
          options_(options),
          store_(options.store_dir),
          paths_(closure.plan, reporter,
                 [this](const std::string& path) { return claim_store_path(path); }),
          host_("/"),
          libraries_(host_),
          container_path_(std::move(container_path)) {}

    // A store path named inside argument `index` ("--config=/nix/store/<hash>-x/etc/c").
    void add_store_paths_in_argument(const std::string& arg, size_t index) {
        for (auto& path : store_.find_in(arg)) {
            struct stat st {};
            if (lstat(path.path().c_str(), &st) != 0) {
                if (errno == ENOENT)
                    throw ClosureError("store path " + quote(path.path()) + ", named in argument " +
                                       std::to_string(index) + " (" + quote(arg) +
                                       "), does not exist");
                throw SystemError("cannot stat store path", path.path(), errno);
            }
            store_roots_.insert(std::move(path));
        }
    }

    // Add the Nix closure of every store path met, one StorePath entry each.
    void add_store_closure() {
        add_store_paths_of_symlinks();
        if (store_roots_.empty()) return;
        const NixClosure nix = nix_closure(store_, options_.state_dir, options_.nix_references,
                                           {store_roots_.begin(), store_roots_.end()}, reporter_);
        closure_.nix_references = nix.used;
        for (const auto& path : nix.paths) {
            struct stat st {};
            if (lstat(path.path().c_str(), &st) != 0) {
                if (errno == ENOENT)
                    throw ClosureError("store path " + quote(path.path()) +
                                       " is in the Nix closure but does not exist" +
                                       (nix.used == NixReferences::Db
                                            ? " (the Nix database lists it as valid)"
                                            : ""));
                throw SystemError("cannot stat store path", path.path(), errno);
            }
            closure_.plan.add(PlanEntry{.path = path.path(),
                                        .kind = EntryKind::StorePath,
                                        .source = path.path(),
                                        .link_target = {},
                                        .mode = st.st_mode & 07777,
                                        .mtime = st.st_mtim});
        }
    }

    // Debian packages (deb-control(5) Depends, dpkg(1) file lists): the named ones and, with
    // --closure packages, the owners of every root and of the symlinks on the way to it. Their
    // files join the plan entry by entry (a listed directory is not walked, a listed symlink not
    // followed), and the ELF objects among them bring their closures, so an undeclared library
    // dependency is still found.
    void add_packages(const std::vector<std::string>& names) {
        if (names.empty() && owned_roots_.empty()) return;
        DpkgDatabase db(options_.dpkg_admin_dir, {}, reporter_);
        phase_done("dpkg database");
        InstalledFiles installed(db);
        installed.set_lstat(
            [this](const std::string& path, struct stat& st) { return paths_.lstat(path, st); });
        PackageClosure packages(db);
        for (const auto& name : names) packages.add(name);
        for (const auto& root : owned_roots_)
            for (const auto& path : symlink_chain(root))
                for (const DpkgPackage* owner : installed.owners_of(path))
                    packages.add(*owner, root);
        for (const DpkgPackage* p : packages.packages())
            closure_.packages.push_back(p->name + ":" + db.effective_architecture(*p));
        phase_done("package set");
        const PackageFiles files = installed.files_of(packages.packages(), options_.selection);
        phase_done("package files");
        for (const auto& dir : files.directories) paths_.add_entry(dir);
        for (const auto& link : files.symlinks) paths_.add_entry(link);
        std::vector<std::string> regular;
        for (const auto& file : files.files) paths_.add_entry(file, &regular);
        // Of those, the ones a loader could load: executables, and shared objects by name
        // (dlopen(3) is given names; Python's, Perl's and glibc's modules are all `*.so`).
        // dpkg-shlibdeps has already declared what every ELF file of a Debian package needs,
        // so this only looks for what a package forgot; reading the heads of a package's
        // sources and data (golang's 14,000 files) would find nothing.
        std::erase_if(regular, [this](const std::string& file) {
            struct stat st {};
            if (paths_.lstat(file, st) == 0 && (st.st_mode & 0111) != 0) return false;
            const std::string name = file.substr(file.rfind('/') + 1);
            for (size_t so = name.find(".so"); so != std::string::npos;
                 so = name.find(".so", so + 1))
                if (so + 3 == name.size() || name[so + 3] == '.') return false;  // x.so, x.so.1
            return true;
        });
        // Read ahead on every core, a window at a time (memory stays bounded), then analyse
        // in order, so the closure and its errors do not depend on the threads.
        constexpr size_t kWindow = 1024;
        size_t unfollowed = 0;
        std::string first_unfollowed;
        const unsigned jobs = worker_threads();
        for (size_t begin = 0; begin < regular.size(); begin += kWindow) {
            throw_if_cancelled();
            const size_t end = std::min(regular.size(), begin + kWindow);
            host_.prefetch({regular.begin() + static_cast<std::ptrdiff_t>(begin),
                            regular.begin() + static_cast<std::ptrdiff_t>(end)},
                           kShebangMax, jobs);
            for (size_t i = begin; i < end; ++i) {
                // dpkg already brought the package's declared dependencies; following its ELF
                // files only finds undeclared ones. A file that cannot run here (test data for
                // another system, a deliberately broken object) is copied but not followed.
                auto unfollow = [&](const Error& e) {
                    if (unfollowed++ == 0) first_unfollowed = e.what();
                };
                try {
                    analyse(regular[i], /*scripts=*/false, 0);
                } catch (const ClosureError& e) {
                    unfollow(e);
                } catch (const FormatError& e) {
                    unfollow(e);
                }
            }
        }
        phase_done("package files' ELF needs");
        if (unfollowed != 0)
            reporter_.warn(std::to_string(unfollowed) +
                           " package file(s) are ELF objects whose needs cannot be found on this "
                           "host; copied, not followed (the first: " + first_unfollowed + ")");
        for (const auto& path : files.missing)
            reporter_.warn("package file " + quote(path) + " is listed by dpkg but not on disk");
    }

    // A root given by the user: the program, an argument file, an --include path.
    void add_root(const std::string& path, bool is_program) {
        if (options_.package_closure) owned_roots_.push_back(path);
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
        if (auto it = analysed_.find(real_path); it != analysed_.end()) return it->second;
        const FileTree::Head head = host_.inspect(real_path, kShebangMax);
        if (head.elf) {
            analysed_.emplace(real_path, Kind::Elf);
            if (!head.elf->is_dynamic()) return Kind::Elf;
            const LoadSet needs = libraries_.load(real_path);
            if (!needs.interpreter.empty()) add_dependency(needs.interpreter);
            for (const auto& lib : needs.libraries) add_dependency(lib);
            return Kind::Elf;
        }
        const auto shebang = parse_shebang(head.bytes);
        if (!shebang) {
            analysed_.emplace(real_path, Kind::Other);
            return Kind::Other;
        }
        if (!scripts) return Kind::Script;  // not analysed: a later call may want its interpreter
        analysed_.emplace(real_path, Kind::Script);
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
        analysed_.emplace(resolved.real_path, Kind::Elf);
    }

    // HostPaths' claim: a path inside the store belongs to its store path, copied whole.
    bool claim_store_path(const std::string& path) {
        auto store_path = store_.store_path_of(path);
        if (!store_path) return false;
        store_roots_.insert(std::move(*store_path));
        return true;
    }

    // A symlink recreated from a directory root may point into the store: its store path must
    // be there for the link to resolve in the container.
    void add_store_paths_of_symlinks() {
        for (const PlanEntry* entry : closure_.plan.sorted()) {
            if (entry->kind != EntryKind::Symlink) continue;
            const std::string& link = entry->link_target;
            const std::string target =
                join_path(link.starts_with('/') ? "/" : parent_path(entry->path), link);
            auto store_path = store_.store_path_of(target);
            if (!store_path || store_roots_.count(*store_path)) continue;
            struct stat st {};
            if (lstat(store_path->path().c_str(), &st) != 0) {
                reporter_.warn("symlink " + quote(entry->path) + " points into store path " +
                               quote(store_path->path()) + ", which does not exist");
                continue;
            }
            store_roots_.insert(std::move(*store_path));
        }
    }

  public:
    void skip_interpreter_hint() { hinted_ = true; }

    void hint_if_interpreter(const std::string& program) {
        if (hinted_ || !is_known_interpreter(program)) return;
        hinted_ = true;
        reporter_.note("hint: " + quote(program) +
                       " is an interpreter; the modules it loads at run time are not visible to "
                       "the ELF closure: add them with --include");
    }

  private:
    Closure& closure_;
    const Reporter& reporter_;
    const ClosureOptions& options_;
    StoreDir store_;
    std::set<StorePath> store_roots_;
    HostPaths paths_;
    FileTree host_;
    LibrarySearch libraries_;
    std::string container_path_;
    std::unordered_map<std::string, Kind> analysed_;  // each file is read once
    std::vector<std::string> owned_roots_;
    bool hinted_ = false;
};

}  // namespace

ClosureOptions ClosureOptions::from_environment() {
    ClosureOptions options;
    if (const char* dir = std::getenv("NIX_STORE_DIR"); dir && *dir) options.store_dir = dir;
    if (const char* dir = std::getenv("NIX_STATE_DIR"); dir && *dir) options.state_dir = dir;
    // dpkg(1) reads DPKG_ADMINDIR too.
    if (const char* dir = std::getenv("DPKG_ADMINDIR"); dir && *dir) options.dpkg_admin_dir = dir;
    return options;
}

Closure compute_closure(const ContainerSpec& spec, const std::string& host_search_path,
                        const Reporter& reporter, const ClosureOptions& options) {
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

    ClosureWalk walk(closure, reporter, container_path, options);
    // The interpreter hint is for ELF mode: a package closure brings the modules.
    if (options.package_closure || !spec.packages.empty()) walk.skip_interpreter_hint();
    walk.hint_if_interpreter(program);
    walk.add_root(closure.program, /*is_program=*/true);
    phase_done("program's closure");
    for (size_t i = 0; i < spec.args.size(); ++i) walk.add_store_paths_in_argument(spec.args[i], i);

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
    walk.add_packages(spec.packages);
    walk.add_store_closure();
    return closure;
}

}  // namespace ocitools
