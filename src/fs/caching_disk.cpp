#include "fs/caching_disk.h"

#include <optional>

namespace ocitools {

namespace {

// The answer for `path` in `cache`, asking `ask(value)` (which returns 0 or an errno) on a miss;
// `out` gets the value when there is one. The lock is not held while the kernel answers, so
// that a slow lookup does not serialise the others; two threads missing the same path both
// ask, and the first answer stays.
template <typename Cache, typename T, typename Ask>
int cached(std::mutex& mutex, Cache& cache, const std::string& path, T& out, Ask ask) {
    std::optional<typename Cache::mapped_type> hit;
    {
        const std::lock_guard lock(mutex);
        if (auto it = cache.find(path); it != cache.end()) hit = it->second;
    }
    if (!hit) {
        typename Cache::mapped_type answer;
        answer.error = ask(answer.value);
        const std::lock_guard lock(mutex);
        hit = cache.emplace(path, std::move(answer)).first->second;
    }
    if (hit->error == 0) out = std::move(hit->value);
    return hit->error;
}

}  // namespace

int CachingDisk::lstat(const std::string& path, struct stat& st) const {
    return cached(mutex_, lstats_, path, st,
                  [&](struct stat& value) { return disk_.lstat(path, value); });
}

int CachingDisk::stat(const std::string& path, struct stat& st) const {
    return cached(mutex_, stats_, path, st,
                  [&](struct stat& value) { return disk_.stat(path, value); });
}

int CachingDisk::readlink(const std::string& path, std::string& target) const {
    return cached(mutex_, links_, path, target,
                  [&](std::string& value) { return disk_.readlink(path, value); });
}

}  // namespace ocitools
