#include "closure/debian/package_closure.h"

#include <algorithm>
#include <deque>
#include <set>

namespace ocitools {

PackageName PackageName::parse(std::string_view text) {
    PackageName out;
    const size_t colon = text.find(':');
    out.name = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
        out.arch = std::string(text.substr(colon + 1));
        if (out.arch.empty())
            throw SpecError("package " + quote(text) + ": empty architecture after ':'");
    }
    if (out.name.empty()) throw SpecError("package " + quote(text) + ": empty package name");
    return out;
}

std::string PackageClosure::label(const DpkgPackage& package) const {
    const std::string& arch = package.architecture;
    if (arch.empty() || arch == "all" || arch == db_.native_architecture()) return package.name;
    return package.name + ":" + arch;
}

const DpkgPackage& PackageClosure::select(const PackageName& name) const {
    const auto instances = db_.installed(name.name);
    std::vector<const DpkgPackage*> matching;
    for (const DpkgPackage* p : instances) {
        if (name.arch.empty() || name.arch == p->architecture ||
            (name.arch == db_.native_architecture() && p->architecture == "all"))
            matching.push_back(p);
    }
    if (matching.empty()) {
        std::string message = name.to_string() + ": not installed";
        if (!instances.empty()) {
            message += " (installed:";
            for (const DpkgPackage* p : instances) message += " " + p->name + ":" + p->architecture;
            message += ")";
        }
        throw PackageError(message);
    }
    if (matching.size() == 1) return *matching.front();
    // Several architectures of a Multi-Arch: same package: the native one, as apt picks it
    // (dpkg-query would call the name ambiguous).
    for (const DpkgPackage* p : matching)
        if (db_.effective_architecture(*p) == db_.native_architecture()) return *p;
    throw PackageError(name.to_string() + ": ambiguous, installed for several architectures; " +
                       "add :ARCH");
}

bool PackageClosure::fits(const DpkgPackage& candidate, const DependencyAlternative& alternative,
                          const DpkgPackage& dependent) const {
    // dpkg lib/dpkg/depcon.c, deparchsatisfied(), for Depends and Pre-Depends.
    const std::string& qualifier = alternative.arch_qualifier;
    if (qualifier.empty() && candidate.multi_arch == MultiArch::Foreign) return true;
    if (qualifier == "any") return candidate.multi_arch == MultiArch::Allowed;
    const std::string& wanted = qualifier.empty() ? db_.effective_architecture(dependent)
                                : qualifier == "native" || qualifier == "all"
                                    ? db_.native_architecture()
                                    : qualifier;
    return wanted == db_.effective_architecture(candidate);
}

std::vector<const DpkgPackage*> PackageClosure::satisfiers(const DependencyAlternative& alternative,
                                                           const DpkgPackage& dependent) const {
    std::vector<const DpkgPackage*> out;
    for (const DpkgPackage* p : db_.installed(alternative.name))
        if (fits(*p, alternative, dependent)) out.push_back(p);
    if (!out.empty()) return out;
    for (const DpkgPackage* p : db_.providers(alternative.name))
        if (fits(*p, alternative, dependent)) out.push_back(p);
    return out;
}

std::optional<std::vector<const DpkgPackage*>> PackageClosure::resolve(
    const Dependency& dependency, const DpkgPackage& dependent) const {
    bool any_applies = false;
    for (const auto& alternative : dependency.alternatives) {
        if (!alternative.applies_to(db_.native_architecture())) continue;
        any_applies = true;
        auto found = satisfiers(alternative, dependent);
        if (!found.empty()) return found;
    }
    if (!any_applies) return std::vector<const DpkgPackage*>{};
    return std::nullopt;
}

