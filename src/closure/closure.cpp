#include "closure/closure.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
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
#include "fs/caching_disk.h"
#include "fs/path.h"

// One piece, kept in one file on purpose: ClosureWalk is the one owner of the walk's shared
// state (the plan, the reasons, the files analysed once, the store roots met), and every kind of
// root (program, argument, include, traced file, package file, store path) passes through the
// same analyse/add steps. The resolvers it calls (ELF, #!, Nix, dpkg) live in their own
// libraries; what is left here is their wiring, which a split would only scatter.
namespace ocitools {

namespace {

// The kernel follows at most this many nested `#!` interpreters (BINPRM's recursion limit is
// 4 in Linux 5.x; we allow a little more and stop loops with the visited set anyway).
constexpr int kMaxScriptDepth = 8;

// `path`, then each symlink target it leads to, for finding the packages that own the way to a
// file (/usr/bin/python3 is python3-minimal's, its target python3.11 python3.11-minimal's).
std::vector<std::string> symlink_chain(const Disk& disk, std::string path) {
    std::vector<std::string> chain;
    for (int i = 0; i <= kSymlinkLimit; ++i) {
        chain.push_back(path);
        struct stat st {};
        std::string target;
        if (disk.lstat(path, st) != 0 || !S_ISLNK(st.st_mode)) break;
        if (disk.readlink(path, target) != 0) break;
        const std::filesystem::path t(target);
        path = (t.is_absolute() ? t : std::filesystem::path(path).parent_path() / t)
                   .lexically_normal()
                   .string();
    }
    return chain;
}

// Files copied but whose needs cannot be found (a library met at run time by one already
// loaded, test data for another system): how many, and the first error, for one warning.
struct Unfollowed {
    size_t count = 0;
    std::string first;
    void add(const Error& e) {
        if (count++ == 0) first = e.what();
    }
};

class ClosureWalk {
  public:
    // Everything on the host is read from `disk`, which caches.
    ClosureWalk(const Disk& disk, Closure& closure, const Reporter& reporter,
                std::string container_path, std::string library_path, const ClosureOptions& options)
        : disk_(disk),
          closure_(closure),
          reporter_(reporter),
          options_(options),
          store_(options.store_dir),
          reasons_(options.why ? &closure.why : nullptr),
          paths_(
              disk, closure.plan, reporter,
              [this](const std::string& path, const Reason& why) {
                  return claim_store_path(path, why);
              },
              reasons_),
          files_(disk),
          libraries_(files_, std::move(library_path)),
          container_path_(std::move(container_path)) {}

    // A store path named inside an argument ("--config=/nix/store/<hash>-x/etc/c").
    void add_store_root(const StoreRoot& root) { add_store_root(root.path, root.reason); }

    // Add the Nix closure of every store path met, one StorePath entry each.
    void add_store_closure() {
        add_store_paths_of_symlinks();
        if (store_roots_.empty()) return;
        const NixClosure nix = nix_closure(store_, options_.state_dir, options_.nix_references,
                                           {store_roots_.begin(), store_roots_.end()}, reporter_,
                                           reasons_.enabled(), options_.groups);
        closure_.nix_references = nix.used;
        if (options_.groups) closure_.groups.add_store_paths(nix.graph);
        for (const auto& path : nix.paths) {
            struct stat st {};
            if (const int error = disk_.lstat(path.path(), st); error != 0) {
                if (error == ENOENT)
                    throw ClosureError("store path " + quote(path.path()) +
                                       " is in the Nix closure but does not exist" +
                                       (nix.used == NixReferences::Db
                                            ? " (the Nix database lists it as valid)"
                                            : ""));
                throw SystemError("cannot stat store path", disk_.shown(path.path()), error);
            }
            closure_.plan.add(PlanEntry{.path = path.path(),
                                        .kind = EntryKind::StorePath,
                                        .source = path.path(),
                                        .link_target = {},
                                        .mode = st.st_mode & 07777,
                                        .mtime = st.st_mtim});
            if (!reasons_.enabled()) continue;
            if (auto root = store_reasons_.find(path); root != store_reasons_.end())
                reasons_.record(path.path(), {root->second, {}});
            else if (auto by = nix.referrers.find(path); by != nix.referrers.end())
                reasons_.record(path.path(), {"Nix reference of ", by->second.path()});
        }
    }

