// build-image: the request and closure of build-container (bundle/bundle.h), written as an OCI
// image instead of a bundle: an image layout directory, or a docker archive (a file, or standard
// output). Layers follow the closure (image/layers.h) and are written in parallel, each in one
// pass (image/layer_writer.h); the same request on the same files gives the same bytes.
// Orchestration only: built in a temporary sibling of the output, renamed into place at the end.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/reporter.h"
#include "bundle/bundle.h"
#include "image/blob_sink.h"
#include "spec/container_spec.h"

namespace ocitools {

enum class ImageFormat { Oci, DockerArchive };

struct ImageOptions {
    BuildOptions build;  // output ("-": standard output, docker archives only), force, jobs...
    ImageFormat format = ImageFormat::Oci;
    std::vector<std::string> tags;  // NAME[:TAG], as typed
    unsigned max_layers = 32;
    Compression compression = Compression::Gzip;
    std::optional<int> compression_level;  // unset: the compression's default
    bool entrypoint = false;  // the args are the Entrypoint, not the Cmd
    std::map<std::string, std::string> labels;
    std::vector<std::string> ports;  // "80/tcp"
    // Every mtime at most this, and the image's creation time; unset: the files' own mtimes,
    // and the epoch.
    std::optional<std::int64_t> source_date_epoch;
};

// "oci" or "docker-archive"; SpecError naming `what` otherwise.
ImageFormat parse_image_format(const std::string& value, const std::string& what);
// "80", "80/tcp", "53/udp" -> "80/tcp", "80/tcp", "53/udp"; SpecError naming `what` otherwise.
std::string parse_port(const std::string& value, const std::string& what);
// "KEY=VALUE" with a KEY; SpecError naming `what` otherwise.
std::pair<std::string, std::string> parse_label(const std::string& value, const std::string& what);
// A NAME[:TAG] reference: not empty, without white space or control characters, a lower-case
// name (docker's reference grammar); SpecError naming `what` otherwise.
void check_tag(const std::string& value, const std::string& what);
// SOURCE_DATE_EPOCH (reproducible-builds.org): unset or empty gives nullopt; anything but a
// decimal number of seconds is a SpecError naming it.
std::optional<std::int64_t> source_date_epoch_from_environment();

// Check the spec and options, compute the closure, write the image. Throws Error; nothing is
// left at the output path (nor in its parent) when it does.
void build_image(const ContainerSpec& spec, const ImageOptions& options, const Reporter& reporter);

}  // namespace ocitools
