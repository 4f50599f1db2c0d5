#include "heap.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older C libraries do not name it
#endif

namespace ocitools {

namespace {
constexpr std::size_t kHeapStep = std::size_t{8} << 20;
char* heap_start = nullptr;
std::uintptr_t populated_end = 0;  // faulted in below this
}  // namespace

void tune_heap() {
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, static_cast<int>(kHeapStep));
    heap_start = static_cast<char*>(sbrk(0));
}

void populate_heap(std::size_t bytes) {
    if (!heap_start) return;
    // At least as much as the heap's free top may hold: it then grows by this and kHeapStep.
    // Volatile, or the compiler drops the pair.
    void* volatile grow = malloc(std::max(bytes, std::size_t{1} << 20));
    free(grow);
    const auto end_of_heap = reinterpret_cast<std::uintptr_t>(sbrk(0));
    // The free top begins where the heap's releasable end (keepcost) does.
    const std::uintptr_t top = end_of_heap - mallinfo2().keepcost;
    const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    const std::uintptr_t begin =
        (std::max(reinterpret_cast<std::uintptr_t>(heap_start), populated_end) + page - 1) &
        ~(page - 1);
    const std::uintptr_t end =
        (bytes == 0 ? end_of_heap : std::min(end_of_heap, top + bytes)) & ~(page - 1);
    // Pages already in use are passed over.
    if (end <= begin) return;
    (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
    populated_end = end;
}

}  // namespace ocitools
