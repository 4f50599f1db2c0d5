// The closure cache: a closure computed once is kept on disk with every host path the walk asked
// about (closure/observe.h) and what the kernel answered. A later request with the same inputs
// gets the stored closure, and its warnings and notes again, when every one of those paths still
// answers the same: same file (device, inode), type, permissions, owner, size and mtime, or the
// same error. That check is one lstat(2) or stat(2) per path, on every core, instead of reading
// the dpkg database and every ELF file again.
//
// What is trusted, like make and ninja trust mtimes: a file rewritten in place with its size and
// mtime put back is not noticed (--no-cache then). What is not stored: a closure any of whose
// paths changed within the last second (a second change in the same clock tick could keep the
// mtime), a closure holding Nix store paths (the Nix database and store scans are not recorded),
// and a failed closure. A cache file that is unreadable, damaged, from another build of
// ocitools, or not owned by the user running ocitools is ignored (and replaced).
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "closure/closure.h"

namespace ocitools {

// $XDG_CACHE_HOME/ocitools when that is an absolute path, else $HOME/.cache/ocitools; empty
// when neither is set (no cache).
std::filesystem::path default_cache_dir();

enum class CacheOutcome {
    Off,        // no cache directory
    Hit,        // the stored closure was still true
    Stored,     // computed and stored
    NotStored,  // computed, not stored (see detail)
};

struct CachedClosure {
    Closure closure;
    CacheOutcome outcome = CacheOutcome::Off;
    // Hit/Stored: the cache file. Otherwise why it was not used or not stored.
    std::string detail;
};

// compute_closure(), through the cache in `cache_dir` (empty: no cache). The cache never makes
// a build fail: a cache that cannot be read or written is left alone.
CachedClosure cached_closure(const ContainerSpec& spec, const std::string& host_search_path,
                             const Reporter& reporter, const ClosureOptions& options,
                             const std::filesystem::path& cache_dir);

// One path the closure asked about, and what lstat(2) or stat(2) said of it.
struct Observation {
    std::string path;
    bool follow = false;  // stat(2), else lstat(2)
    // The directory's names were read: its mtime and size count. A directory only looked up is
    // the same while its inode, mode and owner are.
    bool listed = false;
    int error = 0;        // the errno; the fields below only when 0
    std::uint64_t dev = 0, ino = 0;
    std::uint32_t mode = 0, uid = 0, gid = 0;
    std::int64_t size = 0, mtime_sec = 0, mtime_nsec = 0;

    // Asks the kernel now.
    static Observation of(const std::string& path, bool follow, bool listed = false);
    bool same_as(const Observation& now) const;
    // A directory looked up but not listed: its mtime is not compared.
    bool looked_up_directory() const { return error == 0 && S_ISDIR(mode) && !listed; }
};

// A cache file's contents.
struct CacheRecord {
    std::string key;
    std::vector<Observation> observations;
    Closure closure;
    std::vector<std::pair<bool, std::string>> messages;  // (is a warning, text), in order
};

std::string serialize_cache_record(const CacheRecord& record);
// nullopt for anything but a well-formed record (bounds-checked; fuzzed).
std::optional<CacheRecord> parse_cache_record(std::span<const std::byte> bytes);

}  // namespace ocitools
