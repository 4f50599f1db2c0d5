#include "image/layers.h"

#include <algorithm>
#include <map>
#include <set>


namespace ocitools {

std::string Layer::description() const {
    std::vector<std::string> packages, store_paths;
    for (const auto& group : groups) (group.starts_with("/") ? store_paths : packages).push_back(group);
    std::vector<std::string> parts;
    auto list = [&](const std::vector<std::string>& names, const char* one, const char* many) {
        if (names.empty()) return;
        std::string text = names.size() == 1 ? one : many;
        for (size_t i = 0; i < names.size(); ++i) text += (i ? ", " : " ") + names[i];
        parts.push_back(text);
    };
    list(packages, "package", "packages");
    list(store_paths, "store path", "store paths");
    if (loose) parts.push_back("loose files");
    std::string text;
    for (size_t i = 0; i < parts.size(); ++i) text += (i ? "; " : "") + parts[i];
    return text.empty() ? "empty" : text;
}

std::vector<std::string> rank_groups(const Plan& plan, const ClosureGroups& groups) {
    // Who needs each group: the graph reversed.
    std::map<std::string, std::vector<std::string>> needed_by;
    for (const auto& [group, needs] : groups.needs)
        for (const auto& need : needs) needed_by[need].push_back(group);
    std::set<std::string> present;
    for (const auto& [path, group] : groups.of)
        if (plan.contains(path)) present.insert(group);
    std::vector<std::pair<size_t, std::string>> ranked;
    for (const auto& group : present) {
        // Every group that reaches this one, itself aside (a dependency cycle brings it back).
        std::set<std::string> seen{group};
        std::vector<std::string> todo{group};
        while (!todo.empty()) {
            const std::string next = std::move(todo.back());
            todo.pop_back();
            if (auto it = needed_by.find(next); it != needed_by.end())
                for (const auto& user : it->second)
                    if (seen.insert(user).second) todo.push_back(user);
        }
        ranked.emplace_back(seen.size() - 1, group);
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::vector<std::string> out;
    for (auto& [count, group] : ranked) out.push_back(std::move(group));
    return out;
}

namespace {

// The plan's directories above `path`. (Plan order is not depth first: "/a-b" sorts between
// "/a" and "/a/c", so they are looked up, not kept on a stack.)
void directories_above(const Plan& plan, const std::string& path,
                       std::vector<const PlanEntry*>& above) {
    above.clear();
    for (size_t slash = path.rfind('/'); slash != 0 && slash != std::string::npos;
         slash = path.rfind('/', slash - 1)) {
        const PlanEntry* dir = plan.find(path.substr(0, slash));
        if (dir && dir->kind == EntryKind::Directory) above.push_back(dir);
    }
}

// Each non-directory of `entries` (in plan order) with the plan's directories above it.
template <typename Visit>
void with_directories_above(const Plan& plan, const std::vector<const PlanEntry*>& entries,
                            Visit visit) {
    std::vector<const PlanEntry*> above;
    for (const PlanEntry* entry : entries) {
        if (entry->kind == EntryKind::Directory) continue;
        directories_above(plan, entry->path, above);
        visit(entry, above);
    }
}

}  // namespace

std::vector<Layer> plan_layers(const Plan& plan, const ClosureGroups& groups,
                               unsigned max_layers) {
    max_layers = std::max(1u, max_layers);
    const std::vector<std::string> ranked = rank_groups(plan, groups);
    const std::vector<const PlanEntry*> entries = plan.sorted();
    // Loose: non-directories in no group, and directories with no non-directory beneath them.
    bool has_loose = false;
    std::set<const PlanEntry*> holding;  // directories with something beneath them
    with_directories_above(plan, entries, [&](const PlanEntry* entry, const auto& above) {
        if (groups.of.count(entry->path) == 0) has_loose = true;
        holding.insert(above.begin(), above.end());
    });
    for (const PlanEntry* entry : entries)
        if (entry->kind == EntryKind::Directory && holding.count(entry) == 0) has_loose = true;

    // Groups with a layer of their own; then one layer for the groups left over, unless the
    // loose files' layer must take them (one layer in all, or no loose files); the loose last.
    const size_t needed = ranked.size() + (has_loose ? 1 : 0);
    size_t own = ranked.size();
    if (needed > max_layers) own = has_loose && max_layers >= 2 ? max_layers - 2 : max_layers - 1;
    std::vector<Layer> layers(std::min(own, ranked.size()));
    std::map<std::string, size_t> layer_of;
    for (size_t i = 0; i < ranked.size(); ++i) {
        const size_t index = std::min(i, own);
        if (index == layers.size()) layers.emplace_back();
        layers[index].groups.push_back(ranked[i]);
        layer_of[ranked[i]] = index;
    }
    if (has_loose || layers.empty()) {
        if (layers.size() == max_layers) layers.back().loose = true;  // one layer for all
        else layers.emplace_back().loose = true;
    }
    const size_t last = layers.size() - 1;

    std::vector<std::set<const PlanEntry*>> directories(layers.size());
    with_directories_above(plan, entries, [&](const PlanEntry* entry, const auto& above) {
        auto group = groups.of.find(entry->path);
        const size_t index = group == groups.of.end() ? last : layer_of.at(group->second);
        layers[index].entries.push_back(entry);
        directories[index].insert(above.begin(), above.end());
    });
    std::vector<const PlanEntry*> above;
    for (const PlanEntry* entry : entries)
        if (entry->kind == EntryKind::Directory && holding.count(entry) == 0) {
            directories[last].insert(entry);
            directories_above(plan, entry->path, above);
            directories[last].insert(above.begin(), above.end());
        }
    for (size_t i = 0; i < layers.size(); ++i) {
        auto& list = layers[i].entries;
        list.insert(list.end(), directories[i].begin(), directories[i].end());
        std::sort(list.begin(), list.end(),
                  [](const PlanEntry* a, const PlanEntry* b) { return a->path < b->path; });
    }
    return layers;
}

}  // namespace ocitools
