// The heap, tuned for this VM-heavy world: a page's first touch costs tens of microseconds on a
// virtual machine (here: 4,096 first touches took 56 to 105 ms, one MADV_POPULATE_WRITE of the
// same 16 MiB 3 to 6 ms). The heap grows in steps of 8 MiB from one arena, and a step is
// faulted in with one system call only when a lot of heap is about to be used: all of it for a
// closure computed afresh, about what parsing it takes for a cached closure; `--version` does
// without. (A page faulted in that way still costs about half a fault at its first touch here.)
#pragma once

#include <cstddef>

namespace ocitools {

// mallopt(3): one arena for every thread, 8 MiB steps. Call first thing in main().
void tune_heap();

// Fault in the next `bytes` of the heap's free top at once, or (0) all of it, 8 MiB or more.
// Kernels before 5.14 refuse the madvise; the pages are then faulted as usual. Does nothing
// unless tune_heap() was called.
void populate_heap(std::size_t bytes = 0);

}  // namespace ocitools
