// OCITOOLS_DEBUG=time: how long each phase of a command took, on stderr, as ninja's `-d stats`
// does for its own. Costs one getenv(3) per process when off.
#pragma once

#include <string_view>

namespace ocitools {

// Start the clock: first thing in main(). (The time before main, the exec and the dynamic
// loader's, is not shown: the process's CPU clock, which would say, counts the forked shell's
// work before the exec too.)
void phase_start();

// Say how long `phase` took: the time since the previous phase_done(), or phase_start().
void phase_done(std::string_view phase);

}  // namespace ocitools
