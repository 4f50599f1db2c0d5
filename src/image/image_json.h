// The JSON documents of an OCI image (image-spec config.md, manifest.md, image-index.md,
// image-layout.md) and the manifest.json of a docker archive, each canonical: keys sorted, no
// white space, so equal inputs give equal bytes and equal digests.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ocitools {

struct Descriptor {
    std::string media_type;
    std::string digest;  // "sha256:..."
    std::uint64_t size = 0;
};

// What the image config says beyond its layers.
struct ImageConfig {
    std::string architecture;  // Go's GOARCH names: amd64, arm64, ...
    std::string variant;       // "v7" for arm; empty when none
    std::string os = "linux";
    std::int64_t created = 0;  // seconds since the epoch; also each history entry's
    std::vector<std::string> entrypoint, cmd;
    std::vector<std::string> env;
    std::optional<std::string> working_dir, user;
    std::map<std::string, std::string> labels;
    std::vector<std::string> exposed_ports;  // "80/tcp"
    std::vector<std::string> diff_ids;
    std::vector<std::string> history;  // each layer's created_by
};

// The host's architecture in GOARCH terms (and its variant), from uname(2).
void host_platform(ImageConfig& config);

// RFC 3339 in UTC: "1970-01-01T00:00:00Z".
std::string rfc3339(std::int64_t seconds);

std::string image_config_json(const ImageConfig& config);
std::string manifest_json(const Descriptor& config, const std::vector<Descriptor>& layers);
// One manifest per tag, named by org.opencontainers.image.ref.name; one without a name when
// there is no tag.
std::string index_json(const Descriptor& manifest, const ImageConfig& platform,
                       const std::vector<std::string>& tags);
std::string oci_layout_json();
// docker save's manifest.json: the config and layers as paths in the archive, RepoTags with
// ":latest" added to a tag without one.
std::string docker_manifest_json(const Descriptor& config, const std::vector<Descriptor>& layers,
                                 const std::vector<std::string>& tags);

// "blobs/sha256/<hex>" for a "sha256:<hex>" digest.
std::string blob_path(const std::string& digest);

}  // namespace ocitools