    // Debian packages (deb-control(5) Depends, dpkg(1) file lists): the named ones and, with
    // --closure packages, the owners of every root and of the symlinks on the way to it. Their
    // files join the plan entry by entry (a listed directory is not walked, a listed symlink not
    // followed), and the ELF objects among them bring their closures, so an undeclared library
    // dependency is still found.
    void add_packages(const std::vector<std::string>& names) {
        if (names.empty() && owned_roots_.empty()) return;
        DpkgDatabase db(options_.dpkg_admin_dir, {}, reporter_, disk_);
        phase_done("dpkg database");
        InstalledFiles installed(db, disk_);
        PackageClosure packages(db);
        for (const auto& name : names) packages.add(name);
        for (const auto& root : owned_roots_)
            for (const auto& path : symlink_chain(disk_, root))
                for (const DpkgPackage* owner : installed.owners_of(path))
                    packages.add(*owner, path);
        for (const DpkgPackage* p : packages.packages())
            closure_.packages.push_back(p->name + ":" + db.effective_architecture(*p));
        phase_done("package set");
        const PackageFiles files = installed.files_of(packages.packages(), options_.selection);
        phase_done("package files");
        // Each file's reason names the first of its owners in the set. A directory has no
        // owner (dpkg lists it in every package with something beneath it): it is "directory
        // holding" the first file beneath it, or, when empty, listed by a package.
        std::map<const DpkgPackage*, std::string> package_reasons;
        if (reasons_.enabled())
            for (const DpkgPackage* p : packages.packages())
                package_reasons.emplace(p, "file of package " + packages.why(*p));
        auto reason_for = [&](const std::string& path) -> Reason {
            if (!reasons_.enabled()) return {};
            for (const DpkgPackage* owner : installed.owners_of(path))
                if (auto it = package_reasons.find(owner); it != package_reasons.end())
                    return {it->second, {}};
            return {"file of a package", {}};
        };
        for (const auto& dir : files.directories) paths_.add_entry(dir, {});
        for (const auto& link : files.symlinks) paths_.add_entry(link, reason_for(link));
        std::vector<std::string> regular;
        for (const auto& file : files.files) paths_.add_entry(file, reason_for(file), &regular);
        for (const auto& file : installed.generated_files(packages.packages(), options_.selection))
            paths_.add_entry(file, {"made by a package's scripts in its directory", {}});
        phase_done("files made by package scripts");
        if (reasons_.enabled())
            for (const auto& dir : files.directories)
                reasons_.record(paths_.resolve(dir).real_path, {"directory of a package", {}});
        // Of those, the ones a loader could load: executables, and shared objects by name
        // (dlopen(3) is given names; Python's, Perl's and glibc's modules are all `*.so`).
        // dpkg-shlibdeps has already declared what every ELF file of a Debian package needs,
        // so this only looks for what a package forgot; reading the heads of a package's
        // sources and data (golang's 14,000 files) would find nothing.
        std::erase_if(regular, [this](const std::string& file) {
            struct stat st {};
            if (disk_.lstat(file, st) == 0 && (st.st_mode & 0111) != 0) return false;
            const std::string name = file.substr(file.rfind('/') + 1);
            for (size_t so = name.find(".so"); so != std::string::npos;
                 so = name.find(".so", so + 1))
                if (so + 3 == name.size() || name[so + 3] == '.') return false;  // x.so, x.so.1
            return true;
        });
        // Read ahead on every core, a window at a time (memory stays bounded), then analyse
        // in order, so the closure and its errors do not depend on the threads.
        constexpr size_t kWindow = 1024;
        Unfollowed unfollowed;
        const unsigned jobs = worker_threads();
        for (size_t begin = 0; begin < regular.size(); begin += kWindow) {
            throw_if_cancelled();
            const size_t end = std::min(regular.size(), begin + kWindow);
            files_.prefetch({regular.begin() + static_cast<std::ptrdiff_t>(begin),
                            regular.begin() + static_cast<std::ptrdiff_t>(end)},
                           kShebangMax, jobs);
            for (size_t i = begin; i < end; ++i) {
                // dpkg already brought the package's declared dependencies; following its ELF
                // files only finds undeclared ones. A file that cannot run here (test data for
                // another system, a deliberately broken object) is copied but not followed.
                analyse_or_count(regular[i], unfollowed);
            }
        }
        phase_done("package files' ELF needs");
        if (unfollowed.count != 0)
            reporter_.warn(std::to_string(unfollowed.count) +
                           " package file(s) are ELF objects whose needs cannot be found on this "
                           "host; copied, not followed (the first: " +
                           unfollowed.first + ")");
        // dpkg tolerates listed files that are gone (`dpkg --verify` reports them): one warning
        // per package, and the build goes on without them.
        constexpr size_t kShown = 3;
        for (const MissingFiles& m : files.missing) {
            std::string shown;
            for (size_t i = 0; i < std::min(kShown, m.paths.size()); ++i)
                shown += (i ? ", " : "") + quote(m.paths[i]);
            if (m.paths.size() > kShown) shown += ", ...";
            reporter_.warn(
                "package " + m.package + ": " + std::to_string(m.paths.size()) +
                " listed path(s) are not on disk (changed after install?), left out: " + shown);
        }
        if (options_.groups) closure_.groups.add_packages(closure_.plan, packages, installed, db);
    }

