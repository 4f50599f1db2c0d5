// The heap, tuned for this VM-heavy world: a page's first touch costs tens of microseconds on a
// virtual machine (here: 4,096 first touches took 56 to 105 ms, one MADV_POPULATE_WRITE of the
// same 16 MiB 3 to 6 ms). The heap grows in steps of 8 MiB from one arena, and a step is
// faulted in with one system call only when a lot of heap is about to be used (a closure
// computed afresh); a cached closure and `--version` do without.
#pragma once

namespace ocitools {

// mallopt(3): one arena for every thread, 8 MiB steps. Call first thing in main().
void tune_heap();

// Fault in the free top of the heap, 8 MiB or more, at once. Kernels before 5.14 refuse the
// madvise; the pages are then faulted as usual. Does nothing unless tune_heap() was called.
void populate_heap();

}  // namespace ocitools
