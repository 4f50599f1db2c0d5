#include "heap.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older C libraries do not name it
#endif

namespace ocitools {

namespace {
constexpr std::size_t kHeapStep = std::size_t{8} << 20;
char* heap_start = nullptr;
bool populated = false;
}  // namespace

void tune_heap() {
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, static_cast<int>(kHeapStep));
    heap_start = static_cast<char*>(sbrk(0));
}

void populate_heap() {
    if (!heap_start || populated) return;
    populated = true;
    // More than the heap's free top may hold: it then grows by this and kHeapStep. Volatile,
    // or the compiler drops the pair.
    void* volatile grow = malloc(std::size_t{1} << 20);
    free(grow);
    auto* end_of_heap = static_cast<char*>(sbrk(0));
    const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    const std::uintptr_t begin = (reinterpret_cast<std::uintptr_t>(heap_start) + page - 1) & ~(page - 1);
    const std::uintptr_t end = reinterpret_cast<std::uintptr_t>(end_of_heap) & ~(page - 1);
    // Pages already in use are passed over.
    if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
}

}  // namespace ocitools
