#include "closure/observe.h"

#include <cerrno>
#include <atomic>
#include <vector>

namespace ocitools {

Observation Observation::of(const std::string& path, bool follow, bool listed) {
    struct stat st {};
    Observation o;
    if ((follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) != 0)
        o.error = errno;
    else
        o = of_stat(st);
    o.path = path;
    o.follow = follow;
    o.listed = listed;
    return o;
}

Observation Observation::of_stat(const struct stat& st) {
    Observation o;
    o.dev = st.st_dev;
    o.ino = st.st_ino;
    o.mode = st.st_mode;
    o.uid = st.st_uid;
    o.gid = st.st_gid;
    o.size = st.st_size;
    o.mtime_sec = st.st_mtim.tv_sec;
    o.mtime_nsec = st.st_mtim.tv_nsec;
    o.ctime_sec = st.st_ctim.tv_sec;
    o.ctime_nsec = st.st_ctim.tv_nsec;
    return o;
}

bool Observation::same_as(const Observation& now) const {
    if (error != 0 || now.error != 0) return error == now.error;
    if (dev != now.dev || ino != now.ino || mode != now.mode || uid != now.uid || gid != now.gid)
        return false;
    return looked_up_directory() ||
           (size == now.size && mtime_sec == now.mtime_sec && mtime_nsec == now.mtime_nsec);
}

bool Observation::unchanged_to(const Observation& now) const {
    if (error != 0 || now.error != 0) return error == now.error;
    return dev == now.dev && ino == now.ino && mode == now.mode && uid == now.uid &&
           gid == now.gid && size == now.size && mtime_sec == now.mtime_sec &&
           mtime_nsec == now.mtime_nsec && ctime_sec == now.ctime_sec &&
           ctime_nsec == now.ctime_nsec;
}

}  // namespace ocitools

namespace ocitools::observe {

namespace {
std::atomic<Recording*> active{nullptr};
}  // namespace

Recording::Recording() {
    Recording* expected = nullptr;
    // Only one at a time: another (a closure on another thread) records nothing, and says so.
    if (!active.compare_exchange_strong(expected, this))
        uncacheable_ = "another closure was being recorded at the same time";
}

Recording::~Recording() {
    Recording* expected = this;
    active.compare_exchange_strong(expected, nullptr);
}

void Recording::add(std::string_view path, Asked how) {
    // The path, and every directory on the way, looked up: a directory renamed into place while
    // the walk ran then shows (the rename gives it a new inode and ctime). Its ancestors are
    // there once it is. Those not recorded yet are looked at without the lock, then added; a
    // thread that added one meanwhile looked at it no later.
    std::vector<std::pair<std::string, Asked>> missing;
    {
        std::lock_guard lock(mutex_);
        std::pair<std::string, Asked> key{std::string(path), how};
        if (paths_.count(key)) return;
        missing.push_back(std::move(key));
        for (size_t slash = path.rfind('/'); slash != std::string_view::npos && slash > 0;
             slash = path.rfind('/', slash - 1)) {
            std::pair<std::string, Asked> parent{std::string(path.substr(0, slash)), Asked::Lstat};
            if (paths_.count(parent)) break;
            missing.push_back(std::move(parent));
        }
    }
    std::vector<Observation> looks;
    looks.reserve(missing.size());
    for (const auto& [p, asked] : missing)
        looks.push_back(Observation::of(p, asked != Asked::Lstat, asked == Asked::Listing));
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < missing.size(); ++i)
        paths_.emplace(std::move(missing[i]), std::move(looks[i]));
}

Recording::Looks Recording::take() {
    std::lock_guard lock(mutex_);
    return std::move(paths_);
}

std::string Recording::uncacheable_reason() const {
    std::lock_guard lock(mutex_);
    return uncacheable_;
}

void lstat(std::string_view path) {
    if (Recording* r = active.load(std::memory_order_acquire)) r->add(path, Asked::Lstat);
}

void stat(std::string_view path) {
    if (Recording* r = active.load(std::memory_order_acquire)) r->add(path, Asked::Stat);
}

void listing(std::string_view path) {
    if (Recording* r = active.load(std::memory_order_acquire)) r->add(path, Asked::Listing);
}

void components(std::string_view path) {
    if (!active.load(std::memory_order_acquire)) return;
    for (size_t slash = path.find('/', 1); slash != std::string_view::npos;
         slash = path.find('/', slash + 1))
        lstat(path.substr(0, slash));
    lstat(path);
    stat(path);
}

void uncacheable(std::string_view why) {
    Recording* r = active.load(std::memory_order_acquire);
    if (!r) return;
    std::lock_guard lock(r->mutex_);
    if (r->uncacheable_.empty()) r->uncacheable_ = why;
}

}  // namespace ocitools::observe