void PackageClosure::unsatisfied(const Dependency& dependency, const DpkgPackage& dependent,
                                 const std::map<const DpkgPackage*, const DpkgPackage*>& parent,
                                 const std::string& reason) const {
    std::vector<std::string> chain;
    for (const DpkgPackage* p = &dependent; p;) {
        chain.push_back(label(*p));
        const auto it = parent.find(p);
        p = it == parent.end() ? nullptr : it->second;
    }
    if (!reason.empty()) chain.push_back(reason);
    std::string message;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) message += *it + " -> ";
    std::string wanted, misfits;
    for (const auto& alternative : dependency.alternatives) {
        if (!alternative.applies_to(db_.native_architecture())) continue;
        wanted += (wanted.empty() ? "" : " | ") + alternative.target();
        for (const DpkgPackage* p : db_.installed(alternative.name))
            misfits += (misfits.empty() ? "" : ", ") + p->name + ":" + p->architecture +
                       " (Multi-Arch: " + to_string(p->multi_arch) + ")";
    }
    message += wanted + ": not installed";
    if (!misfits.empty()) message += "; installed but of another architecture: " + misfits;
    throw PackageError(message);
}

void PackageClosure::walk(const DpkgPackage& start, const std::string& reason) {
    if (contains(start)) return;
    // Breadth first, into a scratch set committed only when everything resolved.
    std::map<const DpkgPackage*, const DpkgPackage*> added{{&start, nullptr}};
    std::set<const DpkgPackage*> pre_depended;
    std::deque<const DpkgPackage*> queue{&start};
    while (!queue.empty()) {
        const DpkgPackage* package = queue.front();
        queue.pop_front();
        for (const auto* field : {&package->pre_depends, &package->depends}) {
            for (const Dependency& dependency : *field) {
                const auto found = resolve(dependency, *package);
                if (!found) unsatisfied(dependency, *package, added, reason);
                for (const DpkgPackage* next : *found) {
                    if (contains(*next) || added.count(next)) continue;
                    added.emplace(next, package);
                    if (field == &package->pre_depends) pre_depended.insert(next);
                    queue.push_back(next);
                }
            }
        }
    }
    parent_.insert(added.begin(), added.end());
    pre_depended_.insert(pre_depended.begin(), pre_depended.end());
    if (!reason.empty()) reason_[&start] = reason;
}

const DpkgPackage& PackageClosure::add(std::string_view request) {
    const DpkgPackage& package = select(PackageName::parse(request));
    walk(package, {});
    return package;
}

void PackageClosure::add(const DpkgPackage& package, const std::string& reason) {
    walk(package, reason);
}

std::vector<const DpkgPackage*> PackageClosure::packages() const {
    std::vector<const DpkgPackage*> out;
    for (const auto& [package, parent] : parent_) out.push_back(package);
    std::sort(out.begin(), out.end(), by_name_and_arch);
    return out;
}

std::vector<std::string> PackageClosure::chain(const DpkgPackage& package) const {
    std::vector<std::string> out;
    const DpkgPackage* p = &package;
    while (p) {
        out.push_back(label(*p));
        const auto it = parent_.find(p);
        if (it == parent_.end()) return {};  // not in the set
        if (!it->second)
            if (auto r = reason_.find(p); r != reason_.end()) out.push_back(r->second);
        p = it->second;
    }
    std::reverse(out.begin(), out.end());
    return out;
}

std::string PackageClosure::why(const DpkgPackage& package) const {
    const auto it = parent_.find(&package);
    if (it == parent_.end()) return {};
    if (it->second)
        return label(package) + " (" +
               (pre_depended_.count(&package) ? "Pre-Depends" : "Depends") + " of " +
               label(*it->second) + ")";
    const auto r = reason_.find(&package);
    return label(package) + (r == reason_.end() ? " (named)" : " (owns " + r->second + ")");
}

std::vector<const DpkgPackage*> package_closure(const DpkgDatabase& db,
                                                const std::vector<std::string>& requests) {
    PackageClosure closure(db);
    for (const auto& request : requests) closure.add(request);
    return closure.packages();
}

}  // namespace ocitools
