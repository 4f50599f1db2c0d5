#include "plan/plan.h"

#include "base/enum_names.h"
#include "base/error.h"

#include <algorithm>

namespace ocitools {

bool PlanEntry::operator==(const PlanEntry& o) const {
    return path == o.path && kind == o.kind && source == o.source && link_target == o.link_target &&
           mode == o.mode;
}

const char* to_string(EntryKind kind) {
    static constexpr EnumName<EntryKind> kKinds[] = {{EntryKind::Directory, "directory"},
                                                     {EntryKind::File, "file"},
                                                     {EntryKind::Symlink, "symlink"},
                                                     {EntryKind::StorePath, "store path"}};
    return name_of(kKinds, kind);
}

const PlanEntry* Plan::store_path_above(const std::string& path) const {
    if (store_paths_ == 0) return nullptr;
    for (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0;
         slash = path.rfind('/', slash - 1)) {
        auto it = entries_.find(std::string_view(path).substr(0, slash));
        if (it != entries_.end() && it->second.kind == EntryKind::StorePath) return &it->second;
    }
    return nullptr;
}

// The nearest entry above `path` that cannot hold anything: a file or a symlink.
const PlanEntry* Plan::leaf_above(const std::string& path) const {
    for (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0;
         slash = path.rfind('/', slash - 1)) {
        auto it = entries_.find(std::string_view(path).substr(0, slash));
        if (it != entries_.end() &&
            (it->second.kind == EntryKind::File || it->second.kind == EntryKind::Symlink))
            return &it->second;
    }
    return nullptr;
}

void Plan::add(PlanEntry entry) {
    // Nothing lies beneath a file or a symlink: the writer would make such a path a directory
    // or a file depending on which came first (found in review: the error then depended on -j).
    if (const PlanEntry* leaf = leaf_above(entry.path))
        throw ClosureError("conflicting closure entries: " + quote(entry.path) + " (a " +
                           to_string(entry.kind) + ") is beneath " + quote(leaf->path) +
                           ", a " + to_string(leaf->kind));
    if (entry.kind == EntryKind::File || entry.kind == EntryKind::Symlink) {
        auto below = entries_.lower_bound(entry.path + "/");
        if (below != entries_.end() && below->first.starts_with(entry.path + "/"))
            throw ClosureError("conflicting closure entries: " + quote(below->first) + " (a " +
                               to_string(below->second.kind) + ") is beneath " +
                               quote(entry.path) + ", a " + to_string(entry.kind));
    }
    if (const PlanEntry* store_path = store_path_above(entry.path))
        throw ClosureError("conflicting closure entries: " + quote(entry.path) + " (a " +
                           to_string(entry.kind) + ") is inside store path " +
                           quote(store_path->path) + ", which is copied whole");
    if (entry.kind == EntryKind::StorePath) {
        auto below = entries_.lower_bound(entry.path + "/");
        if (below != entries_.end() && below->first.starts_with(entry.path + "/"))
            throw ClosureError("conflicting closure entries: " + quote(below->first) + " (a " +
                               to_string(below->second.kind) + ") is inside store path " +
                               quote(entry.path) + ", which is copied whole");
    }
    // try_emplace moves `entry` only when it inserts it.
    auto [it, inserted] = entries_.try_emplace(entry.path, std::move(entry));
    if (inserted && entry.kind == EntryKind::StorePath) ++store_paths_;
    if (inserted || it->second == entry) return;
    throw ClosureError("conflicting closure entries for " + quote(entry.path) + ": a " +
                       to_string(it->second.kind) + " from " + quote(it->second.source) +
                       " and a " + to_string(entry.kind) + " from " + quote(entry.source));
}

const PlanEntry* Plan::find(const std::string& path) const {
    auto it = entries_.find(path);
    return it == entries_.end() ? nullptr : &it->second;
}

const PlanEntry* Plan::resolve(std::string_view path) const {
    std::string done;  // the components resolved so far, each as "/name"
    std::string rest(path);
    int links = 0;
    for (std::size_t at = 0; at < rest.size();) {
        const std::size_t end = std::min(rest.find('/', at), rest.size());
        const std::string_view name = std::string_view(rest).substr(at, end - at);
        at = end + 1;
        if (name.empty() || name == ".") continue;
        if (name == "..") {
            done.resize(done.empty() ? 0 : done.rfind('/'));
            continue;
        }
        const std::string next = done + "/" + std::string(name);
        const PlanEntry* entry = find(next);
        if (entry && entry->kind == EntryKind::Symlink) {
            if (++links > 40) return nullptr;  // ELOOP, at the kernel's limit
            if (entry->link_target.starts_with('/')) done.clear();
            rest = entry->link_target + "/" + (at < rest.size() ? rest.substr(at) : "");
            at = 0;
            continue;
        }
        if (entry && entry->kind != EntryKind::Directory && at < rest.size()) return nullptr;
        done = next;
    }
    return done.empty() ? find("/") : find(done);
}

std::vector<PlanEntry> Plan::entries() const {
    std::vector<PlanEntry> out;
    out.reserve(entries_.size());
    for (const auto& [path, entry] : entries_) out.push_back(entry);
    return out;
}

std::vector<const PlanEntry*> Plan::sorted() const {
    std::vector<const PlanEntry*> out;
    out.reserve(entries_.size());
    for (const auto& [path, entry] : entries_) out.push_back(&entry);
    return out;
}

}  // namespace ocitools
