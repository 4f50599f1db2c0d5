// Running one piece of work on a few threads at once: the copying pool and the closure's
// read-ahead. The work takes its tasks from a shared counter, so any number of threads gives the
// same result, and a thread that cannot be started only means fewer of them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

namespace ocitools {

// Threads for `requested` (0: one per core, at most 8; else at most 64).
inline unsigned worker_threads(unsigned requested = 0) {
    if (requested != 0) return std::min(requested, 64u);
    return std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
}

// Run `work` (noexcept) on this thread and on up to threads - 1 others, and wait for them all.
template <typename Work>
void run_on_threads(std::size_t threads, const Work& work) {
    std::vector<std::thread> others;
    for (std::size_t i = 1; i < threads; ++i) {
        try {
            others.emplace_back(work);
        } catch (const std::system_error&) {
            break;  // fewer threads: the same result
        }
    }
    work();
    for (auto& t : others) t.join();
}

}  // namespace ocitools
