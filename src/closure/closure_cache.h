// The closure cache: a closure computed once is kept on disk with every host path the walk asked
// about (closure/observe.h) and what the kernel answered. A later request with the same inputs
// gets the stored closure, and its warnings and notes again, when every one of those paths still
// answers the same: same file (device, inode), type, permissions, owner, size and mtime, or the
// same error. That check is one lstat(2) or stat(2) per path, on every core, instead of reading
// the dpkg database and every ELF file again.
//
// What is trusted, like make and ninja trust mtimes: a file rewritten in place with its size and
// mtime put back is not noticed (--no-cache then). What is not stored: a closure any of whose
// paths changed while it was computed, or whose files' content changed within the last second
// (a second change in the same clock tick could keep the mtime; why_not_stored() below), a
// closure holding Nix store paths (the Nix database and store scans are not recorded), and a
// failed closure. A cache file that is unreadable, damaged, from another build of
// ocitools, or not owned by the user running ocitools is ignored (and replaced).
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "closure/closure.h"
#include "closure/observe.h"

namespace ocitools {

// $XDG_CACHE_HOME/ocitools when that is an absolute path, else $HOME/.cache/ocitools; empty
// when neither is set (no cache).
std::filesystem::path default_cache_dir();

enum class CacheOutcome {
    Off,        // no cache directory
    Hit,        // the stored closure was still true
    Stored,     // computed and stored
    NotStored,  // computed, not stored (see detail)
    Stale,      // a hit whose files, checked by the writer, had changed (see detail)
};

// How a request uses the cache.
enum class CacheUse {
    // A hit is checked in full before it is returned.
    Check,
    // A hit's regular files (the plan's sources) are left to the caller, who writes each of them
    // anyway and checks it then (CachedClosure::unchecked): one stat(2) per file fewer. The
    // closure's warnings and notes are held until the caller knows the hit was true.
    LeaveFilesToWriter,
    // The cache file is not read but removed (a hit was found stale), and the closure computed
    // afresh is stored in its place when it can be: a file changed less than a second ago is
    // not, and the next request is then a miss, not a stale hit again.
    Refresh,
};

// The regular files a LeaveFilesToWriter hit did not check: plan File entries, each with what
// lstat(2) of its source said when the closure was made.
class UncheckedFiles {
  public:
    UncheckedFiles() = default;
    // `observations[i]` for each (entry, i) of `files`; the entries are the plan's own, which
    // must not change while this is used.
    UncheckedFiles(std::vector<Observation> observations,
                   std::vector<std::pair<const PlanEntry*, std::uint32_t>> files);

    // Whether `st`, lstat(2) of the source of `file` now (or fstat(2) of it opened with
    // O_NOFOLLOW), is the file the closure saw there; `st` null: the source could not be linked
    // or opened (gone, or a symlink now). True for an entry that is not one of them.
    bool still_true(const PlanEntry& file, const struct stat* st) const;
    size_t size() const { return files_.size(); }

  private:
    std::vector<Observation> observations_;
    std::vector<std::pair<const PlanEntry*, std::uint32_t>> files_;  // sorted
};

struct CachedClosure {
    Closure closure;
    CacheOutcome outcome = CacheOutcome::Off;
    // Hit/Stored: the cache file. Otherwise why it was not used or not stored.
    std::string detail;
    // Stored/NotStored: why the cache file there was not used (empty: there was none).
    std::string missed;
    // A LeaveFilesToWriter hit: the files still to check, and the closure's warnings and notes,
    // not reported yet (report_held() reports them).
    UncheckedFiles unchecked;
    std::vector<std::pair<bool, std::string>> held_messages;  // (is a warning, text)

    void report_held(const Reporter& reporter);
};

// compute_closure(), through the cache in `cache_dir` (empty: no cache). The cache never makes
// a build fail: a cache that cannot be read or written is left alone.
CachedClosure cached_closure(const ContainerSpec& spec, const std::string& host_search_path,
                             const Reporter& reporter, const ClosureOptions& options,
                             const std::filesystem::path& cache_dir,
                             CacheUse use = CacheUse::Check);

// A cache file's contents.
struct CacheRecord {
    std::string key;
    std::vector<Observation> observations;
    Closure closure;
    std::vector<std::pair<bool, std::string>> messages;  // (is a warning, text), in order
};

// Why a closure whose walk looked at a path first as `first` (observe::Recording), and which now
// answers `now`, cannot be stored; empty when it can. Not stored: a path that changed in any way
// (its ctime moved) while the closure was computed, so that the walk may have seen something
// else; and one whose content or names (its mtime) changed less than a second before the build
// started (`too_new`, in nanoseconds since the epoch), as a second change within the same clock
// tick could leave its mtime as it was. A hard link made to a file before the walk moves its
// ctime, and is no reason.
std::string why_not_stored(const Observation& first, const Observation& now,
                           std::int64_t too_new);

std::string serialize_cache_record(const CacheRecord& record);
// nullopt for anything but a well-formed record (bounds-checked; fuzzed).
std::optional<CacheRecord> parse_cache_record(std::span<const std::byte> bytes);

}  // namespace ocitools