    // A root given by the user: the program, an argument file, an --include path, a file a
    // traced run touched. A directory root that is not `recursive` brings the directory alone.
    void add_root(const std::string& path, const Reason& why, bool is_program,
                  bool recursive = true) {
        if (options_.package_closure) owned_roots_.push_back(path);
        std::vector<std::string> files;
        const ResolvedPath resolved = paths_.add(path, why, &files, recursive);
        if (!resolved.runtime_mount.empty()) {
            // /proc/cpuinfo, /etc/mtab -> ../proc/self/mounts: the runtime mounts these, and
            // the host's are not the container's (copying /proc/self/mounts would copy ours).
            if (is_program)
                throw ClosureError(
                    "program " + quote(path) + " leads to " + quote(resolved.real_path) + ", in " +
                    std::string(resolved.runtime_mount) + ", which the runtime mounts");
            reporter_.note("not including " + quote(resolved.real_path) +
                           (resolved.real_path == path
                                ? ""
                                : " (the way " + quote(path) + " leads, kept as symlinks)") +
                           ": the runtime mounts " + std::string(resolved.runtime_mount));
            return;
        }
        // A FIFO, socket or device is skipped (HostPaths said so) and never opened: opening a
        // device can act (a watchdog arms), a FIFO blocks.
        if (!S_ISREG(resolved.st.st_mode) && !S_ISDIR(resolved.st.st_mode)) {
            if (is_program)
                throw ClosureError("program " + quote(path) + " is not a regular file");
            return;
        }
        if (is_program) {
            if (analyse(resolved.real_path, /*scripts=*/true, 0) == Kind::Other)
                throw ClosureError("program " + quote(path) +
                                   " is neither an ELF executable nor a #! script");
            return;
        }
        // Only the program's own closure must be complete: what an included tree holds may be
        // loaded at run time by something that met its needs first (the JDK's libjava.so needs
        // libjvm.so from server/, which the java launcher has loaded), as in package mode.
        Unfollowed unfollowed;
        if (S_ISDIR(resolved.st.st_mode))
            for (const auto& f : files) analyse_or_count(f, unfollowed, /*scripts=*/false);
        else
            analyse_or_count(resolved.real_path, unfollowed, /*scripts=*/true);
        if (unfollowed.count != 0)
            reporter_.warn(std::to_string(unfollowed.count) + " file(s) of " + quote(path) + " (" +
                           why.str() +
                           ") need what cannot be found on this host; copied, not followed (the "
                           "first: " +
                           unfollowed.first + ")");
    }

