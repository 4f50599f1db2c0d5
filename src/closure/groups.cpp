#include "closure/groups.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace ocitools {

namespace {

void sort_unique(std::vector<std::string>& names) {
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
}

}  // namespace

void ClosureGroups::add_store_paths(const StoreGraph& graph) {
    for (const auto& [path, refs] : graph) {
        of[path.path()] = path.path();
        auto& group = needs[path.path()];
        for (const auto& ref : refs) group.push_back(ref.path());
        sort_unique(group);
    }
}

void ClosureGroups::add_packages(const Plan& plan, const PackageClosure& packages,
                                 const InstalledFiles& installed, const DpkgDatabase& db) {
    auto name_of = [&db](const DpkgPackage& p) {
        return p.name + ":" + db.effective_architecture(p);
    };
    for (const DpkgPackage* p : packages.packages()) {
        auto& group = needs[name_of(*p)];
        for (const auto* dependencies : {&p->pre_depends, &p->depends})
            for (const Dependency& dependency : *dependencies) {
                const auto satisfiers = packages.resolve(dependency, *p);
                if (!satisfiers) continue;
                for (const DpkgPackage* s : *satisfiers)
                    if (s != p && packages.contains(*s)) group.push_back(name_of(*s));
            }
        sort_unique(group);
    }
    // Each path the set's packages list, as it is on disk (merged /usr), with the first of
    // them by name: only the set's lists are read, not every installed package's (owners_of's
    // index), and a diverted file's layer is all that a diversion could change.
    // A path listed with something beneath it is a directory (merged /usr's /bin, a symlink,
    // is listed by every package with a file in it): no package's, as for owners_of.
    std::unordered_map<std::string, const DpkgPackage*> lister;
    std::unordered_set<std::string_view> directories;
    for (const DpkgPackage* p : packages.packages())
        for (const auto& path : db.file_list(*p)) {
            directories.insert(std::string_view(path).substr(0, path.rfind('/')));
            lister.emplace(installed.canonical(path), p);
        }
    for (const DpkgPackage* p : packages.packages())
        for (const auto& path : db.file_list(*p))
            if (directories.count(path) != 0) lister.erase(installed.canonical(path));
    for (const PlanEntry* entry : plan.sorted()) {
        if (entry->kind != EntryKind::File && entry->kind != EntryKind::Symlink) continue;
        if (of.count(entry->path) != 0) continue;
        if (auto it = lister.find(entry->path); it != lister.end())
            of.emplace(entry->path, name_of(*it->second));
    }
}

}  // namespace ocitools
