#include "closure/groups.h"

#include <algorithm>

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
    for (const PlanEntry* entry : plan.sorted()) {
        if (entry->kind != EntryKind::File && entry->kind != EntryKind::Symlink) continue;
        if (of.count(entry->path) != 0) continue;
        for (const DpkgPackage* owner : installed.owners_of(entry->path))
            if (packages.contains(*owner)) {
                of.emplace(entry->path, name_of(*owner));
                break;
            }
    }
}

}  // namespace ocitools
