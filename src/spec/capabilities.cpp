#include "spec/capabilities.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "base/error.h"

namespace ocitools {

const std::vector<std::string>& all_capabilities() {
    // <linux/capability.h>, by number: CAP_CHOWN is 0, CAP_CHECKPOINT_RESTORE (Linux 5.9) is 40.
    static const std::vector<std::string> names = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    };
    return names;
}

std::optional<std::string> canonical_capability(std::string_view name) {
    std::string upper(name);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!upper.starts_with("CAP_")) upper = "CAP_" + upper;
    const auto& all = all_capabilities();
    if (std::find(all.begin(), all.end(), upper) == all.end()) return std::nullopt;
    return upper;
}

std::vector<std::string> parse_capabilities(const std::vector<std::string>& names,
                                            const std::string& key) {
    std::vector<std::string> out;
    for (const auto& name : names) {
        std::string upper(name);
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (upper == "ALL") {
            out.push_back("ALL");
            continue;
        }
        auto canonical = canonical_capability(name);
        if (!canonical)
            throw SpecError(key + ": unknown capability " + quote(name) +
                            " (expected a name from capabilities(7), e.g. CAP_NET_RAW or net_raw)");
        out.push_back(*canonical);
    }
    return out;
}

std::vector<std::string> default_capabilities() {
    return {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
}

CapabilitySets capability_sets(const std::vector<std::string>& defaults,
                               const std::vector<std::string>& cap_add,
                               const std::vector<std::string>& cap_drop, bool root_user) {
    const auto has = [](const std::vector<std::string>& v, const std::string& s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    };
    for (const auto& name : cap_add)
        if (name != "ALL" && has(cap_drop, name))
            throw SpecError("capability " + name +
                            " is both added (cap-add) and dropped (cap-drop)");

    std::set<std::string> caps;
    if (!has(cap_drop, "ALL")) caps.insert(defaults.begin(), defaults.end());
    std::set<std::string> added;
    for (const auto& name : cap_add) {
        if (name == "ALL")
            added.insert(all_capabilities().begin(), all_capabilities().end());
        else
            added.insert(name);
    }
    for (const auto& name : cap_drop) added.erase(name);
    caps.insert(added.begin(), added.end());
    for (const auto& name : cap_drop) caps.erase(name);

    CapabilitySets sets;
    sets.bounding.assign(caps.begin(), caps.end());
    sets.effective = sets.permitted = sets.bounding;
    if (!root_user) sets.inheritable = sets.ambient = {added.begin(), added.end()};
    return sets;
}

}  // namespace ocitools
