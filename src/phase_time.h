// OCITOOLS_DEBUG=time: how long each phase of a command took, on stderr, as ninja's `-d stats`
// does for its own. Costs one getenv(3) per process when off.
#pragma once

#include <string_view>

namespace ocitools {

// Say how long since the previous phase_done() (or since the process started) `phase` took.
void phase_done(std::string_view phase);

}  // namespace ocitools
