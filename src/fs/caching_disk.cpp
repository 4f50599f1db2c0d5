#include "fs/caching_disk.h"

namespace ocitools {

namespace {

// The cached answer for `path` in `cache`, asking `ask` on a miss. The lock is not held while
// the kernel answers, so that a slow lookup does not serialise the others; two threads missing
// the same path both ask, and the first answer stays.
template <typename Value, typename Ask>
Value cached(std::mutex& mutex, std::unordered_map<std::string, Value>& cache,
             const std::string& path, Ask ask) {
    {
        const std::lock_guard lock(mutex);
        if (auto it = cache.find(path); it != cache.end()) return it->second;
    }
    Value value = ask();
    const std::lock_guard lock(mutex);
    return cache.emplace(path, std::move(value)).first->second;
}

}  // namespace

int CachingDisk::lstat(const std::string& path, struct stat& st) const {
    const Stat s = cached(mutex_, lstats_, path, [&] {
        Stat v{0, {}};
        v.error = disk_.lstat(path, v.st);
        return v;
    });
    if (s.error == 0) st = s.st;
    return s.error;
}

int CachingDisk::stat(const std::string& path, struct stat& st) const {
    const Stat s = cached(mutex_, stats_, path, [&] {
        Stat v{0, {}};
        v.error = disk_.stat(path, v.st);
        return v;
    });
    if (s.error == 0) st = s.st;
    return s.error;
}

int CachingDisk::readlink(const std::string& path, std::string& target) const {
    const Link l = cached(mutex_, links_, path, [&] {
        Link v{0, {}};
        v.error = disk_.readlink(path, v.target);
        return v;
    });
    if (l.error == 0) target = l.target;
    return l.error;
}

}  // namespace ocitools
