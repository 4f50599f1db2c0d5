#include "closure/debian/installed_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "base/parallel.h"
#include "fs/path.h"

namespace ocitools {

namespace fs = std::filesystem;

namespace {

std::string base_of(const std::string& path) {
    return path.substr(path.rfind('/') + 1);
}

std::string join(const std::string& dir, const std::string& name) {
    return dir == "/" ? "/" + name : dir + "/" + name;
}

// Lexically clean an absolute path: no empty or "." components, no trailing '/'; ".." is kept
// (only the symlink-aware resolution may remove it).
std::string clean(std::string_view path) {
    std::string out;
    size_t pos = 0;
    while (pos < path.size()) {
        size_t end = path.find('/', pos);
        if (end == std::string_view::npos) end = path.size();
        const std::string_view part = path.substr(pos, end - pos);
        if (!part.empty() && part != ".") {
            out += '/';
            out += part;
        }
        pos = end + 1;
    }
    return out.empty() ? "/" : out;
}

bool is_root_entry(const std::string& path) {
    return path == "/" || path == "/.";
}

// Whether clean() would return `path` unchanged: absolute, no empty, "." or ".." component, no
// trailing '/'.
bool is_clean(std::string_view path) {
    if (path.empty() || path.front() != '/') return false;
    if (path == "/") return true;
    if (path.back() == '/') return false;
    for (size_t pos = 0; pos < path.size();) {  // at a '/'
        const size_t end = std::min(path.find('/', pos + 1), path.size());
        const std::string_view part = path.substr(pos + 1, end - pos - 1);
        if (part.empty() || part == "." || part == "..") return false;
        pos = end;
    }
    return true;
}

}  // namespace

InstalledFiles::InstalledFiles(const DpkgDatabase& db, const Disk& disk) : db_(db), disk_(disk) {}

std::string InstalledFiles::canonical_dir(const std::string& dir, int depth) const {
    if (dir == "/") return dir;
    if (auto it = canonical_dirs_.find(dir); it != canonical_dirs_.end()) return it->second;
    if (depth > kSymlinkLimit)
        throw ClosureError("too many levels of symbolic links resolving " +
                           quote(disk_.shown(dir)));
    const std::string parent = canonical_dir(parent_path(dir), depth);
    const std::string name = base_of(dir);
    std::string result;
    if (name == ".") {
        result = parent;
    } else if (name == "..") {
        result = parent_path(parent);
    } else {
        result = join(parent, name);
        std::string link;
        const int error = disk_.readlink(result, link);
        if (error == 0) {
            // A symlink: its target, relative to the link's directory or to the root.
            const std::string resolved =
                link.front() == '/' ? clean(link) : clean(parent + "/" + link);
            result = canonical_dir(resolved, depth + 1);
        } else if (error != EINVAL && error != ENOENT && error != ENOTDIR && error != EACCES) {
            throw SystemError("cannot read link", disk_.shown(result), error);
        }
        // EINVAL: not a symlink. Missing or unreadable: kept lexically.
    }
    canonical_dirs_.emplace(dir, result);
    return result;
}

std::string InstalledFiles::canonical(const std::string& path) const {
    // dpkg's lists hold clean paths: those need no cleaning, and their directory is looked up
    // in the cache without a copy.
    const std::string cleaned = is_clean(path) ? std::string() : clean(path);
    const std::string& p = cleaned.empty() ? path : cleaned;
    if (p == "/") return p;
    const size_t slash = p.rfind('/');
    const std::string_view name = std::string_view(p).substr(slash + 1);
    if (name == "..") return canonical_dir(p);
    const std::string_view dir =
        slash == 0 ? std::string_view("/") : std::string_view(p).substr(0, slash);
    std::string computed;
    const std::string* resolved = &computed;
    if (const auto it = canonical_dirs_.find(dir); it != canonical_dirs_.end())
        resolved = &it->second;
    else
        computed = canonical_dir(std::string(dir));
    std::string out;
    out.reserve(resolved->size() + 1 + name.size());
    out += *resolved;
    if (*resolved != "/") out += '/';
    out += name;
    return out;
}

const Diversion* InstalledFiles::diversion_from(const std::string& canonical_path) const {
    if (!by_from_) {
        by_from_.emplace();
        by_to_.emplace();
        for (const Diversion& d : db_.diversions()) {
            by_from_->emplace(canonical(d.from), &d);
            by_to_->emplace(canonical(d.to), &d);
        }
    }
    const auto it = by_from_->find(canonical_path);
    return it == by_from_->end() ? nullptr : it->second;
}

const Diversion* InstalledFiles::diversion_to(const std::string& canonical_path) const {
    diversion_from("/");  // builds both indexes
    const auto it = by_to_->find(canonical_path);
    return it == by_to_->end() ? nullptr : it->second;
}

std::string InstalledFiles::installed_path(const DpkgPackage& package,
                                           const std::string& path) const {
    const Diversion* d = diversion_from(canonical(path));
    if (d && (!d->package || *d->package != package.name)) return d->to;
    return path;
}

void InstalledFiles::build_owner_index() const {
    if (by_basename_) return;
    by_basename_.emplace();
    // Views into the cached file lists and the database's conffiles, which outlive the index.
    std::vector<const DpkgPackage*> installed;
    std::unordered_set<std::string_view> directories;  // listed with something beneath
    for (const DpkgPackage& package : db_.packages()) {
        if (!package.installed()) continue;
        installed.push_back(&package);
        for (const auto& path : db_.file_list(package))
            directories.insert(std::string_view(path).substr(0, path.rfind('/')));
    }
    for (const DpkgPackage* package : installed) {
        const auto& list = db_.file_list(*package);
        auto add = [&](const std::string& path) {
            if (is_root_entry(path) || directories.count(path)) return;
            const std::string_view base = std::string_view(path).substr(path.rfind('/') + 1);
            (*by_basename_)[base].push_back(Listing{package, &path});
        };
        for (const auto& path : list) add(path);
        if (package->conffiles.empty()) continue;
        const std::unordered_set<std::string_view> listed(list.begin(), list.end());
        for (const auto& conffile : package->conffiles)
            if (!conffile.obsolete && !listed.count(conffile.path)) add(conffile.path);
    }
}

std::vector<const DpkgPackage*> InstalledFiles::owners_of(const std::string& path) const {
    if (path.empty() || path.front() != '/')
        throw ClosureError("owner of " + quote(path) + ": not an absolute path");
    build_owner_index();
    const std::string wanted = canonical(path);
    std::vector<const DpkgPackage*> owners;
    auto listing_of = [&](const std::string& canonical_path, const Diversion* diversion) {
        const auto it = by_basename_->find(base_of(canonical_path));
        if (it == by_basename_->end()) return;
        for (const Listing& l : it->second) {
            if (canonical(*l.path) != canonical_path) continue;
            // The diverted path: only the diverting package's copy is there (dpkg-divert(1)).
            // The diversion's target: every other package's copy of the original is there.
            const bool diverter = diversion && diversion->package == l.package->name;
            if (diversion && diverter != (canonical_path == wanted)) continue;
            owners.push_back(l.package);
        }
    };
    listing_of(wanted, diversion_from(wanted));
    if (const Diversion* d = diversion_to(wanted)) listing_of(canonical(d->from), d);
    std::sort(owners.begin(), owners.end(), by_name_and_arch);
    owners.erase(std::unique(owners.begin(), owners.end()), owners.end());
    return owners;
}

PackageFiles InstalledFiles::files_of(const std::vector<const DpkgPackage*>& packages,
                                      const FileSelection& selection) const {
    // Collected unsorted, sorted and deduplicated once at the end.
    PackageFiles out;
    std::vector<std::string> excluded_directories;
    const CompiledSelection selected(selection);
    for (const DpkgPackage* package : packages) {
        const auto& list = db_.file_list(*package);
        // Views into `list`, which the database keeps.
        std::unordered_set<std::string_view> parents;
        for (const auto& path : list) {
            const size_t slash = path.rfind('/');
            parents.insert(slash == 0 || slash == std::string::npos
                               ? std::string_view("/")
                               : std::string_view(path).substr(0, slash));
        }
        MissingFiles missing{package->name + ":" + db_.effective_architecture(*package), {}};
        auto add = [&](const std::string& path) {
            if (is_root_entry(path)) return;
            const bool excluded = selected.excluded(path);
            // installed_path(), with the canonical path computed once.
            std::string canonical_path = canonical(path);
            std::string target = path;
            const Diversion* d = diversion_from(canonical_path);
            if (d && (!d->package || *d->package != package->name)) {
                target = d->to;
                canonical_path = canonical(target);
            }
            const bool directory = parents.count(path) != 0;
            if (directory && excluded) {
                excluded_directories.push_back(std::move(target));
                return;
            }
            if (excluded) return;
            struct stat st {};
            if (const int error = disk_.lstat(canonical_path, st); error != 0) {
                if (error != ENOENT && error != ENOTDIR)
                    throw SystemError("cannot stat", disk_.shown(canonical_path), error);
                missing.paths.push_back(std::move(target));
            } else if (directory || S_ISDIR(st.st_mode)) {
                out.directories.push_back(std::move(target));
            } else if (S_ISLNK(st.st_mode)) {
                out.symlinks.push_back(std::move(target));
            } else {
                out.files.push_back(std::move(target));
            }
        };
        for (const auto& path : list) add(path);
        if (!package->conffiles.empty()) {
            const std::unordered_set<std::string_view> listed(list.begin(), list.end());
            for (const auto& conffile : package->conffiles)
                if (!conffile.obsolete && !listed.count(conffile.path)) add(conffile.path);
        }
        if (missing.paths.empty()) continue;
        std::sort(missing.paths.begin(), missing.paths.end());
        missing.paths.erase(std::unique(missing.paths.begin(), missing.paths.end()),
                            missing.paths.end());
        out.missing.push_back(std::move(missing));
    }
    auto sort_unique = [](std::vector<std::string>& v) {
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
    };
    for (auto* v : {&out.directories, &out.files, &out.symlinks, &excluded_directories})
        sort_unique(*v);
    // An excluded directory stays when something kept lies beneath it (a package's copyright).
    std::vector<std::string> kept_directories;
    for (const auto& dir : excluded_directories) {
        const std::string prefix = dir + "/";
        for (const auto* v : {&out.directories, &out.files, &out.symlinks}) {
            const auto it = std::lower_bound(v->begin(), v->end(), prefix);
            if (it != v->end() && it->starts_with(prefix)) {
                kept_directories.push_back(dir);
                break;
            }
        }
    }
    if (!kept_directories.empty()) {
        out.directories.insert(out.directories.end(), kept_directories.begin(),
                               kept_directories.end());
        sort_unique(out.directories);
    }
    return out;
}

std::vector<std::string> InstalledFiles::generated_files(
    const std::vector<const DpkgPackage*>& packages, const FileSelection& selection) const {
    std::set<std::string> rooms;  // directories a package lists with nothing beneath
    for (const DpkgPackage* package : packages) {
        const auto& list = db_.file_list(*package);
        std::unordered_set<std::string_view> parents;
        for (const auto& path : list)
            parents.insert(std::string_view(path).substr(0, path.rfind('/')));
        for (const auto& path : list) {
            struct stat st {};
            if (path.starts_with("/etc/") && !parents.count(path) && disk_.lstat(path, st) == 0 &&
                S_ISDIR(st.st_mode))
                rooms.insert(path);
        }
    }
    const CompiledSelection selected(selection);
    std::set<std::string> candidates;
    for (const auto& dir : rooms)
        for (const DirEntry& entry : disk_.list_directory(dir)) {
            const std::string path = dir + "/" + entry.name;
            const mode_t mode = entry.st.st_mode;
            if (!S_ISLNK(mode) && !(S_ISREG(mode) && (mode & S_IROTH))) continue;
            if (!selected.excluded(path)) candidates.insert(path);
        }
    const std::set<std::string> installed = installed_among(candidates);
    std::vector<std::string> out;
    for (const auto& path : candidates)
        if (!installed.count(path)) out.push_back(path);
    return out;
}

std::set<std::string> InstalledFiles::installed_among(
    const std::set<std::string>& candidates) const {
    if (candidates.empty()) return {};
    // The paths whose listers matter: the candidates, and the `from` of a diversion to one.
    std::unordered_map<std::string_view, std::set<std::string_view>> listers;
    for (const auto& path : candidates) {
        listers[path];
        if (const Diversion* d = diversion_to(path)) listers[d->from];
    }
    // One pass over every installed package's list and conffiles, keeping nothing but the
    // names of the packages listing those paths (a package's name outlives this). A list that
    // names none of their directories lists none of them, and is not split into lines.
    std::vector<std::string> directories;
    for (const auto& [path, _] : listers)
        directories.emplace_back(path.substr(0, path.rfind('/') + 1));
    std::sort(directories.begin(), directories.end());
    directories.erase(std::unique(directories.begin(), directories.end()), directories.end());
    // Reading the lists is most of the cost (9 MB in 900 files on a desktop), so they are
    // first sifted on every core; the few that name one of the directories are read again.
    std::vector<const DpkgPackage*> installed_packages;
    for (const DpkgPackage& package : db_.packages())
        if (package.installed()) installed_packages.push_back(&package);
    std::vector<char> may_list(installed_packages.size(), 1);
    std::atomic<size_t> next{0};
    run_on_threads(std::min<size_t>(worker_threads(), installed_packages.size()), [&]() noexcept {
        std::vector<std::byte> scratch;
        for (size_t i; (i = next.fetch_add(1)) < installed_packages.size();)
            may_list[i] = db_.may_list_any(*installed_packages[i], &scratch, directories);
    });
    std::vector<std::byte> scratch;
    for (size_t i = 0; i < installed_packages.size(); ++i) {
        const DpkgPackage& package = *installed_packages[i];
        auto note = [&](std::string_view path) {
            if (auto it = listers.find(path); it != listers.end())
                it->second.insert(package.name);
        };
        if (may_list[i]) db_.for_each_listed(package, note, &scratch, directories);
        for (const auto& conffile : package.conffiles)
            if (!conffile.obsolete) note(conffile.path);
    }
    // As owners_of says (dpkg-divert(1)): the file at a diverted path is the diverting
    // package's, if it lists it; the file at a diversion's target is every other package's
    // that lists the original path.
    std::set<std::string> out;
    for (const auto& path : candidates) {
        const auto& listing = listers.at(path);
        bool installed_here;
        if (const Diversion* d = diversion_from(path))
            installed_here = d->package && listing.count(*d->package) != 0;
        else if (const Diversion* d = diversion_to(path)) {
            installed_here = !listing.empty();
            for (const auto& name : listers.at(d->from))
                if (!d->package || name != *d->package) installed_here = true;
        } else
            installed_here = !listing.empty();
        if (installed_here) out.insert(path);
    }
    return out;
}

}  // namespace ocitools
