// Writing one layer: its plan entries as a tar stream (libarchive's pax writer, ustar headers
// with pax records only where ustar cannot hold a value), hashed and compressed in the same pass
// (image/blob_sink.h) into a blob named by its digest.
//
// The stream depends only on the entries: names relative to "/" in plan order (a store path's
// tree depth first, names sorted), uid and gid 0 and no user or group names, no atime or ctime,
// whole-second mtimes (at most SOURCE_DATE_EPOCH when given), permission bits as the plan has
// them; a file with several names in the layer is written once, the other names as tar hard
// links to it. Device nodes, sockets and FIFOs are never written (a store path's are skipped).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "image/blob_sink.h"
#include "image/layers.h"

namespace ocitools {

struct LayerSettings {
    Compression compression = Compression::Gzip;
    std::optional<int> level;  // of the compression; unset: its default
    unsigned threads = 1;  // compressing each layer (image/blob_sink.h)
    std::optional<std::int64_t> max_mtime;  // SOURCE_DATE_EPOCH: later mtimes become it
    // Files made by ocitools (a minimal /etc/passwd): their content, by path. A File entry with
    // no source must be here.
    const std::map<std::string, std::string>* generated = nullptr;
};

struct LayerBlob {
    std::string digest;   // "sha256:..." of the compressed blob
    std::uint64_t size = 0;
    std::string diff_id;  // "sha256:..." of the tar
};

// Write `layer` into the directory `blobs` (an open fd of blobs/sha256, named `shown`) as the
// file named by its digest's hex. Reads each source once; a source that is not what the plan
// says (another type, or a size that changes while it is read) is an error naming it. Checks for
// cancellation between files.
LayerBlob write_layer(const Layer& layer, int blobs, const std::string& shown,
                      const LayerSettings& settings);

}  // namespace ocitools
