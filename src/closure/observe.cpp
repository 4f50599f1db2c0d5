#include "closure/observe.h"

#include <atomic>

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
    std::lock_guard lock(mutex_);
    if (!paths_.emplace(std::string(path), how).second) return;
    // And every directory on the way, looked up: a directory renamed into place while the walk
    // ran then shows (the rename gives it a new ctime). Its ancestors are there once it is.
    for (size_t slash = path.rfind('/'); slash != std::string_view::npos && slash > 0;
         slash = path.rfind('/', slash - 1))
        if (!paths_.emplace(std::string(path.substr(0, slash)), Asked::Lstat).second) break;
}

std::set<std::pair<std::string, Asked>> Recording::take() {
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