  private:
    enum class Kind { Elf, Script, Other };

    // analyse(), counting instead of throwing what makes a file's closure unreachable.
    void analyse_or_count(const std::string& real_path, Unfollowed& unfollowed,
                          bool scripts = false) {
        try {
            analyse(real_path, scripts, 0);
        } catch (const ClosureError& e) {
            unfollowed.add(e);
        } catch (const FormatError& e) {
            unfollowed.add(e);
        }
    }

    // Add what the file at `real_path` needs to run. Returns what it is.
    Kind analyse(const std::string& real_path, bool scripts, int depth) {
        // A #! chain that comes back to a script on it never ends: the kernel gives up
        // (ELOOP, binfmt_script's recursion limit), as `validate` says.
        if (std::find(script_chain_.begin(), script_chain_.end(), real_path) != script_chain_.end())
            throw ClosureError(quote(real_path) +
                               ": too many nested #! interpreters (its #! chain comes back to it)");
        if (auto it = analysed_.find(real_path); it != analysed_.end()) return it->second;
        const FileTree::Head head = files_.inspect(real_path, kShebangMax);
        if (head.elf) {
            analysed_.emplace(real_path, Kind::Elf);
            if (!head.elf->is_dynamic()) return Kind::Elf;
            const LoadSet needs = libraries_.load(real_path);
            if (!needs.interpreter.empty())
                add_dependency(needs.interpreter, {"ELF interpreter of ", real_path});
            for (size_t i = 0; i < needs.libraries.size(); ++i)
                add_dependency(needs.libraries[i], {"DT_NEEDED of ", needs.needed_by[i]});
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
        if (!files_.stat(interpreter))
            throw ClosureError("script " + quote(real_path) + ": its #! interpreter " +
                               quote(interpreter) + " does not exist");
        script_chain_.push_back(real_path);
        add_program(interpreter, {"#! of ", real_path}, depth);
        script_chain_.pop_back();
        if (shebang->env_program) {
            // env(1) looks NAME up on the container's PATH at run time, so that is where we
            // look for it on the host.
            const std::string& name = *shebang->env_program;
            std::string found;
            try {
                found = find_program(name, container_path_, disk_);
            } catch (const SpecError&) {
                throw ClosureError("script " + quote(real_path) + ": #!" + interpreter + " " +
                                   shebang->argument + ": " + quote(name) +
                                   " is not found on the container's PATH " + container_path_);
            }
            const std::string text =
                reasons_.enabled() ? "#!" + interpreter + " " + name + " of " : std::string();
            add_program(found, {text, real_path}, depth);
        }
        return Kind::Script;
    }

    // A #! interpreter, or the program `#!/usr/bin/env NAME` runs: with --closure packages,
    // its packages come as the program's do (perl's modules for a perl script).
    void add_program(const std::string& path, const Reason& why, int depth) {
        if (options_.package_closure) owned_roots_.push_back(path);
        hint_if_interpreter(path);
        std::vector<std::string> files;
        const ResolvedPath resolved = paths_.add(path, why, &files);
        if (!resolved.runtime_mount.empty())
            throw ClosureError("interpreter " + quote(path) + " (" + why.str() + ") leads to " +
                               quote(resolved.real_path) + ", in " +
                               std::string(resolved.runtime_mount) + ", which the runtime mounts");
        analyse(resolved.real_path, /*scripts=*/true, depth + 1);
    }

    // A library or ELF interpreter found by the search: its own needs are in the same load set.
    void add_dependency(const std::string& path, const Reason& why) {
        const ResolvedPath resolved = paths_.add(path, why);
        analysed_.emplace(resolved.real_path, Kind::Elf);
    }

    // HostPaths' claim: a path inside the store belongs to its store path, copied whole.
    // The store path becomes a root, "store path of PATH (WHY)".
    bool claim_store_path(const std::string& path, const Reason& why) {
        auto store_path = store_.store_path_of(path);
        if (!store_path) return false;
        if (reasons_.enabled() && !store_reasons_.count(*store_path))
            add_store_root(*store_path, store_path->path() == path
                                            ? why.str()
                                            : "store path of " + path + " (" + why.str() + ")");
        else
            store_roots_.insert(std::move(*store_path));
        return true;
    }

    void add_store_root(const StorePath& path, const std::string& why) {
        store_roots_.insert(path);
        if (reasons_.enabled()) store_reasons_.emplace(path, why);
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
            if (disk_.lstat(store_path->path(), st) != 0) {
                reporter_.warn("symlink " + quote(entry->path) + " points into store path " +
                               quote(store_path->path()) + ", which does not exist");
                continue;
            }
            add_store_root(*store_path,
                           reasons_.enabled() ? "store path of " + target + " (target of symlink " +
                                                    entry->path + ")"
                                              : std::string());
        }
    }

