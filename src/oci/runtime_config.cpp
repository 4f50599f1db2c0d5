#include "oci/runtime_config.h"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

namespace ocitools::oci {

using ordered_json = nlohmann::ordered_json;

std::vector<Mount> system_mounts() {
    return {
        {"/proc", "proc", "proc", {}},
        {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
        {"/dev/pts",
         "devpts",
         "devpts",
         {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=755", "gid=5"}},
        {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
        {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
        {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
        {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}},
    };
}

std::vector<Namespace> default_namespaces() {
    return {{"pid"}, {"network"}, {"mount"}, {"ipc"}, {"uts"}};
}

std::vector<std::string> default_masked_paths() {
    // runc 1.1's `runc spec` (libcontainer/specconv/example.go).
    return {"/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
            "/sys/firmware",       "/proc/scsi"};
}

std::vector<std::string> default_readonly_paths() {
    return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

std::vector<Rlimit> default_rlimits() {
    return {{"RLIMIT_NOFILE", 1024, 1024}};
}

RuntimeConfig default_config() {
    RuntimeConfig config;
    config.process.rlimits = default_rlimits();
    // No setuid binary or file capability can raise the process's privileges (prctl(2),
    // PR_SET_NO_NEW_PRIVS).
    config.process.no_new_privileges = true;
    config.mounts = system_mounts();
    config.linux_config.namespaces = default_namespaces();
    config.linux_config.masked_paths = default_masked_paths();
    config.linux_config.readonly_paths = default_readonly_paths();
    return config;
}

namespace {

// The id of a "uid=N" / "gid=N" option, when `option` is one.
std::optional<std::uint32_t> id_option(const std::string& option, std::string_view prefix) {
    if (!option.starts_with(prefix)) return std::nullopt;
    std::uint32_t id = 0;
    const char* begin = option.data() + prefix.size();
    const char* end = option.data() + option.size();
    auto [ptr, ec] = std::from_chars(begin, end, id);
    if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
    return id;
}

bool maps(const std::vector<IdMapping>& mappings, std::uint32_t id) {
    return std::any_of(mappings.begin(), mappings.end(), [&](const IdMapping& m) {
        return id >= m.container_id && id - m.container_id < m.size;
    });
}

}  // namespace

bool has_unmapped_id_option(const RuntimeConfig& config, const std::string& option) {
    const auto& l = config.linux_config;
    if (auto uid = id_option(option, "uid="); uid && !l.uid_mappings.empty())
        return !maps(l.uid_mappings, *uid);
    if (auto gid = id_option(option, "gid="); gid && !l.gid_mappings.empty())
        return !maps(l.gid_mappings, *gid);
    return false;
}

void make_rootless(RuntimeConfig& config, std::uint32_t host_uid, std::uint32_t host_gid) {
    auto& l = config.linux_config;
    if (std::none_of(l.namespaces.begin(), l.namespaces.end(),
                     [](const Namespace& ns) { return ns.type == "user"; }))
        l.namespaces.push_back({"user"});
    l.uid_mappings = {{0, host_uid, 1}};
    l.gid_mappings = {{0, host_gid, 1}};
    std::vector<Mount> mounts;
    for (Mount m : config.mounts) {
        if (m.destination == "/sys") {
            // Mounting sysfs needs CAP_SYS_ADMIN over the network namespace's owner; a bind of
            // the host's /sys does not (runc spec --rootless).
            m = {"/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}};
        } else if (m.type == "cgroup") {
            continue;  // the recursive /sys bind already shows the host's cgroup hierarchy
        }
        std::erase_if(m.options,
                      [&](const std::string& o) { return has_unmapped_id_option(config, o); });
        mounts.push_back(std::move(m));
    }
    config.mounts = std::move(mounts);
}

namespace {

ordered_json to_json(const Capabilities& c) {
    ordered_json j = ordered_json::object();
    // Empty sets are omitted (runtime-spec: each set is optional).
    const std::pair<const char*, const std::vector<std::string>*> sets[] = {
        {"bounding", &c.bounding},
        {"effective", &c.effective},
        {"inheritable", &c.inheritable},
        {"permitted", &c.permitted},
        {"ambient", &c.ambient}};
    for (const auto& [name, set] : sets)
        if (!set->empty()) j[name] = *set;
    return j;
}

ordered_json to_json(const Process& p) {
    ordered_json j;
    j["terminal"] = p.terminal;
    j["user"] = {{"uid", p.user.uid}, {"gid", p.user.gid}};
    j["args"] = p.args;
    if (!p.env.empty()) j["env"] = p.env;
    j["cwd"] = p.cwd;
    if (p.capabilities) j["capabilities"] = to_json(*p.capabilities);
    if (!p.rlimits.empty()) {
        ordered_json rlimits = ordered_json::array();
        for (const auto& r : p.rlimits)
            rlimits.push_back({{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}});
        j["rlimits"] = rlimits;
    }
    if (p.no_new_privileges) j["noNewPrivileges"] = true;
    return j;
}

ordered_json to_json(const Mount& m) {
    ordered_json j;
    j["destination"] = m.destination;
    j["type"] = m.type;
    j["source"] = m.source;
    if (!m.options.empty()) j["options"] = m.options;
    return j;
}

ordered_json to_json(const std::vector<IdMapping>& mappings) {
    ordered_json j = ordered_json::array();
    for (const auto& m : mappings)
        j.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}});
    return j;
}

ordered_json to_json(const Linux& l) {
    ordered_json j;
    if (!l.uid_mappings.empty()) j["uidMappings"] = to_json(l.uid_mappings);
    if (!l.gid_mappings.empty()) j["gidMappings"] = to_json(l.gid_mappings);
    ordered_json namespaces = ordered_json::array();
    for (const auto& ns : l.namespaces) namespaces.push_back({{"type", ns.type}});
    j["namespaces"] = namespaces;
    if (!l.masked_paths.empty()) j["maskedPaths"] = l.masked_paths;
    if (!l.readonly_paths.empty()) j["readonlyPaths"] = l.readonly_paths;
    return j;
}

}  // namespace

std::string serialize(const RuntimeConfig& config) {
    ordered_json j;
    j["ociVersion"] = config.oci_version;
    j["process"] = to_json(config.process);
    j["root"] = {{"path", config.root.path}, {"readonly", config.root.readonly}};
    if (config.hostname) j["hostname"] = *config.hostname;
    ordered_json mounts = ordered_json::array();
    for (const auto& m : config.mounts) mounts.push_back(to_json(m));
    j["mounts"] = mounts;
    j["linux"] = to_json(config.linux_config);
    return j.dump(2) + "\n";
}

}  // namespace ocitools::oci
