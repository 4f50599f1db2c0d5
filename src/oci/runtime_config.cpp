#include "oci/runtime_config.h"

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

RuntimeConfig default_config() {
    RuntimeConfig config;
    config.mounts = system_mounts();
    config.linux_config.namespaces = default_namespaces();
    return config;
}

namespace {

ordered_json to_json(const Process& p) {
    ordered_json j;
    j["terminal"] = p.terminal;
    j["user"] = {{"uid", p.user.uid}, {"gid", p.user.gid}};
    j["args"] = p.args;
    if (!p.env.empty()) j["env"] = p.env;
    j["cwd"] = p.cwd;
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

}  // namespace

std::string serialize(const RuntimeConfig& config) {
    ordered_json j;
    j["ociVersion"] = config.oci_version;
    j["process"] = to_json(config.process);
    j["root"] = {{"path", config.root.path}, {"readonly", config.root.readonly}};
    ordered_json mounts = ordered_json::array();
    for (const auto& m : config.mounts) mounts.push_back(to_json(m));
    j["mounts"] = mounts;
    ordered_json namespaces = ordered_json::array();
    for (const auto& ns : config.linux_config.namespaces) namespaces.push_back({{"type", ns.type}});
    j["linux"] = {{"namespaces", namespaces}};
    return j.dump(2) + "\n";
}

}  // namespace ocitools::oci
