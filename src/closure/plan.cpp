#include "closure/plan.h"

#include "error.h"

namespace ocitools {

bool PlanEntry::operator==(const PlanEntry& o) const {
    return path == o.path && kind == o.kind && source == o.source && link_target == o.link_target &&
           mode == o.mode;
}

const char* to_string(EntryKind kind) {
    switch (kind) {
        case EntryKind::Directory:
            return "directory";
        case EntryKind::File:
            return "file";
        case EntryKind::Symlink:
            return "symlink";
    }
    return "?";
}

void Plan::add(PlanEntry entry) {
    auto [it, inserted] = entries_.try_emplace(entry.path, entry);
    if (inserted || it->second == entry) return;
    throw ClosureError("conflicting closure entries for " + quote(entry.path) + ": a " +
                       to_string(it->second.kind) + " from " + quote(it->second.source) +
                       " and a " + to_string(entry.kind) + " from " + quote(entry.source));
}

const PlanEntry* Plan::find(const std::string& path) const {
    auto it = entries_.find(path);
    return it == entries_.end() ? nullptr : &it->second;
}

std::vector<PlanEntry> Plan::entries() const {
    std::vector<PlanEntry> out;
    out.reserve(entries_.size());
    for (const auto& [path, entry] : entries_) out.push_back(entry);
    return out;
}

}  // namespace ocitools
