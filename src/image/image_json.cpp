#include "image/image_json.h"

#include <sys/utsname.h>

#include <ctime>
#include <nlohmann/json.hpp>

namespace ocitools {

namespace {

using json = nlohmann::json;

json descriptor(const Descriptor& d) {
    return {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
}

// nlohmann's objects are std::maps: dump() sorts keys, and without an indent adds no space.
std::string canonical(const json& doc) { return doc.dump(); }

}  // namespace

void host_platform(ImageConfig& config) {
    struct utsname u {};
    uname(&u);
    const std::string machine = u.machine;
    // Go's GOARCH names, which image-spec's config.md requires (and the variant for arm).
    static const std::map<std::string, std::pair<const char*, const char*>> kArch = {
        {"x86_64", {"amd64", ""}},    {"aarch64", {"arm64", ""}}, {"i686", {"386", ""}},
        {"i386", {"386", ""}},        {"armv7l", {"arm", "v7"}},  {"armv6l", {"arm", "v6"}},
        {"ppc64le", {"ppc64le", ""}}, {"s390x", {"s390x", ""}},   {"riscv64", {"riscv64", ""}},
    };
    auto it = kArch.find(machine);
    config.architecture = it == kArch.end() ? machine : it->second.first;
    config.variant = it == kArch.end() ? "" : it->second.second;
}

std::string rfc3339(std::int64_t seconds) {
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm {};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

std::string image_config_json(const ImageConfig& c) {
    json process = json::object();
    if (!c.entrypoint.empty()) process["Entrypoint"] = c.entrypoint;
    if (!c.cmd.empty()) process["Cmd"] = c.cmd;
    process["Env"] = c.env;
    if (c.working_dir) process["WorkingDir"] = *c.working_dir;
    if (c.user) process["User"] = *c.user;
    if (!c.labels.empty()) process["Labels"] = c.labels;
    if (!c.exposed_ports.empty()) {
        json ports = json::object();
        for (const auto& port : c.exposed_ports) ports[port] = json::object();
        process["ExposedPorts"] = ports;
    }
    json history = json::array();
    for (const auto& created_by : c.history)
        history.push_back({{"created", rfc3339(c.created)}, {"created_by", created_by}});
    json doc = {{"created", rfc3339(c.created)},
                {"architecture", c.architecture},
                {"os", c.os},
                {"config", process},
                {"rootfs", {{"type", "layers"}, {"diff_ids", c.diff_ids}}},
                {"history", history}};
    if (!c.variant.empty()) doc["variant"] = c.variant;
    return canonical(doc);
}

std::string manifest_json(const Descriptor& config, const std::vector<Descriptor>& layers) {
    json list = json::array();
    for (const auto& layer : layers) list.push_back(descriptor(layer));
    return canonical({{"schemaVersion", 2},
                      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                      {"config", descriptor(config)},
                      {"layers", list}});
}

std::string index_json(const Descriptor& manifest, const ImageConfig& platform,
                       const std::vector<std::string>& tags) {
    json entry = descriptor(manifest);
    entry["platform"] = {{"architecture", platform.architecture}, {"os", platform.os}};
    if (!platform.variant.empty()) entry["platform"]["variant"] = platform.variant;
    json manifests = json::array();
    if (tags.empty()) manifests.push_back(entry);
    for (const auto& tag : tags) {
        entry["annotations"] = {{"org.opencontainers.image.ref.name", tag}};
        manifests.push_back(entry);
    }
    return canonical({{"schemaVersion", 2},
                      {"mediaType", "application/vnd.oci.image.index.v1+json"},
                      {"manifests", manifests}});
}

std::string oci_layout_json() { return canonical({{"imageLayoutVersion", "1.0.0"}}); }

std::string docker_manifest_json(const Descriptor& config, const std::vector<Descriptor>& layers,
                                 const std::vector<std::string>& tags) {
    json repo_tags = json::array();
    for (const auto& tag : tags) {
        // NAME[:TAG]: a colon after the last slash is the tag's (before it, a registry's port).
        const size_t slash = tag.rfind('/');
        const bool tagged = tag.find(':', slash == std::string::npos ? 0 : slash) != std::string::npos;
        repo_tags.push_back(tagged ? tag : tag + ":latest");
    }
    json layer_paths = json::array();
    for (const auto& layer : layers) layer_paths.push_back(blob_path(layer.digest));
    json entry = {{"Config", blob_path(config.digest)}, {"Layers", layer_paths}};
    entry["RepoTags"] = tags.empty() ? json(nullptr) : repo_tags;
    return canonical(json::array({entry}));
}

std::string blob_path(const std::string& digest) {
    return "blobs/sha256/" + digest.substr(digest.find(':') + 1);
}

}  // namespace ocitools