  public:
    // glibc's C.UTF-8 locale, which no package declares (libc-bin, essential, ships it on
    // Debian, and Debian's minimal images have it): with a glibc from outside the Nix store,
    // /usr/lib/locale/C.utf8 comes too when the host has it, so LANG=C.UTF-8 works.
    void add_glibc_locale() {
        constexpr const char* kLocale = "/usr/lib/locale/C.utf8";
        const PlanEntry* glibc = nullptr;
        for (const PlanEntry* entry : closure_.plan.sorted())
            if (entry->kind == EntryKind::File && entry->path.ends_with("/libc.so.6")) {
                glibc = entry;
                break;
            }
        struct stat st {};
        if (!glibc || disk_.stat(kLocale, st) != 0 || !S_ISDIR(st.st_mode)) return;
        paths_.add(kLocale, {"C.UTF-8 locale of ", glibc->path});
    }

    void skip_interpreter_hint() { hinted_ = true; }

    void hint_if_interpreter(const std::string& program) {
        if (hinted_ || !is_known_interpreter(program)) return;
        hinted_ = true;
        reporter_.note("hint: " + quote(program) +
                       " is an interpreter; the modules it loads at run time are not visible to "
                       "the ELF closure: add them with --include");
    }

  private:
    const Disk& disk_;
    Closure& closure_;
    const Reporter& reporter_;
    const ClosureOptions& options_;
    StoreDir store_;
    std::set<StorePath> store_roots_;
    std::map<StorePath, std::string> store_reasons_;  // with reasons: each root's first
    Reasons reasons_;
    HostPaths paths_;
    FileTree files_;
    LibrarySearch libraries_;
    std::string container_path_;
    std::unordered_map<std::string, Kind> analysed_;  // each file is read once
    std::vector<std::string> script_chain_;  // the scripts whose #! interpreter is being added
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

Closure compute_closure(const Roots& roots, const Reporter& reporter,
                        const ClosureOptions& options, const Disk& host) {
    Closure closure;
    // One cache for the whole build: each path is asked of the kernel once.
    const CachingDisk disk(host);
    ClosureWalk walk(disk, closure, reporter, roots.path, roots.library_path, options);
    // The interpreter hint is for ELF mode: a package closure brings the modules.
    // A traced run has brought them.
    if (options.package_closure || !roots.packages.empty() || roots.traced)
        walk.skip_interpreter_hint();
    walk.hint_if_interpreter(roots.program);
    walk.add_root(roots.program, {"root", {}}, /*is_program=*/true);
    phase_done("program's closure");
    for (const auto& store_path : roots.store_paths) walk.add_store_root(store_path);
    for (const auto& root : roots.files)
        walk.add_root(root.path, {root.reason, {}}, /*is_program=*/false, root.recursive);
    walk.add_packages(roots.packages);
    walk.add_glibc_locale();
    walk.add_store_closure();
    return closure;
}

Closure compute_closure(const ContainerSpec& spec, const std::string& host_search_path,
                        const Reporter& reporter, const ClosureOptions& options,
                        const Disk& host) {
    const CachingDisk disk(host);
    const Roots roots =
        compute_roots(spec, host_search_path, StoreDir(options.store_dir), reporter, disk);
    return compute_closure(roots, reporter, options, disk);
}

}  // namespace ocitools
